"""Hypothesis strategies for hostile log bodies: every JSON shape, at every field."""

from hypothesis import strategies as st

# Surrogates included: JSON "\ud800" escapes decode to lone surrogates, and clients send them.
any_char = st.characters(exclude_categories=())
nasty_text = st.one_of(
    st.text(any_char, max_size=20),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "ß" * 20, "0001", "1e999", "-5"]),
    st.text(any_char, min_size=300, max_size=600),
)
huge_int = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, 2**64 + 1, 10**30, 10**400, -(10**400)]),
)
any_float = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(st.none(), st.booleans(), huge_int, any_float, nasty_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(nasty_text, children, max_size=4),
    ),
    max_leaves=12,
)

REQUEST_FIELDS = ["url", "method", "provider", "headers", "body"]
RESPONSE_FIELDS = ["status", "headers", "body", "response_time", "time", "responseTime"]
TOP_FIELDS = [
    "request",
    "response",
    "metadata",
    "trace_id",
    "span_id",
    "parent_span_id",
    "span_name",
    "traceId",
    "createdAt",
    "start_time",
]
BODY_FIELDS = ["model", "usage", "user", "stream", "usageMetadata", "modelVersion"]
METADATA_FIELDS = ["_user", "_organisation", "_environment", "traceId", "startTime", "endTime"]


def _shaped(fields):
    return st.dictionaries(st.sampled_from(fields), json_values, max_size=len(fields))


log_items = st.fixed_dictionaries(
    {},
    optional={
        "request": st.one_of(
            json_values,
            _shaped(REQUEST_FIELDS).map(lambda r: {**r, "body": r.get("body") or {}}),
            st.fixed_dictionaries({"body": _shaped(BODY_FIELDS)}),
        ),
        "response": st.one_of(
            json_values,
            _shaped(RESPONSE_FIELDS),
            st.fixed_dictionaries({"body": _shaped(BODY_FIELDS)}),
        ),
        "metadata": st.one_of(json_values, _shaped(METADATA_FIELDS)),
        "trace_id": json_values,
        "span_id": json_values,
        "parent_span_id": json_values,
        "span_name": json_values,
        "createdAt": json_values,
        "start_time": json_values,
    },
)
