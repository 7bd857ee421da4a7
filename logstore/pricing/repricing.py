"""Recomputing stored costs after a price changes: a time range of one workspace (or all),
newest first, in bounded keyset batches, writing only the rows whose cost changed.

Log rows are otherwise never updated; their cost is the one derived column that depends on
something outside the log (the prices), so it alone may be rewritten.
"""

from dataclasses import dataclass
from datetime import datetime

from logstore.pricing.costing import cost_of
from logstore.storage import get_store
from logstore.storage.port import LogCriteria

DEFAULT_BATCH_SIZE = 1000
# What cost_of reads (chunks always add id and created_at), and the cost it may replace.
PRICING_COLUMNS = (
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
    store = get_store()
    criteria = LogCriteria(
        workspace_ids=None if workspace is None else (workspace.pk,), start=start, end=end
    )
    report = RepriceReport()
    span = (end - start).total_seconds() or 1.0
    for chunk in store.chunks(criteria, size=batch_size, columns=PRICING_COLUMNS):
        changed = []
        for log in chunk:
            cost = cost_of(log)
            if (log.cost_usd, log.price_source, log.price_ref) != (cost.usd, cost.source, cost.ref):
                log.cost_usd, log.price_source, log.price_ref = cost.usd, cost.source, cost.ref
                changed.append(log)
        if changed:
            store.update_costs(changed)
        report.examined += len(chunk)
        report.changed += len(changed)
        if progress:
            progress(min((end - chunk[-1].created_at).total_seconds() / span, 1.0), report)
    if progress:
        progress(1.0, report)
    return report
