"""Cost at ingest: the bundled table, operators' overrides, client-reported costs, no price."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from logstore.models import Log, ModelPrice
from tests.payloads import openai_chat

# OpenAI's list price for gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output.
GPT_4O_MINI_9_IN_3_OUT = Decimal("9") * Decimal("0.15") / 10**6 + 3 * Decimal("0.60") / 10**6


def post(api, body):
    response = api.post("/v1/logs", body, format="json")
    assert response.status_code == 200, response.content
    return Log.objects.get(pk=response.json()["log_ids"][0])


def anthropic_message(**usage):
    return {
        "request": {
            "url": "https://api.anthropic.com/v1/messages",
            "body": {"model": "claude-3-5-sonnet-20241022", "messages": []},
        },
        "response": {
            "status": 200,
            "body": {"model": "claude-3-5-sonnet-20241022", "usage": usage},
        },
    }


def test_it_prices_a_known_model_from_the_bundled_table(api):
    log = post(api, openai_chat(model="gpt-4o-mini"))
    assert log.cost_usd == GPT_4O_MINI_9_IN_3_OUT == Decimal("0.00000315")
    assert log.price_source == "bundled"
    assert log.price_ref.startswith("genai-prices ")


def test_it_shows_no_price_for_an_unknown_model_rather_than_zero(api):
    log = post(api, openai_chat(model="acme-llm-7"))
    assert log.cost_usd is None
    assert log.price_source == ""
    detail = api.get(f"/v1/logs/{log.pk}").json()
    assert detail["cost"] is None
    assert detail["price_source"] == "none"


def test_it_prices_cached_input_at_the_cached_rate(api):
    body = openai_chat(model="gpt-4o")
    body["response"]["body"]["usage"] = {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "prompt_tokens_details": {"cached_tokens": 200},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    log = post(api, body)
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    assert log.cached_tokens == 200
    assert log.cost_usd == (800 * Decimal("2.5") + 200 * Decimal("1.25") + 500 * 10) / 10**6


def test_it_counts_anthropic_cache_reads_and_writes(api):
    log = post(
        api,
        anthropic_message(
            input_tokens=100,
            cache_creation_input_tokens=1000,
            cache_read_input_tokens=2000,
            output_tokens=50,
        ),
    )
    assert (log.prompt_tokens, log.cached_tokens, log.cache_write_tokens) == (3100, 2000, 1000)
    # Claude 3.5 Sonnet: $3 input, $3.75 cache write, $0.30 cache read, $15 output per MTok.
    expected = (100 * 3 + 1000 * Decimal("3.75") + 2000 * Decimal("0.3") + 50 * 15) / 10**6
    assert log.cost_usd == expected
    assert log.price_source == "bundled"


def test_it_bills_gemini_thinking_as_output(api):
    body = {
        "request": {
            "url": "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
            "body": {"contents": []},
        },
        "response": {
            "body": {
                "usageMetadata": {
                    "promptTokenCount": 10,
                    "candidatesTokenCount": 20,
                    "thoughtsTokenCount": 30,
                    "totalTokenCount": 60,
                }
            }
        },
    }
    log = post(api, body)
    assert (log.completion_tokens, log.reasoning_tokens, log.total_tokens) == (50, 30, 60)
    # Gemini 2.5 Flash: $0.30 input, $2.50 output per million tokens.
    assert log.cost_usd == (10 * Decimal("0.3") + 50 * Decimal("2.5")) / 10**6


def test_a_client_reported_cost_wins_over_every_price(api, workspace):
    ModelPrice.objects.create(
        workspace=workspace, model="gpt-4o-mini", input_per_mtok=100, output_per_mtok=100
    )
    log = post(api, {**openai_chat(model="gpt-4o-mini"), "cost": 0.0123, "cost_currency": "USD"})
    assert log.cost_usd == Decimal("0.0123")
    assert log.price_source == "client"


def test_it_takes_openrouters_reported_cost(api):
    body = openai_chat(model="openai/gpt-4o-mini")
    body["response"]["body"]["usage"]["cost"] = 0.00042
    log = post(api, body)
    assert (log.cost_usd, log.price_source) == (Decimal("0.00042"), "client")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"cost": -1}, "cost"),
        ({"cost": "lots"}, "cost"),
        ({"cost": 1, "cost_currency": "EUR"}, "cost_currency"),
    ],
)
def test_it_refuses_a_cost_it_cannot_read_and_stores_nothing(api, extra, field):
    response = api.post("/v1/logs", {**openai_chat(), **extra}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == field
    assert not Log.objects.exists()


def test_an_override_prices_new_logs_and_beats_the_bundled_table(api, workspace):
    before = post(api, openai_chat(model="gpt-4o-mini"))
    price = ModelPrice.objects.create(
        workspace=workspace,
        provider="openai",
        model="gpt-4o-mini",
        input_per_mtok=Decimal("1"),
        output_per_mtok=Decimal("2"),
        valid_from=timezone.now() - timedelta(days=1),
    )
    after = post(api, openai_chat(model="gpt-4o-mini"))
    assert after.cost_usd == (9 * 1 + 3 * 2) / Decimal(10**6)
    assert (after.price_source, after.price_ref) == ("override", f"override {price.pk}")
    before.refresh_from_db()
    assert before.price_source == "bundled"


def test_a_prefix_override_prices_fine_tunes_and_the_workspaces_own_beats_a_global_one(
    api, workspace
):
    ModelPrice.objects.create(
        model="ft:gpt-4o-mini",
        match="prefix",
        input_per_mtok=5,
        output_per_mtok=5,
        valid_from=timezone.now() - timedelta(days=1),
    )
    log = post(api, openai_chat(model="ft:gpt-4o-mini:acme::abc123"))
    assert log.cost_usd == 12 * Decimal(5) / 10**6
    ModelPrice.objects.create(
        workspace=workspace,
        model="ft:gpt-4o-mini",
        match="prefix",
        input_per_mtok=1,
        output_per_mtok=1,
        valid_from=timezone.now() - timedelta(days=1),
    )
    log = post(api, openai_chat(model="ft:gpt-4o-mini:acme::abc123"))
    assert log.cost_usd == 12 * Decimal(1) / 10**6


def test_an_override_applies_only_from_its_valid_from(api, workspace):
    ModelPrice.objects.create(
        workspace=workspace,
        model="gpt-4o-mini",
        input_per_mtok=1,
        output_per_mtok=1,
        valid_from=timezone.now() + timedelta(days=30),
    )
    assert post(api, openai_chat(model="gpt-4o-mini")).price_source == "bundled"


def test_another_workspaces_override_does_not_apply(api, other_workspace):
    ModelPrice.objects.create(
        workspace=other_workspace,
        model="gpt-4o-mini",
        input_per_mtok=1,
        output_per_mtok=1,
        valid_from=timezone.now() - timedelta(days=1),
    )
    assert post(api, openai_chat(model="gpt-4o-mini")).price_source == "bundled"


@pytest.mark.parametrize(
    ("provider", "priced"),
    [
        ("openai", True),
        ("my-gateway", True),  # unknown to the table: priced by the model's name
        ("groq", False),  # a known provider that does not serve gpt-4o-mini
        ("ollama", False),  # local models have no list price
    ],
)
def test_it_prices_by_provider_and_model(api, provider, priced):
    body = openai_chat(model="gpt-4o-mini")
    body["request"]["provider"] = provider
    log = post(api, body)
    assert log.provider == provider
    assert (log.cost_usd == GPT_4O_MINI_9_IN_3_OUT) is priced
    assert (log.price_source == "bundled") is priced


def test_the_token_price_shortcut_agrees_with_genai_prices_for_every_model():
    """bundled.flat_cost skips genai-prices' general calculation for token prices; it must
    give the very same figure for every model in the table where it applies."""
    from datetime import UTC, datetime

    from genai_prices import Usage as TableUsage
    from genai_prices.data import providers

    from logstore.pricing.bundled import flat_cost
    from logstore.pricing.costing import Usage

    now = datetime.now(UTC)
    usages = [
        Usage(1000, 500),
        Usage(1000, 500, cached=300, cache_write=200),
        Usage(300_000, 1000, cached=100_000),  # past the 200k tier of long-context prices
    ]
    checked = 0
    for usage in usages:
        counts = {
            "input_tokens": usage.input,
            "output_tokens": usage.output,
            "cache_read_tokens": usage.cached,
            "cache_write_tokens": usage.cache_write,
        }
        table_usage = TableUsage(**{k: v for k, v in counts.items() if v})
        for provider in providers:
            for model in provider.models:
                fast = flat_cost(model.get_prices(now), usage)
                if fast is None:
                    continue
                expected = model.calc_price(table_usage, provider, genai_request_timestamp=now)
                assert fast == expected.total_price, (provider.id, model.id, usage)
                checked += 1
    assert checked > 3 * 2000  # nearly the whole table, tiered prices included
