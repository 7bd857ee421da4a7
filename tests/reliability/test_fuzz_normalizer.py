"""The normaliser, fed anything a JSON parser can produce, fails only with NormalizationError
and produces rows that every database column accepts."""

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logstore.core.jsoncodec import dumps
from logstore.ingestion.normalize import HeaderDefaults, NormalizationError, normalize_log
from logstore.models import Log
from tests.reliability.strategies import json_values, log_items, nasty_text

RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
INT_LIMITS = {"PositiveSmallIntegerField": 32767, "PositiveIntegerField": 2**31 - 1}


def assert_storable_text(name, value):
    assert "\x00" not in value, name
    value.encode("utf-8")  # raises on a lone surrogate, which PostgreSQL refuses


def assert_fits_columns(row, item=None):
    for field in Log._meta.concrete_fields:
        if not hasattr(row, field.attname):
            continue
        value = getattr(row, field.attname)
        kind = field.get_internal_type()
        if kind in {"CharField", "TextField"} and field.attname not in {
            "request",
            "response",
            "metadata",
        }:
            assert isinstance(value, str), field.attname
            assert_storable_text(field.attname, value)
            if field.max_length:
                assert len(value) <= field.max_length, field.attname
        elif kind in INT_LIMITS and value is not None:
            assert isinstance(value, int) and 0 <= value <= INT_LIMITS[kind], field.attname
    assert row.status is None or 100 <= row.status <= 599
    assert row.created_at.tzinfo is not None
    if item is None or not _has_nan(item):  # the parser never lets NaN through
        for part in (row.request, row.response, row.metadata):
            dumps(part)
    for key, text in row.metadata_index.items():
        assert_storable_text("metadata_index key", key)
        assert_storable_text("metadata_index value", text)


def normalize(item, headers=None):
    defaults = HeaderDefaults.from_headers(headers or {})
    masked = frozenset({"authorization"})
    return normalize_log(item, defaults, received_at=RECEIVED, masked_headers=masked)


@settings(max_examples=150, deadline=None)
@given(log_items)
def test_it_fails_only_with_normalization_error_and_fits_the_columns(item):
    try:
        row = normalize(item)
    except NormalizationError as exc:
        assert exc.path and exc.message
        return
    assert_fits_columns(row, item)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "x-portkey-trace-id",
                "x-portkey-span-id",
                "x-portkey-span-name",
                "x-portkey-metadata",
                "x-portkey-debug",
            ]
        ),
        st.one_of(nasty_text, json_values.map(lambda v: dumps(v) if not _has_nan(v) else "{}")),
    ),
    log_items,
)
def test_it_survives_any_header_defaults(headers, item):
    try:
        row = normalize(item, headers)
    except NormalizationError:
        return
    assert_fits_columns(row, item)


def _has_nan(value):
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False


@pytest.mark.parametrize(
    "item",
    [
        {"request": {"method": "ß" * 16}, "response": {}},
        {"request": {}, "response": {"response_time": 10**400}},
        {"request": {}, "response": {}, "trace_id": 10**300},
        {"request": {}, "response": {}, "trace_id": 1e300},
        {"request": {}, "response": {}, "createdAt": "0001-01-01T00:00:00+01:00"},
        {"request": {}, "response": {}, "metadata": {"startTime": 10**400, "endTime": 1}},
    ],
    ids=["uppercase-grows", "huge-latency", "huge-int-id", "huge-float-id", "year-one", "huge-ns"],
)
def test_it_keeps_edge_values_within_the_columns(item):
    assert_fits_columns(normalize(item))


def test_deeply_nested_metadata_is_a_normalization_error_not_a_crash():
    value = "leaf"
    for _ in range(5000):
        value = [value]
    with pytest.raises(NormalizationError) as excinfo:
        normalize({"request": {}, "response": {}, "metadata": {"deep": value}})
    assert excinfo.value.path == "metadata"
