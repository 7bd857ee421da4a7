"""Keyset paging of logs on (created_at, id), newest first: no COUNT(*) and no OFFSET.

A page is `size + 1` rows read from an index; the extra row only says whether another page
exists. A cursor names the last row shown, so page 1000 costs the same as page 1.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.db.models import Q

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_SIZE = 50


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


def keyset_page(queryset, *, after=None, before=None, size=None) -> Page:
    """`after`: rows older than that cursor; `before`: rows newer than it; neither: the newest."""
    size = size or PAGE_SIZE
    if before:
        rows = list(
            newer_than(queryset, *decode_cursor(before)).order_by("created_at", "id")[: size + 1]
        )
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            newer=encode_cursor(rows[0]) if rows and more_newer else None,
            older=encode_cursor(rows[-1]) if rows else None,
        )
    qs = queryset.order_by("-created_at", "-id")
    if after:
        qs = older_than(qs, *decode_cursor(after))
    rows = list(qs[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        newer=encode_cursor(rows[0]) if rows and after else None,
        older=encode_cursor(rows[-1]) if rows and more_older else None,
    )


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
