"""`LogCriteria` to a ClickHouse WHERE clause with server-side `{name:Type}` parameters.

No value a client sent is ever put into the SQL text: each becomes a named parameter, and
column names come only from the port's fixed lists. The weighted-feedback condition needs
the Feedback table, which lives in the Django database; its matching traces are read there
first and passed in as one array parameter.
"""

from datetime import UTC, datetime

from logstore.storage.port import (
    CONTAINS_COLUMNS,
    EQUALITY_COLUMNS,
    RANGE_COLUMNS,
    SEARCH_COLUMNS,
    LogCriteria,
)

# Past this many scored traces in scope, a feedback filter is refused rather than sent.
MAX_FEEDBACK_TRACES = 100_000


class CriteriaTooBroad(ValueError):
    pass


def timestamp(moment: datetime) -> str:
    """A DateTime64(6, 'UTC') parameter value: the server parses text, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Parameters(dict):
    """Collects parameters and hands out their `{pN:Type}` placeholders."""

    def add(self, value, type_: str) -> str:
        name = f"p{len(self)}"
        self[name] = value
        return f"{{{name}:{type_}}}"


def quoted(column: str) -> str:
    return f"`{column}`"


def where(criteria: LogCriteria, params: Parameters, feedback_traces=None) -> str:
    """The conditions of `criteria` ANDed; `feedback_traces(criteria)` -> (workspace, trace)."""
    if criteria.matches_nothing:
        return "0"
    parts = []
    if criteria.workspace_ids is not None:
        ids = list(criteria.workspace_ids)
        # Equality on the key's first column lets ClickHouse read one workspace in order.
        if len(ids) == 1:
            parts.append(f"workspace_id = {params.add(ids[0], 'UInt64')}")
        else:
            parts.append(f"workspace_id IN {params.add(ids, 'Array(UInt64)')}")
    if criteria.start is not None:
        parts.append(f"created_at >= {params.add(timestamp(criteria.start), DATETIME)}")
    if criteria.end is not None:
        parts.append(f"created_at < {params.add(timestamp(criteria.end), DATETIME)}")
    if criteria.ids:
        parts.append(f"id IN {params.add([str(i) for i in criteria.ids], 'Array(UUID)')}")
    if criteria.trace_ids:
        parts.append(f"trace_id IN {params.add(list(criteria.trace_ids), 'Array(String)')}")
    if criteria.span_ids:
        parts.append(f"span_id IN {params.add(list(criteria.span_ids), 'Array(String)')}")
    for column, value in criteria.equals:
        assert column in EQUALITY_COLUMNS, column
        parts.append(f"{quoted(column)} = {params.add(value, 'String')}")
    if criteria.statuses:
        parts.append(f"status IN {params.add(list(criteria.statuses), 'Array(UInt16)')}")
    if criteria.status_ranges:
        either = [
            f"(status >= {params.add(low, 'UInt16')} AND status < {params.add(high, 'UInt16')})"
            for low, high in criteria.status_ranges
        ]
        parts.append(f"({' OR '.join(either)})")
    if criteria.success is not None:
        parts.append(f"is_success = {params.add(int(criteria.success), 'UInt8')}")
    if criteria.streaming is not None:
        parts.append(f"streaming = {params.add(int(criteria.streaming), 'UInt8')}")
    if criteria.priced is not None:
        parts.append("cost_usd IS NOT NULL" if criteria.priced else "cost_usd IS NULL")
    for column, low, high in criteria.ranges:
        assert column in RANGE_COLUMNS, column
        if low is not None:
            parts.append(f"{quoted(column)} >= {params.add(low, 'Float64')}")
        if high is not None:
            parts.append(f"{quoted(column)} <= {params.add(high, 'Float64')}")
    if criteria.provider_models:
        either = [
            f"(provider = {params.add(p, 'String')} AND model = {params.add(m, 'String')})"
            for p, m in criteria.provider_models
        ]
        parts.append(f"({' OR '.join(either)})")
    for key, value in criteria.metadata:
        # A missing key reads as '' from a Map: mapContains keeps `k=` from matching it.
        key_param = params.add(key, "String")
        parts.append(
            f"mapContains(metadata_index, {key_param}) "
            f"AND metadata_index[{key_param}] = {params.add(value, 'String')}"
        )
    if criteria.feedback_min is not None or criteria.feedback_max is not None:
        traces = feedback_traces(criteria)
        if len(traces) > MAX_FEEDBACK_TRACES:
            raise CriteriaTooBroad(
                f"More than {MAX_FEEDBACK_TRACES:,} traces match the feedback filter; "
                "narrow it with a time range or a workspace."
            )
        pairs = [(w, t) for w, t in traces]
        parts.append(
            f"(workspace_id, trace_id) IN {params.add(pairs, 'Array(Tuple(UInt64, String))')}"
        )
    for column, text in criteria.contains:
        assert column in CONTAINS_COLUMNS, column
        parts.append(
            f"positionCaseInsensitiveUTF8({quoted(column)}, {params.add(text, 'String')}) > 0"
        )
    if criteria.text:
        parts.append(text_match(criteria.text, params))
    if criteria.any_of:
        either = []
        for column, value in criteria.any_of:
            assert column in SEARCH_COLUMNS, column
            if column == "search_text":
                either.append(text_match(value, params))
            elif column == "id":
                either.append(f"id = {params.add(str(value), 'UUID')}")
            else:
                either.append(f"{quoted(column)} = {params.add(value, 'String')}")
        parts.append(f"({' OR '.join(either)})")
    return " AND ".join(parts) or "1"


def text_match(term: str, params: Parameters) -> str:
    """`q=`: the folded term inside the folded search_text, as the ORM compares them. No
    index serves it: ClickHouse scans search_text in the window's parts."""
    return f"position(search_text, {params.add(term, 'String')}) > 0"


DATETIME = "DateTime64(6, 'UTC')"
