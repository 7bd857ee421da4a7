"""Recomputing stored costs after a price changes: a time range of one workspace (or all),
newest first, in bounded keyset batches, writing only the rows whose cost changed.

Log rows are otherwise never updated; their cost is the one derived column that depends on
something outside the log (the prices), so it alone may be rewritten. The log store brings
what it derives from costs up to date once the batches are written (the ORM's chart rollups of
the hours whose costs changed), or rolled-up charts would keep the old cost.
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

    def changed_batches():
        # Lazily, so each batch is written before the next one is read.
        for chunk in store.chunks(criteria, size=batch_size, columns=PRICING_COLUMNS):
            changed = []
            for log in chunk:
                cost = cost_of(log)
                if (log.cost_usd, log.price_source, log.price_ref) != (
                    cost.usd,
                    cost.source,
                    cost.ref,
                ):
                    log.cost_usd, log.price_source, log.price_ref = cost.usd, cost.source, cost.ref
                    changed.append(log)
            if changed:
                yield changed
            report.examined += len(chunk)
            report.changed += len(changed)
            if progress:
                progress(min((end - chunk[-1].created_at).total_seconds() / span, 1.0), report)

    store.update_costs(changed_batches())
    if progress:
        progress(1.0, report)
    return report
