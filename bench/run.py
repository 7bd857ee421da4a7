"""`make bench`: ingest throughput, latency, query times and memory on the local PostgreSQL,
and (4)'s queries and pages on ClickHouse (in-process chDB) beside it.

Creates its own database, starts gunicorn on 127.0.0.1 the way `make run` does, measures, prints
a table, saves it as JSON under bench/results/, then stops the server and drops the database.

    python -m bench.run [--rows 1000000 | --ten-million] [--port 8106] [--keep]

A load that takes most of an hour can be split from what is measured on it: `--stop-after-load`
keeps the database after (1)-(3) and the load, and `--resume bench/results/<file>.json` goes on
from there in a later process, recording each part's commit in the results.
"""

import argparse
import http.client
import json
import logging
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(seconds):
    return round(seconds * 1000, 2) if seconds is not None else None


def peak_rss_mb(pid):
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def shown(command):
    return " ".join([Path(command[0]).name, *command[1:]])


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


class Bench:
    def __init__(self, args):
        self.args = args
        self.server_url = args.server_url.rstrip("/")
        self.db_url = f"{self.server_url}/{args.database}"
        self.results = {}
        self.gunicorn = None

    # --- database and server ------------------------------------------------------------------
    def admin_sql(self, sql):
        with psycopg.connect(f"{self.server_url}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self):
        self.admin_sql(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')
        self.admin_sql(f'CREATE DATABASE "{self.args.database}"')
        self.connect()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.db import connection

        self.results["machine"]["postgresql"] = connection.pg_version
        from logstore.models import ApiKey, Workspace
        from logstore.storage.partitions import ensure_partitions

        ensure_partitions(days_ahead=2, days_behind=self.args.days + 1)
        self.workspace = Workspace.objects.create(name="Bench", slug="bench")
        self.other = Workspace.objects.create(name="Other", slug="other")
        self.key, self.raw_key = ApiKey.generate(self.workspace, "bench")
        self.other_key, _ = ApiKey.generate(self.other, "bench")

    def connect(self):
        os.environ["DATABASE_URL"] = self.db_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
        import django

        django.setup()
        # Pages rendered in this process would log a line each; the server's own logs stay on.
        logging.getLogger("logstore.requests").setLevel(logging.WARNING)

    def resume(self):
        """Go on with a run that stopped after its load (`--stop-after-load`), on its database."""
        self.results = json.loads(self.path.read_text())
        self.results.setdefault("resumed", []).append(
            {"commit": git_commit(), "load_average": [round(x, 2) for x in os.getloadavg()]}
        )
        self.connect()
        from logstore.models import Workspace

        self.workspace = Workspace.objects.get(slug="bench")
        self.samples = json.loads(self.samples_path.read_text())

    @property
    def samples_path(self):
        return self.path.with_name(self.path.stem + "-samples.json")

    def wait_for_database(self, seconds=120):
        from django.db import connections

        connections.close_all()
        deadline = time.monotonic() + seconds
        while True:
            try:
                with psycopg.connect(self.db_url, connect_timeout=5) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def server_command(self, server):
        """The command line of one server choice; "gthread" is what `make run` serves
        (gunicorn.conf.py; the bench passes its flags explicitly)."""
        bind, workers, threads = f"127.0.0.1:{self.args.port}", self.args.workers, self.args.threads
        gunicorn = [
            str(Path(sys.executable).parent / "gunicorn"),
            "project.wsgi",
            f"--bind={bind}",
            "--timeout=120",
            # Other gunicorns on this machine share the default control socket path.
            "--no-control-socket",
        ]
        # gunicorn.conf.py (read from the working directory) names the worker class, so each
        # choice names its own: the command line wins over the file.
        return {
            "sync": [*gunicorn, f"--workers={workers}", "--worker-class=sync"],
            "sync-2x": [*gunicorn, f"--workers={2 * workers}", "--worker-class=sync"],
            "gthread": [
                *gunicorn,
                f"--workers={workers}",
                "--worker-class=project.gunicorn_worker.JSONErrorThreadWorker",
                f"--threads={threads}",
            ],
            "granian": [
                str(Path(sys.executable).parent / "granian"),
                "--interface=wsgi",
                "--host=127.0.0.1",
                f"--port={self.args.port}",
                f"--workers={workers}",
                f"--blocking-threads={threads}",
                "--no-access-log",
                "project.wsgi:application",
            ],
        }[server]

    def start_server(self, server=None):
        server = server or self.args.server
        env = {
            **os.environ,
            "DATABASE_URL": self.db_url,
            "LOGSTORE_BENCH_ENDPOINTS": "true",
            "LOG_LEVEL": "WARNING",
            # Counted as always, but never reached: a 429 is not what is measured.
            "LOGSTORE_RATE_LIMIT": "10000000/min",
            # A thread per connection in flight.
            "DB_POOL_MAX_SIZE": str(max(4, self.args.threads)),
        }
        # As `make run` does, minus the access log (a line per request is not what we measure).
        self.gunicorn = subprocess.Popen(self.server_command(server), cwd=ROOT, env=env)
        self.results.setdefault("server", shown(self.server_command(server)))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("POST", "/bench/no-database", b"{}")
                if status == 200 and len(children(self.gunicorn.pid)) >= self.args.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop_server(self):
        if self.gunicorn and self.gunicorn.poll() is None:
            self.gunicorn.send_signal(signal.SIGTERM)
            self.gunicorn.wait(timeout=30)

    def request(self, method, path, body, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
        try:
            conn.request(
                method,
                path,
                body=body,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    # --- (1) the ceiling -----------------------------------------------------------------------
    def ceiling(self, items):
        from django.db import connection

        from logstore.core.ids import uuid7
        from logstore.ingestion.store import prepare_logs
        from logstore.storage.orm import copy_rows, log_rows

        logs = prepare_logs(items, {})
        rows = list(log_rows(self.workspace.pk, self.key.pk, [uuid7() for _ in logs], logs))
        days = sorted({log.created_at.date() for log in logs})
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_ceiling")
            cursor.execute(
                "CREATE TABLE bench_ceiling (LIKE logstore_log INCLUDING ALL) "  # indexes, lz4
                "PARTITION BY RANGE (created_at)"
            )
            cursor.execute("CREATE TABLE bench_ceiling_default PARTITION OF bench_ceiling DEFAULT")
            for day in days:
                cursor.execute(
                    f"CREATE TABLE bench_ceiling_{day:%Y%m%d} PARTITION OF bench_ceiling "
                    "FOR VALUES FROM (%s) TO (%s)",
                    [day, day + timedelta(days=1)],
                )
        chunk = self.args.ceiling_chunk
        started = time.perf_counter()
        # Autocommit: each COPY is its own transaction, as each POST /logs is.
        for i in range(0, len(rows), chunk):
            with connection.cursor() as cursor:
                copy_rows(cursor.cursor, "bench_ceiling", rows[i : i + chunk])
        elapsed = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_ceiling")
        self.results["1_ceiling_copy"] = {
            "rows": len(rows),
            "rows_per_commit": chunk,
            "seconds": round(elapsed, 2),
            "rows_per_s": round(len(rows) / elapsed),
        }

    # --- (2) batches of 100 over HTTP ---------------------------------------------------------
    def batches(self, items):
        size = 100
        bodies = [orjson.dumps(items[i : i + size]) for i in range(0, len(items), size)]
        elapsed = self.post_concurrently("/v1/logs", bodies)
        workers = children(self.gunicorn.pid)
        self.results["2_http_batches"] = {
            "logs": len(items),
            "batch_size": size,
            "client_connections": self.args.clients,
            "seconds": round(elapsed, 2),
            "logs_per_s": round(len(items) / elapsed),
            "ratio_to_ceiling": round(
                len(items) / elapsed / self.results["1_ceiling_copy"]["rows_per_s"], 2
            ),
            "worker_peak_rss_mb": max(peak_rss_mb(pid) for pid in workers),
        }

    def post_concurrently(self, path, bodies, content_type="application/json"):
        """Seconds to POST every body from `--clients` connections; any non-200 is fatal."""
        headers = {"x-portkey-api-key": self.raw_key, "Content-Type": content_type}
        queue = list(bodies)
        lock = threading.Lock()
        failures = []

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                status, text = self.request("POST", path, body, headers)
                if status != 200:
                    failures.append((status, text[:200]))

        threads = [threading.Thread(target=worker) for _ in range(self.args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise RuntimeError(f"{len(failures)} posts to {path} failed, first: {failures[0]}")
        return elapsed

    # --- (2b) the same spans as OTLP and as POST /logs -----------------------------------------
    def otlp_batches(self, items):
        from bench.otlp import as_post_logs_bodies, export_requests

        size = 100
        otlp_bodies = export_requests(items, size)
        logs_bodies = as_post_logs_bodies(otlp_bodies)
        otlp_path, protobuf = "/v1/otel/v1/traces", "application/x-protobuf"
        # Untimed first batches pay for what either route pays once (new metadata keys, cold
        # workers); then two alternating rounds, the best of each, to damp a shared machine.
        self.post_concurrently(otlp_path, otlp_bodies[:1], protobuf)
        self.post_concurrently("/v1/logs", logs_bodies[:1])
        otlp, logs = [], []
        for _ in range(2):
            otlp.append(self.post_concurrently(otlp_path, otlp_bodies, protobuf))
            logs.append(self.post_concurrently("/v1/logs", logs_bodies))
        otlp, logs = min(otlp), min(logs)
        self.results["2b_otlp_batches"] = {
            "spans": len(items),
            "batch_size": size,
            "client_connections": self.args.clients,
            "rounds": 2,
            "otlp_protobuf_bytes_per_batch": round(sum(map(len, otlp_bodies)) / len(otlp_bodies)),
            "post_logs_bytes_per_batch": round(sum(map(len, logs_bodies)) / len(logs_bodies)),
            "otlp_spans_per_s": round(len(items) / otlp),
            "post_logs_spans_per_s": round(len(items) / logs),
            "ratio_otlp_to_post_logs": round(logs / otlp, 2),
        }

    # --- (3) single logs at 32 connections -----------------------------------------------------
    def single(self, path, bodies, headers):
        latencies, failures = [], []
        stop_at = time.monotonic() + self.args.single_seconds
        lock = threading.Lock()

        def worker(offset):
            mine = []
            i = offset
            while time.monotonic() < stop_at:
                body = bodies[i % len(bodies)]
                i += self.args.connections
                started = time.perf_counter()
                status, text = self.request("POST", path, body, headers)
                mine.append(time.perf_counter() - started)
                if status != 200:
                    failures.append((status, text[:200]))
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.args.connections)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise RuntimeError(f"{len(failures)} requests to {path} failed: {failures[0]}")
        return {
            "requests": len(latencies),
            "req_per_s": round(len(latencies) / elapsed),
            "p50_ms": ms(percentile(latencies, 0.5)),
            "p99_ms": ms(percentile(latencies, 0.99)),
        }

    def single_logs(self, items, key="3_single_log"):
        bodies = [orjson.dumps(item) for item in items]
        headers = {"x-portkey-api-key": self.raw_key}
        floor = self.single("/bench/no-database", bodies, {})
        logs = self.single("/v1/logs", bodies, headers)
        self.results[key] = {
            "connections": self.args.connections,
            "seconds_each": self.args.single_seconds,
            "post_logs": logs,
            "no_database_view": floor,
            "ratio_to_no_database": round(logs["req_per_s"] / floor["req_per_s"], 2),
        }

    # --- (4) queries at scale ------------------------------------------------------------------
    def load(self, rows):
        from django.db import OperationalError, connection

        self.stop_server()

        from bench.dataset import RowSource
        from logstore.models import Log
        from logstore.storage.orm import copy_rows

        end = datetime.now(UTC)
        source = RowSource(
            [(self.workspace.pk, self.key.pk, 9), (self.other.pk, self.other_key.pk, 1)],
            start=end - timedelta(days=self.args.days),
            end=end,
        )
        started = time.perf_counter()
        chunk = 50_000
        generator = source.rows(rows)
        loaded = 0
        while loaded < rows:
            batch = [next(generator) for _ in range(min(chunk, rows - loaded))]
            try:
                with connection.cursor() as cursor:
                    copy_rows(cursor.cursor, Log._meta.db_table, batch)
            except OperationalError:
                # Each chunk is its own transaction: after a server restart, go on from here.
                self.wait_for_database()
                continue
            loaded += len(batch)
            print(f"  loaded {loaded:,} rows", end="\r", flush=True)
        load_seconds = time.perf_counter() - started
        # As a bulk load should: analyze what it touched (logstore.storage.partitions).
        from logstore.storage.partitions import analyze_stale_partitions

        analyzed = time.perf_counter()
        analyze_stale_partitions()
        analyze_seconds = time.perf_counter() - analyzed
        self.samples = source.samples
        self.samples_path.write_text(json.dumps(self.samples))
        self.results["4_load"] = {
            "rows": rows,
            "days": self.args.days,
            "seconds": round(load_seconds, 1),
            "rows_per_s": round(rows / load_seconds),
            "analyze_touched_partitions_seconds": round(analyze_seconds, 1),
        }

    def analyze(self):
        """The bench's own VACUUM ANALYZE: the queries are measured before it and after."""
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE logstore_log")
        self.results["4_load"]["vacuum_analyze_seconds"] = round(time.perf_counter() - started, 1)

    def rollups(self):
        """What `manage.py maintain` does on its first run: roll up the loaded window."""
        from logstore.query import rollups

        started = time.perf_counter()
        written = rollups.refresh()
        self.results["4_rollups"] = {
            "rows_written": written,
            "seconds": round(time.perf_counter() - started, 1),
        }

    def queries(self, key="4_queries"):
        from django.utils import timezone

        from logstore.models import Log
        from logstore.query.filters import LogFilter
        from logstore.storage import get_store
        from logstore.storage.port import LogCriteria

        rng = random.Random(5)
        base = Log.objects.filter(workspace=self.workspace)
        samples = self.samples

        def filtered(params):
            fs = LogFilter(params, queryset=base)
            assert fs.is_valid(), fs.errors
            return fs.qs

        def trace():
            return list(
                filtered({"trace_id": rng.choice(samples["trace_id"])}).order_by("created_at")
            )

        def user():
            return list(filtered({"user": rng.choice(samples["user"])})[:50])

        store = get_store()

        def metadata():
            pairs = [rng.choice(rng.choice(samples["metadata"]))]
            return latest_with(store, self.workspace, pairs)

        def two_pairs():
            pairs = rng.sample(rng.choice(samples["metadata"]), 2)
            return latest_with(store, self.workspace, pairs)

        whole_workspace = LogCriteria(workspace_ids=(self.workspace.pk,))

        def chart():
            # What the charts page asks for a workspace over 24 h: rollups for whole hours.
            end = timezone.now()
            return store.timeseries(whole_workspace, end - timedelta(hours=24), end)

        page = page_fetcher(signed_in_client())

        metadata_page = "/?" + urlencode({"metadata": samples["metadata"][0][0]})
        metadata_key = samples["metadata"][0][0].partition("=")[0]
        measured = {
            "trace_lookup": trace,
            "user_filter_latest_50": user,
            "metadata_filter_latest_50": metadata,
            "two_metadata_pairs_latest_50": two_pairs,
            "chart_24h_by_hour": chart,
            "admin_changelist_page": page("/admin/logstore/log/"),
            "admin_trace_search_page": page(
                "/admin/logstore/log/?" + urlencode({"q": samples["trace_id"][0]})
            ),
            "web_list_page": page("/"),
            "web_list_metadata_page": page(metadata_page),
            "web_trace_page": page(f"/traces/{samples['trace_id'][0]}/"),
            "web_charts_24h_page": page("/charts/?since=24h"),
            "web_charts_7d_page": page("/charts/?since=7d"),
            "web_charts_30d_page": page("/charts/?since=30d"),
            "web_users_24h_page": page("/users/?since=24h"),
            "web_users_7d_page": page("/users/?since=7d"),
            "web_users_by_metadata_key_24h_page": page(
                "/users/?" + urlencode({"since": "24h", "by_key": metadata_key})
            ),
            **search_pages(page, rng),
        }
        out = timings(measured, self.args.repeats)
        self.results[key] = {
            "rows": self.results["4_load"]["rows"],
            "repeats": self.args.repeats,
            "note": "queries through LogFilter; pages rendered in-process by Django's test client "
            "as a signed-in superuser (server time, no network)",
            **out,
        }

    def backends(self):
        from bench.backends import side_by_side

        self.results["4_backends"] = side_by_side(self)

    # --- (5) export memory ---------------------------------------------------------------------
    def export(self):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.export", "--workspace", "bench"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": self.db_url},
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(done.stdout.strip().splitlines()[-1])
        report["seconds"] = round(time.perf_counter() - started, 1)
        self.results["5_export"] = report

    # --- the run -------------------------------------------------------------------------------
    def run(self):
        from bench.logs import LogFactory

        began = time.perf_counter()
        if self.args.resume:
            self.resume()
        else:
            self.results["machine"] = machine()
            self.results["commit"] = git_commit()
            self.results["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
            self.create_database()
        # (1) and (2) take the same logs; a resumed run takes neither.
        items = cache(lambda: LogFactory(seed=1).batch(self.args.http_logs))
        otlp_spans = self.args.otlp_spans
        steps = [
            (
                f"(1) COPY ceiling with {self.args.http_logs:,} logs",
                lambda: self.ceiling(items()),
            ),
            ("(2) POST /logs in batches of 100", lambda: self.with_server(self.batches, items())),
            (
                "(2b) the same spans by OTLP and by POST /logs, batches of 100",
                lambda: self.with_server(self.otlp_batches, LogFactory(seed=3).batch(otlp_spans)),
            ),
            (
                f"(3) single-log POST /logs at {self.args.connections} connections",
                lambda: self.with_server(self.single_logs, LogFactory(seed=2).batch(2000)),
            ),
            (f"(4) loading {self.args.rows:,} rows with COPY", lambda: self.load(self.args.rows)),
            ("(4) rolling up the loaded hours for the charts", self.rollups),
            (
                "(4) queries before the bench's own VACUUM ANALYZE",
                lambda: self.queries("4_queries_before_analyze"),
            ),
            ("(4) VACUUM ANALYZE", self.analyze),
            ("(4) queries", self.queries),
            ("(4) the same through the log store: PostgreSQL, then ClickHouse", self.backends),
            ("(5) JSONL export of the workspace", self.export),
        ]
        if self.args.only_queries:
            steps = [step for step in steps if step[0].startswith("(4)")]
        if self.args.no_clickhouse:
            steps = [step for step in steps if step[1] != self.backends]
        loaded = next(i for i, (title, _) in enumerate(steps) if title.startswith("(4) loading"))
        if self.args.stop_after_load:
            steps = steps[: loaded + 1]
            self.results["stopped_after_load"] = True
        elif self.args.resume:
            steps = steps[loaded + 1 :]
        for title, step in steps:
            print(title, flush=True)
            try:
                step()
            except Exception as exc:
                from django.db import OperationalError

                if not isinstance(exc, OperationalError | psycopg.OperationalError):
                    raise
                # Someone restarted PostgreSQL under us: note it and run the step once more.
                self.results.setdefault("steps_retried_after_database_errors", []).append(title)
                self.stop_server()
                self.wait_for_database()
                print(f"{title}: retrying after {exc!r}", flush=True)
                step()
            self.save()
        self.results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        seconds = round(time.perf_counter() - began, 1)
        self.results["total_seconds"] = self.results.get("total_seconds", 0) + seconds
        self.save()

    def compare_servers(self):
        """(3) under each server choice, one after the other in one run."""
        from bench.logs import LogFactory

        self.results["machine"] = machine()
        self.results["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
        self.create_database()
        items = LogFactory(seed=2).batch(2000)
        for server in self.args.servers.split(","):
            print(f"(3) single-log POST /logs under {server}", flush=True)
            self.start_server(server)
            try:
                self.single_logs(items, key=f"3_single_log_{server}")
                self.results[f"3_single_log_{server}"]["command"] = shown(
                    self.server_command(server)
                )
            finally:
                self.stop_server()
            self.save()
        self.results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.save()

    def with_server(self, step, items):
        from django.db import connections

        connections.close_all()
        if self.gunicorn is None or self.gunicorn.poll() is not None:
            self.start_server()
        step(items)

    def save(self):
        self.path.write_text(json.dumps(self.results, indent=2, default=str))


def signed_in_client():
    """Django's test client, signed in as the bench's superuser (made once per database)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    operator = users.filter(username="bench-operator").first()
    if operator is None:
        operator = users.create_superuser("bench-operator", "", None)
    # Django answers only ALLOWED_HOSTS; the test client says "testserver" by default.
    client = Client(raise_request_exception=True, HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    return client


def page_fetcher(client):
    """page(url) -> a measure that renders `url` and insists on a 200."""

    def page(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return fetch

    return page


def latest_with(store, workspace, pairs):
    """The workspace's latest 50 with these `key=value` pairs, through the store's page as every
    list surface reads it: that is where the plan for metadata pairs is chosen
    (logstore.storage.orm.metadata_page)."""
    from django.http import QueryDict

    from logstore.models import Log
    from logstore.query.filters import LogFilter

    params = QueryDict(mutable=True)
    params.setlist("metadata", pairs)
    filters = LogFilter(params, queryset=Log.objects.filter(workspace=workspace))
    assert filters.is_valid(), filters.errors
    return store.page(filters.criteria(workspace_ids=(workspace.pk,)), size=50).rows


def timings(measured, repeats):
    """{name: p50 and p95 in ms} of each measure, run once untimed to warm plans and caches."""
    out = {}
    for name, query in measured.items():
        query()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            query()
            times.append(time.perf_counter() - started)
        out[name] = {"p50_ms": ms(percentile(times, 0.5)), "p95_ms": ms(percentile(times, 0.95))}
    return out


def search_pages(page, rng):
    """The web list's search and cost sort over its default 24 h window: a common word (the
    first 50 matches come early), a word no log holds (every row of the window is looked at,
    or the index says none), two letters (below the trigram index: a capped scan)."""

    def absent():
        return page(f"/?q=nowhere{rng.randint(0, 10**9)}")()

    return {
        "web_search_common_word_24h_page": page("/?q=refund"),
        "web_search_absent_word_24h_page": absent,
        "web_search_two_letters_24h_page": page("/?q=zq"),
        "web_sort_by_cost_24h_page": page("/?sort=cost"),
    }


def git_commit():
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or None


def machine():
    with open("/proc/cpuinfo") as cpuinfo:
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), ""
        )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="logstore_bench")
    parser.add_argument("--port", type=int, default=8106)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8, help="per worker (gthread, granian)")
    parser.add_argument(
        "--server", default="gthread", choices=["sync", "sync-2x", "gthread", "granian"]
    )
    parser.add_argument(
        "--compare-servers",
        action="store_true",
        help="only (3), under each of --servers in turn",
    )
    parser.add_argument("--servers", default="sync,sync-2x,gthread,granian")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ten-million", action="store_true", help="(4) and (5) at 10M rows")
    parser.add_argument("--days", type=int, default=30, help="days the loaded rows span")
    parser.add_argument("--http-logs", type=int, default=20_000)
    parser.add_argument("--otlp-spans", type=int, default=10_000)
    parser.add_argument("--ceiling-chunk", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=6, help="connections posting batches")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--single-seconds", type=float, default=15)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--only-queries", action="store_true", help="only (4): load, then query both backends"
    )
    parser.add_argument(
        "--no-clickhouse",
        action="store_true",
        help="(4) on PostgreSQL only: chDB copies rows at a few thousand a second in-process, "
        "so a 10M side-by-side takes longer than the rest of the run",
    )
    parser.add_argument(
        "--stop-after-load",
        action="store_true",
        help="stop after (4)'s load and keep the database, to go on later with --resume",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="RESULTS_JSON",
        help="go on from a --stop-after-load run's results file, on its database",
    )
    args = parser.parse_args()
    if args.ten_million:
        args.rows = 10_000_000
    if args.stop_after_load:
        args.keep = True
    bench = Bench(args)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    bench.path = args.resume.resolve() if args.resume else RESULTS / f"bench-{stamp}.json"
    # Made before any step: an --only-queries run writes its samples before its first results.
    RESULTS.mkdir(exist_ok=True)
    try:
        bench.compare_servers() if args.compare_servers else bench.run()
    finally:
        bench.stop_server()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            try:
                bench.admin_sql(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            except psycopg.Error as exc:
                print(f"could not drop {args.database}: {exc}", file=sys.stderr)
        print(f"\nresults in {bench.path.relative_to(ROOT)}")
    from bench.report import servers_table, table

    print()
    print(servers_table(bench.results) if args.compare_servers else table(bench.results))


if __name__ == "__main__":
    main()
