"""Render a bench/results/*.json file as the markdown table docs/benchmarks.md quotes.

python -m bench.report bench/results/bench-<stamp>.json
"""

import json
import sys
from pathlib import Path

TARGETS = {
    "2": "≥ 50% of (1)",
    "3": "≥ 50% of no-DB view, p99 < 50 ms",
    "4": "p95 < 50 ms (pages < 300 ms) at 10M",
    "5": "< 200 MB",
}


def backend_rows(results):
    """(4) through the log store: PostgreSQL and ClickHouse (chDB) side by side."""
    both = results.get("4_backends")
    if not both:
        return
    pg, ch = both["postgresql"], both["clickhouse_chdb"]
    for name in pg:
        yield (
            f"(4) {name}: PostgreSQL | ClickHouse (chDB)",
            f"p95 {pg[name]['p95_ms']} ms | p95 {ch[name]['p95_ms']} ms "
            f"(p50 {pg[name]['p50_ms']} | {ch[name]['p50_ms']})",
            TARGETS["4"],
        )


def query_rows(results):
    """(4): the load and the queries after it, as far as the run got."""
    load = results.get("4_load")
    if load:
        yield (
            f"(4) load {load['rows']:,} rows by COPY",
            f"{load['rows_per_s']:,} rows/s ({load['seconds']} s)",
            "",
        )
    for name, value in results.get("4_queries", {}).items():
        if isinstance(value, dict):
            yield f"(4) {name}", f"p50 {value['p50_ms']} ms, p95 {value['p95_ms']} ms", TARGETS["4"]
    yield from backend_rows(results)


def rows(results):
    if "1_ceiling_copy" not in results:  # --only-queries
        yield from query_rows(results)
        return
    c, h = results["1_ceiling_copy"], results["2_http_batches"]
    # A --stop-after-load run has no (4) queries or (5) yet.
    s, e = results["3_single_log"], results.get("5_export")
    logs, floor = s["post_logs"], s["no_database_view"]
    yield "(1) raw COPY, same rows, identical table", f"{c['rows_per_s']:,} rows/s", ""
    yield (
        "(2) POST /logs, batches of 100",
        f"{h['logs_per_s']:,} logs/s = {h['ratio_to_ceiling']:.0%} of (1)",
        TARGETS["2"],
    )
    o = results.get("2b_otlp_batches")
    if o:
        yield (
            "(2b) OTLP protobuf, batches of 100 spans",
            f"{o['otlp_spans_per_s']:,} spans/s = {o['ratio_otlp_to_post_logs']:.0%} of the same "
            f"spans by POST /logs ({o['post_logs_spans_per_s']:,} logs/s)",
            "",
        )
    yield (
        f"(3) POST /logs, one log, {s['connections']} connections",
        f"{logs['req_per_s']:,} req/s, p50 {logs['p50_ms']} ms, p99 {logs['p99_ms']} ms",
        TARGETS["3"],
    )
    yield (
        "(3) no-database DRF view, same server",
        f"{floor['req_per_s']:,} req/s, p50 {floor['p50_ms']} ms, p99 {floor['p99_ms']} ms "
        f"(ratio {s['ratio_to_no_database']:.0%})",
        "",
    )
    yield from query_rows(results)
    yield "(5) worker peak RSS during (2)", f"{h['worker_peak_rss_mb']} MB", TARGETS["5"]
    if not e:
        return
    yield (
        f"(5) JSONL export of {e['rows']:,} rows",
        f"peak RSS {e['peak_rss_mb']} MB, {e['seconds']} s, {e['megabytes']:,} MB written",
        TARGETS["5"],
    )


def markdown(results) -> str:
    lines = ["| Measure | Result | Target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows(results)]
    m = results["machine"]
    lines += [
        "",
        f"Machine: {m['cpus']} CPUs ({m.get('cpu_model', '')}), {m['memory_gb']} GB RAM, "
        f"PostgreSQL {m.get('postgresql')}, Python {m['python']}. Load average at start "
        f"{results.get('load_average_at_start')}, at end {results.get('load_average_at_end')}; "
        f"whole run {results.get('total_seconds')} s; commit {results.get('commit')}"
        + "".join(f", resumed at {part['commit']}" for part in results.get("resumed", []))
        + ".",
    ]
    return "\n".join(lines)


def servers_table(results) -> str:
    """`--compare-servers`: (3) under each server choice, as docs/benchmarks.md shows it."""
    lines = [
        "| Server | POST /logs, one log | no-database view | ratio |",
        "|---|---|---|---|",
    ]
    for name, run in results.items():
        if not name.startswith("3_single_log_"):
            continue
        logs, floor = run["post_logs"], run["no_database_view"]
        lines.append(
            f"| `{run.get('command', name.removeprefix('3_single_log_'))}` "
            f"| {logs['req_per_s']:,} req/s, p50 {logs['p50_ms']} ms, p99 {logs['p99_ms']} ms "
            f"| {floor['req_per_s']:,} req/s, p99 {floor['p99_ms']} ms "
            f"| {run['ratio_to_no_database']:.0%} |"
        )
    return "\n".join(lines)


def table(results) -> str:
    width = max(len(a) for a, _, _ in rows(results))
    return "\n".join(f"{a.ljust(width)}  {b}" for a, b, _ in rows(results))


if __name__ == "__main__":
    results = json.loads(Path(sys.argv[1]).read_text())
    compared = any(name.startswith("3_single_log_") for name in results)
    print(servers_table(results) if compared else markdown(results))
