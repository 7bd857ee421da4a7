"""Durability under failure and load: paced clients post logs to gunicorn on PostgreSQL.

Two scenarios, each ≥ 30 s and ≥ 20,000 logs; afterwards every acknowledged log must be
stored exactly once.

- outage: one gunicorn worker is SIGKILLed and PostgreSQL is stopped for several seconds, both
  while 30% to 70% of the logs are acknowledged, while clients keep retrying, so hundreds of
  requests meet the outage;
- crowd: twice the clients, the rate limit at its default (clients honour Retry-After), and
  one slow client trickling its body over several seconds.

Exits non-zero when a log is lost or duplicated, a failure was not clean, or the chaos missed
its window.

    make loadtest            # or: .venv/bin/python bench/loadtest.py --help

It runs on a PostgreSQL cluster of its own (Debian's `15/loadtest` on port 5433, created on
first use with trust auth for local TCP, stopped at the end), which it stops and starts: the
machine's other PostgreSQL servers are never touched. Not part of `make test`.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only, always


def options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64, help="clients (twice as many in crowd)")
    parser.add_argument("--logs", type=int, default=22_000, help="logs per scenario, in total")
    parser.add_argument("--duration", type=float, default=40, help="seconds clients pace over")
    parser.add_argument("--max-batch", type=int, default=12, help="largest batch a client sends")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument(
        "--pool-timeout",
        type=int,
        default=1,
        help="DB_POOL_TIMEOUT: seconds a request waits for a connection before its 503",
    )
    parser.add_argument("--trickle", type=float, default=10, help="seconds the slow client takes")
    parser.add_argument(
        "--scenario", choices=["outage", "crowd", "both"], default="both", help="which to run"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument(
        "--cluster", default="15/loadtest", help="the Debian cluster (version/name) to use"
    )
    parser.add_argument("--cluster-port", type=int, default=5433)
    parser.add_argument("--database", default="logstore_load")
    parser.add_argument("--deadline", type=float, default=600, help="seconds before giving up")
    parser.add_argument("--no-chaos", action="store_true", help="no worker kill, no restart")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    if args.cluster.endswith("/main") or args.cluster_port == 5432:
        parser.error("the load test stops its cluster: give it one of its own, not main on 5432")
    args.server = f"postgres://postgres@{HOST}:{args.cluster_port}"
    return args


class Tally:
    """What the clients saw, shared by their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}  # marker -> log id the server acknowledged
        self.sent = set()  # markers sent at least once
        self.requests = 0
        self.attempts = 0
        self.failures = Counter()  # "503 json", "connection error"...
        self.unclean = []  # failures that were not a JSON 503 nor a connection error
        self.unexpected = []  # 4xx answers: the client's request was refused
        self.gave_up = 0
        self.attempt_spans = []  # (start, end) of every attempt, monotonic
        self.outage = None  # (down from, up again at), monotonic

    def acknowledged(self):
        with self.lock:
            return len(self.acked)


def make_log(run_id, marker):
    return {
        "request": {
            "url": "https://api.openai.com/v1/chat/completions",
            "method": "POST",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": marker}]},
        },
        "response": {
            "status": 200,
            "body": {"usage": {"prompt_tokens": 9, "completion_tokens": 3}},
            "response_time": random.randint(50, 900),  # noqa: S311
        },
        "metadata": {"_user": f"client-{marker.split('-')[0]}", "lt_run": run_id, "lt": marker},
    }


def post(port, body, headers, timeout=30):
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", "/v1/logs", body=body, headers=headers)
        response = connection.getresponse()
        content_type = response.getheader("Content-Type", "")
        return response.status, content_type, response.read(), response.getheader("Retry-After")
    finally:
        connection.close()


def send_until_acknowledged(args, tally, raw_key, body, idempotency_key, deadline):
    """The retry loop of a careful client: same body, same Idempotency-Key, backing off."""
    headers = {
        "Content-Type": "application/json",
        "x-portkey-api-key": raw_key,
        "Idempotency-Key": idempotency_key,
    }
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        wait = None
        with tally.lock:
            tally.attempts += 1
        began = time.monotonic()
        try:
            status, content_type, data, retry_after = post(args.port, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            with tally.lock:
                tally.failures[f"connection error ({type(exc).__name__})"] += 1
                tally.attempt_spans.append((began, time.monotonic()))
        else:
            with tally.lock:
                tally.attempt_spans.append((began, time.monotonic()))
            if status == 200:
                return json.loads(data)["log_ids"]
            clean_json = content_type.startswith("application/json") and _has_message(data)
            with tally.lock:
                # A 500 would be retried by an SDK too, but an outage must say 503: a 500 here
                # is an error path that did not recognise the database going away.
                if status == 503 and clean_json:
                    tally.failures[f"{status} json"] += 1
                elif status == 429 and clean_json:
                    tally.failures["429 json"] += 1
                    wait = min(float(retry_after or 1), 10.0)
                elif status >= 500:
                    tally.unclean.append((status, content_type, data[:200]))
                else:
                    tally.unexpected.append((status, data[:300]))
                    return None
        if wait is None:  # a short cap keeps clients knocking all through an outage
            wait = min(0.3, 0.02 * 2**attempt) * (0.5 + random.random())  # noqa: S311
        time.sleep(wait)
    return None


def _has_message(data):
    try:
        return bool(json.loads(data).get("message"))
    except (ValueError, AttributeError):
        return False


def client(args, tally, raw_key, run_id, number, deadline, logs, started):
    """Sends `logs` logs, paced evenly over --duration seconds from `started`."""
    rng = random.Random(number)  # noqa: S311
    sequence = 0
    request_number = 0
    while sequence < logs:
        due = started + args.duration * sequence / logs
        time.sleep(max(0.0, due - time.monotonic()))
        # Alternate single logs and batches, as SDKs and tracing handlers do.
        size = 1 if request_number % 2 == 0 else rng.randint(2, args.max_batch)
        size = min(size, logs - sequence)
        markers = [f"{number}-{sequence + i}" for i in range(size)]
        items = [make_log(run_id, m) for m in markers]
        body = json.dumps(items[0] if size == 1 else items).encode()
        with tally.lock:
            tally.requests += 1
            tally.sent.update(markers)
        log_ids = send_until_acknowledged(
            args, tally, raw_key, body, f"{run_id}-{number}-{request_number}", deadline
        )
        with tally.lock:
            if log_ids is None:
                tally.gave_up += 1
            else:
                assert len(log_ids) == size, (log_ids, markers)
                tally.acked.update(zip(markers, log_ids, strict=True))
        sequence += size
        request_number += 1


def gunicorn_workers(master_pid):
    path = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def chaos(args, tally, master_pid, total, events):
    """At 35% of the logs acknowledged, SIGKILL a worker; at 50%, stop PostgreSQL for a while."""
    while tally.acknowledged() < total * 0.35:
        time.sleep(0.02)
    workers = gunicorn_workers(master_pid)
    if workers:
        victim = random.choice(workers)  # noqa: S311
        os.kill(victim, signal.SIGKILL)
        events.append(("SIGKILLed a gunicorn worker", tally.acknowledged() / total))
    while tally.acknowledged() < total * 0.5:
        time.sleep(0.02)
    at = tally.acknowledged() / total
    try:
        cluster(args, "stop", "-m", "fast")
        down = time.monotonic()
        time.sleep(args.outage)
    finally:
        up = time.monotonic()
        cluster(args, "start")
    tally.outage = (down, up)
    events.append((f"stopped PostgreSQL {args.cluster} for {up - down:.1f}s", at))


def cluster(args, action, *options):
    """pg_ctlcluster on the load test's own cluster: never the machine's other servers."""
    version, name = args.cluster.split("/")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action, *options],
        check=True,
        capture_output=True,
    )


def cluster_status(args) -> str | None:
    """ "online", "down", or None when the cluster does not exist."""
    version, name = args.cluster.split("/")
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    for line in listed.stdout.splitlines():
        fields = line.split()
        if fields[:2] == [version, name]:
            if fields[2] != str(args.cluster_port):
                raise SystemExit(
                    f"cluster {args.cluster} listens on {fields[2]}, not {args.cluster_port}"
                )
            return fields[3]
    return None


def start_cluster(args):
    """Creates the cluster on first use (trust auth on loopback, not started at boot)."""
    if cluster_status(args) is None:
        version, name = args.cluster.split("/")
        subprocess.run(
            [
                "pg_createcluster",
                version,
                name,
                "--port",
                str(args.cluster_port),
                "--start-conf",
                "manual",
                "--",
                "--auth-local=trust",
                "--auth-host=trust",
            ],
            check=True,
            capture_output=True,
        )
        print(f"created PostgreSQL cluster {args.cluster} on port {args.cluster_port}")
    if cluster_status(args) != "online":
        cluster(args, "start")


def slow_client(args, tally, raw_key, run_id, deadline):
    """One log whose body arrives a few bytes at a time over --trickle seconds. The server may
    answer before the body is in (a 429 once the key's rate is spent): the answer is read,
    and the client tries again as the others do."""
    marker = "slow-0"
    body = json.dumps(make_log(run_id, marker)).encode()
    head = (
        f"POST /v1/logs HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"x-portkey-api-key: {raw_key}\r\nIdempotency-Key: {run_id}-slow\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with tally.lock:
        tally.requests += 1
        tally.sent.add(marker)
    while time.monotonic() < deadline:
        with tally.lock:
            tally.attempts += 1
        status, retry_after, payload = trickle(args, head, body)
        if status == 200:
            with tally.lock:
                tally.acked[marker] = json.loads(payload)["log_ids"][0]
            return
        with tally.lock:
            if status in {429, 503}:
                tally.failures[f"{status} json (slow client)"] += 1
            else:
                tally.unexpected.append((status, payload[:300]))
                return
        time.sleep(min(float(retry_after or 1), 10.0))
    with tally.lock:
        tally.gave_up += 1


def trickle(args, head, body, pieces=50):
    """(status, Retry-After, body) of one slow request; stops sending once answered."""
    step = -(-len(body) // pieces)
    with socket.create_connection((HOST, args.port), timeout=args.trickle + 60) as sock:
        sock.sendall(head)
        try:
            for offset in range(0, len(body), step):
                sock.sendall(body[offset : offset + step])
                time.sleep(args.trickle / pieces)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early; the answer waits in the socket
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Retry-After"), response.read()


def prepare_database(args):
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    env = server_env(args)
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=REPO, env=env, check=True)
    created = subprocess.run(
        [*manage, "create_api_key", "--workspace", "loadtest", "--name", "loadtest"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return created.stdout.strip().splitlines()[-1]


def server_env(args, metrics_dir=None, default_rate_limit=False):
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.server}/{args.database}",
        "LOGSTORE_RATE_LIMIT": "1000000/min",  # counted, never reached
        "DB_POOL_TIMEOUT": str(args.pool_timeout),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    if default_rate_limit:
        env.pop("LOGSTORE_RATE_LIMIT")
    if metrics_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    return env


def start_server(args, metrics_dir, log_file, default_rate_limit=False):
    command = [
        str(BIN / "gunicorn"),
        "project.wsgi",
        "--bind",
        f"{HOST}:{args.port}",
        "--workers",
        str(args.workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
    ]
    server = subprocess.Popen(
        command,
        cwd=REPO,
        env=server_env(args, metrics_dir, default_rate_limit),
        stdout=log_file,
        stderr=log_file,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection(HOST, args.port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not become ready on {HOST}:{args.port}")


def stored_rows(args, run_id):
    query = (
        "SELECT id::text, metadata_index->>'lt' FROM logstore_log "
        "WHERE metadata_index->>'lt_run' = %s"
    )
    for _ in range(30):  # PostgreSQL may still be finishing its restart
        try:
            with psycopg.connect(f"{args.server}/{args.database}") as connection:
                return connection.execute(query, [run_id]).fetchall()
        except psycopg.OperationalError:
            time.sleep(1)
    raise SystemExit("could not read the stored logs back")


def run_scenario(args, raw_key, name):
    """One scenario against a fresh gunicorn; returns the problems found (none is a pass)."""
    crowd = name == "crowd"
    clients = args.clients * (2 if crowd else 1)
    run_id = uuid.uuid4().hex[:12]
    per_client = [args.logs // clients + (n < args.logs % clients) for n in range(clients)]
    total = args.logs + (1 if crowd else 0)
    metrics_dir = tempfile.mkdtemp(prefix="logstore-loadtest-metrics-")
    log_path = REPO / "var" / f"loadtest-{name}-gunicorn.log"
    log_path.parent.mkdir(exist_ok=True)
    events = []
    tally = Tally()
    with log_path.open("wb") as log_file:
        server = start_server(args, metrics_dir, log_file, default_rate_limit=crowd)
        started = time.monotonic()
        deadline = started + args.deadline
        try:
            threads = [
                threading.Thread(
                    target=client,
                    args=(args, tally, raw_key, run_id, n, deadline, per_client[n], started),
                    daemon=True,
                )
                for n in range(clients)
            ]
            if crowd:
                threads.append(
                    threading.Thread(
                        target=slow_client,
                        args=(args, tally, raw_key, run_id, deadline),
                        daemon=True,
                    )
                )
            elif not args.no_chaos:
                threads.append(
                    threading.Thread(
                        target=chaos, args=(args, tally, server.pid, total, events), daemon=True
                    )
                )
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()) + 60)
            elapsed = time.monotonic() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    rows = stored_rows(args, run_id)
    stored_by_marker = Counter(marker for _, marker in rows)
    stored_ids = {log_id for log_id, _ in rows}
    duplicates = sum(n - 1 for n in stored_by_marker.values() if n > 1)
    lost = sorted(m for m, log_id in tally.acked.items() if log_id not in stored_ids)
    unacked_stored = sorted(set(stored_by_marker) - set(tally.acked))
    met = sent_in = 0
    if tally.outage:
        down, up = tally.outage
        met = sum(1 for began, ended in tally.attempt_spans if began < up and ended > down)
        sent_in = sum(1 for began, _ in tally.attempt_spans if down <= began < up)

    print(f"{name} (run {run_id}): {clients} clients, {args.workers} workers", end="")
    print(", slow client, default rate limit" if crowd else "")
    for event, fraction in events:
        print(f"  {event} at {fraction:.0%} of the logs acknowledged")
    print(f"  requests      {tally.requests} ({tally.attempts} attempts)")
    print(f"  sent          {len(tally.sent)}")
    print(f"  acknowledged  {len(tally.acked)}")
    print(f"  stored        {len(rows)}")
    print(f"  duplicates    {duplicates}")
    print(f"  lost          {len(lost)}")
    print(f"  met the outage  {met} requests under way while PostgreSQL was down", end="")
    print(f" ({sent_in} sent during it)" if tally.outage else " (no outage in this scenario)")
    print(f"  stored, never acknowledged  {len(unacked_stored)}")
    for kind, count in sorted(tally.failures.items()):
        print(f"  retried after {kind}: {count}")
    print(f"  failures other than JSON 503s {len(tally.unclean)}")
    print(f"  refused (4xx) {len(tally.unexpected)}")
    print(f"  {elapsed:.1f}s, {len(tally.acked) / elapsed:.0f} logs/s acknowledged")
    print(f"  server log: {log_path}")

    problems = []
    if lost:
        problems.append(f"{len(lost)} acknowledged logs lost, e.g. {lost[:5]}")
    if duplicates:
        problems.append(f"{duplicates} duplicate rows")
    if tally.unclean:
        problems.append(f"unclean failures: {tally.unclean[:3]}")
    if tally.unexpected:
        problems.append(f"refused requests: {tally.unexpected[:3]}")
    if len(tally.acked) != total or tally.gave_up:
        problems.append(f"only {len(tally.acked)} of {total} logs acknowledged before the deadline")
    if elapsed < 30 or total < 20_000:
        problems.append(f"{total} logs in {elapsed:.0f}s is shorter than 20,000 logs in 30 s")
    if not crowd and not args.no_chaos:
        if len(events) != 2:
            problems.append("the worker kill or the PostgreSQL stop did not happen")
        if any(not 0.3 <= fraction <= 0.7 for _, fraction in events):
            problems.append("the chaos fell outside 30%..70% of the acknowledgements")
        if met < 100:
            problems.append(f"only {met} requests met the outage")
    return [f"{name}: {problem}" for problem in problems]


def main():
    args = options()
    start_cluster(args)
    try:
        problems = run(args)
    finally:
        cluster(args, "stop", "-m", "fast")
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        sys.exit(1)
    print("OK: every acknowledged log is stored exactly once, in every scenario")


def run(args):
    raw_key = prepare_database(args)
    names = ["outage", "crowd"] if args.scenario == "both" else [args.scenario]
    problems = []
    for name in names:
        problems += run_scenario(args, raw_key, name)
    if not args.keep_database:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
    return problems


if __name__ == "__main__":
    main()
