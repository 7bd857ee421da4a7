"""Request and response bodies of Portkey's log export API."""

from rest_framework import serializers

from ingest.validation import no_nul_characters
from logstore.exports import jobs as service


class ExportRequestSerializer(serializers.Serializer):
    filters = serializers.DictField(required=False, allow_null=True, validators=[no_nul_characters])
    workspace_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    requested_data = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True
    )
    export_id = serializers.CharField(required=False, allow_null=True, help_text="The JS SDK's.")


class ExportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    object = serializers.CharField()
    filters = serializers.DictField()
    requested_data = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=service.Status.choices)
    description = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    last_updated_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_blank=True)
    workspace_id = serializers.CharField()
    total_records = serializers.IntegerField()
    records_written = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)


class ExportCreatedSerializer(ExportSerializer):
    total = serializers.IntegerField(help_text="Logs the export will write (at most 50,000).")


class ExportListSerializer(serializers.Serializer):
    object = serializers.CharField()
    total = serializers.IntegerField()
    data = ExportSerializer(many=True)


class ExportActionSerializer(serializers.Serializer):
    message = serializers.CharField()
    object = serializers.CharField()
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=service.Status.choices)


class ExportDownloadSerializer(serializers.Serializer):
    signed_url = serializers.URLField()
    url = serializers.URLField()
    expires_in = serializers.IntegerField(help_text="Seconds the URL stays valid.")
