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


@pytest.mark.parametrize(
    "params,matches",
    [
        ({"end": "0001-01-01T00:00:00Z"}, False),
        ({"start": "0001-01-01T00:00:00+14:00"}, True),
        ({"end": "9999-12-31T23:59:59-14:00"}, True),
        ({"end": "9999-12-31T23:59:59.999999Z"}, True),
        ({"end": "2066-11-29T18:22:20-20:25"}, True),
    ],
)
def test_the_calendars_ends_are_bounds_of_the_list(api, post_logs, params, matches):
    post_logs({"request": {}, "response": {}})
    response = api.get("/logs", params)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == (1 if matches else 0)


@pytest.mark.parametrize(
    "created_at",
    [
        {"gte": "0001-01-01T00:00:00+14:00"},
        {"lte": "9999-12-31T23:59:59-14:00"},
        {"lt": "0001-01-01T00:00:00Z"},
    ],
)
def test_the_calendars_ends_are_bounds_of_an_export(api, created_at):
    response = post_json(api, {"filters": {"created_at": created_at}}, "/logs/exports")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "filters",
    [{"page_size": "inf"}, {"page_size": "nan"}, {"current_page": "1e400"}, {"page_size": 1e308}],
)
def test_non_finite_export_paging_is_a_400(api, filters):
    response = post_json(api, {"filters": filters}, "/logs/exports")
    assert response.status_code == 400, response.content
    assert next(iter(filters)) in response.json()["message"]
