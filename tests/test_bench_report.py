"""The benchmark's report renders every kind of results file its runs write."""

from bench.report import table

QUERIES = {
    "4_load": {"rows": 1000, "rows_per_s": 2500, "seconds": 0.4},
    "4_queries": {
        "trace_lookup": {"p50_ms": 1.2, "p95_ms": 2.5},
        "rows": 1000,  # counts beside the measures are not measures
    },
}


def test_an_only_queries_run_without_clickhouse_reports_its_load_and_queries():
    report = table(QUERIES)
    assert "(4) load 1,000 rows by COPY" in report
    assert "(4) trace_lookup" in report and "p95 2.5 ms" in report
    assert "ClickHouse" not in report


def test_an_only_queries_run_reports_both_backends_beside_its_queries():
    both = {"p50_ms": 1.0, "p95_ms": 2.0}
    report = table(
        QUERIES
        | {"4_backends": {"postgresql": {"trace": both}, "clickhouse_chdb": {"trace": both}}}
    )
    assert "(4) trace_lookup" in report
    assert "(4) trace: PostgreSQL | ClickHouse (chDB)" in report
