"""OpenTelemetry in: `POST /v1/otel/v1/traces` (OTLP/HTTP), each span stored as one log."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from ingest import otlp
from ingest.headers import client_headers
from ingest.parsers import PayloadTooLarge, read_limited_body
from logstore.ingestion.otlp import rejection_message
from logstore.ingestion.store import prepare_spans, store_logs
from logstore.models import SCOPE_LOGS_WRITE


class OtlpTracesView(APIView):
    required_scope = SCOPE_LOGS_WRITE
    renderer_classes = (otlp.OtlpJSONRenderer, otlp.OtlpProtobufRenderer)

    def perform_content_negotiation(self, request, force=False):
        renderer = otlp.renderer_for(request)
        return renderer, renderer.media_type

    def handle_exception(self, exc):
        return otlp.renderable(super().handle_exception(exc))

    # OTLP/HTTP is specified by OpenTelemetry's protobuf definitions, not by our OpenAPI
    # document; docs/api.md describes it.
    @extend_schema(exclude=True)
    def post(self, request):
        encoding = otlp.request_encoding(request)
        spans = otlp.decode_spans(read_limited_body(request._request), encoding)
        limit = settings.LOGSTORE_MAX_BATCH_ITEMS
        if len(spans) > limit:
            raise PayloadTooLarge(f"The request has {len(spans)} spans; the limit is {limit}.")
        batch = prepare_spans(spans, client_headers(request.headers))
        body = {"log_ids": []}
        if batch.logs:
            body = store_logs(request.auth.workspace, request.auth, batch.logs).body
        if batch.rejected:
            body["partial_success"] = {
                "rejected_spans": len(batch.rejected),
                "error_message": rejection_message(batch.rejected),
            }
        return otlp.OtlpResponse(body)
