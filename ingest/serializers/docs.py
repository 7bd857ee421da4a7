"""Shapes of the logs API's answers. The fields document them; every log itself is built by
`logstore.query.presenters.log_as_dict`, the one shape the API and exports share."""

from rest_framework import serializers

from logstore.models import Log
from logstore.query.presenters import COST_FIELDS, DERIVED_FIELDS, log_as_dict


class MetricsSerializer(serializers.Serializer):
    status = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    prompt_tokens = serializers.IntegerField(allow_null=True)
    completion_tokens = serializers.IntegerField(allow_null=True)
    total_tokens = serializers.IntegerField(allow_null=True)
    cost = serializers.FloatField(allow_null=True, help_text="USD; null when no price is known.")


class LogSummarySerializer(serializers.ModelSerializer):
    """A log as lists show it: every derived column and the metadata, no bodies.

    The derived columns come from the model and `DERIVED_FIELDS`, so a new column is
    documented where it is presented.
    """

    id = serializers.UUIDField()
    _id = serializers.UUIDField()
    cost = serializers.FloatField(
        allow_null=True, help_text="What the call cost in USD; null when no price is known."
    )
    cost_currency = serializers.CharField(help_text='Always "USD".')
    price_source = serializers.ChoiceField(
        choices=["client", "override", "bundled", "none"],
        help_text="Where the price came from: the client's own figure, an operator's price "
        "override, the bundled price table, or none (no price known for the model).",
    )
    price_ref = serializers.CharField(
        allow_blank=True,
        help_text='Which price: the bundled table\'s version ("genai-prices 0.2.3") or the '
        'override ("override 12").',
    )
    metrics = MetricsSerializer()
    metadata = serializers.DictField(allow_null=True)

    class Meta:
        model = Log
        fields = [
            "id",
            "_id",
            "created_at",
            "received_at",
            *DERIVED_FIELDS,
            *COST_FIELDS,
            "metrics",
            "metadata",
        ]
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
