"""Validation shared by the API's JSON bodies: field validators, and one way to answer 400."""

from rest_framework import serializers

from ingest.errors import InvalidRequest


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


def flatten_errors(errors, path=""):
    """DRF's nested error dict as [(dotted.path, message)]."""
    flat = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                flat.extend(flatten_errors(value, path))
            else:
                flat.extend(flatten_errors(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(errors, list):
        for value in errors:
            if isinstance(value, dict | list):
                flat.extend(flatten_errors(value, path))
            else:
                flat.append((path or "log", str(value)))
    else:
        flat.append((path or "log", str(errors)))
    return flat


def validated_or_400(serializer_class, data, where):
    """`data` validated by `serializer_class`, or the API's 400 naming the first bad field."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        errors = flatten_errors(serializer.errors)
        field, message = errors[0]
        raise InvalidRequest(
            f"Invalid {where}: {field}: {message}",
            details=[{"field": f, "message": m} for f, m in errors],
        )
    return serializer.validated_data
