"""The API's OpenAPI 3 document (drf-spectacular): security scheme, error responses, doc pages.

Served at `/openapi.json` (and `/v1/openapi.json`); `/docs` is Swagger UI and `/docs/redoc`
ReDoc, both from drf-spectacular-sidecar's vendored assets, so no CDN is involved.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework import permissions

from logstore.query import filters

# LogFilter's own parameter types: comma-separated or `key=value` text, read by its fields.
for _filter in (filters.StatusFilter, filters.StatusClassFilter, filters.ProviderModelFilter):
    extend_schema_field(OpenApiTypes.STR)(_filter)


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


class PublicMixin:
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class SchemaView(PublicMixin, SpectacularJSONAPIView):
    pass


class SwaggerView(PublicMixin, SpectacularSwaggerSplitView):
    url_name = "api-openapi"


class RedocView(PublicMixin, SpectacularRedocView):
    url_name = "api-openapi"
    template_name = "ingest/redoc.html"
