"""Bodies of Portkey's feedback API: one score for a trace, or an update of one."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ingest.serializers.logs import IdentifierField
from ingest.validation import no_nul_characters
from logstore.ingestion import feedback as service


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
