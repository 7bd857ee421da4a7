"""What one ingest request charges its API key, checked and recorded with the write itself.

A write carries a `KeyCharge`: the key's cached version and the request's usage. The statement
that stores the logs also checks that the key is still active at that version and appends the
request's UsageEvent, so a worker's cached key is refused the moment it is revoked or changed,
and usage is durable as soon as the request is answered: `charge_key` runs the check and the
append inside the write's transaction.

Nothing here updates a row shared by requests: a per-key counter updated in the log's statement
would stay locked until the commit reached the disk, and every request of the key would queue
behind it.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import timezone

from logstore.models import ApiKey, Log, UsageEvent


class KeyRefused(Exception):
    """The key was revoked, deleted or changed since this worker verified it."""


@dataclass(frozen=True)
class KeyCharge:
    api_key_id: int
    key_version: int
    nbytes: int
    day: date

    @classmethod
    def for_request(cls, api_key, nbytes):
        return cls(api_key.pk, api_key.version, nbytes, timezone.now().date())


USAGE_COLUMNS = (
    "api_key_id, day, accepted_logs, accepted_requests, rejected_requests, bytes_received"
)
KEY_CHECK = "WHERE id = %s AND version = %s AND revoked_at IS NULL"


def _tables():
    q = connection.ops.quote_name
    return q(ApiKey._meta.db_table), q(UsageEvent._meta.db_table), q(Log._meta.db_table)


def charge_key(charge: KeyCharge, logs: int):
    """Check the key and record the request's usage in the caller's transaction, which must
    then write the logs; raises KeyRefused, having written nothing."""
    keys, events, _ = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} ({USAGE_COLUMNS}) "  # noqa: S608
            f"SELECT id, %s, %s, 1, 0, %s FROM {keys} {KEY_CHECK}",
            [charge.day, logs, charge.nbytes, charge.api_key_id, charge.key_version],
        )
        if cursor.rowcount != 1:
            raise KeyRefused()
