"""(3)'s database ceiling: single-log transactions straight into the log table, no HTTP.

    python -m bench.commit_ceiling [--connections 32] [--seconds 15]

Each of `--connections` threads stores one log per transaction with the app's own write
(`logstore.storage.orm.write_logs` inside `transaction.atomic()`): the INSERT, its indexes
(the trigram index included) and the commit's WAL flush, and nothing else (no HTTP, no
parsing, no authentication, no usage row). What (3) serves per second can be compared with
this: the part of a single-log request the database alone takes. Its own database, dropped
afterwards.
"""

import argparse
import json
import os
import threading
import time
from datetime import UTC, datetime

import psycopg

from bench.run import ms, percentile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="logstore_bench_commits")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    with psycopg.connect(f"{args.server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"{args.server_url}/{args.database}"
    # One pooled connection per thread, as gunicorn's threads each hold one.
    os.environ["DB_POOL_MAX_SIZE"] = str(args.connections)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction

    from bench.logs import LogFactory
    from logstore.core.ids import uuid7
    from logstore.ingestion.store import prepare_logs
    from logstore.models import ApiKey, Workspace
    from logstore.storage.orm import write_logs
    from logstore.storage.partitions import ensure_partitions

    try:
        call_command("migrate", verbosity=0)
        ensure_partitions(days_ahead=2, days_behind=1)
        workspace = Workspace.objects.create(name="Bench", slug="bench")
        key, _ = ApiKey.generate(workspace, "bench")
        logs = prepare_logs(LogFactory(seed=2).batch(2000), {})
        now = datetime.now(UTC)
        for log in logs:
            log.created_at = log.received_at = now
        connections.close_all()
        deadline = time.monotonic() + args.seconds
        latencies, lock = [], threading.Lock()

        def worker(offset):
            mine = []
            index = offset
            while time.monotonic() < deadline:
                log = logs[index % len(logs)]
                index += args.connections
                started = time.perf_counter()
                with transaction.atomic():
                    write_logs(workspace.pk, key.pk, [uuid7()], [log])
                mine.append(time.perf_counter() - started)
            connections.close_all()
            with lock:
                latencies.extend(mine)

        began = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        print(
            json.dumps(
                {
                    "connections": args.connections,
                    "transactions": len(latencies),
                    "per_s": round(len(latencies) / elapsed),
                    "p50_ms": ms(percentile(latencies, 0.5)),
                    "p99_ms": ms(percentile(latencies, 0.99)),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
            )
        )
    finally:
        connections.close_all()
        with psycopg.connect(f"{args.server_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
