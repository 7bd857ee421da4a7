"""Management commands a person runs: creating keys and first-run setup."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from logstore.models import ApiKey, Workspace

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_key_prints_the_key_alone_on_the_last_line(client):
    output = run("create_api_key", "--workspace", "team-a", "--name", "ci")
    raw = output.strip().splitlines()[-1]
    assert raw.startswith("lsk_") and " " not in raw
    key = ApiKey.objects.get(name="ci")
    assert key.workspace.slug == "team-a"
    assert key.matches(raw)
    assert raw not in key.hashed_key
    response = client.post(
        "/logs",
        data=json.dumps({"request": {}, "response": {}}),
        content_type="application/json",
        HTTP_X_PORTKEY_API_KEY=raw,
    )
    assert response.status_code == 200


def test_create_api_key_reuses_an_existing_workspace_and_limits_scopes(workspace):
    run("create_api_key", "--workspace", "acme", "--name", "reader", "--scopes", "logs.read")
    assert Workspace.objects.count() == 1
    assert ApiKey.objects.get(name="reader").scopes == ["logs.read"]


def test_create_api_key_refuses_unknown_scopes():
    with pytest.raises(CommandError, match="logs.delete"):
        run("create_api_key", "--workspace", "w", "--name", "n", "--scopes", "logs.delete")
    assert ApiKey.objects.count() == 0


def test_bootstrap_creates_everything_once_and_prints_secrets_once():
    first = run("bootstrap")
    assert "Password:" in first and "API key:" in first and "curl -X POST" in first
    assert Workspace.objects.filter(slug="default").exists()
    assert get_user_model().objects.get(username="admin").is_superuser
    assert ApiKey.objects.count() == 1

    second = run("bootstrap")
    assert "Password:" not in second and "lsk_" not in second
    assert ApiKey.objects.count() == 1


def test_the_printed_curl_command_stores_a_log(client):
    output = run("bootstrap")
    raw = next(line.split()[-1] for line in output.splitlines() if "API key:" in line)
    body = output.split("-d '", 1)[1].rsplit("'", 1)[0]
    response = client.post(
        "/v1/logs", data=body, content_type="application/json", HTTP_X_PORTKEY_API_KEY=raw
    )
    assert response.status_code == 200
