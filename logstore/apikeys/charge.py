"""What one ingest request charges its API key, checked and counted with the write itself.

A write carries a `KeyCharge`: the key's cached version, its rate-limit window and the request's
usage. The statement that stores the logs also checks that the key is still active at that
version, counts the request in its window and adds to the key's daily usage, so that a worker's
cached key is refused the moment it is revoked or changed, the limit holds exactly across
workers, and usage counters are exact as soon as the request is answered. On PostgreSQL a
single log is all of that in one statement (`charged_insert`); elsewhere, and before a COPY,
`charge_key` runs the same checks inside the write's transaction.
"""

import time
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import timezone

from logstore.models import ApiKey, ApiKeyUsage, Log, RateLimitWindow


class KeyRefused(Exception):
    """The key was revoked, deleted or changed since this worker verified it."""


class RateLimited(Exception):
    """The key is over its limit in the current window; `wait` seconds until it ends."""

    def __init__(self, wait):
        super().__init__(wait)
        self.wait = wait


@dataclass(frozen=True)
class KeyCharge:
    api_key_id: int
    key_version: int
    # (requests, seconds) or None for no limit.
    rate: tuple[int, int] | None
    nbytes: int
    now: float
    day: date

    @classmethod
    def for_request(cls, api_key, rate, nbytes, now=None):
        now = time.time() if now is None else now
        return cls(api_key.pk, api_key.version, rate, nbytes, now, timezone.now().date())

    @property
    def window_start(self):
        return int(self.now // self.rate[1]) * self.rate[1] if self.rate else None

    def wait(self):
        return self.window_start + self.rate[1] - self.now


@dataclass(frozen=True)
class ChargeOutcome:
    key_current: bool
    window_requests: int | None
    allowed: bool

    def raise_for_refusal(self, charge: KeyCharge):
        if not self.key_current:
            raise KeyRefused()
        if not self.allowed:
            raise RateLimited(charge.wait())


def _tables():
    q = connection.ops.quote_name
    return (
        q(ApiKey._meta.db_table),
        q(RateLimitWindow._meta.db_table),
        q(ApiKeyUsage._meta.db_table),
    )


USAGE_COLUMNS = "accepted_logs, accepted_requests, rejected_requests, bytes_received"


def _usage_upsert(usage_table):
    increments = ", ".join(
        f"{c} = {usage_table}.{c} + excluded.{c}" for c in USAGE_COLUMNS.split(", ")
    )
    return f"ON CONFLICT (api_key_id, day) DO UPDATE SET {increments}"


def charged_insert(charge: KeyCharge, logs: int, insert_columns: str, rows_sql: str, rows_params):
    """(sql, params) of one PostgreSQL statement that checks the key, counts the request and
    inserts `rows_sql` (a VALUES list of typed rows) only if both allow it.

    Data-modifying CTEs share one snapshot and commit together: the log rows, the window count
    and the usage are stored all or none, in the statement's own transaction. The window and
    usage rows are locked in that order by every request, so concurrent requests queue on
    them but never deadlock.
    """
    keys, windows, usage = _tables()
    log_table = connection.ops.quote_name(Log._meta.db_table)
    params = [charge.api_key_id, charge.key_version]
    key_check = "WHERE id = %s AND version = %s AND revoked_at IS NULL"
    ctes = [f"k AS (SELECT id FROM {keys} {key_check})"]  # noqa: S608
    if charge.rate:
        ctes.append(
            f"w AS (INSERT INTO {windows} (api_key_id, window_start, requests) "  # noqa: S608
            "SELECT id, %s, 1 FROM k ON CONFLICT (api_key_id, window_start) "
            f"DO UPDATE SET requests = {windows}.requests + 1 RETURNING requests)"
        )
        ctes.append("ok AS (SELECT 1 FROM w WHERE requests <= %s)")
        params += [charge.window_start, charge.rate[0]]
        requests = "(SELECT requests FROM w)"
    else:
        ctes.append("ok AS (SELECT 1 FROM k)")
        requests = "NULL::integer"
    ctes.append(
        f"stored AS (INSERT INTO {log_table} ({insert_columns}) "  # noqa: S608
        f"SELECT * FROM (VALUES {rows_sql}) AS v WHERE EXISTS (SELECT 1 FROM ok))"
    )
    params += rows_params
    ctes.append(
        f"u AS (INSERT INTO {usage} (api_key_id, day, {USAGE_COLUMNS}) "  # noqa: S608
        "SELECT id, %s, "
        "CASE WHEN EXISTS (SELECT 1 FROM ok) THEN %s ELSE 0 END, "
        "CASE WHEN EXISTS (SELECT 1 FROM ok) THEN 1 ELSE 0 END, "
        "CASE WHEN EXISTS (SELECT 1 FROM ok) THEN 0 ELSE 1 END, %s "
        f"FROM k {_usage_upsert(usage)})"
    )
    params += [charge.day, logs, charge.nbytes]
    outcome = f"SELECT EXISTS (SELECT 1 FROM k), {requests}, EXISTS (SELECT 1 FROM ok)"  # noqa: S608
    sql = "WITH " + ", ".join(ctes) + " " + outcome
    return sql, params


def charge_key(charge: KeyCharge, logs: int) -> ChargeOutcome:
    """Check and count the request in the caller's transaction, before it writes `logs` rows.

    The caller must write the logs in the same transaction only if the outcome allows it, and
    roll back otherwise nothing is half-counted (a refused request's count is kept on purpose:
    it is how the refusal is recorded).
    """
    keys, windows, usage = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {keys} WHERE id = %s AND version = %s AND revoked_at IS NULL",  # noqa: S608
            [charge.api_key_id, charge.key_version],
        )
        if cursor.fetchone() is None:
            return ChargeOutcome(False, None, False)
        requests, allowed = None, True
        if charge.rate:
            cursor.execute(
                f"INSERT INTO {windows} (api_key_id, window_start, requests) "  # noqa: S608
                "VALUES (%s, %s, 1) ON CONFLICT (api_key_id, window_start) "
                f"DO UPDATE SET requests = {windows}.requests + 1 RETURNING requests",
                [charge.api_key_id, charge.window_start],
            )
            [requests] = cursor.fetchone()
            allowed = requests <= charge.rate[0]
        cursor.execute(
            f"INSERT INTO {usage} (api_key_id, day, {USAGE_COLUMNS}) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, %s) {_usage_upsert(usage)}",
            [
                charge.api_key_id,
                charge.day,
                logs if allowed else 0,
                int(allowed),
                int(not allowed),
                charge.nbytes,
            ],
        )
    return ChargeOutcome(True, requests, allowed)
