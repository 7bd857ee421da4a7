"""Values to suggest while a person types a filter: models, providers, users, metadata values.

Suggestions come from the newest rows a person may see (read through the (workspace,
created_at) index, never a DISTINCT over the table), most frequent first. A rare value older
than that sample is not offered, but typing it still filters.
"""

from collections import Counter

from django.db.models import TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

SUGGESTED_FIELDS = ("model", "provider", "user")
SAMPLE_ROWS = 5000
LIMIT = 20


def _top(values, typed, limit):
    typed = typed.casefold()
    counts = Counter(v for v in values if v and typed in v.casefold())
    return [value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def _newest(queryset):
    return queryset.order_by("-created_at", "-id")[:SAMPLE_ROWS]


def recent_values(queryset, field, typed="", limit=LIMIT) -> list[str]:
    """Values of `field` (one of SUGGESTED_FIELDS) among the newest rows, containing `typed`."""
    if field not in SUGGESTED_FIELDS:
        raise ValueError(field)
    return _top(_newest(queryset).values_list(field, flat=True), typed, limit)


def recent_metadata_values(queryset, key, typed="", limit=LIMIT) -> list[str]:
    """Text values of metadata `key` among the newest rows, containing `typed`."""
    values = _newest(
        queryset.annotate(_value=Cast(KeyTextTransform(key, "metadata_index"), TextField()))
    ).values_list("_value", flat=True)
    return _top(values, typed, limit)
