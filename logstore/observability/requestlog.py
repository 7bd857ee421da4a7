"""Structured request logs: one JSON line per request, every line tagged with its request id,
and secrets scrubbed from whatever a log line carries."""

import contextvars
import json
import logging
import time
from datetime import UTC, datetime

from logstore.core.redaction import scrub_secrets

request_id_var = contextvars.ContextVar("request_id", default="")
logger = logging.getLogger("logstore.requests")

# LogRecord attributes that are not extra fields passed by the caller.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _printable(scrub_secrets(json.dumps(entry, default=str, ensure_ascii=False)))


class TextFormatter(logging.Formatter):
    def format(self, record):
        return _printable(scrub_secrets(super().format(record)))


def _printable(line):
    # A lone surrogate from a client would make the stream handler fail to encode the line.
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


class RequestLogMiddleware:
    """Logs each request once it is answered. Paths only: a query string may carry a secret."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_id_var.set(getattr(request, "request_id", ""))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            self._log(request, response, time.perf_counter() - started)
            return response
        finally:
            request_id_var.reset(token)

    def _log(self, request, response, seconds):
        from logstore.observability.metrics import observe_request

        match = getattr(request, "resolver_match", None)
        route = match.url_name if match and match.url_name else "unmatched"
        observe_request(route, request.method, response.status_code, seconds)
        auth = getattr(request, "auth", None)
        # Only a user already loaded: reading request.user would cost a session query.
        user = getattr(request, "_cached_user", None)
        extra = {
            "method": request.method,
            "path": request.path,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        }
        if getattr(auth, "prefix", None):
            extra["key_prefix"] = auth.prefix
        elif user is not None and getattr(user, "is_authenticated", False) and user.pk:
            extra["user_id"] = user.pk
        logger.info("%s %s %s", request.method, request.path, response.status_code, extra=extra)
