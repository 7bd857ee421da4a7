"""Request bodies for the API: a size limit (compressed or not), and JSON parsing with errors
that say what is wrong."""

import json
import zlib

import orjson
from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

from logstore.core.jsoncodec import MAX_DEPTH, depth_exceeds

# orjson turns integers wider than 64 bits into floats; such bodies take the exact, slower path.
# Spotted as a run of 20 digits: translate() maps digits to "0" and the rest to " ", then one
# substring search; 20x faster than a regex over a 250 kB batch.
_DIGITS_AS_ZERO = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_TWENTY_DIGITS = b"0" * 20


def has_wide_integer(raw: bytes) -> bool:
    return _TWENTY_DIGITS in raw.translate(_DIGITS_AS_ZERO)


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_json_bytes(raw: bytes):
    if not raw.strip():
        raise exceptions.ParseError("The request body is empty; send a JSON log or array of logs.")
    payload = _decode(raw)
    # Counting brackets is C-speed; only a body with enough of them can nest too deeply.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth_exceeds(payload):
        raise exceptions.ParseError(
            f"The request body nests objects and arrays more than {MAX_DEPTH} levels deep."
        )
    return payload


def _decode(raw: bytes):
    try:
        if not has_wide_integer(raw):
            return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass  # retried below: the standard library accepts lone surrogates, which we keep
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise exceptions.ParseError(f"The request body is not valid UTF-8: {exc.reason}.") from None
    except RecursionError:
        raise exceptions.ParseError(
            f"The request body nests objects and arrays more than {MAX_DEPTH} levels deep."
        ) from None
    except ValueError as exc:
        raise exceptions.ParseError(f"The request body is not valid JSON: {exc}") from None


# zlib's window bits: gzip's header and trailer, or zlib's (what HTTP calls "deflate").
_DECOMPRESSORS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}


def read_limited_body(django_request) -> bytes:
    """The raw body, refusing anything over LOGSTORE_MAX_BODY_BYTES before reading it, and
    decoded from `Content-Encoding: gzip` or `deflate` up to the same limit."""
    limit = settings.LOGSTORE_MAX_BODY_BYTES
    try:
        length = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise exceptions.ParseError("Invalid Content-Length header.") from None
    if length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; the limit is {limit}.")
    encoding = django_request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding in ("", "identity"):
        return django_request.body
    if encoding not in _DECOMPRESSORS:
        raise exceptions.UnsupportedMediaType(
            encoding, f"Content-Encoding {encoding} is not supported; send gzip, deflate or none."
        )
    return decompress(django_request.body, encoding, limit)


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Inflate at most `limit` bytes: a small body can expand a thousandfold (a zip bomb)."""
    inflater = zlib.decompressobj(_DECOMPRESSORS[encoding])
    try:
        raw = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise exceptions.ParseError(f"The body is not valid {encoding}: {exc}.") from None
    if len(raw) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"The request body decompresses to over the limit of {limit} bytes.")
    if not inflater.eof:
        raise exceptions.ParseError(f"The {encoding} body is truncated.")
    return raw


class LogJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.LOGSTORE_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")
        return parse_json_bytes(raw)
