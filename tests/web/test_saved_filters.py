"""Saved filters: named per workspace, one click to apply, CSRF-protected changes."""

import pytest
from django.test import Client

from logstore.models import SavedFilter, Workspace

pytestmark = pytest.mark.django_db


def test_it_saves_the_current_filter_and_applies_it_in_one_click(web, workspace):
    response = web.post(
        "/saved-filters/",
        {
            "workspace": workspace.pk,
            "name": "Search errors",
            "query": "metadata=feature%3Dsearch&status_class=5xx&after=abc&bogus=1&user=",
        },
    )
    saved = SavedFilter.objects.get()
    assert saved.query == "metadata=feature%3Dsearch&status_class=5xx"
    assert response.status_code == 302
    assert response["Location"] == f"/?{saved.query}&workspace=acme"
    page = web.get("/").content.decode()
    assert f'href="/?{saved.query.replace("&", "&amp;")}&amp;workspace=acme"' in page
    assert ">Search errors</a>" in page


def test_it_refuses_a_duplicate_name_or_an_invalid_filter(web, workspace):
    SavedFilter.objects.create(workspace=workspace, name="Mine", query="user=a")
    web.post("/saved-filters/", {"workspace": workspace.pk, "name": "Mine", "query": "user=b"})
    response = web.post(
        "/saved-filters/", {"workspace": workspace.pk, "name": "Bad", "query": "status=999"}
    )
    assert SavedFilter.objects.count() == 1
    follow = web.get(response["Location"])
    assert "not valid, so it was not saved" in follow.content.decode()


def test_it_deletes_a_saved_filter(web, workspace):
    saved = SavedFilter.objects.create(workspace=workspace, name="Old", query="user=a")
    assert web.get(f"/saved-filters/{saved.pk}/delete/").status_code == 405
    assert web.post(f"/saved-filters/{saved.pk}/delete/").status_code == 302
    assert not SavedFilter.objects.exists()


def test_it_requires_a_csrf_token(member, workspace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post("/saved-filters/", {"workspace": workspace.pk, "name": "x"})
    assert response.status_code == 403
    saved = SavedFilter.objects.create(workspace=workspace, name="Keep", query="")
    assert client.post(f"/saved-filters/{saved.pk}/delete/").status_code == 403
    assert SavedFilter.objects.count() == 1


def test_it_keeps_other_workspaces_saved_filters_apart(web, other_workspace):
    theirs = SavedFilter.objects.create(workspace=other_workspace, name="Theirs", query="user=z")
    assert "Theirs" not in web.get("/").content.decode()
    assert web.post(f"/saved-filters/{theirs.pk}/delete/").status_code == 404
    web.post("/saved-filters/", {"workspace": other_workspace.pk, "name": "Sneaky", "query": ""})
    assert not SavedFilter.objects.filter(name="Sneaky").exists()
    assert Workspace.objects.count() == 2
