"""The storage contract for repricing, run on every backend: `manage.py reprice_logs` reads
old logs through the store and writes their new cost back, and nothing else changes."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from logstore.models import ModelPrice, Workspace
from logstore.pricing.repricing import reprice_logs
from logstore.storage.port import LogCriteria
from tests.storage.conftest import NOW, log_body

pytestmark = pytest.mark.django_db

# gpt-4o-mini's bundled price for log_body's 9 + 3 tokens: 9 x $0.15 + 3 x $0.60 per MTok.
BUNDLED = Decimal("0.00000315")
# The override below, $2 in and $4 out per MTok: 9 x 2 + 3 x 4 = 30 per MTok.
OVERRIDE = Decimal("0.00003")


def costs(store, ids):
    return [(log.cost_usd, log.price_source) for log in (store.get(log_id) for log_id in ids)]


@pytest.fixture
def override(workspace):
    """An override made after the logs were stored, valid since before them."""

    def make():
        return ModelPrice.objects.create(
            workspace=workspace,
            model="gpt-4o-mini",
            input_per_mtok=2,
            output_per_mtok=4,
            valid_from=NOW - timedelta(days=30),
        )

    return make


def test_repricing_rewrites_the_stored_cost_of_old_logs_in_range_only(
    log_store, ingest, api_key, other_api_key, workspace, override
):
    inside = ingest(api_key, *[log_body(f"u{m}", minutes_ago=m) for m in (30, 20, 10, 5)])
    client_priced = ingest(api_key, log_body("client", minutes_ago=15, cost=0.5))
    before = ingest(api_key, log_body("old", minutes_ago=60 * 5))
    elsewhere = ingest(other_api_key, log_body("theirs", minutes_ago=10))
    assert costs(log_store, inside) == [(BUNDLED, "bundled")] * 4
    price = override()

    report = reprice_logs(
        start=NOW - timedelta(hours=1),
        end=NOW + timedelta(minutes=1),
        workspace=workspace,
        batch_size=3,
    )

    assert (report.examined, report.changed) == (5, 4)
    assert costs(log_store, inside) == [(OVERRIDE, "override")] * 4
    assert {log_store.get(i).price_ref for i in inside} == {f"override {price.pk}"}
    assert costs(log_store, client_priced) == [(Decimal("0.5"), "client")]
    assert costs(log_store, before) == [(BUNDLED, "bundled")]
    assert costs(log_store, elsewhere) == [(BUNDLED, "bundled")]
    # Only the cost changed: the rest of each row reads back as it was stored.
    log = log_store.get(inside[0])
    assert (log.user, log.total_tokens, log.request["body"]["model"]) == (
        "u30",
        12,
        "gpt-4o-mini",
    )
    again = reprice_logs(start=NOW - timedelta(hours=1), end=NOW + timedelta(minutes=1))
    assert (again.examined, again.changed) == (6, 0)


def test_reprice_logs_reaches_back_to_the_oldest_log_of_the_workspace(
    log_store, ingest, api_key, other_api_key, workspace, override
):
    oldest = ingest(api_key, log_body("old", minutes_ago=60 * 24 * 3))
    recent = ingest(api_key, log_body("new", minutes_ago=1))
    theirs = ingest(other_api_key, log_body("theirs", minutes_ago=60 * 24 * 9))
    scope = LogCriteria(workspace_ids=(workspace.pk,))
    assert log_store.oldest(scope) == NOW - timedelta(days=3)
    assert log_store.oldest(LogCriteria(workspace_ids=None)) == NOW - timedelta(days=9)
    assert log_store.oldest(LogCriteria(workspace_ids=(Workspace.objects.count() + 99,))) is None
    override()

    out, err = StringIO(), StringIO()
    call_command("reprice_logs", "--workspace", workspace.slug, stdout=out, stderr=err)

    assert "Repriced 2 of 2 log(s)." in out.getvalue() and "100%" in err.getvalue()
    assert costs(log_store, oldest + recent) == [(OVERRIDE, "override")] * 2
    assert costs(log_store, theirs) == [(BUNDLED, "bundled")]
