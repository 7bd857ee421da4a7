"""On PostgreSQL, make the log table range-partitioned by event time, with lz4 bodies.

Django keeps seeing a single-column primary key (`id`); the table's real key is
(id, created_at), which PostgreSQL requires of a partitioned table. Ids are app-generated
UUIDv7, so `id` alone stays unique. Other databases keep the plain table.
"""

from django.db import migrations

from logstore.storage.partitions import DEFAULT_PARTITION, ensure_partitions

LZ4_COLUMNS = ("request", "response", "metadata")


def partition_log_table(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    Log = apps.get_model("logstore", "Log")
    run = schema_editor.execute
    run(
        "CREATE TABLE logstore_log_partitioned (LIKE logstore_log INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (created_at)"
    )
    run(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF logstore_log_partitioned DEFAULT")
    run("INSERT INTO logstore_log_partitioned SELECT * FROM logstore_log")
    run("DROP TABLE logstore_log")
    run("ALTER TABLE logstore_log_partitioned RENAME TO logstore_log")
    run("ALTER TABLE logstore_log ADD CONSTRAINT logstore_log_pkey PRIMARY KEY (id, created_at)")
    for index in Log._meta.indexes:
        schema_editor.add_index(Log, index)
    # Metadata `key=value` filters: jsonb_path_ops makes `@>` containment an index lookup.
    run(
        "CREATE INDEX log_metadata_gin_idx ON logstore_log "
        "USING gin (metadata_index jsonb_path_ops)"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                       "AND 'lz4' = ANY(enumvals)")
        has_lz4 = cursor.fetchone() is not None
    if has_lz4:
        for column in LZ4_COLUMNS:
            run(f"ALTER TABLE logstore_log ALTER COLUMN {column} SET COMPRESSION lz4")
    ensure_partitions(using=connection)


class Migration(migrations.Migration):
    dependencies = [("logstore", "0001_initial")]

    operations = [
        migrations.RunPython(partition_log_table, migrations.RunPython.noop, elidable=False),
    ]
