"""A log's cost from its normalised usage: the client's figure, else an override, else the
bundled table, else no price (NULL, shown as "no price", never as $0)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from logstore.models import PriceSource
from logstore.pricing import bundled, overrides

COST_PLACES = Decimal("1e-12")  # the cost column's scale


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as priced: `input` includes the cache reads and writes, `output` the
    reasoning tokens."""

    input: int | None
    output: int | None
    cached: int | None = None
    cache_write: int | None = None

    @classmethod
    def of(cls, log) -> "Usage":
        """From a Log or a NormalizedLog: both carry the same token columns."""
        return cls(
            log.prompt_tokens, log.completion_tokens, log.cached_tokens, log.cache_write_tokens
        )

    @property
    def known(self) -> bool:
        return self.input is not None or self.output is not None


@dataclass(frozen=True, slots=True)
class Cost:
    usd: Decimal | None
    source: str  # a PriceSource value
    ref: str = ""  # the bundled table's version, or "override <id>"


NO_PRICE = Cost(None, PriceSource.NONE)


def compute_cost(workspace_id, provider, model, usage: Usage, at: datetime) -> Cost:
    """The cost of one call from the prices in effect at `at`."""
    if not usage.known:
        return NO_PRICE
    override = overrides.lookup(workspace_id, provider, model, usage, at)
    if override is not None:
        return Cost(_round(override.cost_usd), PriceSource.OVERRIDE, overrides.ref(override.price))
    table = bundled.lookup(provider, model, usage, at)
    if table is not None:
        return Cost(_round(table.cost_usd), PriceSource.BUNDLED, bundled.version())
    return NO_PRICE


def cost_of(log) -> Cost:
    """The cost `log` (a Log or NormalizedLog, with workspace_id) should carry; a cost the
    client reported is kept as it is."""
    if log.price_source == PriceSource.CLIENT:
        return Cost(log.cost_usd, PriceSource.CLIENT, log.price_ref)
    return compute_cost(log.workspace_id, log.provider, log.model, Usage.of(log), log.created_at)


def price_logs(workspace_id, logs):
    """Fill in the cost of freshly normalised logs that carry no client-reported cost."""
    for log in logs:
        if log.price_source == PriceSource.CLIENT:
            continue
        cost = compute_cost(workspace_id, log.provider, log.model, Usage.of(log), log.created_at)
        log.cost_usd, log.price_source, log.price_ref = cost.usd, cost.source, cost.ref


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(COST_PLACES)


@dataclass(frozen=True)
class PriceExplanation:
    """What the log page says about the price used."""

    source: str
    label: str
    rates: str


def explain(log) -> PriceExplanation:
    """The price behind a stored cost, looked up again for display."""
    source = log.price_source
    if source == PriceSource.CLIENT:
        return PriceExplanation(source, "reported by the client", "")
    if source == PriceSource.OVERRIDE:
        price = overrides.price_by_ref(log.price_ref)
        rates = overrides.describe(price) if price else "(override since deleted)"
        return PriceExplanation(source, f"price override ({log.price_ref})", rates)
    if source == PriceSource.BUNDLED:
        table = bundled.lookup(log.provider, log.model, Usage.of(log), log.created_at)
        rates = f"{table.provider}/{table.model}: {table.rates}" if table else ""
        if log.price_ref != bundled.version():
            rates = f"{rates} (now {bundled.version()}; run reprice_logs to update)".strip()
        return PriceExplanation(source, f"bundled table, {log.price_ref}", rates)
    return PriceExplanation("", "no price", "")
