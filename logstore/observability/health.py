"""Probes for orchestrators, and a 503 rather than a 500 when the database, or the ClickHouse
holding the logs, is away.

The probes answer before any other middleware, so a load balancer's Host header, an HTTPS
redirect or a session lookup cannot make a healthy process look dead.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.http import HttpResponse, JsonResponse

from logstore.core.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGES,
    unavailable_body,
)
from logstore.storage import get_store
from logstore.storage.port import StoreUnavailable

logger = logging.getLogger(__name__)

# A probe that waits longer than the orchestrator's own timeout answers nothing useful.
READINESS_TIMEOUT_SECONDS = 2


def unavailable_dependency(exc) -> str | None:
    """ "database" or "clickhouse" when `exc` means it cannot be reached; None for a bug or
    bad data."""
    if isinstance(exc, StoreUnavailable):
        return exc.dependency
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    # Code that uses the driver's cursor directly (COPY) gets its errors unwrapped by Django.
    driver = connection.Database
    return "database" if isinstance(exc, driver.OperationalError | driver.InterfaceError) else None


def unavailable_response(*down, as_json=True, extra=None):
    """The one answer for "a database is away": 503 with Retry-After, JSON or plain text.

    `down` names what is away (default: the database); `extra` adds keys to the JSON."""
    down = down or ("database",)
    if as_json:
        response = JsonResponse({**unavailable_body(*down), **(extra or {})}, status=503)
    else:
        text = " ".join(UNAVAILABLE_MESSAGES[name] for name in down)
        response = HttpResponse(text, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    # Read by ingest accounting: a usage row now would only wait for the database again.
    response.database_unavailable = "database" in down
    return response


def liveness(request):
    return JsonResponse({"status": "ok"})


def readiness(request):
    """Ready when the Django database answers and, when the logs live elsewhere (ClickHouse),
    that backend answers too."""
    checks = {"database": "ok"}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("readiness check failed: database: %s", exc)
        checks["database"] = "unavailable"
    store = get_store()
    if not store.transactional:
        checks[store.name] = "ok"
        try:
            store.ping(READINESS_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - whatever the failure, the store is not ready
            logger.warning("readiness check failed: %s: %s", store.name, exc)
            checks[store.name] = "unavailable"
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        return unavailable_response(*down, extra={"status": "unavailable", **checks})
    return JsonResponse({"status": "ok", **checks})


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
        dependency = unavailable_dependency(exception)
        if dependency is None:
            return None
        logger.warning("%s unavailable: %s", dependency, exception)
        wants_json = "json" in request.META.get("HTTP_ACCEPT", "") or "json" in (
            request.content_type or ""
        )
        return unavailable_response(dependency, as_json=wants_json)
