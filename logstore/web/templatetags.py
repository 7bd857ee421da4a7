"""Template filters of the web UI and the admin (`{% load logstore %}`): the one time format,
short ids, compact JSON and search highlighting.
"""

import json
import re
from datetime import UTC, datetime

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
SHORT_ID_TAIL = 12
LONG_ID = 24


def format_time(value) -> str:
    """Every time a person reads, on every page: `2026-01-31 23:59:59.123 UTC`."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return f"{value.strftime(TIME_FORMAT)}.{value.microsecond // 1000:03d} UTC"


@register.filter
def logtime(value):
    return format_time(value)


@register.filter
def short_id(value):
    """The part of an id that tells it apart: UUIDv7s share their leading time bits, so a
    UUID shows its random tail; other long ids keep both ends."""
    text = str(value or "")
    if _UUID.fullmatch(text):
        return f"…{text[-SHORT_ID_TAIL:]}"
    if len(text) > LONG_ID:
        half = (LONG_ID - 1) // 2
        return f"{text[:half]}…{text[-half:]}"
    return text


@register.filter
def as_json(value):
    """Compact JSON, as a client sent it (never a Python repr); escaped by the template."""
    return json.dumps(value, ensure_ascii=False, default=str)


@register.filter
def highlight(text, term):
    """`text` escaped, with each case-insensitive occurrence of `term` wrapped in <mark>."""
    text = "" if text is None else str(text)
    term = (term or "").strip()
    if not term:
        return escape(text)
    pattern = re.compile(re.escape(term), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
