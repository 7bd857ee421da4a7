"""Search and suggestion timings on PostgreSQL: `q=`, forgiving filters, suggestions, sorting,
live tail, and what the trigram index costs at ingest. Its own database, dropped afterwards.

    python -m bench.search [--rows 1000000] [--days 3] [--repeats 30] [--keep]

`--days 3` gives 1M rows the per-day density 10M rows have over 30 days, so a 24 h window
holds as many rows as it would at 10M. A few rows in 2,000 carry a unique word (a rare search)
beside the pool's ordinary English (a common one).
"""

import argparse
import json
import logging
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from bench.run import ms, percentile, signed_in_client

RESULTS = Path(__file__).resolve().parent / "results"
RARE_EVERY = 2000
COPY_PROBE_ROWS = 10_000  # rows per ingest probe, with and without the index


def setup(args):
    if not args.reuse:
        with psycopg.connect(f"{args.server_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"{args.server_url}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    logging.getLogger("logstore.requests").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(rows, days, rare):
    from django.db import connection

    from bench.dataset import RowSource, column_positions
    from logstore.models import ApiKey, Log, Workspace
    from logstore.storage.orm import copy_rows
    from logstore.storage.partitions import ensure_partitions

    ensure_partitions(days_ahead=2, days_behind=days + 1)

    workspace = Workspace.objects.create(name="Bench", slug="bench")
    key, _ = ApiKey.generate(workspace, "bench")
    end = datetime.now(UTC)
    source = RowSource([(workspace.pk, key.pk, 1)], start=end - timedelta(days=days), end=end)
    col = column_positions()["search_text"]

    def marked(generator):
        for number, row in enumerate(generator):
            if number % RARE_EVERY == 0:
                word = f"zqx{number:07d}"
                rare.append(word)
                row[col] = f"{row[col]}\n{word}"
            yield row

    generator = marked(source.rows(rows + 2 * COPY_PROBE_ROWS))
    started = time.perf_counter()
    loaded = 0
    while loaded < rows:
        batch = [next(generator) for _ in range(min(50_000, rows - loaded))]
        with connection.cursor() as cursor:
            copy_rows(cursor.cursor, Log._meta.db_table, batch)
        loaded += len(batch)
        print(f"  loaded {loaded:,} rows", end="\r", flush=True)
    load_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE logstore_log")

    def probe(table):
        # Rows past `rows` are the newest ones, as live ingest writes them.
        batch = [next(generator) for _ in range(COPY_PROBE_ROWS)]
        began = time.perf_counter()
        with connection.cursor() as cursor:
            copy_rows(cursor.cursor, table, batch)
        return COPY_PROBE_ROWS / (time.perf_counter() - began)

    # Two scratch copies of the log table, identical but for the search index, so the ratio
    # is what the index alone costs an insert.
    with connection.cursor() as cursor:
        for name in ("probe_with_search", "probe_without_search"):
            cursor.execute(f"CREATE TABLE {name} (LIKE logstore_log INCLUDING ALL)")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'probe_without_search' "
            "AND indexdef LIKE '%%gin_trgm_ops%%'"
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{index}"')
    with_index = probe("probe_with_search")
    without_index = probe("probe_without_search")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index "
            "JOIN pg_class c ON c.oid = indexrelid WHERE c.relname LIKE %s AND c.relname LIKE %s",
            ["%search_text%", "logstore_log%"],
        )
        index_size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_column_size(search_text))::bigint), "
            "avg(length(search_text))::int FROM logstore_log"
        )
        text_size, text_avg = cursor.fetchone()
    return (
        workspace,
        source.samples,
        {
            "rows": rows,
            "days": days,
            "load_rows_per_s": round(rows / load_s),
            "copy_rows_per_s_with_search_index": round(with_index),
            "copy_rows_per_s_without_search_index": round(without_index),
            "ingest_ratio_with_index": round(with_index / without_index, 2),
            "search_index_size": index_size,
            "search_text_size": text_size,
            "search_text_avg_chars": text_avg,
        },
    )


def rare_words(rows):
    """The words `load` marked, by their row numbers."""
    return [f"zqx{number:07d}" for number in range(0, rows, RARE_EVERY)]


def loaded_before(rows):
    """What `measure` needs of the loaded rows, read back from them."""
    from logstore.models import Log

    newest = Log.objects.order_by("-created_at").values_list("user", "metadata_index")[:200]
    return {
        "user": [user for user, _ in newest],
        "metadata": [
            [f"{k}={v}" for k, v in (index or {}).items() if k[0] != "_"] for _, index in newest
        ],
    }


def measure(samples, rare, repeats):
    from logstore.models import Log
    from logstore.query.keyset import encode_cursor

    rng = random.Random(3)
    client = signed_in_client()
    recent = rare[-len(rare) // 30 :]  # the newest rare words: inside 24 h
    newest = Log.objects.order_by("-created_at", "-id").first()
    feature = samples["metadata"][0][0].partition("=")[0]

    pages = {
        "search_rare_word_24h": lambda: "/?" + urlencode({"q": rng.choice(recent)}),
        "search_rare_word_7d": lambda: "/?" + urlencode({"q": rng.choice(rare), "since": "7d"}),
        "search_absent_word_24h": lambda: "/?q=" + f"nowhere{rng.randint(0, 10**6)}",
        "search_common_word_24h": lambda: "/?q=" + rng.choice(["refund", "invoice", "latency"]),
        "search_two_letters_24h": lambda: "/?q=" + rng.choice(["zq", "ix"]),
        "admin_search_rare_24h": lambda: (
            "/admin/logstore/log/?" + urlencode({"q": f"text:{rng.choice(recent)}", "since": "24h"})
        ),
        "model_contains_24h": lambda: "/?model_contains=" + rng.choice(["gpt-4", "CLAUDE", "mini"]),
        "user_contains_24h": lambda: "/?user_contains=" + rng.choice(samples["user"])[:6],
        "sort_by_latency_24h": lambda: "/?sort=latency",
        "sort_by_tokens_24h": lambda: "/?sort=tokens",
        "suggest_model": lambda: "/suggest/model/?model_contains=" + rng.choice(["gpt", "cl", ""]),
        "suggest_user": lambda: "/suggest/user/?user_contains=" + rng.choice(["u", "1", ""]),
        "suggest_metadata_values": lambda: (
            "/metadata-keys/?" + urlencode({"metadata": f"{feature}="})
        ),
        "live_tail_poll": lambda: "/tail/?" + urlencode({"newer_than": encode_cursor(newest)}),
    }
    out = {}
    for name, url in pages.items():
        client.get(url())
        times = []
        for _ in range(repeats):
            target = url()
            began = time.perf_counter()
            response = client.get(target)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (target, response.status_code)
        out[name] = {"p50_ms": ms(percentile(times, 0.5)), "p95_ms": ms(percentile(times, 0.95))}
        print(f"  {name}: {out[name]}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="logstore_bench_search")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database a --keep run loaded, again"
    )
    args = parser.parse_args()
    setup(args)
    rare = []
    try:
        if args.reuse:
            samples, rare, loaded = loaded_before(args.rows), rare_words(args.rows), None
        else:
            _, samples, loaded = load(args.rows, args.days, rare)
        print()
        results = {"load": loaded, "pages": measure(samples, rare, args.repeats)}
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"search-{stamp}.json"
        path.write_text(json.dumps(results, indent=2))
        print(json.dumps(results, indent=2))
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{args.server_url}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
