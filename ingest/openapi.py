"""The API's OpenAPI 3 document (drf-spectacular): security scheme, error responses, doc pages.

Served at `/openapi.json` (and `/v1/openapi.json`); `/docs` is Swagger UI and `/docs/redoc`
ReDoc, both from drf-spectacular-sidecar's vendored assets, so no CDN is involved.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework import permissions, serializers

from ingest.log_list import LogPageSerializer, LogSerializer, filter_parameters


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
    target_class = "ingest.views.LogCollectionView"

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
    target_class = "ingest.views.LogDetailView"

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
