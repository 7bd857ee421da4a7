"""Probes for orchestrators, and a 503 rather than a 500 when the database is away.

The probes answer before any other middleware, so a load balancer's Host header, an HTTPS
redirect or a session lookup cannot make a healthy process look dead.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.http import HttpResponse, JsonResponse

from logstore.core.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE,
    unavailable_body,
)

logger = logging.getLogger(__name__)


def is_database_unavailable(exc) -> bool:
    """Whether `exc` means the database cannot be reached, rather than a bug or bad data."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    # Code that uses the driver's cursor directly (COPY) gets its errors unwrapped by Django.
    driver = connection.Database
    return isinstance(exc, driver.OperationalError | driver.InterfaceError)


def unavailable_response(*, as_json=True):
    """The one answer for "the database is away": 503 with Retry-After, JSON or plain text."""
    if as_json:
        response = JsonResponse(unavailable_body(), status=503)
    else:
        response = HttpResponse(
            DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    # Read by ingest accounting: a usage row now would only wait for the database again.
    response.database_unavailable = True
    return response


def liveness(request):
    return JsonResponse({"status": "ok"})


def readiness(request):
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("readiness check failed: %s", exc)
        return unavailable_response()
    return JsonResponse({"status": "ok", "database": "ok"})


PROBES = {"/healthz": liveness, "/readyz": readiness}


class ProbeMiddleware:
    """Answers /healthz and /readyz; must come first in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in {"GET", "HEAD"}:
            response = probe(request)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view outside the API that loses its database answers 503 with Retry-After.

    The API's own exception handler does the same for DRF views; this covers the admin and
    the web pages, which would otherwise show a 500 error page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("database unavailable: %s", exception)
        wants_json = "json" in request.META.get("HTTP_ACCEPT", "") or "json" in (
            request.content_type or ""
        )
        return unavailable_response(as_json=wants_json)
