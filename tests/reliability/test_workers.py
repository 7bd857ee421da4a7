"""Several gunicorn workers sharing one database: a key each worker has cached is refused on its
very next request once revoked, the rate limit holds across workers, and usage counters are
exact at once and outlive the workers. A real `gunicorn` serves the test database, so these run
on PostgreSQL (SQLite's test database lives in the test's memory)."""

import os
import signal
import time

import pytest
from django.core.management import call_command

from logstore.models import ApiKeyUsage, Log

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 3


def until_every_worker(server, raw_key, status, since=0, rounds=20):
    statuses = []
    for _ in range(rounds):
        statuses += server.burst(raw_key, 12)
        time.sleep(0.2)  # the access log line follows the response
        if len(server.workers(since, status)) == WORKERS:
            break
    return statuses


def test_a_key_revoked_is_refused_on_its_next_request_in_every_worker(server, key):
    running = server(workers=WORKERS, LOGSTORE_RATE_LIMIT="off")
    statuses = until_every_worker(running, key.raw, 200)
    assert set(statuses) == {200}
    assert len(running.workers(status=200)) == WORKERS  # every worker has the key cached
    stored = Log.objects.count()

    key.revoke()
    since = len(running.served)
    statuses = until_every_worker(running, key.raw, 401, since=since)
    assert set(statuses) == {401}, statuses
    assert running.workers(since) == running.workers(since, 401)
    assert len(running.workers(since, 401)) == WORKERS
    assert Log.objects.count() == stored


def test_the_rate_limit_holds_exactly_across_workers(server, key):
    running = server(workers=WORKERS, LOGSTORE_RATE_LIMIT="25/day")
    statuses = running.burst(key.raw, 60, threads=9)
    assert statuses.count(200) == 25 and statuses.count(429) == 35
    assert len(running.workers()) > 1
    assert Log.objects.filter(api_key=key).count() == 25


def test_usage_counts_are_exact_at_once_and_survive_killed_workers(server, key):
    running = server(workers=WORKERS, LOGSTORE_RATE_LIMIT="off")
    statuses = running.burst(key.raw, 90, threads=9)
    assert set(statuses) == {200}
    for pid in running.worker_pids():
        os.kill(pid, signal.SIGKILL)
    # No later request, no worker alive: what `manage.py maintain` folds is every request.
    call_command("maintain")
    usage = ApiKeyUsage.objects.get(api_key=key)
    assert (usage.accepted_requests, usage.accepted_logs) == (90, 90)
