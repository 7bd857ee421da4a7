"""Keyset pagination on (created_at, id), newest first, with opaque cursors and no count."""

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

PAGE_SIZE = 50


class InvalidCursor(ValueError):
    pass


def encode_cursor(log) -> str:
    raw = f"{log.created_at.isoformat()}|{log.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, _, log_id = raw.partition("|")
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None:
            raise ValueError("naive time")
        return created_at, uuid.UUID(log_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor(
            "This page link is not valid any more; start from the newest."
        ) from None


@dataclass
class Page:
    rows: list
    newer: str | None  # cursor for the page before this one, if any
    older: str | None


def keyset_page(queryset, *, after=None, before=None, size=None) -> Page:
    """`after`: rows older than that cursor; `before`: rows newer than it; neither: the newest."""
    size = size or PAGE_SIZE
    if before:
        created_at, log_id = decode_cursor(before)
        newer_than = Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=log_id)
        rows = list(queryset.filter(newer_than).order_by("created_at", "id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            newer=encode_cursor(rows[0]) if rows and more_newer else None,
            older=encode_cursor(rows[-1]) if rows else None,
        )
    qs = queryset.order_by("-created_at", "-id")
    if after:
        created_at, log_id = decode_cursor(after)
        qs = qs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=log_id))
    rows = list(qs[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        newer=encode_cursor(rows[0]) if rows and after else None,
        older=encode_cursor(rows[-1]) if rows and more_older else None,
    )
