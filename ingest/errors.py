"""Every API error as the one error body (`logstore.core.errors`): DRF's exceptions, the
domain's refusals, and the database being away, each mapped to its status here and only here.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from logstore.core.errors import (
    Refused,
    error_body,
)
from logstore.observability.health import unavailable_dependency, unavailable_response

logger = logging.getLogger(__name__)


def _first_message(detail):
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        return f"{key}: {_first_message(value)}"
    return str(detail)


def exception_handler(exc, context):
    dependency = unavailable_dependency(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif dependency is not None:
        logger.warning("%s unavailable: %s", dependency, exc)
        return unavailable_response(dependency)
    elif isinstance(exc, Refused):
        return Response(error_body(exc.message, exc.code, exc.details), status=exc.status_code)
    elif isinstance(exc, DatabaseError):
        logger.exception("database error")
        return None

    if not isinstance(exc, exceptions.APIException):
        return None

    details = getattr(exc, "details", None)
    message = getattr(exc, "message", None) or _first_message(exc.detail)
    error_type = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    response = Response(error_body(message, error_type, details), status=exc.status_code)
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(int(wait) + 1)
    return response


class InvalidRequest(exceptions.APIException):
    """A 400 carrying a readable message plus machine-readable details."""

    status_code = 400
    default_code = "invalid_request"

    def __init__(self, message, details=None, status_code=None, code=None):
        super().__init__(message, code or self.default_code)
        self.message = message
        self.details = details
        if status_code:
            self.status_code = status_code


def json_bad_request(request, exception=None):
    return JsonResponse(error_body("Bad request.", "bad_request"), status=400)


def json_not_found(request, exception=None):
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


def json_server_error(request):
    # Only a write has something to not store; a failed read must not alarm a client about data.
    writes = request.method in {"POST", "PUT", "PATCH", "DELETE"}
    message = "Internal server error" + ("; the request was not stored." if writes else ".")
    return JsonResponse(error_body(message, "server_error"), status=500)
