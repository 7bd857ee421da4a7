"""Keyset paging of logs on (created_at, id), newest first: no COUNT(*) and no OFFSET.

A page is `size + 1` rows read from an index; the extra row only says whether another page
exists. A cursor names the last row shown, so page 1000 costs the same as page 1.

Other orders (`SORTS`: slowest, most tokens, most expensive) page on (value, created_at, id),
the value leading the cursor. They are meant inside a time window: the window bounds the rows
sorted.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_SIZE = 50


# sort name: (column, label). "time" is the default, newest first, served by the indexes.
SORTS = {
    "time": (None, "newest first"),
    "latency": ("latency_ms", "slowest first"),
    "tokens": ("total_tokens", "most tokens first"),
    "cost": ("cost_usd", "most expensive first"),
}
SORT_KEY = "_sort_value"


class InvalidCursor(ValueError):
    pass


def encode_cursor(log) -> str:
    # Integer microseconds round-trip exactly, whatever the database's time zone handling.
    micros = (log.created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{log.id.hex}"


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    micros, sep, hex_id = text.partition(".")
    try:
        if not sep:
            raise ValueError(text)
        return EPOCH + timedelta(microseconds=int(micros)), UUID(hex=hex_id)
    except (ValueError, OverflowError):
        raise InvalidCursor(
            "This page link is not valid any more; start from the newest."
        ) from None


def older_than(queryset, created_at, log_id):
    """Rows after (created_at, id) in newest-first order.

    The redundant `created_at <= …` bound is what lets PostgreSQL start the index scan at the
    cursor instead of walking down to it from the newest row.
    """
    return queryset.filter(created_at__lte=created_at).filter(
        Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=log_id)
    )


def newer_than(queryset, created_at, log_id):
    return queryset.filter(created_at__gte=created_at).filter(
        Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=log_id)
    )


@dataclass
class Page:
    rows: list
    newer: str | None  # cursor for the page before this one, if any
    older: str | None


def page_of(rows, size, *, after=None, before=None, encode=None) -> Page:
    """The page that `size + 1` rows read in keyset order make: oldest first when paging
    `before` a cursor (then shown newest first), newest first otherwise. The extra row only
    says whether another page lies that way."""
    encode = encode or encode_cursor
    if before:
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            newer=encode(rows[0]) if rows and more_newer else None,
            older=encode(rows[-1]) if rows else None,
        )
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        newer=encode(rows[0]) if rows and after else None,
        older=encode(rows[-1]) if rows and more_older else None,
    )


def keyset_page(queryset, *, after=None, before=None, size=None) -> Page:
    """`after`: rows older than that cursor; `before`: rows newer than it; neither: the newest."""
    size = size or PAGE_SIZE
    if before:
        rows = list(
            newer_than(queryset, *decode_cursor(before)).order_by("created_at", "id")[: size + 1]
        )
        return page_of(rows, size, before=before)
    qs = queryset.order_by("-created_at", "-id")
    if after:
        qs = older_than(qs, *decode_cursor(after))
    return page_of(list(qs[: size + 1]), size, after=after)


def iter_chunks(queryset, size=500, after=None):
    """Lists of rows of `queryset`, newest first, `size` at a time, by keyset.

    `after` is a row (anything with created_at and id) to continue after. Neither the
    database nor this process ever holds more than one chunk.
    """
    queryset = queryset.order_by("-created_at", "-id")
    last = after
    while True:
        page = queryset if last is None else older_than(queryset, last.created_at, last.id)
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]


def _sorted(queryset, column):
    # Rows without the value (no latency reported, no price) sort after every row that has one.
    field = queryset.model._meta.get_field(column)
    return queryset.annotate(**{SORT_KEY: Coalesce(F(column), Value(-1), output_field=field)})


def encode_sort_cursor(log) -> str:
    return f"{getattr(log, SORT_KEY)}~{encode_cursor(log)}"


def decode_sort_cursor(text: str) -> tuple[int | Decimal, datetime, UUID]:
    value, sep, rest = text.partition("~")
    try:
        if not sep:
            raise ValueError(text)
        # Counts are integers; a cost is a decimal, compared exactly (never through a float).
        number = int(value) if value.lstrip("-").isdigit() else Decimal(value)
        if isinstance(number, Decimal) and not number.is_finite():
            raise ValueError(text)
    except (ValueError, ArithmeticError):
        raise InvalidCursor(
            "This page link is not valid any more; start from the newest."
        ) from None
    return (number, *decode_cursor(rest))


def sorted_page(queryset, sort, *, after=None, before=None, size=None) -> Page:
    """Like keyset_page, in the order `sort` (a key of SORTS) names, largest value first."""
    column, _ = SORTS[sort]
    if column is None:
        return keyset_page(queryset, after=after, before=before, size=size)
    size = size or PAGE_SIZE
    qs = _sorted(queryset, column)
    key = (F(SORT_KEY), "created_at", "id")
    if before:
        value, created_at, log_id = decode_sort_cursor(before)
        qs = qs.filter(
            Q(**{f"{SORT_KEY}__gt": value})
            | Q(**{SORT_KEY: value, "created_at__gt": created_at})
            | Q(**{SORT_KEY: value, "created_at": created_at, "id__gt": log_id})
        )
        rows = list(qs.order_by(*(k if isinstance(k, str) else k.asc() for k in key))[: size + 1])
        return page_of(rows, size, before=before, encode=encode_sort_cursor)
    if after:
        value, created_at, log_id = decode_sort_cursor(after)
        qs = qs.filter(
            Q(**{f"{SORT_KEY}__lt": value})
            | Q(**{SORT_KEY: value, "created_at__lt": created_at})
            | Q(**{SORT_KEY: value, "created_at": created_at, "id__lt": log_id})
        )
    rows = list(qs.order_by(F(SORT_KEY).desc(), "-created_at", "-id")[: size + 1])
    return page_of(rows, size, after=after, encode=encode_sort_cursor)
