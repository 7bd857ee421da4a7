"""The storage contract for per-group totals (the users page), run on every backend.

Costs come from a workspace price of $1 per million input tokens and $10 per million output
tokens, so each expected total below is computed by hand.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from logstore.models import ModelPrice
from logstore.query.series import GROUP_SORTS
from logstore.storage.port import LogCriteria
from tests.storage.conftest import NOW, log_body

pytestmark = pytest.mark.django_db

WINDOW = (NOW - timedelta(hours=1), NOW + timedelta(minutes=1))
# (100 in, 10 out) + (1000, 100) + (10, 1) at $1/$10 per MTok: (200 + 2000 + 20) / 10^6
ALICE = Decimal("0.00222")
CAROL = Decimal("0.01")  # (0, 1000): 10000 / 10^6


@pytest.fixture
def house_price(workspace):
    ModelPrice.objects.create(
        workspace=workspace,
        model="house",
        input_per_mtok=1,
        output_per_mtok=10,
        valid_from=NOW - timedelta(days=60),
    )


@pytest.fixture
def calls(ingest, api_key, other_api_key, house_price):
    ingest(
        api_key,
        log_body(
            "alice", model="house", minutes_ago=5, latency=100, tokens=(100, 10), md_customer="acme"
        ),
        log_body(
            "alice",
            model="house",
            minutes_ago=3,
            latency=300,
            tokens=(1000, 100),
            md_customer="acme",
        ),
        log_body(
            "alice",
            model="house",
            minutes_ago=2,
            status=500,
            latency=500,
            tokens=(10, 1),
            md_customer="globex",
        ),
        log_body("bob", model="mystery-model", minutes_ago=4, latency=50, tokens=(5, 5)),
        log_body(
            "carol",
            model="house",
            minutes_ago=1,
            latency=700,
            tokens=(0, 1000),
            md_customer="globex",
        ),
        # outside the window
        log_body("alice", model="house", minutes_ago=120, tokens=(5000, 0), md_customer="acme"),
        log_body("dave", model="house", minutes_ago=120, md_customer="initech"),
    )
    ingest(other_api_key, log_body("mallory", model="house", minutes_ago=1))


def scoped(workspace):
    return LogCriteria(workspace_ids=(workspace.pk,))


def summary(totals):
    return [
        (row.value, row.requests, row.errors, row.tokens, row.cost, row.unpriced)
        for row in totals.rows
    ]


def test_groups_total_each_user_in_the_window_with_exact_costs(log_store, calls, workspace):
    totals = log_store.groups(scoped(workspace), *WINDOW)
    assert summary(totals) == [
        ("carol", 1, 0, 1000, CAROL, 0),
        ("alice", 3, 1, 1221, ALICE, 0),
        ("bob", 1, 0, 10, None, 1),  # a call with usage but no price: counted, never $0
    ]
    alice = totals.rows[1]
    assert alice.p95 == pytest.approx(480)  # of 100, 300, 500
    assert alice.last_seen == NOW - timedelta(minutes=2)
    assert (totals.sort, totals.descending, totals.limited, totals.clamped) == (
        "cost",
        True,
        False,
        False,
    )


def test_groups_by_a_metadata_key_put_logs_without_it_in_their_own_group(
    log_store, calls, workspace
):
    totals = log_store.groups(scoped(workspace), *WINDOW, key="customer", sort="value")
    assert [(r.value, r.requests, r.cost, r.unpriced) for r in totals.rows] == [
        ("globex", 2, Decimal("0.01002"), 0),  # alice's (10, 1) and carol's
        ("acme", 2, Decimal("0.0022"), 0),  # alice's (100, 10) and (1000, 100)
        (None, 1, None, 1),  # bob: missing values sort last, whichever the direction
    ]
    ascending = log_store.groups(
        scoped(workspace), *WINDOW, key="customer", sort="value", descending=False
    )
    assert [r.value for r in ascending.rows] == ["acme", "globex", None]


SORT_CASES = [
    ("cost", True, ["carol", "alice", "bob"]),
    ("cost", False, ["alice", "carol", "bob"]),
    ("requests", True, ["alice", "bob", "carol"]),  # ties by value
    ("errors", True, ["alice", "bob", "carol"]),
    ("tokens", True, ["alice", "carol", "bob"]),
    ("tokens", False, ["bob", "carol", "alice"]),
    ("p95", True, ["carol", "alice", "bob"]),
    ("p95", False, ["bob", "alice", "carol"]),
    ("last_seen", True, ["carol", "alice", "bob"]),
    ("last_seen", False, ["bob", "alice", "carol"]),
    ("value", True, ["carol", "bob", "alice"]),
    ("value", False, ["alice", "bob", "carol"]),
]


@pytest.mark.parametrize(("sort", "descending", "expected"), SORT_CASES)
def test_groups_sort_by_any_column_either_way(
    log_store, calls, workspace, sort, descending, expected
):
    totals = log_store.groups(scoped(workspace), *WINDOW, sort=sort, descending=descending)
    assert [row.value for row in totals.rows] == expected
    assert (totals.sort, totals.descending) == (sort, descending)


def test_every_group_sort_has_a_contract_case():
    assert {sort for sort, _, _ in SORT_CASES} == set(GROUP_SORTS)


def test_groups_past_the_limit_are_cut_and_flagged(log_store, calls, workspace):
    cut = log_store.groups(scoped(workspace), *WINDOW, sort="value", descending=False, limit=2)
    assert [row.value for row in cut.rows] == ["alice", "bob"] and cut.limited
    whole = log_store.groups(scoped(workspace), *WINDOW, limit=3)
    assert len(whole.rows) == 3 and not whole.limited


def test_groups_read_only_the_window_and_the_criteria(log_store, calls, workspace):
    wide = log_store.groups(scoped(workspace), NOW - timedelta(hours=3), WINDOW[1])
    assert [(r.value, r.requests) for r in wide.rows if r.value in ("alice", "dave")] == [
        ("alice", 4),
        ("dave", 1),
    ]
    narrowed = scoped(workspace).narrowed(start=NOW - timedelta(minutes=3, seconds=30))
    recent = log_store.groups(narrowed, NOW - timedelta(hours=3), WINDOW[1], sort="value")
    assert [(r.value, r.requests) for r in recent.rows] == [("carol", 1), ("alice", 2)]
    everyone = log_store.groups(LogCriteria(workspace_ids=None), *WINDOW, sort="value")
    assert "mallory" in [row.value for row in everyone.rows]
    assert log_store.groups(LogCriteria(workspace_ids=()), *WINDOW).rows == []
    clamped = log_store.groups(scoped(workspace), NOW - timedelta(days=90), WINDOW[1])
    assert clamped.clamped and clamped.window_end - clamped.window_start == timedelta(days=31)
