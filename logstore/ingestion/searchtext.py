"""The searchable text of a log (the words of its prompt and response, folded once) and the
one-line preview the log list shows.

Stored in its own column at ingest, so full-text search never parses a body: PostgreSQL
serves `LIKE` over it from a trigram index, SQLite from an FTS5 trigram table (see
logstore/query/search.py). Trigrams need no word splitting, so Chinese or Thai text matches
as well as English.
"""

import unicodedata
from collections.abc import Mapping

PREVIEW_CHARS = 160
# Each side keeps this many characters, so a huge prompt cannot crowd its response out. The
# trigram index costs ingest time in proportion to the text (docs/benchmarks.md), so it is
# bounded; a conversation's messages are read newest first, so the last question is kept
# before an old, long system prompt.
MAX_PART_CHARS = 4_000
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
            if key in SKIPPED_KEYS:
                continue
            if key in ("messages", "contents") and isinstance(item, list):
                item = item[::-1]
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


def _first_text(value) -> str:
    """The first non-blank string in a message's content (a string or a list of parts)."""
    found = []
    _strings(value, found, [PREVIEW_CHARS * 4])
    return next((t for t in found if t.strip()), "")


def _last_prompt(body) -> str:
    if not isinstance(body, Mapping):
        return ""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, Mapping) and message.get("role") in ("user", None):
                return _first_text(message.get("content"))
    for key in ("prompt", "prompts", "input", "contents"):
        if body.get(key):
            return _first_text(body[key])
    return ""


def _answer(body) -> str:
    if not isinstance(body, Mapping):
        return ""
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        choice = choices[0]
        return _first_text(
            choice.get("message", {}).get("content")
            if isinstance(choice.get("message"), Mapping)
            else choice.get("text")
        )
    for key in ("content", "response", "output", "candidates", "generations", "text"):
        if body.get(key):
            return _first_text(body[key])
    return ""


def _line(text: str) -> str:
    return " ".join(text.split())


def preview_text(request, response) -> str:
    """`prompt → answer`, on one line and short: what a person scans the list for."""
    prompt = _line(
        _last_prompt(request.get("body") if isinstance(request, Mapping) else None)
        or _last_prompt(request)
    )
    answer = _line(
        _answer(response.get("body") if isinstance(response, Mapping) else None)
        or _answer(response)
    )
    text = f"{prompt} → {answer}" if prompt and answer else prompt or answer
    text = text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
