"""Portkey's export filter forms, mapped onto the shared LogFilter."""

import json

import pytest

from logstore.exports.jobs import resolve_requested_data, validate
from logstore.exports.portkey_filters import ExportError, filters_to_params
from tests.payloads import openai_chat


def test_it_maps_the_sdks_generations_filter_schema():
    params = filters_to_params(
        {
            "time_of_generation_min": "2026-01-01T00:00:00Z",
            "time_of_generation_max": "2026-01-02T00:00:00Z",
            "total_units_min": 10,
            "total_units_max": 100,
            "prompt_token_min": 1,
            "prompt_token_max": 50,
            "completion_token_min": 2,
            "completion_token_max": 60,
            "ai_model": "gpt-4o",
            "ai_org_model": "openai__gpt-4o,anthropic__claude-3",
            "status_code": "200,429",
            "metadata": {"env": "prod", "tier": 5, "beta": True},
            "trace_id": ["a", "b"],
            "weighted_feedback_min": -1.5,
            "weighted_feedback_max": 8,
            "page_size": 100,
            "current_page": 0,
        }
    )
    assert params == {
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2026-01-02T00:00:00.000001+00:00",
        "tokens_min": "10",
        "tokens_max": "100",
        "prompt_tokens_min": "1",
        "prompt_tokens_max": "50",
        "completion_tokens_min": "2",
        "completion_tokens_max": "60",
        "model": "gpt-4o",
        "provider_model": ["openai__gpt-4o", "anthropic__claude-3"],
        "status": ["200", "429"],
        "metadata": ["env=prod", "tier=5", "beta=true"],
        "trace_id": ["a", "b"],
        "feedback_min": "-1.5",
        "feedback_max": "8",
    }


def test_it_maps_the_docs_created_at_range_and_aliases():
    params = filters_to_params(
        {
            "created_at": {"gte": "2026-03-01T00:00:00Z", "lt": "2026-03-02T00:00:00Z"},
            "ai_provider": "anthropic",
            "request_tokens": {"gte": 5},
            "response_tokens": {"gt": 5, "lt": 9},
            "total_tokens": 12,
            "status_code": [500, 503],
        }
    )
    assert params == {
        "start": "2026-03-01T00:00:00+00:00",
        "end": "2026-03-02T00:00:00+00:00",
        "provider": "anthropic",
        "prompt_tokens_min": "5",
        "completion_tokens_min": "6",
        "completion_tokens_max": "8",
        "tokens_min": "12",
        "tokens_max": "12",
        "status": ["500", "503"],
    }


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"colour": "red"}, "Unknown filter 'colour'"),
        ({"created_at": {"after": "2026-01-01"}}, "takes gte, gt, lte, lt or eq"),
        ({"time_of_generation_min": "last tuesday"}, "ISO 8601"),
        ({"total_units_min": "many"}, "must be a number"),
        ({"total_units_min": 1, "total_tokens": {"gte": 2}}, "different values"),
        ({"page_size": 50_001}, "page_size must be between 1 and 50000"),
        ({"page_size": 50_000, "current_page": 21}, "narrow the export"),
    ],
)
@pytest.mark.django_db
def test_it_refuses_filters_it_cannot_honour(filters, message):
    with pytest.raises(ExportError, match=message):
        validate(filters, None)


def test_requested_data_accepts_the_docs_aliases_and_defaults_to_everything():
    assert resolve_requested_data(["_id", "ai_provider", "request_tokens", "status_code"]) == [
        "id",
        "ai_org",
        "req_units",
        "response_status_code",
    ]
    assert "metadata" in resolve_requested_data(None)
    assert resolve_requested_data(None) == resolve_requested_data([])


@pytest.mark.django_db
def test_an_export_counts_the_logs_its_mapped_filters_select(api, post_logs):
    post_logs(
        {**openai_chat("a", model="gpt-4o", env="prod"), "trace_id": "x"},
        {**openai_chat("b", model="gpt-4o", env="dev"), "trace_id": "y"},
        {**openai_chat("c", model="claude-3", status=500, env="prod"), "trace_id": "z"},
    )
    cases = [
        ({"ai_model": "gpt-4o", "metadata": {"env": "prod"}}, {"a"}),
        ({"ai_org_model": "anthropic__claude-3,openai__gpt-4o"}, {"a", "b"}),
        ({"status_code": "500"}, {"c"}),
        ({"trace_id": "x,z", "total_units": {"gte": 12, "lte": 12}}, {"a", "c"}),
        ({"prompt_token_min": 10}, set()),
    ]
    for filters, users in cases:
        body = {"filters": filters, "requested_data": ["metadata"]}
        created = api.post("/logs/exports", data=json.dumps(body), content_type="application/json")
        assert created.status_code == 200, created.content
        assert created.json()["total"] == len(users), filters


@pytest.mark.django_db
def test_a_filter_error_reaches_the_client_as_a_400(api):
    body = {"filters": {"status_code": "abc"}}
    response = api.post("/logs/exports", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid filter status:")
