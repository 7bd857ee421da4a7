"""Prometheus metrics: ingest counters and request latencies, served at /metrics.

gunicorn runs several worker processes; with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py
sets it) every worker writes its samples there and /metrics sums them, whichever worker
answers. Without it (tests, runserver) the process's own registry is served.
"""

import hmac
import os

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from logstore.core.errors import error_body

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

INGEST_REQUESTS = Counter(
    "logstore_ingest_requests",
    "POST /logs requests, by response status code.",
    ["status"],
)
INGEST_LOGS = Counter("logstore_ingest_logs", "Logs acknowledged by POST /logs.")
INGEST_BYTES = Counter("logstore_ingest_bytes", "Request body bytes received by POST /logs.")
INGEST_LATENCY = Histogram(
    "logstore_ingest_request_duration_seconds",
    "Time to answer POST /logs, by outcome (accepted, rejected, failed).",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
HTTP_LATENCY = Histogram(
    "logstore_http_request_duration_seconds",
    "Time to answer any request, by route name, method and status class (2xx, 4xx...).",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)


def observe_ingest(status_code, seconds, logs, nbytes):
    INGEST_REQUESTS.labels(status=str(status_code)).inc()
    outcome = "accepted" if status_code < 400 else "rejected" if status_code < 500 else "failed"
    INGEST_LATENCY.labels(outcome=outcome).observe(seconds)
    if logs:
        INGEST_LOGS.inc(logs)
    if nbytes:
        INGEST_BYTES.inc(nbytes)


def observe_request(route, method, status_code, seconds):
    HTTP_LATENCY.labels(route=route, method=method, status=f"{status_code // 100}xx").observe(
        seconds
    )


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_view(request):
    token = settings.LOGSTORE_METRICS_TOKEN
    if token:
        scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
            return JsonResponse(
                error_body("Send the metrics token as a Bearer token.", "not_authenticated"),
                status=401,
            )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
