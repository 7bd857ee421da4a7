"""Input no database can store, or that overflows, is a 400 with a reason, never a 500."""

import json

import pytest

pytestmark = pytest.mark.django_db


def post(api, url, body):
    return api.post(url, data=json.dumps(body), content_type="application/json")


def test_nul_characters_in_feedback_are_a_400(api):
    response = post(api, "/feedback", {"trace_id": "a\u0000b", "value": 1})
    assert response.status_code == 400
    assert "Null characters" in response.json()["message"]
    response = post(api, "/feedback", {"trace_id": "t", "value": 1, "metadata": {"k": "\u0000"}})
    assert response.status_code == 400


def test_nul_characters_in_export_filters_are_a_400(api):
    response = post(api, "/logs/exports", {"filters": {"trace_id": "a\u0000"}})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid export: filters: Null characters are not allowed."


def test_nul_characters_in_list_filters_are_a_400(api):
    response = api.get("/logs", {"trace_id": "a\x00"})
    assert response.status_code == 400


def test_times_beyond_the_calendar_are_a_400(api):
    response = post(
        api, "/logs/exports", {"filters": {"time_of_generation_max": "9999-12-31T23:59:59.999999Z"}}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "filters.time_of_generation_max is out of range."


def test_huge_numbers_are_a_400_or_match_nothing(api):
    response = post(api, "/logs/exports", {"filters": {"total_units_max": 1e300}})
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
def test_the_calendars_ends_are_bounds_of_the_list(api, params, matches):
    post(api, "/logs", {"request": {}, "response": {}})
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
    response = post(api, "/logs/exports", {"filters": {"created_at": created_at}})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "filters",
    [{"page_size": "inf"}, {"page_size": "nan"}, {"current_page": "1e400"}, {"page_size": 1e308}],
)
def test_non_finite_export_paging_is_a_400(api, filters):
    response = post(api, "/logs/exports", {"filters": filters})
    assert response.status_code == 400, response.content
    assert next(iter(filters)) in response.json()["message"]
