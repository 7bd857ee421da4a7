"""The one machine-readable time format of everything we send: ISO 8601 in UTC with a `Z`."""

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """`2026-01-02T03:04:05.123456Z`, or None for no time."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
