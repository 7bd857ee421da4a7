"""The bundled price table: `genai-prices`, whose data ships inside the package.

Prices are never fetched at run time; a newer table is a dependency bump. Every cost taken
from it records the package version, so a figure can be traced to the table that made it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import genai_prices
from genai_prices import Usage
from genai_prices.data_snapshot import find_provider_by_id, get_snapshot

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
    rates: str  # the table's own description, e.g. "$2.5/input MTok, $10/output MTok"


def version() -> str:
    return f"genai-prices {genai_prices.__version__}"


def lookup(provider, model, usage, at: datetime) -> BundledPrice | None:
    """The cost of `usage` (a pricing.costing.Usage) at the table's price on `at`, or None."""
    if not model or provider in UNPRICED_PROVIDERS:
        return None
    tokens = _usage(usage)
    provider_id = PROVIDER_IDS.get(provider, provider) or None
    if provider_id and find_provider_by_id(get_snapshot().providers, provider_id) is None:
        # A gateway or proxy the table does not know ("portkey", a company's own): price the
        # model by its name alone. A known provider without the model stays unpriced.
        provider_id = None
    try:
        result = genai_prices.calc_price(
            tokens, model, provider_id=provider_id, genai_request_timestamp=at
        )
    except LookupError:
        return None
    except ValueError:  # a usage the table cannot price (e.g. more cached than input tokens)
        return None
    return BundledPrice(
        cost_usd=result.total_price,
        provider=result.provider.id,
        model=result.model.id,
        rates=str(result.model_price),
    )


def _usage(usage) -> Usage:
    counts = {
        "input_tokens": usage.input,
        "output_tokens": usage.output,
        "cache_read_tokens": usage.cached,
        "cache_write_tokens": usage.cache_write,
    }
    return Usage(**{key: value for key, value in counts.items() if value})
