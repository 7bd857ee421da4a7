"""Error pages: JSON for API paths (SDKs parse every response), HTML for people."""

from django.views import defaults

from ingest.errors import json_bad_request, json_not_found, json_server_error

API_PREFIXES = ("/logs", "/v1/", "//", "/feedback")


def _is_api(request):
    return request.path.startswith(API_PREFIXES) or "application/json" in request.META.get(
        "HTTP_ACCEPT", ""
    )


def bad_request(request, exception=None):
    # Django answers a disallowed Host or an oversized form this way, before any view runs.
    if _is_api(request):
        return json_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return json_server_error(request)
    return defaults.server_error(request)
