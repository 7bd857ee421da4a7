"""The searchable text of a log: the words of its prompt and its response, folded once.

Stored in its own column at ingest, so full-text search never parses a body: PostgreSQL
serves `LIKE` over it from a trigram index, SQLite from an FTS5 trigram table (see
logstore/query/search.py). Trigrams need no word splitting, so Chinese or Thai text matches
as well as English.
"""

import unicodedata
from collections.abc import Mapping

# Each side keeps this many characters, so a huge prompt cannot crowd its response out and
# the index stays bounded.
MAX_PART_CHARS = 16_000
# Structure, not content: these values would make every log match "user" or "gpt".
SKIPPED_KEYS = frozenset(
    {
        "headers",
        "url",
        "method",
        "role",
        "model",
        "id",
        "object",
        "type",
        "finish_reason",
        "stop_reason",
        "system_fingerprint",
        "tool_call_id",
        "serialized",
        "logprobs",
    }
)


def fold(text: str) -> str:
    """The form stored text and search terms are compared in: NFKC, case-folded, no NUL."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\x00", " ")
    # Lone surrogates are valid in JSON strings but not in UTF-8 text columns.
    return folded.encode("utf-8", "replace").decode("utf-8")


def _strings(value, out, budget):
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        if value.strip():
            out.append(value[: budget[0]])
            budget[0] -= len(out[-1]) + 1
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in SKIPPED_KEYS:
                _strings(item, out, budget)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, out, budget)


def _part_text(part) -> str:
    out = []
    _strings(part, out, [MAX_PART_CHARS])
    return "\n".join(out)


def search_text(request, response) -> str:
    """The prompt's and the response's text, folded; "" when the log stored no content."""
    return fold("\n".join(t for t in (_part_text(request), _part_text(response)) if t))
