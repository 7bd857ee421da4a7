"""Keyset paging of logs on (created_at, id), newest first: no COUNT(*) and no OFFSET.

A page is `per_page + 1` rows read from an index; the extra row only says whether an older page
exists. The cursor names the last row shown, so page 1000 costs the same as page 1.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.db.models import Q

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
        raise InvalidCursor(f"{text!r} is not a page cursor") from None


def older_than(queryset, created_at, log_id):
    """Rows after (created_at, id) in newest-first order.

    The redundant `created_at <= …` bound is what lets PostgreSQL start the index scan at the
    cursor instead of walking down to it from the newest row.
    """
    return queryset.filter(created_at__lte=created_at).filter(
        Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=log_id)
    )


@dataclass
class KeysetPage:
    object_list: list
    has_next: bool
    next_cursor: str | None


class KeysetPaginator:
    """Pages a log queryset newest first; never counts it."""

    def __init__(self, queryset, per_page):
        self.queryset = queryset.order_by("-created_at", "-id")
        self.per_page = per_page

    def page(self, cursor: str | None = None) -> KeysetPage:
        queryset = self.queryset
        if cursor:
            queryset = older_than(queryset, *decode_cursor(cursor))
        rows = list(queryset[: self.per_page + 1])
        has_next = len(rows) > self.per_page
        rows = rows[: self.per_page]
        return KeysetPage(rows, has_next, encode_cursor(rows[-1]) if has_next else None)
