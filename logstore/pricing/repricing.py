"""Recomputing stored costs after a price changes: a time range of one workspace (or all),
newest first, in bounded keyset batches, writing only the rows whose cost changed.

Log rows are otherwise never updated; their cost is the one derived column that depends on
something outside the log (the prices), so it alone may be rewritten. The chart rollups of the
hours whose costs changed are rebuilt, or rolled-up charts would keep the old cost.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from logstore.models import Log
from logstore.pricing.costing import cost_of
from logstore.query import rollups
from logstore.query.keyset import iter_chunks

DEFAULT_BATCH_SIZE = 1000
PRICING_COLUMNS = (
    "id",
    "created_at",
    "workspace_id",
    "provider",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "cost_usd",
    "price_source",
    "price_ref",
)
COST_COLUMNS = ["cost_usd", "price_source", "price_ref"]


@dataclass
class RepriceReport:
    examined: int = 0
    changed: int = 0


def reprice_logs(
    *,
    start: datetime,
    end: datetime,
    workspace=None,
    batch_size=DEFAULT_BATCH_SIZE,
    progress=None,
) -> RepriceReport:
    """Reprice logs with start <= created_at < end; `progress(fraction, report)` after each
    batch, the fraction being how much of the time range is done (no row count needed)."""
    logs = Log.objects.filter(created_at__gte=start, created_at__lt=end)
    if workspace is not None:
        logs = logs.filter(workspace=workspace)
    report = RepriceReport()
    span = (end - start).total_seconds() or 1.0
    changed_hours = set()
    for chunk in iter_chunks(logs.only(*PRICING_COLUMNS), batch_size):
        changed = []
        for log in chunk:
            cost = cost_of(log)
            if (log.cost_usd, log.price_source, log.price_ref) != (cost.usd, cost.source, cost.ref):
                log.cost_usd, log.price_source, log.price_ref = cost.usd, cost.source, cost.ref
                changed.append(log)
        if changed:
            # The chunk's time bounds let PostgreSQL touch only the partitions holding it.
            window = Log.objects.filter(
                created_at__gte=chunk[-1].created_at, created_at__lte=chunk[0].created_at
            )
            with transaction.atomic():
                window.bulk_update(changed, COST_COLUMNS)
            changed_hours.update(
                (log.workspace_id, rollups.floor_hour(log.created_at)) for log in changed
            )
        report.examined += len(chunk)
        report.changed += len(changed)
        if progress:
            progress(min((end - chunk[-1].created_at).total_seconds() / span, 1.0), report)
    rollups.rebuild_hours(changed_hours)
    if progress:
        progress(1.0, report)
    return report
