"""Feedback on traces: recording and updating scores, and reading them back for a trace.

Feedback joins logs by (workspace, trace_id) when read, so a score sent before its trace
arrives is kept as is and shows up once the trace's logs do.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from logstore.core.times import iso
from logstore.models import Feedback

MIN_VALUE = -10
MAX_VALUE = 10
MAX_BATCH = 1000
# A trace page lists the latest items; the weighted score always counts them all.
MAX_FEEDBACK_SHOWN = 100


@dataclass(frozen=True)
class FeedbackInput:
    trace_id: str
    value: int
    weight: float = 1.0
    metadata: Mapping | None = None


def record_feedback(workspace, api_key, items: Sequence[FeedbackInput]) -> list[Feedback]:
    """Store every item or none of them."""
    now = timezone.now()
    rows = [
        Feedback(
            workspace=workspace,
            api_key=api_key,
            trace_id=item.trace_id,
            value=item.value,
            weight=item.weight,
            metadata=dict(item.metadata) if item.metadata is not None else None,
            created_at=now,
            updated_at=now,
        )
        for item in items
    ]
    with transaction.atomic():
        Feedback.objects.bulk_create(rows)
    return rows


def update_feedback(workspace, feedback_id, changes: Mapping) -> Feedback | None:
    """Apply `changes` (value, weight, metadata) to one of the workspace's feedback rows."""
    allowed = {k: v for k, v in changes.items() if k in {"value", "weight", "metadata"}}
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update().filter(workspace=workspace, pk=feedback_id).first()
        )
        if feedback is None:
            return None
        for name, value in allowed.items():
            setattr(feedback, name, value)
        feedback.updated_at = timezone.now()
        feedback.save(update_fields=[*allowed, "updated_at"])
    return feedback


def _for_trace(workspace_ids, trace_id):
    if isinstance(workspace_ids, int):
        workspace_ids = [workspace_ids]
    return Feedback.objects.filter(workspace_id__in=workspace_ids, trace_id=trace_id)


def feedback_for_trace(workspace_ids, trace_id) -> list[Feedback]:
    rows = _for_trace(workspace_ids, trace_id).order_by("-created_at", "-id")
    return list(rows[:MAX_FEEDBACK_SHOWN])


def feedback_as_dict(feedback: Feedback) -> dict:
    return {
        "id": str(feedback.id),
        "trace_id": feedback.trace_id,
        "value": feedback.value,
        "weight": feedback.weight,
        "metadata": feedback.metadata,
        "created_at": iso(feedback.created_at),
        "updated_at": iso(feedback.updated_at),
    }


def trace_feedback(workspace_ids, trace_id) -> dict:
    """A trace's feedback as pages show it: the weighted score and the latest items."""
    if not trace_id:
        return {"weighted_score": None, "items": []}
    items = feedback_for_trace(workspace_ids, trace_id)
    score = None
    if items:
        totals = _for_trace(workspace_ids, trace_id).aggregate(
            weighted=Sum(F("value") * F("weight")), weight=Sum("weight")
        )
        if totals["weight"]:
            score = totals["weighted"] / totals["weight"]
    return {"weighted_score": score, "items": [feedback_as_dict(f) for f in items]}


def page_feedback_scores(logs) -> dict:
    """{(workspace_id, trace_id): weighted score} for the traces of a page of logs, in one
    query on the feedback table's (workspace, trace_id) index."""
    from logstore.storage.orm import weighted_feedback_scores

    traces = {log.trace_id for log in logs if log.trace_id}
    if not traces:
        return {}
    scores = weighted_feedback_scores().filter(
        workspace_id__in={log.workspace_id for log in logs}, trace_id__in=traces
    )
    return {(row["workspace_id"], row["trace_id"]): row["score"] for row in scores}
