"""Shapes of the read API's answers, for the OpenAPI document only: views build them with
`logstore.query.presenters.log_as_dict`."""

from rest_framework import serializers

# Without a time bound a list would walk a workspace's whole history to fill sparse filters.


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


class LogPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LogSummarySerializer(many=True)
