"""Paging when many logs share one `created_at`: every surface reaches every log exactly once.

Batch clients and clock granularity make ties common; the id breaks them on every surface.
"""

import html
import json
import re
from uuid import UUID

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from logstore.core.ids import uuid7
from logstore.models import Log

pytestmark = pytest.mark.django_db

TIES = 1500
LOG_LINK = re.compile(r'href="/log/([0-9a-f-]{36})/')
ADMIN_LINK = re.compile(r'href="/admin/logstore/log/([0-9a-f-]{36})/change/')


@pytest.fixture
def tied_logs(workspace):
    """TIES logs created in the same microsecond, an hour ago."""
    when = timezone.now().replace(microsecond=0) - timezone.timedelta(hours=1)
    Log.objects.bulk_create(
        [
            Log(
                id=uuid7(),
                workspace=workspace,
                created_at=when,
                received_at=when,
                trace_id=f"t{i}",
                user=f"u{i}",
                request={},
                response={},
                metadata_index={},
            )
            for i in range(TIES)
        ],
        batch_size=500,
    )
    return set(Log.objects.values_list("id", flat=True))


def newest_first(ids):
    return sorted(ids, key=lambda i: UUID(str(i)).int, reverse=True)


def test_it_pages_the_api_through_ties_to_the_end(api, tied_logs):
    seen, url, pages = [], "/v1/logs?limit=200", 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [UUID(log["id"]) for log in body["results"]]
        url, pages = body["next"], pages + 1
        assert pages <= TIES // 200 + 1
    assert seen == newest_first(tied_logs)


def test_it_pages_the_api_back_through_ties(api, tied_logs):
    url = "/v1/logs?limit=200"
    for _ in range(4):
        url = api.get(url).json()["next"]
    back, pages = [], []
    while url:
        body = api.get(url).json()
        pages.append([UUID(log["id"]) for log in body["results"]])
        url = body["previous"]
    back = [log_id for page in reversed(pages) for log_id in page]
    assert back == newest_first(tied_logs)[: len(back)] and len(back) == 1000


@pytest.fixture
def member_client(workspace):
    user = get_user_model().objects.create_user("pager", password="pw")
    workspace.members.add(user)
    client = Client()
    client.force_login(user)
    return client


def test_it_pages_the_web_list_through_ties(member_client, tied_logs):
    seen, url = [], "/?since=24h"
    while url:
        page = member_client.get(url).content.decode()
        seen += [UUID(i) for i in LOG_LINK.findall(page)]
        older = re.search(r'<a href="([^"]+)" class="button" rel="next">', page)
        url = html.unescape(older.group(1)) if older else None
    assert seen == newest_first(tied_logs)


def test_it_pages_the_admin_changelist_through_ties(superuser_client, tied_logs):
    seen, url = [], "/admin/logstore/log/"
    while url:
        page = superuser_client.get(url).content.decode()
        seen += [UUID(i) for i in dict.fromkeys(ADMIN_LINK.findall(page))]
        older = re.search(r'<a href="([^"]+)" id="log-page-older">', page)
        url = "/admin/logstore/log/" + html.unescape(older.group(1)) if older else None
    assert seen == newest_first(tied_logs)


def test_it_exports_every_tied_log_once_from_the_web(member_client, tied_logs):
    response = member_client.get("/export.jsonl?since=24h")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [UUID(json.loads(line)["id"]) for line in lines] == newest_first(tied_logs)


@pytest.mark.django_db(transaction=True)  # the job is queued on commit
def test_it_exports_every_tied_log_once_through_an_export_job(api, tied_logs, immediate_tasks):
    job = api.post(
        "/v1/logs/exports",
        {"requested_data": ["id"], "filters": {}},
        format="json",
    )
    assert job.status_code == 200, job.content
    export_id = job.json()["id"]
    assert api.post(f"/v1/logs/exports/{export_id}/start").status_code == 200
    download = api.get(f"/v1/logs/exports/{export_id}/download").json()
    assert "url" in download, (download, api.get(f"/v1/logs/exports/{export_id}").json())
    link = download["url"]
    body = b"".join(api.get(link).streaming_content).decode()
    assert sorted(UUID(json.loads(line)["id"]) for line in body.splitlines()) == sorted(
        tied_logs, key=lambda i: UUID(str(i)).int
    )
