"""Several gunicorn workers sharing one database: a key each worker has cached is refused on its
very next request once revoked, the rate limit holds across workers, and usage counters are
exact at once and outlive the workers. A real `gunicorn` serves the test database, so these run
on PostgreSQL (SQLite's test database lives in the test's memory)."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from logstore.models import ApiKey, ApiKeyUsage, Log
from tests.payloads import openai_chat

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3


class Server:
    def __init__(self, tmp_path, **env):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        self.served = []  # (worker pid, status), from gunicorn's access log
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "project.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={WORKERS}",
                "--access-logfile=-",
                "--access-logformat=served %(p)s %(s)s",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": url,
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "LOG_LEVEL": "WARNING",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read_access_log, daemon=True).start()
        deadline = time.monotonic() + 60
        while self.get("/healthz") != 200:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)

    def _read_access_log(self):
        for line in self.process.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "served":
                self.served.append((int(parts[1].strip("<>")), int(parts[2])))

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def get(self, path):
        try:
            return self.request("GET", path, timeout=5)
        except OSError:
            return None

    def post_log(self, raw_key):
        return self.request(
            "POST",
            "/v1/logs",
            json.dumps(openai_chat()).encode(),
            {"Content-Type": "application/json", "x-portkey-api-key": raw_key},
        )

    def burst(self, raw_key, count, threads=6):
        """Concurrent requests, so that every sync worker takes some."""
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda _: self.post_log(raw_key), range(count)))

    def workers(self, since=0, status=None):
        return {pid for pid, s in self.served[since:] if status is None or s == status}

    def worker_pids(self):
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return {int(pid) for pid in out.stdout.split()}

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def server(tmp_path):
    servers = []

    def start(**env):
        servers.append(Server(tmp_path, **env))
        return servers[-1]

    yield start
    for running in servers:
        running.stop()


@pytest.fixture
def key(workspace):
    api_key, raw = ApiKey.generate(workspace, "workers")
    api_key.raw = raw
    return api_key


def until_every_worker(server, raw_key, status, since=0, rounds=20):
    statuses = []
    for _ in range(rounds):
        statuses += server.burst(raw_key, 12)
        time.sleep(0.2)  # the access log line follows the response
        if len(server.workers(since, status)) == WORKERS:
            break
    return statuses


def test_a_key_revoked_is_refused_on_its_next_request_in_every_worker(server, key):
    running = server(LOGSTORE_RATE_LIMIT="off")
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
    running = server(LOGSTORE_RATE_LIMIT="25/day")
    statuses = running.burst(key.raw, 60, threads=9)
    assert statuses.count(200) == 25 and statuses.count(429) == 35
    assert len(running.workers()) > 1
    assert Log.objects.filter(api_key=key).count() == 25


def test_usage_counts_are_exact_at_once_and_survive_killed_workers(server, key):
    running = server(LOGSTORE_RATE_LIMIT="off")
    statuses = running.burst(key.raw, 90, threads=9)
    assert set(statuses) == {200}
    for pid in running.worker_pids():
        os.kill(pid, signal.SIGKILL)
    # No later request, no worker alive: what `manage.py maintain` folds is every request.
    call_command("maintain")
    usage = ApiKeyUsage.objects.get(api_key=key)
    assert (usage.accepted_requests, usage.accepted_logs) == (90, 90)
