"""Request headers as the client wrote them.

WSGI hands header bytes over as Latin-1 text (PEP 3333), so UTF-8 sent by every SDK for
`x-portkey-metadata: {"_user": "José"}` would read as `JosÃ©`. Headers that are valid UTF-8
are read as UTF-8; anything else stays as the server decoded it.
"""

from collections.abc import Mapping


def header_text(value: str) -> str:
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def client_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: header_text(value) for name, value in headers.items()}
