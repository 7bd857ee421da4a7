"""JSON encoding for stored logs: orjson where it can, the standard library where it cannot.

orjson is several times faster, but refuses lone surrogates and integers above 64 bits, both of
which clients do send; the fallback keeps such logs instead of failing them.

Lone surrogates (`"\\ud800"`) are valid JSON escapes but not text: no UTF-8 encoder writes
them, so a response holding one fails. Everything decoded here has them replaced by U+FFFD,
which is the API's policy at its edge, and keeps rows stored before it readable.
"""

import json
import re

import orjson

# orjson serialises at most 254 levels; a body nested deeper could be parsed but never stored.
MAX_DEPTH = 128
# Bodies of real calls run to megabytes; pages show the start of a longer one and say so.
MAX_PRETTY_CHARS = 500_000


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
            return loads_exactly(text)
        except RecursionError:
            raise JSONDepthError("nested too deeply") from None


def loads_exactly(text):
    """The standard library's reading: integers of any size, lone surrogates kept as U+FFFD,
    NaN and Infinity refused (ValueError). What orjson cannot read goes here."""
    return without_lone_surrogates(json.loads(text, parse_constant=_reject_constant))


def text_without_lone_surrogates(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def without_lone_surrogates(value):
    """`value` (freshly decoded JSON, changed in place) with lone surrogates as U+FFFD.

    Iterative, so depth is not limited by the interpreter's stack. Python's json module
    joins escaped surrogate pairs into one character, so any surrogate left is a lone one.
    """
    if isinstance(value, str):
        return text_without_lone_surrogates(value)
    stack = [value] if isinstance(value, dict | list) else []
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, str):
                    node[i] = text_without_lone_surrogates(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
            continue
        for key, item in list(node.items()):
            if isinstance(item, str):
                item = text_without_lone_surrogates(item)
            elif isinstance(item, dict | list):
                stack.append(item)
            clean_key = text_without_lone_surrogates(key)
            if clean_key != key:
                del node[key]
            node[clean_key] = item
    return value


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
