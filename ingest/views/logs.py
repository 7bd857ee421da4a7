"""The logs API: `POST /logs` (ingest), `GET /logs` (the filtered list) and `GET /logs/{id}`."""

import hashlib
import re
from functools import cache, partial

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.errors import InvalidRequest
from ingest.headers import client_headers
from ingest.keycharge import ChargedWriteMixin
from ingest.pagination import LogKeysetPagination
from ingest.parsers import PayloadTooLarge, json_body, read_limited_body
from ingest.serializers.docs import InsertedSerializer, LogSerializer, LogSummarySerializer
from ingest.serializers.logs import CustomLogSerializer
from ingest.validation import flatten_errors
from logstore.ingestion.feedback import trace_feedback
from logstore.ingestion.store import prepare_logs, store_logs
from logstore.models import SCOPE_LOGS_READ, SCOPE_LOGS_WRITE, Log
from logstore.query.filters import LogFilter
from logstore.query.keyset import InvalidCursor
from logstore.query.presenters import log_as_dict
from logstore.query.selection import select_logs
from logstore.storage import get_store
from logstore.storage.port import without_bodies


def filtered_criteria(workspace, query_params):
    selection = select_logs(query_params, surface="api", workspace_ids=[workspace.pk])
    if not selection.is_valid:
        [first, *_] = selection.details()
        raise InvalidRequest(
            f"Invalid filter {first['field']}: {first['message']}", details=selection.details()
        )
    return selection.criteria


def list_logs(request):
    """Newest first, keyset-paged: `cursor` is `o.<last row>` (older) or `n.<first row>`."""
    criteria = filtered_criteria(request.auth.workspace, request.query_params)
    paginator = LogKeysetPagination()
    try:
        page = get_store().page(
            criteria, **paginator.position(request), columns=without_bodies("metadata")
        )
    except InvalidCursor:
        raise paginator.invalid_cursor() from None
    return paginator.page_response(
        page, [log_as_dict(log, include_bodies=False) for log in page.rows]
    )


MAX_IDEMPOTENCY_KEY_LENGTH = 256
# str.isdigit() also accepts "²" and "٣", which int() or the "0", "1"… lookup then reject.
_INDEX_KEY = re.compile(r"0|[1-9][0-9]{0,8}")


def split_batch(payload) -> list:
    """One log, an array of logs, or the JS SDK's mangled array ({"0": log, "1": log})."""
    if isinstance(payload, list):
        if not payload:
            raise InvalidRequest("The array of logs is empty.", code="empty_batch")
        items = payload
    elif isinstance(payload, dict):
        keys = list(payload)
        if (
            keys
            and all(_INDEX_KEY.fullmatch(k) for k in keys)
            and sorted(map(int, keys)) == list(range(len(keys)))
        ):
            # The JS SDK serialises an array passed to logs.create as {"0": ..., "1": ...}.
            items = [payload[str(i)] for i in range(len(keys))]
        else:
            items = [payload]
    else:
        raise InvalidRequest("The body must be a JSON object (one log) or an array of logs.")
    limit = settings.LOGSTORE_MAX_BATCH_ITEMS
    if len(items) > limit:
        raise PayloadTooLarge(f"The batch has {len(items)} logs; the limit is {limit}.")
    return items


@cache
def log_serializer():
    # DRF deep-copies a serializer's fields on first use, which per item cost more than the rest
    # of an insert. Validation keeps no state on the instance, so one serves every request.
    return CustomLogSerializer()


def validate_items(items, batched):
    serializer = log_serializer()
    for index, item in enumerate(items):
        where = f"logs[{index}]" if batched else "log"
        if not isinstance(item, dict):
            raise InvalidRequest(
                f"{where} must be a JSON object, not {type(item).__name__}.",
                details=[{"index": index, "field": "", "message": "must be a JSON object"}],
            )
        try:
            serializer.run_validation(item)
        except exceptions.ValidationError as exc:
            errors = flatten_errors(exc.detail)
            field, message = errors[0]
            raise InvalidRequest(
                f"Invalid {where}: {field}: {message}",
                details=[{"index": index, "field": f, "message": m} for f, m in errors],
            ) from None


class LogCollectionView(ChargedWriteMixin, ListAPIView):
    required_scopes = {"POST": SCOPE_LOGS_WRITE, "GET": SCOPE_LOGS_READ}
    # The list is read through the log store's port (list_logs); these let drf-spectacular
    # document its filters, cursor and page shape from LogFilter and the paginator.
    queryset = Log.objects.none()
    serializer_class = LogSummarySerializer
    pagination_class = LogKeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = LogFilter

    @extend_schema(
        operation_id="logs_list",
        summary="The workspace's logs, newest first (last 7 days unless a time is given)",
        tags=["logs"],
    )
    def get(self, request, *args, **kwargs):
        return list_logs(request)

    @extend_schema(
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
    )
    def post(self, request):
        if not request.content_type:
            raise exceptions.UnsupportedMediaType(
                "", "Send the logs with Content-Type: application/json."
            )
        payload = json_body(request)
        raw = read_limited_body(request._request)
        items = split_batch(payload)
        validate_items(items, batched=not isinstance(payload, dict) or len(items) > 1)
        logs = prepare_logs(items, client_headers(request.headers), batched=len(items) > 1)
        idempotency_key = request.headers.get("Idempotency-Key", "").strip() or None
        if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise InvalidRequest(
                f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
            )
        if idempotency_key and not (idempotency_key.isascii() and idempotency_key.isprintable()):
            raise InvalidRequest("Idempotency-Key must be printable ASCII.")
        store = partial(
            store_logs,
            logs=logs,
            idempotency_key=idempotency_key,
            request_hash=hashlib.sha256(raw).hexdigest() if idempotency_key else "",
        )
        result = self.store_charged(request, store, len(raw))
        return Response(result.body, status=result.status_code)


class LogDetailView(APIView):
    required_scope = SCOPE_LOGS_READ

    @extend_schema(
        operation_id="logs_retrieve",
        summary="One log, with its request and response",
        responses={200: LogSerializer},
        tags=["logs"],
    )
    def get(self, request, log_id):
        log = get_store().get(log_id, [request.auth.workspace.pk])
        if log is None:
            raise exceptions.NotFound("No log with this id.")
        return Response(
            {**log_as_dict(log), "feedback": trace_feedback(log.workspace_id, log.trace_id)}
        )
