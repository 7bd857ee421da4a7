"""`GET /logs`: the workspace's logs through the shared LogFilter, newest first, cursor-paged."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import CursorPagination

from ingest.errors import InvalidRequest
from logstore.filters import LogFilter
from logstore.models import Log
from logstore.presenters import log_as_dict

# Without a time bound a list would walk a workspace's whole history to fill sparse filters.
DEFAULT_WINDOW = "7d"
TIME_PARAMETERS = ("since", "start", "end")
BODY_COLUMNS = ("request", "response")


class LogCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


def filtered_logs(workspace, query_params):
    params = query_params.copy()
    if not any(params.get(name) for name in TIME_PARAMETERS):
        params["since"] = DEFAULT_WINDOW
    filterset = LogFilter(params, queryset=Log.objects.filter(workspace=workspace))
    if not filterset.is_valid():
        field, errors = next(iter(filterset.errors.items()))
        raise InvalidRequest(
            f"Invalid filter {field}: {errors[0]}",
            details=[{"field": f, "message": str(e[0])} for f, e in filterset.errors.items()],
        )
    return filterset.qs.defer(*BODY_COLUMNS)


def list_logs(request):
    paginator = LogCursorPagination()
    logs = filtered_logs(request.auth.workspace, request.query_params)
    page = paginator.paginate_queryset(logs, request)
    return paginator.get_paginated_response(
        [log_as_dict(log, include_bodies=False) for log in page]
    )


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


def _parameter_type(flt):
    if isinstance(flt, django_filters.NumberFilter):
        return OpenApiTypes.NUMBER
    if isinstance(flt, django_filters.BooleanFilter):
        return OpenApiTypes.BOOL
    if isinstance(flt, django_filters.IsoDateTimeFilter):
        return OpenApiTypes.DATETIME
    return OpenApiTypes.STR


def filter_parameters():
    """LogFilter's parameters, for the OpenAPI document of `GET /logs`."""
    parameters = []
    for name, flt in LogFilter.base_filters.items():
        choices = getattr(flt, "extra", {}).get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                _parameter_type(flt),
                description=str(flt.label or name.replace("_", " ").capitalize()),
                enum=[value for value, _ in choices] if choices else None,
            )
        )
    parameters.append(OpenApiParameter("cursor", OpenApiTypes.STR, description="Next page."))
    parameters.append(
        OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, at most 200.")
    )
    return parameters


class LogPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LogSummarySerializer(many=True)
