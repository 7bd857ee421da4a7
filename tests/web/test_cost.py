"""Cost on the web pages: the list column, the log page's price, trace totals, charts,
breakdowns and the users page, all against figures computed by hand."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from logstore.models import ModelPrice
from logstore.storage import get_store
from logstore.storage.port import LogCriteria
from tests.web.conftest import chat

pytestmark = pytest.mark.django_db

MTOK = Decimal(10**6)
# OpenAI's gpt-4o-mini list price ($0.15 in, $0.60 out per MTok) for the 9 + 3 tokens of chat().
MINI = (9 * Decimal("0.15") + 3 * Decimal("0.60")) / MTOK  # $0.00000315


def call(user="alice", model="gpt-4o-mini", minutes_ago=1, status=200, latency=100, **metadata):
    body = chat(user, minutes_ago=minutes_ago, metadata=metadata)
    body["request"]["body"]["model"] = body["response"]["body"]["model"] = model
    body["response"]["status"] = status
    body["response"]["response_time"] = latency
    return body


@pytest.fixture
def house_prices(workspace):
    """Round prices for two in-house models: a = 9 in + 3 out at $1/$10 per MTok = $0.000039,
    b = at $100/$1000 per MTok = $0.0039."""
    since = timezone.now() - timedelta(days=60)
    ModelPrice.objects.create(
        workspace=workspace, model="house-a", input_per_mtok=1, output_per_mtok=10, valid_from=since
    )
    ModelPrice.objects.create(
        workspace=workspace,
        model="house-b",
        input_per_mtok=100,
        output_per_mtok=1000,
        valid_from=since,
    )


A = Decimal("0.000039")
B = Decimal("0.0039")


def test_the_list_shows_each_calls_cost_and_no_price_for_an_unknown_model(web, api_key, post_logs):
    post_logs([call(model="gpt-4o-mini"), call(model="mystery-model")], key=api_key)
    body = web.get("/?since=1h").content.decode()
    assert "$0.00000315" in body
    assert "no price" in body
    assert "$0<" not in body


def test_the_log_page_shows_the_cost_and_the_price_used(web, api_key, post_logs):
    (log_id,) = post_logs([call(model="gpt-4o-mini")], key=api_key)
    body = web.get(f"/log/{log_id}/").content.decode()
    assert '<span class="cost">$0.00000315</span>' in body
    assert "bundled table, genai-prices" in body
    assert "$0.15/input MTok" in body
    (unknown,) = post_logs([call(model="mystery-model")], key=api_key)
    assert '<span class="cost">no price</span>' in web.get(f"/log/{unknown}/").content.decode()


def test_the_log_page_names_the_override_that_priced_it(web, api_key, post_logs, house_prices):
    (log_id,) = post_logs([call(model="house-a")], key=api_key)
    price = ModelPrice.objects.get(model="house-a")
    body = web.get(f"/log/{log_id}/").content.decode()
    assert f"price override (override {price.pk})" in body
    assert "$1/input MTok, $10/output MTok" in body


def test_a_trace_totals_the_cost_of_its_spans(web, api_key, post_logs, house_prices):
    spans = [call(model="house-a"), call(model="house-b"), call(model="mystery-model")]
    for index, span in enumerate(spans):
        span.update(trace_id="t-cost", span_id=f"s{index}")
    post_logs(spans, key=api_key)
    body = web.get("/traces/t-cost/").content.decode()
    assert f"${(A + B):.6f}" == "$0.003939"
    assert "$0.00394 <span" in body or "$0.00394<" in body  # three significant digits
    assert "+ 1 span without a price" in body


def test_charts_total_cost_per_bucket_and_overall(web, api_key, post_logs, house_prices):
    when = (datetime.now(UTC) - timedelta(minutes=90)).replace(second=30).isoformat()
    logs = [call(model="house-a"), call(model="house-a"), call(model="house-b")]
    logs.append(call(model="mystery-model"))
    for body in logs:
        body["createdAt"] = when
    post_logs(logs, key=api_key)
    now = datetime.now(UTC)
    series = get_store().timeseries(LogCriteria(workspace_ids=None), now - timedelta(hours=3), now)
    (bucket,) = [b for b in series.buckets if b.requests]
    assert bucket.cost == 2 * A + B == Decimal("0.003978")
    assert bucket.unpriced == 1
    assert series.totals["cost"] == Decimal("0.003978")
    page = web.get("/charts/?since=24h").content.decode()
    assert '<span class="total-cost">$0.00398</span>' in page
    assert "(+ 1 without a price)" in page
    assert "Cost over time" in page


def test_breakdowns_rank_by_cost_with_hand_computed_sums(web, api_key, post_logs, house_prices):
    post_logs(
        [
            call("alice", "house-a", customer="acme", tier="free"),
            call("alice", "house-a", customer="acme", tier="free"),
            call("alice", "house-a", customer="acme", tier="free"),
            call("bob", "house-b", customer="globex", tier="pro"),
            call("carol", "house-a", customer="globex", tier="pro"),
        ],
    )
    now = datetime.now(UTC)
    window = (LogCriteria(workspace_ids=None), now - timedelta(hours=1), now)
    by_user = get_store().breakdown(*window, "user", order="cost")
    assert [(r.value, r.requests, r.cost) for r in by_user] == [
        ("bob", 1, B),
        ("alice", 3, 3 * A),
        ("carol", 1, A),
    ]
    by_requests = get_store().breakdown(*window, "user")
    assert [r.value for r in by_requests][0] == "alice"
    by_customer = get_store().breakdown(*window, "metadata", key="customer", order="cost")
    assert [(r.value, r.cost) for r in by_customer] == [("globex", A + B), ("acme", 3 * A)]
    by_model = get_store().breakdown(*window, "model", order="cost")
    assert [(r.value, r.tokens, r.cost) for r in by_model] == [
        ("house-b", 12, B),
        ("house-a", 48, 4 * A),
    ]
    page = web.get("/charts/?since=1h&by=metadata&by_key=customer&order=cost").content.decode()
    assert page.index(">globex<") < page.index(">acme<")
    assert "$0.00394" in page  # globex: A + B


def test_the_users_page_totals_each_user_and_links_to_their_logs(
    web, api_key, post_logs, house_prices
):
    post_logs(
        [
            call("alice", "house-a", latency=100, minutes_ago=5),
            call("alice", "house-a", latency=300, minutes_ago=3),
            call("alice", "house-a", status=500, latency=500, minutes_ago=2),
            call("bob", "house-b", latency=50, minutes_ago=4),
            call("carol", "mystery-model", latency=70, minutes_ago=1),
        ],
    )
    response = web.get("/users/?since=1h")
    assert response.status_code == 200
    body = response.content.decode()
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", body, re.S)
    names = [re.search(r">([a-z]+)</a>", row).group(1) for row in rows]
    assert names == ["bob", "alice", "carol"]  # by cost, the unpriced last
    alice = rows[1]
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', alice, re.S)
    # requests, errors, tokens, cost, p95 (of 100, 300, 500: 480), last seen
    assert cells[:5] == ["3", "1", "36", "$0.000117", "480 ms"]
    assert 'href="/?since=1h&amp;user=alice"' in alice
    assert "no price" in rows[2]
    by_requests = web.get("/users/?since=1h&sort=requests&dir=desc").content.decode()
    assert by_requests.index(">alice<") < by_requests.index(">bob<")
    by_p95 = web.get("/users/?since=1h&sort=p95&dir=asc").content.decode()
    assert by_p95.index(">bob<") < by_p95.index(">carol<") < by_p95.index(">alice<")


def test_the_users_page_groups_by_any_metadata_key(web, api_key, post_logs, house_prices):
    post_logs(
        [
            call("alice", "house-a", customer="acme"),
            call("bob", "house-b", customer="globex"),
            call("carol", "house-a", customer="globex"),
            call("dave", "house-a"),
        ],
    )
    body = web.get("/users/?since=1h&by_key=customer").content.decode()
    assert body.index(">globex<") < body.index(">acme<")
    assert "$0.00394" in body  # globex: A + B
    assert "(no customer)" in body
    assert 'href="/?since=1h&amp;metadata=customer%3Dglobex"' in body


def test_the_users_page_shows_only_the_members_workspaces(
    web, api_key, other_api_key, post_logs, house_prices
):
    post_logs([call("alice", "house-a")], key=api_key)
    post_logs([call("mallory", "gpt-4o-mini")], key=other_api_key)
    body = web.get("/users/?since=1h").content.decode()
    assert ">alice<" in body and "mallory" not in body
