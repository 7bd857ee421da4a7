"""API keys shown once at creation, then only by prefix; workspaces and their members."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from logstore.models import ALL_SCOPES, SCOPE_LOGS_READ, SCOPE_LOGS_WRITE, ApiKey, Workspace

pytestmark = pytest.mark.django_db
KEYS = "/admin/logstore/apikey/"


def create_key(client, workspace, scopes):
    return client.post(KEYS + "add/", {"workspace": workspace.pk, "name": "ci", "scopes": scopes})


def test_creating_a_key_shows_it_exactly_once(superuser_client, workspace, caplog):
    response = create_key(superuser_client, workspace, [SCOPE_LOGS_WRITE])
    assert response.status_code == 200
    raw = response.context["raw_key"]
    key = ApiKey.objects.get()
    assert raw.startswith(f"lsk_{key.prefix}_")
    assert f'value="{raw}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert key.matches(raw)
    assert raw not in (key.hashed_key, key.name)
    assert key.scopes == [SCOPE_LOGS_WRITE]

    later_pages = [
        superuser_client.get(KEYS),
        superuser_client.get(f"{KEYS}{key.pk}/change/"),
        superuser_client.get(f"{KEYS}{key.pk}/history/"),
        superuser_client.get("/admin/"),
    ]
    for page in later_pages:
        assert page.status_code == 200
        assert raw not in page.content.decode()
        # The random part may itself hold "_": take all of it after the visible prefix.
        assert raw.removeprefix(f"lsk_{key.prefix}_") not in page.content.decode()
    assert f"lsk_{key.prefix}…" in later_pages[0].content.decode()
    assert raw not in caplog.text


def test_a_created_key_authenticates_the_api(superuser_client, workspace):
    raw = create_key(superuser_client, workspace, list(ALL_SCOPES)).context["raw_key"]
    response = Client().post(
        "/v1/logs",
        data='{"request": {}, "response": {}}',
        content_type="application/json",
        HTTP_X_PORTKEY_API_KEY=raw,
    )
    assert response.status_code == 200, response.content


def test_a_key_needs_at_least_one_scope(superuser_client, workspace):
    response = create_key(superuser_client, workspace, [])
    assert response.status_code == 200
    assert "raw_key" not in response.context
    assert not ApiKey.objects.exists()


def test_scopes_are_checkboxes_and_editable(superuser_client, api_key):
    page = superuser_client.get(f"{KEYS}{api_key.pk}/change/").content.decode()
    assert f'type="checkbox" name="scopes" value="{SCOPE_LOGS_READ}"' in page
    assert api_key.hashed_key not in page
    response = superuser_client.post(
        f"{KEYS}{api_key.pk}/change/", {"name": "renamed", "scopes": [SCOPE_LOGS_READ]}
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert (api_key.name, api_key.scopes) == ("renamed", [SCOPE_LOGS_READ])


def test_the_revoke_action_revokes_selected_keys(superuser_client, api_key, other_api_key):
    response = superuser_client.post(
        KEYS, {"action": "revoke_keys", "_selected_action": [api_key.pk]}, follow=True
    )
    assert "Revoked 1 key(s)." in response.content.decode()
    api_key.refresh_from_db()
    other_api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert other_api_key.revoked_at is None
    assert Client().post(
        "/v1/logs", data="{}", content_type="application/json", HTTP_X_PORTKEY_API_KEY=api_key.raw
    ).status_code in (401, 403)


def test_the_key_list_shows_last_use(superuser_client, api_key):
    from django.utils import timezone

    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    page = superuser_client.get(KEYS).content.decode()
    assert "last used" in page.lower()
    assert "column-last_used_at" in page


def test_a_workspace_is_created_with_members_and_retention(superuser_client):
    member = get_user_model().objects.create_user("member", is_staff=True)
    page = superuser_client.get("/admin/logstore/workspace/add/").content.decode()
    assert "selectfilter" in page.lower()  # filter_horizontal widget for members
    response = superuser_client.post(
        "/admin/logstore/workspace/add/",
        {"name": "Initech", "slug": "initech", "retention_days": "30", "members": [member.pk]},
    )
    assert response.status_code == 302
    workspace = Workspace.objects.get(slug="initech")
    assert workspace.retention_days == 30
    assert list(workspace.members.all()) == [member]


def test_staff_with_key_permissions_see_only_their_workspaces_keys(
    api_key, other_api_key, workspace
):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("keeper", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_apikey"))
    workspace.members.add(user)
    client = Client()
    client.force_login(user)
    page = client.get(KEYS)
    assert [key.pk for key in page.context["cl"].result_list] == [api_key.pk]
    assert client.get(f"{KEYS}{other_api_key.pk}/change/").status_code == 302
