"""(4)'s latest 50 with one and with two metadata pairs, on a `make bench` database kept with
`--keep`: p50/p95 of the pages, and of the buffers their plans touch (hit or read, so the same
whatever the cache holds).

    python -m bench.metadata_pages bench/results/bench-<stamp>.json [--seed 5] [--cold]

The draws are taken as `bench.run` takes them, from the run's samples file: with `--seed 5`
they are the run's own. `--cold` first restarts PostgreSQL and drops the kernel's page cache
(root and Debian's `pg_ctlcluster`), so pages are read from disk as in a run's first pass. To
compare two versions of `metadata_page`, run this from each checkout with the same seed, each
with `--cold`; settings come from the environment as the app's do (`DB_IO_CONCURRENCY=1`
measures without prefetching).
"""

import argparse
import json
import os
import random
import subprocess
import time
from pathlib import Path

from bench.run import latest_with, ms, percentile


def cold_start():
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    subprocess.run(restart, check=True)


def draws(samples, seed, repeats):
    """(one pair, two pairs) draws in `bench.run`'s order: its trace and user draws first."""
    rng = random.Random(seed)
    for key in ("trace_id", "user"):
        for _ in range(repeats + 1):
            rng.choice(samples[key])
    one = [[rng.choice(rng.choice(samples["metadata"]))] for _ in range(repeats + 1)]
    two = [rng.sample(rng.choice(samples["metadata"]), 2) for _ in range(repeats + 1)]
    return {"one_metadata_pair": one, "two_metadata_pairs": two}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the run's results file")
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="logstore_bench")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    samples_path = args.results.with_name(args.results.stem + "-samples.json")
    samples = json.loads(samples_path.read_text())
    if args.cold:
        cold_start()
    os.environ["DATABASE_URL"] = f"{args.server_url.rstrip('/')}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.db import connection

    from logstore.models import Workspace
    from logstore.storage import get_store

    workspace = Workspace.objects.get(slug="bench")
    store = get_store()

    def page(pairs):
        return latest_with(store, workspace, pairs)

    def buffers_of(pairs):
        touched = 0

        def explain(execute, sql, params, many, context):
            nonlocal touched
            if sql.startswith("SELECT") and '"logstore_log"' in sql:
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
                    (plan,) = cursor.fetchone()
                top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
                touched += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(explain):
            page(pairs)
        return touched

    out = {"seed": args.seed, "cold": args.cold}
    measured = draws(samples, args.seed, args.repeats)
    # Timed first, from whatever the cache holds; the buffers after (EXPLAIN runs each query).
    for name, pages in measured.items():
        page(pages[0])  # as the run's timings do: one untimed call first
        times = []
        for pairs in pages[1:]:
            started = time.perf_counter()
            page(pairs)
            times.append(time.perf_counter() - started)
        out[name] = {"p50_ms": ms(percentile(times, 0.5)), "p95_ms": ms(percentile(times, 0.95))}
    for name, pages in measured.items():
        touched = [buffers_of(pairs) for pairs in pages[1:]]
        out[name] |= {
            "buffers_p50": percentile(touched, 0.5),
            "buffers_p95": percentile(touched, 0.95),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
