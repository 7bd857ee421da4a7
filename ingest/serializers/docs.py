"""Shapes of the logs API's answers. The fields document them; every log itself is built by
`logstore.query.presenters.log_as_dict`, the one shape the API and exports share."""

from rest_framework import serializers

from logstore.models import Log
from logstore.query.presenters import DERIVED_FIELDS, log_as_dict


class MetricsSerializer(serializers.Serializer):
    status = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    prompt_tokens = serializers.IntegerField(allow_null=True)
    completion_tokens = serializers.IntegerField(allow_null=True)
    total_tokens = serializers.IntegerField(allow_null=True)


class LogSummarySerializer(serializers.ModelSerializer):
    """A log as lists show it: every derived column and the metadata, no bodies.

    The derived columns come from the model and `DERIVED_FIELDS`, so a new column is
    documented where it is presented.
    """

    id = serializers.UUIDField()
    _id = serializers.UUIDField()
    metrics = MetricsSerializer()
    metadata = serializers.DictField(allow_null=True)

    class Meta:
        model = Log
        fields = ["id", "_id", "created_at", "received_at", *DERIVED_FIELDS, "metrics", "metadata"]
        extra_kwargs = {name: {"required": True} for name in DERIVED_FIELDS}

    def to_representation(self, instance):
        return log_as_dict(instance, include_bodies=False)


class FeedbackItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    trace_id = serializers.CharField()
    value = serializers.IntegerField()
    weight = serializers.FloatField()
    metadata = serializers.DictField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TraceFeedbackSerializer(serializers.Serializer):
    weighted_score = serializers.FloatField(allow_null=True)
    items = FeedbackItemSerializer(many=True)


class LogSerializer(LogSummarySerializer):
    request = serializers.DictField()
    response = serializers.DictField()
    feedback = TraceFeedbackSerializer(help_text="Feedback on the log's trace.")

    class Meta(LogSummarySerializer.Meta):
        fields = [*LogSummarySerializer.Meta.fields, "request", "response", "feedback"]


class InsertedSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    log_ids = serializers.ListField(child=serializers.UUIDField())
