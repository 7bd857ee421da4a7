"""Accounting for every ingest request (POST /logs, OTLP traces) once it is answered: per-key
counters, a record of refused requests for the admin, and Prometheus metrics. It runs after the
ingest transaction has committed, and a failure here never changes the client's answer.

A request that reached the write recorded its key's usage itself (logstore.apikeys.charge);
the others (refused before it, replayed) are recorded here, at once."""

import logging
import time
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone

from ingest.authentication import raw_key_from
from logstore.apikeys.usage import add_usage, record_rejection
from logstore.core.redaction import mask_secret
from logstore.models import ApiKey, RejectedRequest
from logstore.observability import metrics

logger = logging.getLogger(__name__)

INGEST_ROUTES = {"api-logs", "api-otlp-traces"}
# A client hammering past its rate limit would write a row per refusal; one a minute is enough.
THROTTLED_RECORD_SECONDS = 60


class IngestAccountingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if request.method == "POST" and match is not None and match.url_name in INGEST_ROUTES:
            try:
                self._account(request, response, time.perf_counter() - started)
            except DatabaseError as exc:
                logger.warning("ingest accounting not saved: %s", exc)
        return response

    def _account(self, request, response, seconds):
        status = response.status_code
        nbytes = _content_length(request)
        data = getattr(response, "data", None)
        logs = len(data.get("log_ids", ())) if status < 300 and isinstance(data, dict) else 0
        metrics.observe_ingest(status, seconds, logs, nbytes)
        if getattr(response, "database_unavailable", False):
            return
        api_key = getattr(request, "auth", None)
        api_key = api_key if isinstance(api_key, ApiKey) else None
        if api_key is not None and not getattr(request, "usage_charged", False):
            add_usage(
                api_key.pk,
                logs=logs,
                accepted=int(status < 400),
                rejected=int(400 <= status < 500),
                nbytes=nbytes,
            )
        if 400 <= status < 500 and self._worth_recording(status, api_key, request):
            record_rejection(
                api_key=api_key,
                key_prefix=_key_label(api_key, request),
                path=request.path,
                status_code=status,
                reason=_reason(data, response),
                body=_body_start(request, status),
            )

    @staticmethod
    def _worth_recording(status, api_key, request):
        if status != 429:
            return True
        since = timezone.now() - timedelta(seconds=THROTTLED_RECORD_SECONDS)
        return not RejectedRequest.objects.filter(
            created_at__gte=since, status_code=429, key_prefix=_key_label(api_key, request)
        ).exists()


def _content_length(request):
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _key_label(api_key, request):
    """The key's public prefix; for a key not of ours (an OpenAI key sent by mistake), its mask."""
    if api_key is not None:
        return api_key.prefix
    raw = raw_key_from(request)
    if not raw:
        return ""
    return ApiKey.prefix_of(raw) or mask_secret(raw)


def _reason(data, response):
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return f"HTTP {response.status_code}"


def _body_start(request, status):
    body = getattr(request, "_body", None)
    if body is not None:
        return body
    if status == 413 or getattr(request, "_read_started", True):
        return b""  # too large to read, or consumed by a parser: nothing cheap to show
    try:
        return request.read(4096)
    except OSError:
        return b""
