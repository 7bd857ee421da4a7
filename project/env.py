"""Reading settings from the environment: a value that cannot be parsed stops start-up with a
message naming the variable (`ImproperlyConfigured`), never a silent default."""

import os

from django.core.exceptions import ImproperlyConfigured


def env(name, default=""):
    return os.environ.get(name, default)


def envbool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def envint(name, default, minimum=0, maximum=None):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def envlist(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def envrate(name, default):
    """A rate such as 600/min as (600, 60); off, 0 or empty as None (no limit)."""
    raw = os.environ.get(name, default).strip().lower()
    if raw in {"", "0", "off", "none"}:
        return None
    count, _, unit = raw.partition("/")
    periods = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
    periods |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}
    if not count.strip().isdigit() or unit.strip() not in periods or int(count) < 1:
        raise ImproperlyConfigured(f'{name} must look like "600/min" (s, min, hour, day): {raw!r}')
    return int(count), periods[unit.strip()]
