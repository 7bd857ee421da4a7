"""The read-only log page: derived fields, escaped bodies, links; who may see and delete."""

import json

import pytest
from django.test import Client

from logstore.models import Log
from tests.admin.conftest import CHANGELIST, change_url
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db

SCRIPT = "<script>window.__xss=1</script>"
IMG = "<img src=x onerror=window.__xss=1>"


def test_it_escapes_script_and_img_payloads_everywhere(superuser_client, api):
    body = openai_chat(user=IMG)
    body["request"]["body"]["messages"][0]["content"] = f"{SCRIPT} and {IMG}"
    body["metadata"]["note"] = SCRIPT
    body["span_name"] = SCRIPT
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    log = Log.objects.get()

    for page in (superuser_client.get(change_url(log)), superuser_client.get(CHANGELIST)):
        assert page.status_code == 200
        html = page.content.decode()
        assert SCRIPT not in html
        assert IMG not in html
        assert "&lt;img src=x onerror=window.__xss=1&gt;" in html
    detail = superuser_client.get(change_url(log)).content.decode()
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in detail


def test_it_shows_derived_fields_first_and_pretty_json(superuser_client, make_log):
    log = make_log(request={"body": {"model": "gpt-4o", "messages": []}}, latency_ms=321)
    html = superuser_client.get(change_url(log)).content.decode()
    assert html.index("321 ms") < html.index('<pre class="log-json">')
    assert "{\n  &quot;body&quot;: {\n    &quot;model&quot;: &quot;gpt-4o&quot;" in html


def test_it_links_to_the_trace_the_user_and_the_parent_span(superuser_client, make_log):
    parent = make_log(trace_id="t-1", span_id="root", user="alice")
    child = make_log(trace_id="t-1", span_id="leaf", parent_span_id="root", user="alice")
    html = superuser_client.get(change_url(child)).content.decode()
    assert f'href="{CHANGELIST}?trace_id=t-1"' in html
    assert f'href="{CHANGELIST}?user=alice"' in html
    assert f'<a href="{change_url(parent)}" class="log-parent">root</a>' in html
    assert "root span" in superuser_client.get(change_url(parent)).content.decode()


def test_it_says_when_the_parent_span_was_never_stored(superuser_client, make_log):
    orphan = make_log(parent_span_id="gone")
    assert "gone (not stored)" in superuser_client.get(change_url(orphan)).content.decode()


def test_logs_cannot_be_added_or_changed(superuser_client, make_log):
    log = make_log(user="alice")
    assert superuser_client.get("/admin/logstore/log/add/").status_code == 403
    page = superuser_client.get(change_url(log)).content.decode()
    assert 'name="_save"' not in page
    superuser_client.post(change_url(log), {"user": "mallory"})
    log.refresh_from_db()
    assert log.user == "alice"


def test_a_superuser_may_delete_a_log(superuser_client, make_log):
    log = make_log()
    response = superuser_client.post(f"/admin/logstore/log/{log.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Log.objects.filter(pk=log.pk).exists()


def test_staff_see_only_their_workspaces_logs(staff_client, make_log, other_workspace):
    mine = make_log(user="mine")
    theirs = make_log(ws=other_workspace, user="theirs")
    listed = staff_client.get(CHANGELIST)
    assert listed.status_code == 200
    assert [log.user for log in listed.context["cl"].result_list] == ["mine"]
    assert staff_client.get(CHANGELIST + f"?q={theirs.trace_id}").context["cl"].result_list == []
    assert staff_client.get(CHANGELIST + f"?workspace={other_workspace.pk}").status_code == 200
    assert staff_client.get(change_url(mine)).status_code == 200
    hidden = staff_client.get(change_url(theirs))
    assert hidden.status_code == 302  # the admin's "does not exist" redirect
    assert theirs.trace_id not in staff_client.get(hidden["Location"]).content.decode()


def test_staff_may_not_delete_logs(staff_client, make_log):
    log = make_log()
    assert staff_client.get(f"/admin/logstore/log/{log.pk}/delete/").status_code == 403
    page = staff_client.get(CHANGELIST).content.decode()
    assert "delete_selected" not in page and "delete_logs" not in page
    assert staff_client.post(
        CHANGELIST, {"action": "delete_logs", "_selected_action": [log.pk], "post": "yes"}
    ).status_code in (200, 302)
    assert Log.objects.filter(pk=log.pk).exists()


def test_people_who_are_not_staff_are_sent_to_log_in(client, make_log, django_user_model):
    user = django_user_model.objects.create_user("plain", password="pw")
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_workspaces_see_no_logs(make_log, django_user_model):
    make_log()
    user = django_user_model.objects.create_user("lonely", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(CHANGELIST).context["cl"].result_list == []


def test_staff_find_logs_on_the_admin_index(staff_client):
    page = staff_client.get("/admin/").content.decode()
    assert 'href="/admin/logstore/log/"' in page
    assert 'href="/admin/logstore/apikey/"' not in page
