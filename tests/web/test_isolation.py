"""A member of workspace A never sees workspace B's logs, traces, charts, keys or exports."""

import pytest

from tests.web.conftest import chat

pytestmark = pytest.mark.django_db

SECRET = "globex-secret-user"


@pytest.fixture
def theirs(other_api_key, post_logs):
    body = {**chat(SECRET, metadata={"secret_key": "classified"}), "trace_id": "tr-globex"}
    (log_id,) = post_logs([body], key=other_api_key)
    return log_id


@pytest.fixture
def mine(api_key, post_logs):
    (log_id,) = post_logs([{**chat("alice"), "trace_id": "tr-acme"}], key=api_key)
    return log_id


def test_lists_charts_and_exports_show_only_my_workspace(web, theirs, mine):
    for url in ("/?since=30d", "/charts/?since=30d&by=user", "/export.jsonl?since=30d"):
        response = web.get(url)
        text = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert "alice" in text, url
        assert SECRET not in text, url
    assert "secret_key" not in web.get("/metadata-keys/?q=secret").content.decode()


def test_other_workspaces_logs_and_traces_are_404(web, theirs, mine):
    assert web.get(f"/log/{theirs}/").status_code == 404
    assert web.get("/traces/tr-globex/").status_code == 404
    assert web.get(f"/log/{mine}/").status_code == 200
    assert web.get("/traces/tr-acme/").status_code == 200


def test_naming_another_workspace_shows_nothing(web, theirs):
    response = web.get("/?workspace=globex&since=30d")
    body = response.content.decode()
    assert "is not yours" in body
    assert SECRET not in body
    assert web.get("/traces/tr-globex/?workspace=globex").status_code == 404


def test_a_user_without_workspaces_sees_nothing(client_for, django_user_model, theirs, mine):
    loner = client_for(django_user_model.objects.create_user("loner", password="x-long-pass"))
    body = loner.get("/?since=30d").content.decode()
    assert "alice" not in body and SECRET not in body
    assert loner.get(f"/log/{mine}/").status_code == 404


def test_a_superuser_sees_every_workspace(client_for, django_user_model, theirs, mine):
    admin = client_for(django_user_model.objects.create_superuser("root", password="x-long-pass"))
    body = admin.get("/?since=30d").content.decode()
    assert "alice" in body and SECRET in body
    assert admin.get(f"/log/{theirs}/").status_code == 200
