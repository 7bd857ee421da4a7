"""Values to suggest while a person types a filter: models, providers, users, metadata values.

Suggestions come from the newest rows a person may see (read through the (workspace,
created_at) index, never a DISTINCT over the table), most frequent first. A rare value older
than that sample is not offered, but typing it still filters.
"""

from collections import Counter

from logstore.storage import get_store
from logstore.storage.port import LogCriteria

SUGGESTED_FIELDS = ("model", "provider", "user")
SAMPLE_ROWS = 5000
LIMIT = 20


def _top(values, typed, limit):
    typed = typed.casefold()
    counts = Counter(v for v in values if v and typed in v.casefold())
    return [value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def recent_values(criteria: LogCriteria, field, typed="", limit=LIMIT) -> list[str]:
    """Values of `field` (one of SUGGESTED_FIELDS) among the newest rows, containing `typed`."""
    if field not in SUGGESTED_FIELDS:
        raise ValueError(field)
    rows = get_store().recent_values(criteria, (field,), SAMPLE_ROWS)
    return _top((value for (value,) in rows), typed, limit)


def recent_metadata_values(criteria: LogCriteria, key, typed="", limit=LIMIT) -> list[str]:
    """Text values of metadata `key` among the newest rows, containing `typed`."""
    rows = get_store().recent_values(criteria, ("metadata_index",), SAMPLE_ROWS)
    values = ((index or {}).get(key) for (index,) in rows)
    return _top((v if isinstance(v, str) else None for v in values), typed, limit)
