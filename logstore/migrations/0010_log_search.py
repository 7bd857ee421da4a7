"""Full-text search over prompts and responses (`q=`): a folded text column and its index;
and the list's one-line preview of each log.

PostgreSQL: a trigram GIN index (pg_trgm) on `search_text`, created on the partitioned table
so every daily partition, present and future, carries it. SQLite: an FTS5 trigram table of
(text, log id), written beside each insert (logstore/query/search.py). Existing rows are
filled in chunks from their stored bodies.
"""

from django.db import migrations, models

from logstore.ingestion.searchtext import preview_text, search_text
from logstore.query.keyset import iter_chunks

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE logstore_log_search USING fts5("
    "search_text, log_id UNINDEXED, tokenize='trigram')"
)


def backfill(apps, schema_editor, fts=False):
    Log = apps.get_model("logstore", "Log")
    for chunk in iter_chunks(Log.objects.only("id", "created_at", "request", "response"), 1000):
        rows = []
        for log in chunk:
            text = search_text(log.request, log.response)
            if text:
                Log.objects.filter(id=log.id, created_at=log.created_at).update(
                    search_text=text, preview=preview_text(log.request, log.response)
                )
                rows.append((text, log.id.hex))
        if fts and rows:
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO logstore_log_search (search_text, log_id) VALUES (%s, %s)", rows
                )


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        backfill(apps, schema_editor)
        # `q=`: LIKE '%term%' over the folded text, one index per daily partition.
        schema_editor.execute(
            "CREATE INDEX log_search_trgm_idx ON logstore_log USING gin (search_text gin_trgm_ops)"
        )
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FTS)
        backfill(apps, schema_editor, fts=True)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS log_search_trgm_idx")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS logstore_log_search")


class Migration(migrations.Migration):
    dependencies = [("logstore", "0009_usage_events")]

    operations = [
        migrations.AddField(
            model_name="log",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="log",
            name="preview",
            field=models.CharField(blank=True, default="", editable=False, max_length=160),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
