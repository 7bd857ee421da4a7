"""`manage.py reprice_logs`: old logs take up a price that changed after they were stored."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from logstore.models import ChartRollup, Log, ModelPrice
from logstore.query import rollups
from logstore.storage.orm import OrmLogStore
from logstore.storage.port import LogCriteria
from tests.payloads import openai_chat

MTOK = Decimal(10**6)


def send(client, minutes_ago=1, **extra):
    body = {**openai_chat(model="gpt-4o-mini"), **extra}
    body["createdAt"] = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    response = client.post("/v1/logs", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["log_ids"][0]


def reprice(*args):
    out, err = StringIO(), StringIO()
    call_command("reprice_logs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_override_changes_new_logs_and_reprice_logs_changes_old_ones(
    api, make_api, workspace, other_api_key
):
    old = [send(api, minutes_ago=m) for m in (30, 20, 10)]
    client_priced = send(api, minutes_ago=5, cost=0.5)
    elsewhere = send(make_api(other_api_key), minutes_ago=15)
    price = ModelPrice.objects.create(
        workspace=workspace,
        model="gpt-4o-mini",
        input_per_mtok=2,
        output_per_mtok=4,
        valid_from=timezone.now() - timedelta(hours=1),
    )
    new = send(api)
    expected = (9 * 2 + 3 * 4) / MTOK
    assert Log.objects.get(pk=new).cost_usd == expected
    assert {Log.objects.get(pk=i).price_source for i in old} == {"bundled"}

    out, err = reprice("--workspace", "acme", "--days", "1", "--batch-size", "2")

    assert "Repriced 3 of 5 log(s)." in out
    assert "[" in err and "100%" in err  # the progress bar reached the end
    for log_id in old:
        log = Log.objects.get(pk=log_id)
        assert (log.cost_usd, log.price_source, log.price_ref) == (
            expected,
            "override",
            f"override {price.pk}",
        )
    assert Log.objects.get(pk=client_priced).cost_usd == Decimal("0.5")
    assert Log.objects.get(pk=elsewhere).price_source == "bundled"


def test_it_returns_to_the_bundled_table_when_the_override_goes(api, workspace):
    price = ModelPrice.objects.create(
        workspace=workspace,
        model="gpt-4o-mini",
        input_per_mtok=2,
        output_per_mtok=4,
        valid_from=timezone.now() - timedelta(hours=1),
    )
    log_id = send(api)
    assert Log.objects.get(pk=log_id).price_source == "override"
    price.delete()
    reprice()
    log = Log.objects.get(pk=log_id)
    assert (log.price_source, log.cost_usd) == ("bundled", Decimal("0.00000315"))


def test_it_keeps_the_old_price_for_logs_before_the_overrides_valid_from(api, workspace):
    before = send(api, minutes_ago=120)
    ModelPrice.objects.create(
        workspace=workspace,
        model="gpt-4o-mini",
        input_per_mtok=2,
        output_per_mtok=4,
        valid_from=timezone.now() - timedelta(hours=1),
    )
    after = send(api, minutes_ago=30)
    reprice("--start", (timezone.now() - timedelta(days=1)).isoformat())
    assert Log.objects.get(pk=before).price_source == "bundled"
    assert Log.objects.get(pk=after).price_source == "override"


def test_it_only_touches_the_time_range(api, workspace):
    old = send(api, minutes_ago=60 * 24 * 3)
    ModelPrice.objects.create(
        workspace=workspace,
        model="gpt-4o-mini",
        input_per_mtok=2,
        output_per_mtok=4,
        valid_from=timezone.now() - timedelta(days=10),
    )
    recent = send(api, minutes_ago=10)
    Log.objects.filter(pk=recent).update(cost_usd=None, price_source="", price_ref="")
    out, _ = reprice("--days", "1")
    assert "Repriced 1 of 1 log(s)." in out
    assert Log.objects.get(pk=old).price_source == "bundled"
    assert Log.objects.get(pk=recent).price_source == "override"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workspace", "nope"), "No workspace"),
        (("--batch-size", "0"), "at least 1"),
        (("--start", "yesterday"), "ISO 8601"),
        (("--days", "1", "--start", "2026-01-01T00:00:00Z"), "not both"),
    ],
)
@pytest.mark.django_db
def test_it_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        reprice(*args)


def test_it_rebuilds_the_chart_rollups_of_the_hours_it_repriced(api, workspace):
    repriced = [send(api, minutes_ago=m) for m in (90, 95, 60 * 5)]
    rollups.refresh()
    ModelPrice.objects.create(
        workspace=workspace,
        model="gpt-4o-mini",
        input_per_mtok=2,
        output_per_mtok=4,
        valid_from=timezone.now() - timedelta(days=1),
    )
    reprice("--days", "1")

    now = timezone.now()
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    chart = OrmLogStore().timeseries(criteria, now - timedelta(hours=24), now)
    expected = 3 * (9 * 2 + 3 * 4) / MTOK
    assert sum(Log.objects.get(pk=i).cost_usd for i in repriced) == expected
    assert chart.totals["cost"] == expected
    by_model = OrmLogStore().breakdown(criteria, now - timedelta(hours=24), now, "model")
    assert [(row.value, row.cost) for row in by_model] == [("gpt-4o-mini", expected)]
    rolled = ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="")
    assert sum(row.cost_usd for row in rolled) == expected
