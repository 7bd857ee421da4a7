"""Serializers mirroring Portkey's `CustomLog` schema.

Strict on structure (request and response are objects, headers are objects, status is a code),
lenient where the official clients deviate from the schema: no `request.url` or `body`
(LangChain, OpenTelemetry), latency as a zero-padded string, span ids as 64-bit integers,
`metadata: null`. Validation only: what is stored is the item exactly as sent.
"""

import math

from rest_framework import serializers


class LatencyField(serializers.Field):
    """Milliseconds as an integer, a float or a numeric string ("0012")."""

    default_error_messages = {"invalid": "Must be a number of milliseconds."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if data < 0:
                self.fail("invalid")
            return data
        if isinstance(data, float):
            if not math.isfinite(data) or data < 0:
                self.fail("invalid")
            return data
        if isinstance(data, str):
            try:
                value = float(data.strip())
            except ValueError:
                self.fail("invalid")
            if not math.isfinite(value) or value < 0:
                self.fail("invalid")
            return value
        self.fail("invalid")

    def to_representation(self, value):
        return value


class IdentifierField(serializers.Field):
    """A trace or span id: text, or an integer (the OTel exporter sends 64-bit ints)."""

    default_error_messages = {"invalid": "Must be a string or an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        return str(data)

    def to_representation(self, value):
        return value


class AnyJSONField(serializers.Field):
    """Any JSON value. It came from a JSON parser, so there is nothing to check or copy."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class HeadersField(serializers.DictField):
    child = AnyJSONField()


class LogRequestSerializer(serializers.Serializer):
    url = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    method = serializers.CharField(required=False, allow_blank=True, max_length=16)
    provider = serializers.CharField(required=False, allow_blank=True)
    headers = HeadersField(required=False, allow_null=True)
    body = AnyJSONField(required=False, allow_null=True)


class LogResponseSerializer(serializers.Serializer):
    status = serializers.IntegerField(required=False, allow_null=True, min_value=100, max_value=599)
    headers = HeadersField(required=False, allow_null=True)
    body = AnyJSONField(required=False, allow_null=True)
    response_time = LatencyField(required=False, allow_null=True)
    time = LatencyField(required=False, allow_null=True)
    responseTime = LatencyField(required=False, allow_null=True)  # noqa: N815 (wire name)
    streamingMode = serializers.BooleanField(required=False, allow_null=True)  # noqa: N815


class CustomLogSerializer(serializers.Serializer):
    request = LogRequestSerializer()
    response = LogResponseSerializer()
    metadata = serializers.DictField(required=False, allow_null=True)
    trace_id = IdentifierField(required=False, allow_null=True)
    span_id = IdentifierField(required=False, allow_null=True)
    parent_span_id = IdentifierField(required=False, allow_null=True)
    span_name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
