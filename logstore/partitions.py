"""Daily range partitions of the log table on PostgreSQL.

Partitions are created ahead of time (on migrate and by `manage.py create_partitions`, safe to
run from cron); a DEFAULT partition catches any event time outside them, so an insert never
fails for want of a partition. Retention drops whole days.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

LOG_TABLE = "logstore_log"
DEFAULT_PARTITION = "logstore_log_default"
PARTITION_PREFIX = "logstore_log_p"


def is_partitioned(using=connection) -> bool:
    if using.vendor != "postgresql":
        return False
    with using.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [LOG_TABLE],
        )
        return cursor.fetchone() is not None


def partition_name(day: date) -> str:
    return f"{PARTITION_PREFIX}{day:%Y%m%d}"


def day_of_partition(name: str) -> date | None:
    if not name.startswith(PARTITION_PREFIX):
        return None
    try:
        return datetime.strptime(name[len(PARTITION_PREFIX) :], "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None


def existing_partitions(using=connection) -> dict[date, str]:
    with using.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s",
            [LOG_TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {day: name for name in names if (day := day_of_partition(name))}


def ensure_partitions(days_ahead=7, days_behind=1, today=None, using=connection) -> list[str]:
    """Create the missing daily partitions around today; returns the names created."""
    if not is_partitioned(using):
        return []
    today = today or datetime.now(UTC).date()
    have = existing_partitions(using)
    created = []
    for offset in range(-days_behind, days_ahead + 1):
        day = today + timedelta(days=offset)
        if day not in have:
            create_partition(day, using)
            created.append(partition_name(day))
    return created


def create_partition(day: date, using=connection):
    """Create one day's partition, moving any rows of that day out of the default partition.

    Attaching a range that the default partition already holds rows for would fail, so those
    rows move into the new table first, in the same transaction.
    """
    name = partition_name(day)
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    with transaction.atomic(using=using.alias), using.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "  # noqa: S608
            "WHERE created_at >= %s AND created_at < %s)",
            [start, end],
        )
        (has_rows,) = cursor.fetchone()
        if not has_rows:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {LOG_TABLE} "
                "FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
            return
        cursor.execute(f"CREATE TABLE {name} (LIKE {LOG_TABLE} INCLUDING ALL)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "  # noqa: S608
            "WHERE created_at >= %s AND created_at < %s RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {LOG_TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [start, end],
        )
