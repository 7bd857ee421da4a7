"""The bundled price table: `genai-prices`, whose data ships inside the package.

Prices are never fetched at run time; a newer table is a dependency bump. Every cost taken
from it records the package version, so a figure can be traced to the table that made it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import genai_prices
from genai_prices import Usage
from genai_prices.data_snapshot import find_provider_by_id, get_snapshot
from genai_prices.types import TieredPrices

# Our provider names (see ingestion.normalize.PROVIDER_HOSTS) where genai-prices spells them
# differently. Providers missing here are passed through as they are.
PROVIDER_IDS = {
    "azure-openai": "azure",
    "mistral-ai": "mistral",
    "together-ai": "together",
    "fireworks-ai": "fireworks",
    "perplexity-ai": "perplexity",
    "bedrock": "aws",
    "vertex-ai": "google",
}
# Local models have no list price; guessing one from the model name would be wrong.
UNPRICED_PROVIDERS = frozenset({"ollama"})


@dataclass(frozen=True)
class BundledPrice:
    cost_usd: Decimal
    provider: str
    model: str
    model_price: object  # the table's genai_prices.types.ModelPrice

    @property
    def rates(self) -> str:
        """The table's own description, e.g. "$2.5/input MTok, $10/output MTok"; built only
        for display, as it costs more than the pricing itself."""
        return str(self.model_price)


def version() -> str:
    return f"genai-prices {genai_prices.__version__}"


def lookup(provider, model, usage, at: datetime) -> BundledPrice | None:
    """The cost of `usage` (a pricing.costing.Usage) at the table's price on `at`, or None."""
    if not model or provider in UNPRICED_PROVIDERS:
        return None
    provider_id = PROVIDER_IDS.get(provider, provider) or None
    found = _find(provider_id, model)
    if found is None:
        return None
    table_provider, table_model = found
    model_price = table_model.get_prices(at)
    cost = flat_cost(model_price, usage)
    if cost is None:
        try:
            cost = table_model.calc_price(
                _usage(usage), table_provider, genai_request_timestamp=at
            ).total_price
        except ValueError:  # a usage the table cannot price (more cached than input tokens)
            return None
    return BundledPrice(
        cost_usd=cost,
        provider=table_provider.id,
        model=table_model.id,
        model_price=model_price,
    )


MTOK = Decimal(1_000_000)
TOKEN_RATES = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
# Rates of units this usage never reports (so they add nothing); anything else, such as a
# per-request fee, goes through genai-prices' own calculation.
UNUSED_RATES = frozenset({"cache_write_1h_mtok", "web_searches_kcount", "storage_searches_kcount"})


def flat_cost(model_price, usage) -> Decimal | None:
    """The cost at per-token rates, or None when the price is not that simple.

    genai-prices' general calculation decomposes every unit it knows for every call (several
    hundred microseconds); for text-token prices, flat or tiered, this is the same sum, which
    tests check against genai-prices for every model in the table.
    """
    rates = {}
    for key, rate in model_price.__dict__.items():
        if rate is None or key.startswith("_"):
            continue
        if key in TOKEN_RATES:
            rates[key] = _tier_rate(rate, usage.input or 0)
        elif key not in UNUSED_RATES:
            return None
    input_rate = rates.get("input_mtok") or Decimal(0)
    cached, written = usage.cached or 0, usage.cache_write or 0
    uncached = (usage.input or 0) - cached - written
    if uncached < 0:
        return None
    total = (
        uncached * input_rate
        + cached * _or(rates.get("cache_read_mtok"), input_rate)
        + written * _or(rates.get("cache_write_mtok"), input_rate)
        + (usage.output or 0) * (rates.get("output_mtok") or Decimal(0))
    )
    return total / MTOK


def _tier_rate(rate, input_tokens) -> Decimal:
    """A tiered price's rate for the whole call: the highest tier the call's input tokens
    pass applies to every token (the providers' "cliff" pricing, as genai-prices has it)."""
    if not isinstance(rate, TieredPrices):
        return rate
    for tier in reversed(rate.tiers):
        if input_tokens > tier.start:
            return tier.price
    return rate.base


def _or(rate, fallback):
    return fallback if rate is None else rate


@lru_cache(maxsize=4096)
def _find(provider_id, model):
    """The table's (provider, model) for ours, or None; remembered, as matching a name runs
    through a provider's model patterns and a miss would repeat that for every log."""
    snapshot = get_snapshot()
    if provider_id and find_provider_by_id(snapshot.providers, provider_id) is None:
        # A gateway or proxy the table does not know ("portkey", a company's own): match the
        # model by its name alone. A known provider without the model stays unpriced.
        provider_id = None
    try:
        return snapshot.find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None


def _usage(usage) -> Usage:
    counts = {
        "input_tokens": usage.input,
        "output_tokens": usage.output,
        "cache_read_tokens": usage.cached,
        "cache_write_tokens": usage.cache_write,
    }
    return Usage(**{key: value for key, value in counts.items() if value})
