"""(4) side by side: the same queries and pages through the log store, on PostgreSQL and on
ClickHouse (in-process chDB), over the same rows.

The rows loaded into PostgreSQL for (4) are copied into a chDB store in a temporary
directory; then each measure runs through `logstore.storage` (queries) or Django's test
client (pages) once per backend. chDB runs inside this process, so its figures carry no
network round trip and no HTTP parsing, and it shares this process's cores with Django.
"""

import random
import tempfile
import time
from datetime import timedelta

from django.http import QueryDict
from django.test import override_settings


def copy_to_clickhouse(url, workspace_ids, chunk=20_000):
    from logstore.storage import get_store
    from logstore.storage.orm import OrmLogStore
    from logstore.storage.port import LogCriteria

    with override_settings(CLICKHOUSE_URL=url):
        store = get_store()
        store.migrate()
        started = time.perf_counter()
        copied = 0
        for rows in OrmLogStore().chunks(LogCriteria(workspace_ids=workspace_ids), size=chunk):
            store.insert_rows(rows)
            copied += len(rows)
            print(f"  copied {copied:,} rows to chDB", end="\r", flush=True)
        store.connection.command(f"OPTIMIZE TABLE {store.layout.logs} FINAL")
        return copied, time.perf_counter() - started


def measures(samples, workspace, repeats):
    """name -> p50/p95 ms of each query and page, on whichever store is configured now."""
    from urllib.parse import urlencode

    from bench.run import page_fetcher, search_pages, signed_in_client, timings
    from logstore.query.filters import LogFilter
    from logstore.storage import get_store

    rng = random.Random(5)
    store = get_store()

    def criteria(params):
        filterset = LogFilter(params)
        assert filterset.is_valid(), filterset.errors
        return filterset.criteria(workspace_ids=[workspace.pk])

    def two_pairs():
        params = QueryDict(mutable=True)
        params.setlist("metadata", rng.sample(rng.choice(samples["metadata"]), 2))
        return store.page(criteria(params)).rows

    page = page_fetcher(signed_in_client())

    last_day = criteria(QueryDict("since=24h"))
    measured = {
        "trace_lookup": lambda: store.trace(
            rng.choice(samples["trace_id"]), [workspace.pk], limit=2001
        ),
        "user_filter_latest_50": lambda: store.page(
            criteria(QueryDict(urlencode({"user": rng.choice(samples["user"])})))
        ),
        "metadata_filter_latest_50": lambda: store.page(
            criteria(
                QueryDict(urlencode({"metadata": rng.choice(rng.choice(samples["metadata"]))}))
            )
        ),
        "two_metadata_pairs_latest_50": two_pairs,
        "latest_50_unfiltered": lambda: store.page(criteria(QueryDict("since=30d"))),
        "chart_24h": lambda: store.timeseries(
            last_day, last_day.start, last_day.start + timedelta(hours=24)
        ),
        "admin_changelist_page": page("/admin/logstore/log/"),
        "admin_trace_search_page": page(
            "/admin/logstore/log/?" + urlencode({"q": samples["trace_id"][0]})
        ),
        "web_list_page": page("/"),
        "web_list_metadata_page": page("/?" + urlencode({"metadata": samples["metadata"][0][0]})),
        "web_trace_page": page(f"/traces/{samples['trace_id'][0]}/"),
        "web_charts_24h_page": page("/charts/?since=24h"),
        "web_charts_7d_page": page("/charts/?since=7d"),
        "web_charts_30d_page": page("/charts/?since=30d"),
        "web_users_24h_page": page("/users/?since=24h"),
        "web_users_7d_page": page("/users/?since=7d"),
        **search_pages(page, rng),
    }
    return timings(measured, repeats)


def side_by_side(bench):
    from logstore.storage import reset_store

    repeats = bench.args.repeats
    result = {"repeats": repeats}
    result["postgresql"] = measures(bench.samples, bench.workspace, repeats)
    with tempfile.TemporaryDirectory(prefix="bench-chdb-") as directory:
        url = f"chdb://{directory}?database=logstore_bench"
        copied, seconds = copy_to_clickhouse(url, [bench.workspace.pk, bench.other.pk])
        result["clickhouse_copy"] = {"rows": copied, "seconds": round(seconds, 1)}
        with override_settings(CLICKHOUSE_URL=url):
            result["clickhouse_chdb"] = measures(bench.samples, bench.workspace, repeats)
        reset_store()
    return result
