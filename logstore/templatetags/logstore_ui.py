"""Template tags shared by both surfaces, the web UI and the operator console: the status
badge, the one time format people read, short ids, compact JSON and search highlighting."""

import json
import re
from datetime import UTC, datetime

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from logstore.query.presenters import cost_display

register = template.Library()


def status_class(status) -> str:
    return f"{status // 100}xx" if status else "none"


def status_tone(log) -> str:
    """ "bad" for a failed call or a 5xx, "warn" for a 4xx, "" otherwise."""
    if not log.is_success or (log.status or 0) >= 500:
        return "bad"
    if (log.status or 0) >= 400:
        return "warn"
    return ""


@register.simple_tag
def status_badge(log, size=""):
    """A log's HTTP status, coloured by its class and by whether the call failed."""
    classes = " ".join(
        part
        for part in ("status", f"status-{status_class(log.status)}", status_tone(log), size)
        if part
    )
    return format_html('<span class="{}">{}</span>', classes, log.status or "—")


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


@register.filter
def usd(amount):
    """`{{ log.cost_usd|usd }}`: a cost the one way every page shows it ("no price" for None)."""
    return cost_display(amount)
