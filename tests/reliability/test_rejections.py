"""Refused ingest requests are recorded (secrets masked, table bounded) and counted per key,
and operators read both in the admin."""

import pytest
from django.utils import timezone

from logstore.apikeys.usage import fold_usage, trim_rejections
from logstore.models import ApiKey, ApiKeyUsage, RejectedRequest
from tests.payloads import openai_chat
from tests.posting import post_json

pytestmark = pytest.mark.django_db

OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwx1234"


def test_it_records_a_refused_request_with_the_reason_and_a_masked_excerpt(api, api_key):
    item = openai_chat()
    item["request"]["headers"]["Authorization"] = f"Bearer {OPENAI_KEY}"
    item["response"]["status"] = "teapot"
    assert post_json(api, item).status_code == 400
    rejection = RejectedRequest.objects.get()
    assert rejection.api_key == api_key
    assert rejection.workspace == api_key.workspace
    assert rejection.key_prefix == api_key.prefix
    assert rejection.status_code == 400
    assert "response.status" in rejection.reason
    assert '"status": "teapot"' in rejection.excerpt
    assert OPENAI_KEY not in rejection.excerpt
    assert "sk-p…1234" in rejection.excerpt


def test_it_records_an_unknown_key_by_prefix_only(client):
    raw = "lsk_deadbeef_" + "s" * 43
    response = post_json(client, openai_chat(), HTTP_X_PORTKEY_API_KEY=raw)
    assert response.status_code == 401
    rejection = RejectedRequest.objects.get()
    assert rejection.key_prefix == "deadbeef"
    assert rejection.api_key is None
    assert "s" * 43 not in str(vars(rejection))


def test_a_foreign_key_sent_by_mistake_is_recorded_masked(client):
    assert post_json(client, openai_chat(), HTTP_X_PORTKEY_API_KEY=OPENAI_KEY).status_code == 401
    assert RejectedRequest.objects.get().key_prefix == "sk-p…1234"


def test_it_records_a_revoked_key(api, api_key):
    api_key.revoke()
    assert post_json(api, openai_chat()).status_code == 401
    assert "revoked" in RejectedRequest.objects.get().reason


def test_an_oversized_body_is_recorded_without_reading_it(api, settings):
    settings.LOGSTORE_MAX_BODY_BYTES = 1024
    assert post_json(api, {"big": "x" * 5000}).status_code == 413
    rejection = RejectedRequest.objects.get()
    assert rejection.status_code == 413 and rejection.excerpt == ""


def test_a_long_body_is_cut_in_the_excerpt(api, settings):
    settings.LOGSTORE_REJECTED_EXCERPT_CHARS = 100
    assert post_json(api, [openai_chat(), "x" * 10_000]).status_code == 400
    excerpt = RejectedRequest.objects.get().excerpt
    assert len(excerpt) == 100 and excerpt.endswith("…")


def test_a_throttled_key_is_recorded_once_a_minute_not_per_request(api, settings, frozen_clock):
    settings.LOGSTORE_RATE_LIMIT = (1, 60)
    statuses = [post_json(api, openai_chat()).status_code for _ in range(5)]
    assert statuses == [200, 429, 429, 429, 429]
    assert RejectedRequest.objects.filter(status_code=429).count() == 1
    fold_usage()
    usage = ApiKeyUsage.objects.get()
    assert usage.rejected_requests == 4


def test_accepted_and_rejected_requests_are_counted_per_key_and_day(api, api_key):
    ok = post_json(api, [openai_chat(), openai_chat()])
    assert ok.status_code == 200
    assert post_json(api, openai_chat()).status_code == 200
    assert post_json(api, "not json").status_code == 400
    fold_usage()
    usage = ApiKeyUsage.objects.get(api_key=api_key, day=timezone.now().date())
    assert usage.accepted_requests == 2
    assert usage.accepted_logs == 3
    assert usage.rejected_requests == 1
    assert usage.bytes_received > len(ok.wsgi_request.body)


def test_every_request_is_counted_by_the_next_fold_with_no_later_request(api, api_key):
    # Counters used to wait in a worker's memory for a later request to the same worker: after
    # an idle period the admin showed a fraction of what was sent, and a dead worker lost them.
    # Now each request's usage is stored with it, and `manage.py maintain` folds it in.
    sent = 0
    for size in (1, 3, 12, 1, 2):
        assert post_json(api, [openai_chat() for _ in range(size)]).status_code == 200
        sent += size
        fold_usage()
        usage = ApiKeyUsage.objects.get(api_key=api_key)
        assert usage.accepted_logs == sent
    assert post_json(api, {"request": "nope"}).status_code == 400
    assert fold_usage() == 1
    usage = ApiKeyUsage.objects.get(api_key=api_key)
    assert (usage.accepted_logs, usage.accepted_requests, usage.rejected_requests) == (19, 5, 1)
    assert fold_usage() == 0


def test_an_idempotent_replay_is_counted_once_it_is_answered(api, api_key):
    for _ in range(2):
        response = post_json(api, openai_chat(), HTTP_IDEMPOTENCY_KEY="once")
        assert response.status_code == 200
    fold_usage()
    usage = ApiKeyUsage.objects.get(api_key=api_key)
    assert (usage.accepted_requests, usage.accepted_logs) == (2, 2)


def test_counters_of_a_deleted_key_are_dropped(api, api_key):
    assert post_json(api, openai_chat()).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).delete()
    assert post_json(api, openai_chat()).status_code == 401
    assert fold_usage() == 1
    assert not ApiKeyUsage.objects.exists()


def test_trimming_keeps_the_newest_rejections(db):
    for i in range(10):
        RejectedRequest.objects.create(status_code=400, reason=f"r{i}")
    old = RejectedRequest.objects.create(status_code=400, reason="ancient")
    RejectedRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=90)
    )
    trim_rejections(keep=4, max_age_days=30)
    assert list(RejectedRequest.objects.values_list("reason", flat=True)) == [
        "r9",
        "r8",
        "r7",
        "r6",
    ]


@pytest.fixture
def staff(admin_client):
    return admin_client


def test_the_admin_lists_rejections_escaped_and_read_only(api, staff):
    item = openai_chat()
    item["response"]["status"] = "<script>alert(1)</script>"
    assert post_json(api, item).status_code == 400
    rejection = RejectedRequest.objects.get()
    page = staff.get("/admin/logstore/rejectedrequest/")
    assert page.status_code == 200
    assert rejection.key_prefix in page.content.decode()
    detail = staff.get(f"/admin/logstore/rejectedrequest/{rejection.pk}/change/")
    html = detail.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert staff.get("/admin/logstore/rejectedrequest/add/").status_code == 403
    response = staff.post(
        f"/admin/logstore/rejectedrequest/{rejection.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert RejectedRequest.objects.exists()


def test_the_admin_lists_usage_per_key(api, api_key, staff):
    assert post_json(api, openai_chat()).status_code == 200
    page = staff.get("/admin/logstore/apikeyusage/")
    assert page.status_code == 200
    assert api_key.prefix in page.content.decode()


def test_staff_see_only_their_workspaces_rejections_and_usage(
    api, api_key, other_api_key, make_api, django_user_model, client
):
    from django.contrib.auth.models import Permission

    assert post_json(api, "mine").status_code == 400
    assert post_json(make_api(other_api_key), "theirs").status_code == 400
    assert post_json(client, "nobody's", HTTP_X_PORTKEY_API_KEY="lsk_x_y").status_code == 401
    staff = django_user_model.objects.create_user("ops", password="pw-long-enough-1", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_rejectedrequest", "view_apikeyusage"])
    )
    api_key.workspace.members.add(staff)
    client.force_login(staff)
    listing = client.get("/admin/logstore/rejectedrequest/").content.decode()
    assert api_key.prefix in listing
    assert other_api_key.prefix not in listing
    assert ">x<" not in listing  # the unknown key's prefix, workspace-less
    theirs = RejectedRequest.objects.get(api_key=other_api_key)
    assert client.get(f"/admin/logstore/rejectedrequest/{theirs.pk}/change/").status_code == 302
    usage = client.get("/admin/logstore/apikeyusage/").content.decode()
    assert api_key.prefix in usage and other_api_key.prefix not in usage
