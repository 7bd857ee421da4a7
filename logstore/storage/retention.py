"""Retention: remove logs older than their workspace's `retention_days`, cheaply.

On PostgreSQL a daily partition whose every row is past retention is detached and dropped
whole; everything else (and everything on SQLite) is deleted in small batches, each its own
short transaction, so no lock is held for long and replicas keep up.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from logstore.models import IdempotencyRecord, Log, Workspace
from logstore.query.search import purge_search_index
from logstore.storage.partitions import (
    day_of_partition,
    drop_partition,
    existing_partitions,
    is_partitioned,
    partition_bounds,
)

DEFAULT_BATCH_SIZE = 5000
IDEMPOTENCY_TTL = timedelta(hours=24)
# A dry run counts what it would delete, but never more than this per workspace.
DRY_RUN_COUNT_CAP = 1_000_000


@dataclass
class PruneReport:
    dry_run: bool
    dropped_partitions: list[str] = field(default_factory=list)
    # workspace slug -> rows deleted (or, in a dry run, that would be; capped)
    deleted_logs: dict[str, int] = field(default_factory=dict)
    deleted_idempotency_records: int = 0


def retention_cutoffs(now: datetime) -> dict[int, datetime | None]:
    """Workspace id -> the time before which its logs go; None keeps them forever."""
    return {
        pk: (now - timedelta(days=days)) if days is not None else None
        for pk, days in Workspace.objects.values_list("pk", "retention_days")
    }


def prune_logs(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    idempotency_ttl: timedelta = IDEMPOTENCY_TTL,
    progress: Callable[[str], None] = lambda message: None,
) -> PruneReport:
    now = now or timezone.now()
    report = PruneReport(dry_run=dry_run)
    cutoffs = retention_cutoffs(now)
    if any(cutoff is not None for cutoff in cutoffs.values()) and is_partitioned():
        for name in droppable_partitions(cutoffs):
            progress(f"{'would drop' if dry_run else 'dropping'} partition {name}")
            if not dry_run:
                drop_partition(name)
            report.dropped_partitions.append(name)
    slugs = dict(Workspace.objects.values_list("pk", "slug"))
    for workspace_id, cutoff in sorted(cutoffs.items()):
        if cutoff is None:
            continue
        expired = Log.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff)
        if dry_run:
            # What the drops above would already have removed is not counted twice.
            for name in report.dropped_partitions:
                lower, upper = partition_bounds(day_of_partition(name))
                expired = expired.exclude(created_at__gte=lower, created_at__lt=upper)
            count = expired.order_by()[:DRY_RUN_COUNT_CAP].count()
        else:
            count = delete_in_batches(expired, batch_size)
        if count:
            progress(
                f"{'would delete' if dry_run else 'deleted'} {count} log(s) of "
                f"{slugs[workspace_id]} older than {cutoff:%Y-%m-%d %H:%M} UTC"
            )
            report.deleted_logs[slugs[workspace_id]] = count
    if report.deleted_logs and not dry_run:
        purge_search_index()
    old_records = IdempotencyRecord.objects.filter(created_at__lt=now - idempotency_ttl)
    if dry_run:
        report.deleted_idempotency_records = old_records.order_by()[:DRY_RUN_COUNT_CAP].count()
    else:
        report.deleted_idempotency_records = delete_in_batches(old_records, batch_size)
    return report


def droppable_partitions(cutoffs: dict[int, datetime | None]) -> list[str]:
    """Daily partitions in which no row can still be within its workspace's retention.

    A row is kept while created_at >= its workspace's cutoff, and every row of a partition is
    older than its upper bound; so only workspaces whose cutoff is before that bound (or who
    keep forever) can hold rows that must stay, and one indexed probe per partition asks
    whether any of theirs is there. Rows of deleted workspaces keep nothing alive.
    """
    droppable = []
    for day, name in sorted(existing_partitions().items()):
        _, upper = partition_bounds(day)
        keepers = [pk for pk, cutoff in cutoffs.items() if cutoff is None or cutoff < upper]
        if len(keepers) == len(cutoffs):
            break  # later partitions are newer still: nothing there is expired everywhere
        if keepers:
            with connection.cursor() as cursor:
                # The (workspace_id, created_at, id) index answers this without a scan.
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {name} WHERE workspace_id = ANY(%s))",  # noqa: S608
                    [keepers],
                )
                if cursor.fetchone()[0]:
                    continue
        droppable.append(name)
    return droppable


def delete_in_batches(queryset, batch_size: int) -> int:
    """Delete `queryset` oldest first, `batch_size` rows per short transaction."""
    total = 0
    has_created_at = any(f.name == "created_at" for f in queryset.model._meta.concrete_fields)
    columns = ("pk", "created_at") if has_created_at else ("pk",)
    while True:
        with transaction.atomic():
            batch = list(queryset.order_by("created_at").values_list(*columns)[:batch_size])
            if not batch:
                return total
            victims = queryset.model.objects.filter(pk__in=[row[0] for row in batch])
            if has_created_at:
                # The time range lets PostgreSQL touch only the partitions these rows are in.
                victims = victims.filter(created_at__gte=batch[0][1], created_at__lte=batch[-1][1])
            deleted, _ = victims.delete()
            total += deleted
        if len(batch) < batch_size:
            return total
