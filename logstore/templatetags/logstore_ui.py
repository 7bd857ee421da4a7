"""Template tags shared by both surfaces, the web UI and the operator console."""

from django import template
from django.utils.html import format_html

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


@register.filter
def usd(amount):
    """`{{ log.cost_usd|usd }}`: a cost the one way every page shows it ("no price" for None)."""
    return cost_display(amount)
