"""Input no database can store, or that overflows, is a 400 with a reason, never a 500."""

import pytest

from tests.posting import post_json

pytestmark = pytest.mark.django_db


def test_nul_characters_in_feedback_are_a_400(api):
    response = post_json(api, {"trace_id": "a\u0000b", "value": 1}, "/feedback")
    assert response.status_code == 400
    assert "Null characters" in response.json()["message"]
    response = post_json(
        api, {"trace_id": "t", "value": 1, "metadata": {"k": "\u0000"}}, "/feedback"
    )
    assert response.status_code == 400


def test_nul_characters_in_export_filters_are_a_400(api):
    response = post_json(api, {"filters": {"trace_id": "a\u0000"}}, "/logs/exports")
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid export: filters: Null characters are not allowed."


def test_nul_characters_in_list_filters_are_a_400(api):
    response = api.get("/logs", {"trace_id": "a\x00"})
    assert response.status_code == 400


def test_times_beyond_the_calendar_are_a_400(api):
    response = post_json(
        api, {"filters": {"time_of_generation_max": "9999-12-31T23:59:59.999999Z"}}, "/logs/exports"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "filters.time_of_generation_max is out of range."


def test_huge_numbers_are_a_400_or_match_nothing(api):
    response = post_json(api, {"filters": {"total_units_max": 1e300}}, "/logs/exports")
    assert response.status_code == 400
    response = api.get("/logs", {"latency_max": "99999999999999999999"})
    assert response.status_code == 200
    assert response.json()["results"] == []
