"""Profile the POST /logs hot path in-process (no network): where a batch's CPU goes.

DATABASE_URL=postgres://.../logstore_bench python -m bench.profile_ingest [--batches 50]
"""

import argparse
import cProfile
import os
import pstats
import time

import django
import orjson


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from django.test import Client

    from bench.logs import LogFactory
    from logstore.models import ApiKey, Workspace

    workspace, _ = Workspace.objects.get_or_create(slug="profile", defaults={"name": "Profile"})
    _, raw = ApiKey.generate(workspace, "profile")
    factory = LogFactory(seed=7)
    bodies = [orjson.dumps(factory.batch(args.batch_size)) for _ in range(args.batches)]
    client = Client(HTTP_X_PORTKEY_API_KEY=raw, HTTP_HOST="127.0.0.1")

    def run():
        for body in bodies:
            response = client.post("/v1/logs", body, content_type="application/json")
            assert response.status_code == 200, response.content

    run()  # warm up: imports, connection, plans
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    run()
    profiler.disable()
    elapsed = time.perf_counter() - started
    logs = args.batches * args.batch_size
    print(f"{logs} logs in {elapsed:.2f}s under the profiler: {elapsed / logs * 1e6:.0f} µs/log")
    started, cpu = time.perf_counter(), time.process_time()
    run()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{logs} logs in {elapsed:.2f}s without it: {elapsed / logs * 1e6:.0f} µs/log wall, "
        f"{cpu / logs * 1e6:.0f} µs/log of this process's CPU"
    )
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
