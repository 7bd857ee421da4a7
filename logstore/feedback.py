"""Feedback on traces: recording and updating scores, and reading them back for a trace.

Feedback joins logs by (workspace, trace_id) when read, so a score sent before its trace
arrives is kept as is and shows up once the trace's logs do.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from logstore.models import Feedback

MIN_VALUE = -10
MAX_VALUE = 10
MAX_BATCH = 1000


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


def feedback_for_trace(workspace_id, trace_id) -> list[Feedback]:
    return list(Feedback.objects.filter(workspace_id=workspace_id, trace_id=trace_id))


def feedback_as_dict(feedback: Feedback) -> dict:
    return {
        "id": str(feedback.id),
        "trace_id": feedback.trace_id,
        "value": feedback.value,
        "weight": feedback.weight,
        "metadata": feedback.metadata,
        "created_at": feedback.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": feedback.updated_at.isoformat().replace("+00:00", "Z"),
    }


def trace_feedback(workspace_id, trace_id) -> dict:
    """A trace's feedback as log details show it: the weighted score and every item."""
    items = feedback_for_trace(workspace_id, trace_id) if trace_id else []
    total_weight = sum(f.weight for f in items)
    score = sum(f.value * f.weight for f in items) / total_weight if total_weight else None
    return {"weighted_score": score, "items": [feedback_as_dict(f) for f in items]}
