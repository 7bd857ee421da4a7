"""Portkey's feedback API: `POST /feedback` (one or an array) and `PUT /feedback/{id}`."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.errors import InvalidRequest
from ingest.parsers import json_body
from ingest.serializers.feedback import (
    FEEDBACK_SCHEMA,
    FeedbackResponseSerializer,
    FeedbackSerializer,
    FeedbackUpdateSerializer,
)
from ingest.validation import validated_or_400
from logstore.ingestion import feedback as service
from logstore.models import SCOPE_FEEDBACK_WRITE


def _reply(ids, verb):
    noun = "feedback" if len(ids) == 1 else "feedbacks"
    return Response(
        {"status": "success", "message": f"{len(ids)} {noun} {verb}", "feedback_ids": ids}
    )


class FeedbackCollectionView(APIView):
    required_scope = SCOPE_FEEDBACK_WRITE

    @extend_schema(
        operation_id="feedback_create",
        summary="Record feedback on a trace (one object or an array)",
        request={
            "application/json": {
                "oneOf": [
                    FEEDBACK_SCHEMA,
                    {"type": "array", "items": FEEDBACK_SCHEMA, "minItems": 1},
                ]
            }
        },
        responses={200: FeedbackResponseSerializer},
        examples=[
            OpenApiExample(
                "One", value={"trace_id": "trace-1", "value": 5, "weight": 1}, request_only=True
            )
        ],
        tags=["feedback"],
    )
    def post(self, request):
        payload = json_body(request)
        items = payload if isinstance(payload, list) else [payload]
        if not items:
            raise InvalidRequest("The array of feedback is empty.")
        if len(items) > service.MAX_BATCH:
            raise InvalidRequest(f"At most {service.MAX_BATCH} feedbacks per request.")
        inputs = []
        for index, item in enumerate(items):
            where = f"feedback[{index}]" if isinstance(payload, list) else "feedback"
            if not isinstance(item, dict):
                raise InvalidRequest(f"{where} must be a JSON object.")
            inputs.append(
                service.FeedbackInput(**validated_or_400(FeedbackSerializer, item, where))
            )
        rows = service.record_feedback(request.auth.workspace, request.auth, inputs)
        return _reply([str(row.id) for row in rows], "saved")


class FeedbackDetailView(APIView):
    required_scope = SCOPE_FEEDBACK_WRITE

    @extend_schema(
        operation_id="feedback_update",
        summary="Change the value, weight or metadata of one feedback",
        request=FeedbackUpdateSerializer,
        responses={200: FeedbackResponseSerializer},
        tags=["feedback"],
    )
    def put(self, request, feedback_id):
        data = json_body(request)
        if not isinstance(data, dict):
            raise InvalidRequest("The body must be a JSON object.")
        changes = validated_or_400(FeedbackUpdateSerializer, data, "feedback")
        feedback = service.update_feedback(request.auth.workspace, feedback_id, changes)
        if feedback is None:
            raise exceptions.NotFound("No feedback with this id.")
        return _reply([str(feedback.id)], "updated")
