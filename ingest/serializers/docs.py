"""Shapes of the logs API's answers. The fields document them; every log itself is built by
`logstore.query.presenters.log_as_dict`, the one shape the API and exports share."""

from rest_framework import serializers

from logstore.query.presenters import log_as_dict


class MetricsSerializer(serializers.Serializer):
    status = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    prompt_tokens = serializers.IntegerField(allow_null=True)
    completion_tokens = serializers.IntegerField(allow_null=True)
    total_tokens = serializers.IntegerField(allow_null=True)


class LogSummarySerializer(serializers.Serializer):
    """A log as lists show it: every derived column and the metadata, no bodies."""

    id = serializers.UUIDField()
    _id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    trace_id = serializers.CharField(allow_blank=True)
    span_id = serializers.CharField(allow_blank=True)
    parent_span_id = serializers.CharField(allow_blank=True)
    span_name = serializers.CharField(allow_blank=True)
    user = serializers.CharField(allow_blank=True)
    organization = serializers.CharField(allow_blank=True)
    environment = serializers.CharField(allow_blank=True)
    provider = serializers.CharField(allow_blank=True)
    model = serializers.CharField(allow_blank=True)
    method = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    status = serializers.IntegerField(allow_null=True)
    is_success = serializers.BooleanField()
    latency_ms = serializers.IntegerField(allow_null=True)
    prompt_tokens = serializers.IntegerField(allow_null=True)
    completion_tokens = serializers.IntegerField(allow_null=True)
    total_tokens = serializers.IntegerField(allow_null=True)
    streaming = serializers.BooleanField()
    metrics = MetricsSerializer()
    metadata = serializers.DictField(allow_null=True)

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


class InsertedSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    log_ids = serializers.ListField(child=serializers.UUIDField())
