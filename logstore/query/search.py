"""Full-text search (`q=`) over the text of prompts and responses.

Both sides are compared folded (logstore/ingestion/searchtext.py: NFKC, case-folded), as a
substring: no stemming or word splitting, so it behaves the same for every language.
PostgreSQL answers `search_text LIKE '%term%'` from the trigram GIN index
`log_search_trgm_idx`; SQLite asks the FTS5 trigram table `logstore_log_search`, written
beside every insert (rows of deleted logs are purged by retention). Terms under three
characters have no trigram, so no index can serve them: they look at the newest
SHORT_TERM_ROWS rows of the window only, a bounded scan. Every surface applies `q` inside its
time window, so partitions outside it are never read.
"""

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from logstore.ingestion.searchtext import fold

FTS_TABLE = "logstore_log_search"
MIN_INDEXED_CHARS = 3
SHORT_TERM_ROWS = 5_000


def is_short_term(text) -> bool:
    return 0 < len(fold(text or "").strip()) < MIN_INDEXED_CHARS


def search_q(within: Q, term: str) -> Q:
    """Logs whose folded text contains `term` (already folded), among those `within` selects.

    `within` only bounds a short term's scan to the newest SHORT_TERM_ROWS of its rows.
    """
    from logstore.models import Log

    if connection.vendor == "sqlite" and len(term) >= MIN_INDEXED_CHARS:
        phrase = '"' + term.replace('"', '""') + '"'
        # The table name is ours; the phrase is a parameter.
        sql = f"SELECT log_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        return Q(id__in=RawSQL(sql, [phrase]))  # noqa: S611
    if len(term) < MIN_INDEXED_CHARS:
        newest = Log.objects.filter(within).order_by("-created_at", "-id")[:SHORT_TERM_ROWS]
        sample, params = newest.values("id", "search_text").query.sql_with_params()
        times, time_params = newest.values("created_at").query.sql_with_params()
        # The text is tested inside the LIMITed subquery, so only the newest rows are read: as
        # `id IN newest AND strpos(...)` the planner tested every row of the window first.
        # strpos (instr), not LIKE: a LIKE with no trigram makes PostgreSQL read the whole GIN
        # index. The SQL is Django's own for `newest`; the term is a parameter.
        position = "instr" if connection.vendor == "sqlite" else "strpos"
        sql = f"SELECT newest.id FROM ({sample}) AS newest WHERE {position}(newest.search_text, %s) > 0"  # noqa: S608, E501
        # The matches are among those rows, so none is older than their oldest: without that
        # bound the planner, if it guesses the matches common, walks the whole window for them
        # (at 10M rows, before the parent's ANALYZE, 375k rows for a term in none).
        oldest = f"SELECT MIN(newest.created_at) FROM ({times}) AS newest"  # noqa: S608
        return Q(created_at__gte=RawSQL(oldest, time_params)) & Q(  # noqa: S611
            id__in=RawSQL(sql, (*params, term))  # noqa: S611
        )
    # `contains` is a case-sensitive LIKE with its wildcards escaped; both sides are folded.
    return Q(search_text__contains=term)


def index_for_search(cursor, ids, texts):
    """SQLite: add new logs to the FTS table, in the inserting transaction. (PostgreSQL's
    index is maintained by the database.) A table the log table is rebuilt around keeps it."""
    rows = [(text, log_id.hex) for log_id, text in zip(ids, texts, strict=True) if text]
    if rows:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (search_text, log_id) VALUES (%s, %s)",  # noqa: S608
            rows,
        )


def purge_search_index():
    """SQLite: forget the FTS rows of logs that were deleted."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {FTS_TABLE} WHERE log_id NOT IN (SELECT id FROM logstore_log)"  # noqa: S608
        )
