"""Portkey's feedback API: `POST /feedback` (one or an array) and `PUT /feedback/{id}`."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.errors import InvalidRequest
from ingest.serializers import IdentifierField, validated_or_400
from ingest.validation import no_nul_characters
from logstore import feedback as service
from logstore.models import SCOPE_FEEDBACK_WRITE


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class TraceIdField(IdentifierField):
    pass


TRACE_ID_ALIASES = ("traceID", "traceId")


class FeedbackSerializer(serializers.Serializer):
    trace_id = TraceIdField(validators=[no_nul_characters])
    value = serializers.IntegerField(min_value=service.MIN_VALUE, max_value=service.MAX_VALUE)
    weight = serializers.FloatField(min_value=0, max_value=1, default=1.0)
    metadata = serializers.DictField(
        required=False, allow_null=True, validators=[no_nul_characters]
    )

    def to_internal_value(self, data):
        # Portkey's JS documentation writes `traceID`, and its SDK sends the body as given.
        if isinstance(data, dict) and "trace_id" not in data:
            alias = next((k for k in TRACE_ID_ALIASES if k in data), None)
            if alias:
                data = {**data, "trace_id": data[alias]}
        return super().to_internal_value(data)

    def validate_trace_id(self, value):
        if not value or len(value) > 256:
            raise serializers.ValidationError("Must be 1 to 256 characters.")
        return value


# The POST body is one object or an array of them, which a serializer cannot say.
FEEDBACK_SCHEMA = {
    "type": "object",
    "properties": {
        "trace_id": {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]},
        "value": {"type": "integer", "minimum": service.MIN_VALUE, "maximum": service.MAX_VALUE},
        "weight": {"type": "number", "minimum": 0, "maximum": 1, "default": 1},
        "metadata": {"type": "object", "nullable": True},
    },
    "required": ["trace_id", "value"],
}


class FeedbackUpdateSerializer(serializers.Serializer):
    value = serializers.IntegerField(
        min_value=service.MIN_VALUE, max_value=service.MAX_VALUE, required=False
    )
    weight = serializers.FloatField(min_value=0, max_value=1, required=False)
    metadata = serializers.DictField(
        required=False, allow_null=True, validators=[no_nul_characters]
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one of value, weight, metadata.")
        return attrs


class FeedbackResponseSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    feedback_ids = serializers.ListField(child=serializers.CharField())


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
        payload = request.data
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
        if not isinstance(request.data, dict):
            raise InvalidRequest("The body must be a JSON object.")
        changes = validated_or_400(FeedbackUpdateSerializer, request.data, "feedback")
        feedback = service.update_feedback(request.auth.workspace, feedback_id, changes)
        if feedback is None:
            raise exceptions.NotFound("No feedback with this id.")
        return _reply([str(feedback.id)], "updated")
