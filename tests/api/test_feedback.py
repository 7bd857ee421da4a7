"""Feedback through the official SDK, and its place on logs and in the shared filter."""

import json

import pytest
from portkey_ai.api_resources import exceptions as portkey_errors

from logstore.models import ApiKey, Feedback
from tests.payloads import openai_chat


@pytest.mark.django_db(transaction=True)
def test_the_sdk_creates_bulk_creates_and_updates_feedback(portkey, api_key):
    one = portkey.feedback.create(trace_id="trace-a", value=5, weight=0.5, metadata={"by": "qa"})
    assert one.status == "success"
    assert len(one.feedback_ids) == 1

    many = portkey.feedback.bulk_create(
        feedbacks=[{"trace_id": "trace-a", "value": -2}, {"trace_id": "trace-b", "value": 10}]
    )
    assert len(many.feedback_ids) == 2

    updated = portkey.feedback.update(feedback_id=one.feedback_ids[0], value=7)
    assert updated.feedback_ids == one.feedback_ids

    stored = Feedback.objects.get(pk=one.feedback_ids[0])
    assert (stored.value, stored.weight, stored.metadata) == (7, 0.5, {"by": "qa"})
    assert stored.workspace_id == api_key.workspace_id
    default_weight = Feedback.objects.get(pk=many.feedback_ids[0])
    assert default_weight.weight == 1.0


@pytest.mark.django_db(transaction=True)
def test_the_sdk_sees_out_of_range_values_as_bad_requests(portkey):
    with pytest.raises(portkey_errors.BadRequestError, match="value"):
        portkey.feedback.create(trace_id="t", value=11)
    with pytest.raises(portkey_errors.BadRequestError, match="weight"):
        portkey.feedback.create(trace_id="t", value=1, weight=1.5)
    assert not Feedback.objects.exists()


@pytest.mark.django_db
def test_feedback_sent_before_its_trace_attaches_when_the_trace_arrives(api, post_logs):
    response = api.post(
        "/feedback",
        data=json.dumps(
            [{"trace_id": "late", "value": 4}, {"trace_id": "late", "value": -2, "weight": 0.5}]
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    (log_id,) = post_logs({**openai_chat("alice"), "trace_id": "late"})

    detail = api.get(f"/v1/logs/{log_id}").json()
    assert detail["feedback"]["weighted_score"] == pytest.approx((4 - 1) / 1.5)
    assert sorted(f["value"] for f in detail["feedback"]["items"]) == [-2, 4]
    listed = api.get("/logs", {"feedback_min": 1}).json()["results"]
    assert [log["id"] for log in listed] == [log_id]


@pytest.mark.django_db
def test_the_weighted_feedback_filter_ignores_another_workspaces_feedback(
    api, post_logs, other_api_key, make_api
):
    post_logs({**openai_chat("alice"), "trace_id": "shared-id"})
    stranger = make_api(other_api_key)
    stranger.post(
        "/feedback",
        data=json.dumps({"trace_id": "shared-id", "value": 9}),
        content_type="application/json",
    )
    assert api.get("/logs", {"feedback_min": 5}).json()["results"] == []
    api.post(
        "/feedback",
        data=json.dumps({"trace_id": "shared-id", "value": 6}),
        content_type="application/json",
    )
    assert len(api.get("/logs", {"feedback_min": 5, "feedback_max": 6}).json()["results"]) == 1
    assert api.get("/logs", {"feedback_max": 5}).json()["results"] == []


@pytest.mark.django_db
def test_updating_another_workspaces_feedback_is_a_404(api, other_api_key, make_api):
    created = api.post(
        "/feedback", data=json.dumps({"trace_id": "t", "value": 1}), content_type="application/json"
    ).json()
    feedback_id = created["feedback_ids"][0]
    response = make_api(other_api_key).put(
        f"/feedback/{feedback_id}", data=json.dumps({"value": 3}), content_type="application/json"
    )
    assert response.status_code == 404
    assert Feedback.objects.get(pk=feedback_id).value == 1


@pytest.mark.django_db
def test_a_batch_with_one_bad_item_stores_nothing_and_names_it(api):
    response = api.post(
        "/feedback",
        data=json.dumps([{"trace_id": "t", "value": 1}, {"trace_id": "t", "value": "high"}]),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid feedback[1]: value:")
    assert not Feedback.objects.exists()


@pytest.mark.django_db
def test_feedback_needs_the_feedback_scope(workspace, make_api):
    key, raw = ApiKey.generate(workspace, "writer", scopes=["logs.write"])
    key.raw = raw
    response = make_api(key).post(
        "/feedback", data=json.dumps({"trace_id": "t", "value": 1}), content_type="application/json"
    )
    assert response.status_code == 403
    assert "feedback.write" in response.json()["message"]
