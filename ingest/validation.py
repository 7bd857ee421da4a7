"""Field validators shared by the API's JSON bodies."""

from rest_framework import serializers


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def no_nul_characters(value):
    """PostgreSQL text and jsonb cannot hold NUL; refuse it with a 400 rather than fail later."""
    if _has_nul(value):
        raise serializers.ValidationError("Null characters are not allowed.")
