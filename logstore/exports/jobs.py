"""Portkey-compatible log exports: the job's life cycle and its JSONL output.

A job is created as a draft, started (which enqueues `logstore.exports.tasks.run_export`), and then
writes the matching logs, newest first, to a JSONL file under MEDIA_ROOT in keyset-paged
chunks, so memory stays flat however many logs match.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from logstore.core.jsoncodec import dumps
from logstore.core.times import iso
from logstore.exports.portkey_filters import ExportError, filters_to_params, page_limits
from logstore.models import LogExport
from logstore.query.selection import select_logs
from logstore.storage import get_store

CHUNK_SIZE = 500
# A running job publishes progress after every chunk; this long without any, its worker died.
STALLED_AFTER = timedelta(minutes=10)
DOWNLOAD_SALT = "logstore.exports.download"

Status = LogExport.Status


def _prompt_slug(log):
    return log.metadata.get("_prompt") if isinstance(log.metadata, dict) else None


# Portkey's export field names: (columns to load, value of one log).
EXPORT_FIELDS = {
    "id": (("id",), lambda log: str(log.id)),
    "trace_id": (("trace_id",), lambda log: log.trace_id),
    "created_at": (("created_at",), lambda log: iso(log.created_at)),
    "request": (("request",), lambda log: log.request),
    "response": (("response",), lambda log: log.response),
    "is_success": (("is_success",), lambda log: log.is_success),
    "ai_org": (("provider",), lambda log: log.provider or None),
    "ai_model": (("model",), lambda log: log.model or None),
    "req_units": (("prompt_tokens",), lambda log: log.prompt_tokens),
    "res_units": (("completion_tokens",), lambda log: log.completion_tokens),
    "total_units": (("total_tokens",), lambda log: log.total_tokens),
    "request_url": (("url",), lambda log: log.url or None),
    # US dollars; null when no price is known for the model.
    "cost": (("cost_usd",), lambda log: float(log.cost_usd) if log.cost_usd is not None else None),
    "cost_currency": ((), lambda log: "USD"),
    "response_time": (("latency_ms",), lambda log: log.latency_ms),
    "response_status_code": (("status",), lambda log: log.status),
    "mode": ((), lambda log: None),
    "config": ((), lambda log: None),
    "prompt_slug": (("metadata",), _prompt_slug),
    "metadata": (("metadata",), lambda log: log.metadata),
}
FIELD_ALIASES = {
    "_id": "id",
    "log_id": "id",
    "createdAt": "created_at",
    "ai_provider": "ai_org",
    "provider": "ai_org",
    "model": "ai_model",
    "request_tokens": "req_units",
    "prompt_tokens": "req_units",
    "response_tokens": "res_units",
    "completion_tokens": "res_units",
    "total_tokens": "total_units",
    "url": "request_url",
    "status_code": "response_status_code",
    "status": "response_status_code",
    "latency": "response_time",
    "latency_ms": "response_time",
}


def resolve_requested_data(requested) -> list[str]:
    """Portkey field names (aliases accepted) in the order asked; none asked means all."""
    if requested is None or requested == []:
        return list(EXPORT_FIELDS)
    if not isinstance(requested, list) or not all(isinstance(f, str) for f in requested):
        raise ExportError("requested_data must be an array of field names.")
    fields = []
    for name in requested:
        canonical = FIELD_ALIASES.get(name, name)
        if canonical not in EXPORT_FIELDS:
            raise ExportError(
                f"Unknown requested_data field {name!r}; use {', '.join(EXPORT_FIELDS)}."
            )
        if canonical not in fields:
            fields.append(canonical)
    return fields


def select(filters, workspace_ids=()):
    """The criteria Portkey-form `filters` mean; raises ExportError if they are invalid."""
    selection = select_logs(
        filters_to_params(filters), surface="export", workspace_ids=workspace_ids
    )
    if not selection.is_valid:
        [first, *_] = selection.details()
        raise ExportError(f"Invalid filter {first['field']}: {first['message']}")
    return selection.criteria


def matching_logs(workspace_id, filters):
    """The criteria of the workspace's logs that `filters` (Portkey form) select."""
    return select(filters, [workspace_id])


def validate(filters, requested_data) -> list[str]:
    """Refuses what a job could not run; returns the canonical requested fields."""
    select(filters)
    page_limits(filters)
    return resolve_requested_data(requested_data)


# --- Life cycle -----------------------------------------------------------------------------


def count_matching(export: LogExport) -> int:
    """How many logs the job would write, for Portkey's `total`.

    The count runs over a LIMITed subquery, so it never reads more than the job's 50,000
    rows however large the table is.
    """
    skip, size = page_limits(export.filters)
    criteria = matching_logs(export.workspace_id, export.filters)
    return max(0, get_store().count_upto(criteria, skip + size) - skip)


def create_export(workspace, *, filters, requested_data=None, description="", created_by=""):
    fields = validate(filters or {}, requested_data)
    export = LogExport(
        workspace=workspace,
        filters=filters or {},
        requested_data=fields,
        description=description or "",
        created_by=created_by,
    )
    export.total_records = count_matching(export)
    export.save()
    return export


def fail_stalled(workspace):
    """Mark running jobs whose worker stopped publishing progress as failed, so they can be
    created again instead of showing `in_progress` forever."""
    LogExport.objects.filter(
        workspace=workspace,
        status=Status.IN_PROGRESS,
        last_updated_at__lt=timezone.now() - STALLED_AFTER,
    ).update(
        status=Status.FAILED,
        error="The export worker stopped before finishing this job.",
        last_updated_at=timezone.now(),
    )


def list_exports(workspace):
    fail_stalled(workspace)
    return LogExport.objects.filter(workspace=workspace).select_related("workspace")


def get_export(workspace, export_id) -> LogExport | None:
    fail_stalled(workspace)
    return (
        LogExport.objects.filter(workspace=workspace, pk=export_id)
        .select_related("workspace")
        .first()
    )


def update_export(export: LogExport, *, filters=None, requested_data=None, description=None):
    if export.status != Status.DRAFT:
        raise ExportError(
            f"Only a draft export can be changed; this one is {export.status}.",
            status_code=409,
            code="export_not_draft",
        )
    if filters is not None:
        export.filters = filters
    if requested_data is not None:
        export.requested_data = requested_data
    export.requested_data = validate(export.filters, export.requested_data)
    if description is not None:
        export.description = description
    export.total_records = count_matching(export)
    export.last_updated_at = timezone.now()
    export.save()
    return export


def start_export(export: LogExport, enqueue) -> LogExport:
    """draft → in_progress, then `enqueue(export_id)` once that is committed."""
    with transaction.atomic():
        started = LogExport.objects.filter(pk=export.pk, status=Status.DRAFT).update(
            status=Status.IN_PROGRESS, records_written=0, last_updated_at=timezone.now()
        )
        if not started:
            export.refresh_from_db()
            raise ExportError(
                f"Only a draft export can be started; this one is {export.status}.",
                status_code=409,
                code="export_not_draft",
            )
        transaction.on_commit(lambda: enqueue(str(export.pk)))
    export.refresh_from_db()
    return export


def cancel_export(export: LogExport) -> LogExport:
    """draft or in_progress → stopped. A running job sees it before its next chunk."""
    stopped = LogExport.objects.filter(
        pk=export.pk, status__in=[Status.DRAFT, Status.IN_PROGRESS]
    ).update(status=Status.STOPPED, last_updated_at=timezone.now())
    export.refresh_from_db()
    if not stopped:
        raise ExportError(
            f"Only a draft or running export can be cancelled; this one is {export.status}.",
            status_code=409,
            code="export_not_running",
        )
    return export


def export_path(export: LogExport) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(export.workspace_id) / f"{export.pk}.jsonl"


def skip_rows(criteria, count):
    """The row to continue after, having skipped `count` rows (fewer if there are fewer).

    Walked by keyset over the key columns only: no OFFSET, no bodies loaded.
    """
    last = None
    for rows in get_store().chunks(criteria, size=min(count, 5000), columns=()):
        last = rows[min(count, len(rows)) - 1]
        count -= len(rows)
        if count <= 0:
            break
    return last


def run_export(export_id) -> str:
    """Write the job's file; returns the final status. Safe to call twice (it does nothing)."""
    export = LogExport.objects.filter(pk=export_id).first()
    if export is None or export.status != Status.IN_PROGRESS:
        return export.status if export else "missing"
    path = export_path(export)
    partial = path.with_suffix(".jsonl.part")
    try:
        status = _write(export, partial)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        LogExport.objects.filter(pk=export.pk, status=Status.IN_PROGRESS).update(
            status=Status.FAILED, error=str(exc)[:2000], last_updated_at=timezone.now()
        )
        raise
    if status != Status.SUCCESS:
        partial.unlink(missing_ok=True)
        return status
    os.replace(partial, path)
    finished = LogExport.objects.filter(pk=export.pk, status=Status.IN_PROGRESS).update(
        status=Status.SUCCESS,
        file_name=str(path.relative_to(settings.MEDIA_ROOT)),
        last_updated_at=timezone.now(),
    )
    if not finished:  # cancelled after the last chunk
        path.unlink(missing_ok=True)
        return Status.STOPPED
    return Status.SUCCESS


def _write(export: LogExport, partial: Path) -> str:
    fields = resolve_requested_data(export.requested_data)
    columns = {"id", "created_at"}
    for name in fields:
        columns.update(EXPORT_FIELDS[name][0])
    skip, remaining = page_limits(export.filters)
    criteria = matching_logs(export.workspace_id, export.filters)
    after = skip_rows(criteria, skip) if skip else None
    partial.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with partial.open("w", encoding="utf-8", newline="\n") as out:
        if skip and after is None:
            return Status.SUCCESS  # the requested page is past the last log
        for rows in get_store().chunks(criteria, size=CHUNK_SIZE, after=after, columns=columns):
            rows = rows[:remaining]
            for log in rows:
                out.write(dumps({name: EXPORT_FIELDS[name][1](log) for name in fields}))
                out.write("\n")
            written += len(rows)
            remaining -= len(rows)
            # One statement publishes progress and notices a cancel: it matches no row then.
            still_running = LogExport.objects.filter(
                pk=export.pk, status=Status.IN_PROGRESS
            ).update(records_written=written, last_updated_at=timezone.now())
            if not still_running:
                return Status.STOPPED
            if remaining <= 0:
                break
    return Status.SUCCESS


# --- Download -------------------------------------------------------------------------------


def download_token(export: LogExport) -> str:
    if export.status != Status.SUCCESS or not export.file_name:
        raise ExportError(
            f"The export has no file to download yet; it is {export.status}.",
            status_code=409,
            code="export_not_ready",
        )
    return signing.dumps({"export": str(export.pk)}, salt=DOWNLOAD_SALT, compress=True)


def file_for_token(token, max_age) -> tuple[LogExport, Path] | None:
    """The export and file a download token names, if it is genuine and not expired."""
    try:
        payload = signing.loads(token, salt=DOWNLOAD_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    export = LogExport.objects.filter(pk=payload.get("export"), status=Status.SUCCESS).first()
    if export is None or not export.file_name:
        return None
    path = Path(settings.MEDIA_ROOT) / export.file_name
    return (export, path) if path.is_file() else None


def export_as_dict(export: LogExport) -> dict:
    return {
        "id": str(export.pk),
        "object": "export",
        "filters": export.filters,
        "requested_data": export.requested_data,
        "status": export.status,
        "description": export.description,
        "created_at": iso(export.created_at),
        "last_updated_at": iso(export.last_updated_at),
        "created_by": export.created_by,
        "workspace_id": export.workspace.slug,
        "total_records": export.total_records,
        "records_written": export.records_written,
        "error": export.error or None,
    }
