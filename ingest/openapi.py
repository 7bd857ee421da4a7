"""The API's OpenAPI 3 document (drf-spectacular): security scheme, error responses, doc pages.

Served at `/openapi.json` (and `/v1/openapi.json`); `/docs` is Swagger UI and `/docs/redoc`
ReDoc, both from drf-spectacular-sidecar's vendored assets, so no CDN is involved.
"""

import re

import django_filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework import permissions, serializers

from ingest.serializers.docs import LogPageSerializer, LogSerializer
from logstore.query.filters import LogFilter


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


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "ingest.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "x-portkey-api-key",
            "description": "An API key (`lsk_...`). `Authorization: Bearer <key>` works too.",
        }


# `api_path()` routes are regexes that accept an optional `/v1` and doubled slashes; the
# document shows the plain path once, without the optional trailing slash.
def clean_api_path(path):
    path = path.replace("[/]", "").replace("(?:v1/+)?", "")
    path = re.sub(r"/{2,}", "/", path)
    return path.rstrip("/") or "/"


def clean_api_paths(endpoints, **kwargs):
    return [(clean_api_path(path), regex, method, view) for path, regex, method, view in endpoints]


class LogCollectionSchema(OpenApiViewExtension):
    target_class = "ingest.views.logs.LogCollectionView"

    def view_replacement(self):
        @extend_schema_view(
            post=extend_schema(
                operation_id="logs_insert",
                summary="Insert one log, or an array of logs (Portkey's Insert a Log)",
                request={"application/json": {"oneOf": [{"type": "object"}, {"type": "array"}]}},
                responses={200: InsertedSerializer},
                examples=[
                    OpenApiExample(
                        "One log",
                        value={
                            "request": {"url": "https://api.openai.com/v1/chat/completions"},
                            "response": {"status": 200, "response_time": 321},
                            "metadata": {"_user": "alice"},
                        },
                        request_only=True,
                    )
                ],
                tags=["logs"],
            ),
            get=extend_schema(
                operation_id="logs_list",
                summary="The workspace's logs, newest first (last 7 days unless a time is given)",
                parameters=filter_parameters(),
                responses={200: LogPageSerializer},
                tags=["logs"],
            ),
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class LogDetailSchema(OpenApiViewExtension):
    target_class = "ingest.views.logs.LogDetailView"

    def view_replacement(self):
        @extend_schema_view(
            get=extend_schema(
                operation_id="logs_retrieve",
                summary="One log, with its request and response",
                responses={200: LogSerializer},
                tags=["logs"],
            )
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class InsertedSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    log_ids = serializers.ListField(child=serializers.UUIDField())


class PublicMixin:
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class SchemaView(PublicMixin, SpectacularJSONAPIView):
    pass


class SwaggerView(PublicMixin, SpectacularSwaggerView):
    url_name = "api-openapi"


class RedocView(PublicMixin, SpectacularRedocView):
    url_name = "api-openapi"
    template_name = "ingest/redoc.html"
