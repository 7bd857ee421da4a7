"""The one masking rule for secrets: in stored headers, request excerpts and log lines.

A header is secret when it is listed (LOGSTORE_MASKED_HEADERS) or when its name says so
(`*-api-key`, `*token*`, `*secret*`...), compared after trimming, lower-casing and reading
`_` as `-`; a JSON member in free text is secret by the same names.
"""

import re
from collections.abc import Mapping

from logstore.core.jsoncodec import dumps

SECRET_NAME = r"(?:authorization|api[-_]?key|secret|token|password|passwd|cookie|credential)"  # noqa: S105
_SECRET_NAME = re.compile(SECRET_NAME)
# A JSON member whose name says it holds a secret: "Authorization": "...", "api_key": "...".
_SECRET_MEMBER = re.compile(
    r'("[^"\\]{0,64}?' + SECRET_NAME + r'[^"\\]{0,64}"\s*:\s*")'
    r'((?:[^"\\]|\\.)*)(")',
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic|Token)(\s+)([A-Za-z0-9._~+/=:-]{6,})", re.IGNORECASE)
# Key shapes worth catching wherever they appear: ours, OpenAI/Anthropic-style, AWS, Google,
# GitHub and Slack tokens.
_KNOWN_KEY = re.compile(
    r"\b(?:lsk_[A-Za-z0-9]+_[A-Za-z0-9_-]+"
    r"|(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_-]{30,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,})"
)


def normalised_header_name(name) -> str:
    return str(name).strip().lower().replace("_", "-")


def is_secret_header(name, listed: frozenset[str] = frozenset()) -> bool:
    """`listed` holds normalised names; the pattern catches the headers no list foresaw."""
    normal = normalised_header_name(name)
    return normal in listed or _SECRET_NAME.search(normal) is not None


def mask_headers(headers: Mapping, listed: frozenset[str] = frozenset()) -> dict:
    return {
        name: mask_secret(value) if is_secret_header(name, listed) else value
        for name, value in headers.items()
    }


def mask_secret(value) -> str:
    """Keep enough of a secret to recognise it (scheme, 4 first and last chars), no more."""
    text = value if isinstance(value, str) else dumps(value)
    scheme = ""
    for prefix in ("Bearer ", "Basic ", "bearer ", "basic "):
        if text.startswith(prefix):
            scheme, text = prefix, text[len(prefix) :]
            break
    if len(text) < 16:
        return f"{scheme}****"
    return f"{scheme}{text[:4]}…{text[-4:]}"


def _masked(text):
    return mask_secret(text) if text else text


def scrub_secrets(text: str) -> str:
    """`text` with every recognisable secret replaced by its masked form."""
    text = _SECRET_MEMBER.sub(lambda m: m.group(1) + _masked(m.group(2)) + m.group(3), text)
    text = _AUTH_SCHEME.sub(lambda m: m.group(1) + m.group(2) + _masked(m.group(3)), text)
    return _KNOWN_KEY.sub(lambda m: _masked(m.group(0)), text)


def excerpt(raw: bytes, limit: int = 1000) -> str:
    """The start of a request body as text, secrets masked, at most `limit` characters."""
    text = raw[: limit * 4].decode("utf-8", "replace").replace("\x00", "\\u0000")
    text = scrub_secrets(text)
    if len(text) > limit or len(raw) > limit * 4:
        return text[: limit - 1] + "…"
    return text
