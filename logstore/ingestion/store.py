"""Storing a batch of logs: normalise every item, then write them all in one transaction."""

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from logstore.apikeys.charge import KeyCharge, charge_key
from logstore.core.errors import Refused
from logstore.core.ids import uuid7
from logstore.core.redaction import normalised_header_name
from logstore.ingestion.normalize import (
    HeaderDefaults,
    NormalizationError,
    NormalizedLog,
    normalize_log,
)
from logstore.ingestion.otlp import Rejection, Span, rejection_message, span_problem, span_to_log
from logstore.models import IdempotencyRecord, MetadataKey
from logstore.pricing.costing import price_logs
from logstore.storage import get_store

# Autocomplete needs the keys, not every one of a pathological client's thousands.
MAX_METADATA_KEYS_PER_BATCH = 200
# Metadata keys already stored, per process: most requests repeat known keys, and skipping
# their INSERT ... ON CONFLICT saves a round trip and a transaction on every request.
SEEN_KEYS_TTL_SECONDS = 600
SEEN_KEYS_MAX = 50_000
_seen_keys: set = set()
_seen_keys_since = 0.0


class InvalidLog(Refused):
    """An item that cannot be stored; `index` is its position in the batch."""

    def __init__(self, index, path, message, *, batched=True):
        where = f"logs[{index}]" if batched else "log"
        super().__init__(
            f"Invalid {where}: {path}: {message}",
            details=[{"index": index, "field": path, "message": message}],
        )
        self.index = index
        self.path = path


class IdempotencyConflict(Refused):
    """The Idempotency-Key was used before for a different request body."""

    status_code = 409
    code = "idempotency_conflict"

    def __init__(self):
        super().__init__("This Idempotency-Key was already used with a different request body.")


@dataclass(frozen=True)
class IngestResult:
    status_code: int
    body: dict
    # Whether the key was checked and the request's usage recorded with the write (a replayed
    # Idempotency-Key answer is not: nothing was written).
    charged: bool = False


def prepare_logs(
    items: Sequence[Mapping], headers: Mapping[str, str], *, batched: bool = True
) -> list[NormalizedLog]:
    """Normalise a batch; raises InvalidLog naming the first item that cannot be stored."""
    normalize = normalizer(headers)
    prepared = []
    for index, item in enumerate(items):
        try:
            prepared.append(normalize(item))
        except NormalizationError as exc:
            raise InvalidLog(index, exc.path, exc.message, batched=batched) from exc
    return prepared


def normalizer(headers: Mapping[str, str]):
    """normalize_log with this request's header defaults, masked headers and arrival time."""
    defaults = HeaderDefaults.from_headers(headers)
    masked = frozenset(normalised_header_name(name) for name in settings.LOGSTORE_MASKED_HEADERS)
    received_at = timezone.now()
    return partial(normalize_log, defaults=defaults, received_at=received_at, masked_headers=masked)


class SpansRejected(Refused):
    """Every span of the request was rejected: nothing to store, and the client must not retry."""

    code = "spans_rejected"

    def __init__(self, rejected: Sequence[Rejection]):
        super().__init__(
            rejection_message(rejected),
            details=[
                {"index": r.index, "span_id": r.span_id, "message": r.reason} for r in rejected
            ],
        )


@dataclass(frozen=True)
class SpanBatch:
    logs: list[NormalizedLog]
    rejected: list[Rejection]


def prepare_spans(spans: Sequence[Span], headers: Mapping[str, str]) -> SpanBatch:
    """Normalise every span as one log; a span that cannot be stored is rejected, not the batch.

    Raises SpansRejected when no span can be stored."""
    normalize = normalizer(headers)
    logs, rejected = [], []
    for index, span in enumerate(spans):
        problem = span_problem(span)
        if problem is None:
            try:
                logs.append(normalize(span_to_log(span)))
                continue
            except NormalizationError as exc:
                problem = f"{exc.path}: {exc.message}"
        rejected.append(Rejection(index, span.span_id, problem))
    if rejected and not logs:
        raise SpansRejected(rejected)
    return SpanBatch(logs, rejected)


def store_logs(
    workspace,
    api_key,
    logs: Sequence[NormalizedLog],
    *,
    idempotency_key: str | None = None,
    request_hash: str = "",
    charge: KeyCharge | None = None,
) -> IngestResult:
    """Write all of `logs` or none of them; the result is returned only once they are stored.

    With an idempotency key, a repeat of the same request returns the first response and
    writes nothing; concurrent repeats wait on the key's unique constraint.

    On a backend outside the Django database (ClickHouse) the insert runs inside the Django
    transaction that charges the key and claims the Idempotency-Key: a failed insert rolls
    back the usage and the claim, and a concurrent request with the same key waits on the
    claim instead of storing its own batch. See `_batch_ids` for a crash after the insert.
    """
    store = get_store()
    workspace_id, api_key_id = workspace.pk, api_key.pk if api_key else None
    # Priced here, not in the normaliser: overrides are per workspace and live in the database.
    price_logs(workspace_id, logs)
    new_keys = unseen_metadata_keys(workspace_id, logs)
    ids, token = _batch_ids(store, workspace_id, len(logs), idempotency_key, request_hash)
    body = _success_body(ids)
    insert = partial(store.insert, workspace_id, api_key_id, ids, logs, dedup_token=token)
    try:
        if charge is not None or idempotency_key or new_keys or connection.vendor != "postgresql":
            with transaction.atomic():
                if charge is not None:
                    # The cached key is checked and the request's usage recorded with the write.
                    charge_key(charge, len(logs))
                if idempotency_key:
                    _remember_answer(workspace, idempotency_key, request_hash, body)
                insert()
                if new_keys:
                    remember_metadata_keys(workspace_id, new_keys)
        else:
            # The common case is one COPY or one INSERT: a single statement is its own
            # transaction, and BEGIN and COMMIT would add two round trips to every request.
            insert()
    except IntegrityError:
        replay = _replay(workspace, idempotency_key, request_hash) if idempotency_key else None
        if replay is None:
            raise
        return replay
    return IngestResult(200, body, charged=charge is not None)


# Names idempotent batches' log ids: the same key and body always get the same ids.
BATCH_ID_NAMESPACE = uuid.UUID("5f0c8f8e-3a1e-4c1e-9a57-6b1f0f3c9a21")


def _batch_ids(store, workspace_id, count, idempotency_key, request_hash):
    """The batch's log ids and, for a backend outside the Django transaction, its insert's
    deduplication token ("" for the ORM, whose transaction is all-or-nothing).

    No transaction spans both systems: a process that dies after the ClickHouse insert but
    before the Django commit leaves the rows without their idempotency record. With an
    Idempotency-Key the token and the ids derive from (workspace, key, body), so the client's
    retry gets the same ids and ClickHouse drops the repeated insert instead of storing the
    batch twice. Without a key the token is the batch's ids: a transport-level resend of the
    same insert is dropped.
    """
    if store.transactional:
        return [uuid7() for _ in range(count)], ""
    if idempotency_key:
        name = f"{workspace_id}:{idempotency_key}:{request_hash}"
        ids = [uuid.uuid5(BATCH_ID_NAMESPACE, f"{name}:{i}") for i in range(count)]
        return ids, hashlib.sha256(name.encode()).hexdigest()
    ids = [uuid7() for _ in range(count)]
    return ids, hashlib.sha256(b"".join(i.bytes for i in ids)).hexdigest()


def _success_body(ids) -> dict:
    return {
        "status": "success",
        "message": f"{len(ids)} log{'s' if len(ids) != 1 else ''} stored",
        "log_ids": [str(i) for i in ids],
    }


def _remember_answer(workspace, idempotency_key, request_hash, body):
    """Record the answer a retry with this key and body gets; a unique key, so a concurrent
    repeat fails here (IntegrityError) and replays the first answer instead."""
    IdempotencyRecord.objects.create(
        workspace=workspace,
        key=idempotency_key,
        request_hash=request_hash,
        status_code=200,
        response=body,
    )


def _replay(workspace, idempotency_key, request_hash) -> IngestResult | None:
    """The first response to this key (None if there is none); a different body conflicts."""
    record = IdempotencyRecord.objects.filter(workspace=workspace, key=idempotency_key).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyConflict() from None
    return IngestResult(record.status_code, record.response)


def unseen_metadata_keys(workspace_id, logs: Sequence[NormalizedLog]) -> list[str]:
    """The batch's metadata keys this process has not stored for the workspace lately."""
    keys = set()
    for log in logs:
        keys.update(log.metadata_index)
        if len(keys) >= MAX_METADATA_KEYS_PER_BATCH:
            break
    if not keys:
        return []
    seen = _seen_metadata_keys()
    # Keys are recorded by their first 256 characters; two longer keys may share them, and
    # one INSERT ... ON CONFLICT cannot name the same row twice.
    prefixes = {k[:256] for k in keys}
    return sorted(p for p in prefixes if (workspace_id, p) not in seen)[
        :MAX_METADATA_KEYS_PER_BATCH
    ]


def _seen_metadata_keys() -> set:
    global _seen_keys, _seen_keys_since
    now = time.monotonic()
    # Forget now and then, so a key deleted from MetadataKey comes back within minutes.
    if now - _seen_keys_since > SEEN_KEYS_TTL_SECONDS or len(_seen_keys) > SEEN_KEYS_MAX:
        _seen_keys, _seen_keys_since = set(), now
    return _seen_keys


def remember_metadata_keys(workspace_id, keys: Sequence[str]):
    """Record the keys, or refresh when they were last seen: autocomplete offers recent ones.

    A process does this for a key at most once per SEEN_KEYS_TTL_SECONDS, in sorted order, so
    concurrent batches rarely wait on one another's rows and never deadlock on them.
    """
    now = timezone.now()
    MetadataKey.objects.bulk_create(
        [
            MetadataKey(workspace_id=workspace_id, key=k, first_seen_at=now, last_seen_at=now)
            for k in sorted(keys)
        ],
        update_conflicts=True,
        unique_fields=["workspace", "key"],
        update_fields=["last_seen_at"],
    )
    # Marked seen only once the transaction that stored them commits.
    transaction.on_commit(lambda: _seen_metadata_keys().update((workspace_id, k) for k in keys))
