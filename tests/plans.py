"""Reading PostgreSQL's JSON plans (`EXPLAIN (ANALYZE, FORMAT JSON)`) in plan tests."""


def nodes(plan):
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", ()))


def scans(plan):
    return [node for node in nodes(plan) if node["Node Type"].endswith("Scan")]


def rows_read(plan):
    """Rows the scans of the log table fetched, whether kept or filtered out."""
    return sum(
        node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0)
        for node in scans(plan)
        if node.get("Relation Name", "").startswith("logstore_log_")
    )
