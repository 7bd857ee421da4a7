"""Feedback on traces: recording and updating scores, and reading them back for a trace.

Feedback joins logs by (workspace, trace_id) when read, so a score sent before its trace
arrives is kept as is and shows up once the trace's logs do.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, FloatField, Sum
from django.db.models.functions import NullIf
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


def weighted_score(workspace_id, trace_id) -> float | None:
    """sum(value*weight)/sum(weight) of a trace's feedback; None without any (or all weight 0)."""
    result = Feedback.objects.filter(workspace_id=workspace_id, trace_id=trace_id).aggregate(
        score=Sum(F("value") * F("weight"), output_field=FloatField())
        / NullIf(Sum("weight"), 0.0, output_field=FloatField())
    )
    return result["score"]


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
