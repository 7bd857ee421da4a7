"""Request bodies for the API: a size limit (compressed or not), and JSON parsing with errors
that say what is wrong."""

import zlib

import orjson
from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

from logstore.core.jsoncodec import MAX_DEPTH, depth_exceeds, loads_exactly

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


def refuse_empty(raw: bytes) -> None:
    if not raw.strip():
        raise exceptions.ParseError("The request body is empty; send a JSON body.")


def json_body(request):
    """The request's parsed JSON body. DRF hands no empty body to a parser (request.data is
    then {}, which would read as every field missing), so the parser's rule is applied here."""
    refuse_empty(read_limited_body(request._request))
    return request.data


def parse_json_bytes(raw: bytes):
    refuse_empty(raw)
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
        pass  # retried below: the standard library accepts lone surrogates, stored as U+FFFD
    try:
        return loads_exactly(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise exceptions.ParseError(f"The request body is not valid UTF-8: {exc.reason}.") from None
    except RecursionError:
        raise exceptions.ParseError(
            f"The request body nests objects and arrays more than {MAX_DEPTH} levels deep."
        ) from None
    except ValueError as exc:
        raise exceptions.ParseError(f"The request body is not valid JSON: {exc}") from None


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_code = "length_required"


class UnsupportedContentEncoding(exceptions.APIException):
    status_code = 415
    default_code = "unsupported_content_encoding"


# zlib window bits per Content-Encoding; "deflate" is zlib-wrapped by the HTTP spec, but some
# clients send raw deflate, which is tried when the wrapper is missing.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def read_limited_body(django_request) -> bytes:
    """The body, decoded per Content-Encoding, never more than LOGSTORE_MAX_BODY_BYTES.

    Read from the request's stream, not `request.body`: Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    bounds the forms, and the API's own limit is larger. Decoded once per request.
    """
    cached = getattr(django_request, "_limited_body", None)
    if cached is not None:
        return cached
    limit = settings.LOGSTORE_MAX_BODY_BYTES
    meta = django_request.META
    declared = meta.get("CONTENT_LENGTH") or ""
    if not declared and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        raise LengthRequired("Send the body with a Content-Length header, not chunked.")
    try:
        length = int(declared or 0)
    except ValueError:
        raise exceptions.ParseError("Invalid Content-Length header.") from None
    if length < 0:
        raise exceptions.ParseError("Invalid Content-Length header.")
    if length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; the limit is {limit}.")
    raw = _read_exactly(django_request, length)
    # Kept where HttpRequest.body keeps it, so request.body and the refused-request excerpts
    # still see what was sent.
    django_request._body = raw
    body = decode_content(raw, meta.get("HTTP_CONTENT_ENCODING", ""), limit)
    django_request._limited_body = body
    return body


def _read_exactly(django_request, length: int) -> bytes:
    """`length` bytes of body, or a 400: Django's LimitedStream returns a short read silently when
    the client disconnects early or truncates its body, and half a body is never processed."""
    chunks, received = [], 0
    while received < length:
        chunk = django_request.read(length - received)
        if not chunk:
            raise exceptions.ParseError(
                f"The request body is shorter than its Content-Length: {received} of "
                f"{length} bytes arrived."
            )
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def decode_content(raw: bytes, content_encoding: str, limit: int) -> bytes:
    """`raw` decompressed per a Content-Encoding header (gzip, deflate or identity)."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return raw
    if len(codings) > 1 or codings[0] not in _WBITS:
        raise UnsupportedContentEncoding(
            f"Content-Encoding {content_encoding.strip()!r} is not supported; "
            "send gzip, deflate or an uncompressed body."
        )
    coding = codings[0]
    try:
        return _decompress(raw, _WBITS[coding], limit)
    except zlib.error:
        if coding != "deflate":
            raise _not_encoded_as(coding) from None
    try:
        return _decompress(raw, -zlib.MAX_WBITS, limit)
    except zlib.error:
        raise _not_encoded_as(coding) from None


def _decompress(raw: bytes, wbits: int, limit: int) -> bytes:
    decoder = zlib.decompressobj(wbits)
    body = decoder.decompress(raw, limit + 1)
    if len(body) > limit or decoder.unconsumed_tail:
        raise PayloadTooLarge(f"The request body decompresses to over the limit of {limit} bytes.")
    body += decoder.flush()
    if not decoder.eof:
        raise zlib.error("truncated")
    return body


def _not_encoded_as(coding):
    return exceptions.ParseError(
        f"The request body is not valid {coding} data, as its Content-Encoding says."
    )


class LogJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return parse_json_bytes(read_limited_body(parser_context["request"]._request))
