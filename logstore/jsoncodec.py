"""JSON encoding for stored logs: orjson where it can, the standard library where it cannot.

orjson is several times faster, but refuses lone surrogates and integers above 64 bits, both of
which clients do send; the fallback keeps such logs instead of failing them.
"""

import json

import orjson


def dumps(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        # ensure_ascii escapes lone surrogates as \udXXX, which any database accepts as text.
        return json.dumps(value, ensure_ascii=True, allow_nan=False, default=str)


def loads(text):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
