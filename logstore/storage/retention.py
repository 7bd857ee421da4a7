"""Retention: remove logs older than their workspace's `retention_days`, cheaply.

The log store does the removing (`LogStore.prune`): whole partitions where no workspace keeps
a row (PostgreSQL's daily partitions, ClickHouse's), small bounded deletes otherwise. Expired
idempotency records, which live in the Django database whatever the log store, go here in
batches, each its own short transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from logstore.models import IdempotencyRecord, Workspace
from logstore.storage import get_store
from logstore.storage.orm import delete_in_batches

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
    result = get_store().prune(
        cutoffs,
        dry_run=dry_run,
        batch_size=batch_size,
        count_cap=DRY_RUN_COUNT_CAP,
        progress=progress,
    )
    report.dropped_partitions = result.dropped_partitions
    slugs = dict(Workspace.objects.values_list("pk", "slug"))
    for workspace_id, count in sorted(result.deleted.items()):
        progress(
            f"{'would delete' if dry_run else 'deleted'} {count} log(s) of "
            f"{slugs[workspace_id]} older than {cutoffs[workspace_id]:%Y-%m-%d %H:%M} UTC"
        )
        report.deleted_logs[slugs[workspace_id]] = count
    old_records = IdempotencyRecord.objects.filter(created_at__lt=now - idempotency_ttl)
    if dry_run:
        report.deleted_idempotency_records = old_records.order_by()[:DRY_RUN_COUNT_CAP].count()
    else:
        report.deleted_idempotency_records = delete_in_batches(old_records, batch_size)
    return report
