"""JSON encoding for stored logs: orjson where it can, the standard library where it cannot.

orjson is several times faster, but refuses lone surrogates and integers above 64 bits, both of
which clients do send; the fallback keeps such logs instead of failing them.
"""

import json

import orjson

# orjson serialises at most 254 levels; a body nested deeper could be parsed but never stored.
MAX_DEPTH = 128
# Bodies of real calls run to megabytes; pages show the start of a longer one and say so.
MAX_PRETTY_CHARS = 500_000


class JSONDepthError(ValueError):
    """A value nested deeper than the encoder can write."""


def dumps(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        # ensure_ascii escapes lone surrogates as \udXXX, which any database accepts as text.
        try:
            return json.dumps(value, ensure_ascii=True, allow_nan=False, default=str)
        except RecursionError:
            raise JSONDepthError("nested too deeply to store") from None


def pretty(value) -> tuple[str, int]:
    """`value` indented for people, cut at MAX_PRETTY_CHARS, and the uncut length."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(value, indent=2, ensure_ascii=True, default=str)
    return text[:MAX_PRETTY_CHARS], len(text)


def _reject_constant(name):
    # The standard library reads NaN and Infinity, which JSON (and so storage) cannot hold.
    raise ValueError(f"{name} is not valid JSON")


def loads(text):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise JSONDepthError("nested too deeply") from None


def depth_exceeds(value, limit=MAX_DEPTH) -> bool:
    """True if objects and arrays nest more than `limit` levels; visits containers only."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False
