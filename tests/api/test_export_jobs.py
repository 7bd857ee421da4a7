"""Export jobs: the database worker, progress, cancelling, the limits and the signed file URL."""

import json

import pytest
from django.core import signing
from django.core.management import call_command

from logstore.exports import jobs as exports
from logstore.exports import portkey_filters
from logstore.models import LogExport
from logstore.storage import get_store

pytestmark = pytest.mark.django_db(transaction=True)


def create(api, **body):
    response = api.post("/logs/exports", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["id"]


def start(api, export_id):
    return api.post(f"/logs/exports/{export_id}/start")


def test_the_database_worker_runs_a_started_export(api, seed):
    seed(3)
    export_id = create(api, filters={}, requested_data=["trace_id"])
    assert start(api, export_id).status_code == 200
    assert api.get(f"/logs/exports/{export_id}").json()["status"] == "in_progress"

    call_command("db_worker", "--batch", "--no-startup-delay")

    export = api.get(f"/logs/exports/{export_id}").json()
    assert export["status"] == "success"
    assert export["records_written"] == 3
    url = api.get(f"/logs/exports/{export_id}/download").json()["url"]
    body = b"".join(api.get(url).streaming_content).decode()
    assert body.splitlines() == ['{"trace_id":"t2"}', '{"trace_id":"t1"}', '{"trace_id":"t0"}']


def test_a_running_export_shows_progress_and_stops_when_cancelled(
    api, seed, immediate_tasks, monkeypatch
):
    seed(6)
    export_id = create(api, filters={})
    seen = {}
    store = get_store()
    original = store.chunks

    def cancel_after_first_chunk(criteria, *, size, after=None, columns=None):
        chunks = original(criteria, size=2, after=after, columns=columns)
        yield next(chunks)
        seen["while_running"] = api.get(f"/logs/exports/{export_id}").json()
        assert api.post(f"/logs/exports/{export_id}/cancel").status_code == 200
        yield from chunks

    monkeypatch.setattr(store, "chunks", cancel_after_first_chunk)
    assert start(api, export_id).status_code == 200

    assert seen["while_running"]["status"] == "in_progress"
    assert seen["while_running"]["records_written"] == 2
    export = api.get(f"/logs/exports/{export_id}").json()
    assert export["status"] == "stopped"
    assert export["records_written"] == 2
    assert not exports.export_path(LogExport.objects.get(pk=export_id)).exists()
    assert api.get(f"/logs/exports/{export_id}/download").status_code == 409


def test_it_refuses_start_from_every_state_but_draft(api, seed):
    seed(1)
    export_id = create(api, filters={})
    for status in ("in_progress", "success", "failed", "stopped"):
        LogExport.objects.filter(pk=export_id).update(status=status)
        response = start(api, export_id)
        assert response.status_code == 409
        assert response.json()["message"] == (
            f"Only a draft export can be started; this one is {status}."
        )


def test_it_refuses_cancel_after_the_export_ended_and_update_after_it_started(api, seed):
    seed(1)
    export_id = create(api, filters={})
    LogExport.objects.filter(pk=export_id).update(status="success")
    assert api.post(f"/logs/exports/{export_id}/cancel").status_code == 409
    response = api.put(
        f"/logs/exports/{export_id}",
        data=json.dumps({"filters": {}}),
        content_type="application/json",
    )
    assert response.status_code == 409


def test_a_draft_can_be_cancelled(api, seed):
    export_id = create(api, filters={})
    response = api.post(f"/logs/exports/{export_id}/cancel", data={"export_id": export_id})
    assert response.status_code == 200
    assert response.json()["status"] == "stopped"
    assert start(api, export_id).status_code == 409


def test_an_export_writes_at_most_its_limit(api, seed, immediate_tasks, monkeypatch):
    monkeypatch.setattr(portkey_filters, "MAX_LOGS_PER_EXPORT", 4)
    seed(6)
    export_id = create(api, filters={}, requested_data=["trace_id"])
    assert api.get(f"/logs/exports/{export_id}").json()["total_records"] == 4
    start(api, export_id)
    assert api.get(f"/logs/exports/{export_id}").json()["records_written"] == 4


@pytest.mark.parametrize(
    ("page", "expected"), [(0, ["t6", "t5", "t4"]), (1, ["t3", "t2", "t1"]), (2, ["t0"]), (3, [])]
)
def test_page_size_and_current_page_select_a_slice(
    api, seed, immediate_tasks, monkeypatch, page, expected
):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    seed(7)
    export_id = create(
        api, filters={"page_size": 3, "current_page": page}, requested_data=["trace_id"]
    )
    start(api, export_id)
    export = api.get(f"/logs/exports/{export_id}").json()
    assert (export["status"], export["total_records"]) == ("success", len(expected))
    url = api.get(f"/logs/exports/{export_id}/download").json()["url"]
    body = b"".join(api.get(url).streaming_content).decode()
    assert [json.loads(line)["trace_id"] for line in body.splitlines()] == expected


def test_a_download_link_expires_and_cannot_be_forged(api, seed, immediate_tasks, settings):
    seed(1)
    export_id = create(api, filters={})
    start(api, export_id)
    url = api.get(f"/logs/exports/{export_id}/download").json()["url"]
    assert api.get(url).status_code == 200

    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert api.get(forged).status_code == 404
    other = signing.dumps({"export": "01a2220f-0000-7000-8000-000000000000"}, salt="wrong")
    assert api.get(f"/logs/exports/files/{other}").status_code == 404

    settings.LOGSTORE_EXPORT_URL_MAX_AGE = -1
    response = api.get(url)
    assert response.status_code == 404
    assert response.json()["message"] == "This download link is invalid or has expired."


def test_an_unknown_requested_field_is_a_400(api):
    response = api.post(
        "/logs/exports",
        data=json.dumps({"filters": {}, "requested_data": ["id", "colour"]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Unknown requested_data field 'colour'" in response.json()["message"]


def test_exports_need_the_export_scope(workspace, make_api):
    from logstore.models import ApiKey

    key, raw = ApiKey.generate(workspace, "reader", scopes=["logs.read"])
    key.raw = raw
    response = make_api(key).get("/logs/exports")
    assert response.status_code == 403
    assert "logs.export" in response.json()["message"]


def test_a_job_that_breaks_is_marked_failed_with_its_reason(
    api, seed, immediate_tasks, monkeypatch
):
    seed(1)
    export_id = create(api, filters={})

    def broken(criteria, **options):
        raise OSError("disk full")
        yield

    monkeypatch.setattr(get_store(), "chunks", broken)
    start(api, export_id)
    export = api.get(f"/logs/exports/{export_id}").json()
    assert (export["status"], export["error"]) == ("failed", "disk full")
    assert start(api, export_id).status_code == 409


def test_the_js_sdks_start_body_and_doubled_slash_are_accepted(api, seed):
    export_id = create(api, filters={})
    response = api.post(
        f"/v1//logs/exports/{export_id}/start",
        data=json.dumps({"export_id": export_id}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "Export started",
        "object": "export",
        "id": export_id,
        "status": "in_progress",
    }


def test_a_job_whose_worker_died_is_reported_failed(api, seed):
    from datetime import timedelta

    from django.utils import timezone

    seed(1)
    export_id = create(api, filters={})
    assert start(api, export_id).status_code == 200
    assert api.get(f"/logs/exports/{export_id}").json()["status"] == "in_progress"
    LogExport.objects.filter(pk=export_id).update(
        last_updated_at=timezone.now() - exports.STALLED_AFTER - timedelta(seconds=1)
    )
    export = api.get(f"/logs/exports/{export_id}").json()
    assert export["status"] == "failed"
    assert exports.run_export(export_id) == "failed"  # a late worker does not revive it
