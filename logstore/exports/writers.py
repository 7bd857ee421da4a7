"""Streaming a filtered set of logs out as JSONL or CSV, in constant memory.

Rows are read in keyset-paged chunks on (created_at, id), newest first, so neither the database
nor this process ever holds the whole result.
"""

import csv
import io
import unicodedata

from django.http import StreamingHttpResponse

from logstore.core.jsoncodec import dumps
from logstore.query.presenters import COST_FIELDS, DERIVED_FIELDS, cost_text, log_as_dict
from logstore.storage import get_store

CHUNK_SIZE = 500
CSV_COLUMNS = [
    "id",
    "created_at",
    *DERIVED_FIELDS,
    *COST_FIELDS,
    "request",
    "response",
    "metadata",
]
FORMATS = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
}


def iter_logs(criteria, chunk_size=CHUNK_SIZE, limit=None):
    """Every log `criteria` selects, newest first, fetched `chunk_size` rows at a time."""
    sent = 0
    size = chunk_size if limit is None else min(chunk_size, limit)
    for rows in get_store().chunks(criteria, size=size, with_workspace=True):
        for log in rows:
            if limit is not None and sent >= limit:
                return
            yield log
            sent += 1


def jsonl_chunks(criteria, limit=None):
    for log in iter_logs(criteria, limit=limit):
        yield dumps(log_as_dict(log)) + "\n"


def csv_chunks(criteria, limit=None):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for log in iter_logs(criteria, limit=limit):
        data = log_as_dict(log)
        # Exact decimal text: a float would print a small cost as 7.5e-08.
        data["cost"] = cost_text(log.cost_usd)
        writer.writerow(
            [
                dumps(data[c]) if c in {"request", "response", "metadata"} else _cell(data[c])
                for c in CSV_COLUMNS
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    # Spreadsheets execute cells that start with these, fullwidth forms (＝) included, which
    # NFKC folds to ASCII; a client controls every value here.
    if unicodedata.normalize("NFKC", text[:1])[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


def export_response(criteria, fmt, filename="logs", limit=None):
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    chunks = jsonl_chunks(criteria, limit) if fmt == "jsonl" else csv_chunks(criteria, limit)
    response = StreamingHttpResponse(chunks, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
