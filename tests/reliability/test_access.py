"""Who may do what: scopes on every API endpoint, revoked keys, tenant isolation, keys kept
out of the database and the logs, CSRF, CSP and the production settings check."""

import hmac
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from logstore.models import ALL_SCOPES, SCOPE_LOGS_READ, ApiKey, Log, RejectedRequest
from tests.payloads import openai_chat
from tests.posting import post_json
from tests.reliability.conftest import assert_json_error

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
HANDLERS = ("get", "post", "put", "patch", "delete")


def _patterns(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry


def api_endpoints():
    """(url name, HTTP method, view class) for every DRF endpoint the project routes."""
    found = []
    for pattern in _patterns(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        if view is None or not issubclass(view, APIView):
            continue
        if not view.authentication_classes:
            continue  # public by design: the OpenAPI document and its docs pages
        actions = getattr(pattern.callback, "actions", None)
        methods = list(actions) if actions else [m for m in HANDLERS if hasattr(view, m)]
        found += [(pattern.name, method.upper(), view) for method in methods]
    return sorted(set(found), key=lambda e: (e[0], e[1]))


def sample_url(name):
    return reverse(name, kwargs={g: str(uuid.uuid4()) for g in url_arguments(name)})


def call(client, method, url, **extra):
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(url, **extra)
    return getattr(client, method.lower())(url, data="{}", content_type="application/json", **extra)


ENDPOINTS = api_endpoints()
ENDPOINT_IDS = [f"{method} {name}" for name, method, _ in ENDPOINTS]


def required_scope(view, method):
    return getattr(view, "required_scopes", {}).get(method) or getattr(view, "required_scope", None)


def test_the_api_has_endpoints_to_check():
    assert ("api-logs", "POST") in {(name, method) for name, method, _ in ENDPOINTS}


@pytest.mark.parametrize(("name", "method", "view"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_endpoint_names_a_known_scope(name, method, view):
    assert required_scope(view, method) in ALL_SCOPES


@pytest.mark.parametrize(("name", "method", "view"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_endpoint_refuses_a_key_without_its_scope(workspace, make_api, name, method, view):
    scope = required_scope(view, method)
    key, raw = ApiKey.generate(workspace, "narrow", [s for s in ALL_SCOPES if s != scope])
    key.raw = raw
    body = assert_json_error(call(make_api(key), method, sample_url(name)), 403)
    assert scope in body["message"]


@pytest.mark.parametrize(("name", "method", "view"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_endpoint_refuses_a_revoked_key_at_once(api, api_key, name, method, view):
    url = sample_url(name)
    assert call(api, method, url).status_code not in (401, 403)
    api_key.revoke()
    body = assert_json_error(call(api, method, url), 401)
    assert "revoked" in body["message"]


@pytest.mark.parametrize(("name", "method", "view"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_endpoint_refuses_a_missing_or_wrong_key(client, name, method, view):
    url = sample_url(name)
    assert_json_error(call(client, method, url), 401)
    assert_json_error(call(client, method, url, HTTP_X_PORTKEY_API_KEY="lsk_nope_x"), 401)


def url_arguments(name):
    return get_resolver().reverse_dict.getlist(name)[0][0][0][1]


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, m, _ in ENDPOINTS if "log_id" in url_arguments(n)]
)
def test_another_workspaces_log_is_a_404_on_every_endpoint(
    api, other_api_key, make_api, name, method
):
    response = post_json(make_api(other_api_key), openai_chat())
    [log_id] = response.json()["log_ids"]
    url = reverse(name, kwargs={"log_id": log_id})
    assert_json_error(call(api, method, url), 404)
    assert Log.objects.filter(pk=log_id).exists()


def test_a_key_is_compared_in_constant_time(api):
    with mock.patch("logstore.models.hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        assert post_json(api, openai_chat()).status_code == 200
    assert compare.called


def secret_part(api_key):
    """The random part of a raw key (it may itself contain underscores)."""
    return api_key.raw.removeprefix(f"lsk_{api_key.prefix}_")


def test_the_raw_key_is_stored_nowhere(api, api_key, client):
    secret = secret_part(api_key)
    item = openai_chat()
    item["request"]["headers"]["x-portkey-api-key"] = api_key.raw
    assert post_json(api, item).status_code == 200
    assert post_json(api, "not json").status_code == 400
    post_json(client, openai_chat(), HTTP_X_PORTKEY_API_KEY=api_key.raw + "x")
    from django.apps import apps

    for model in apps.get_app_config("logstore").get_models():
        for row in model.objects.all():
            values = [getattr(row, f.attname) for f in model._meta.concrete_fields]
            assert secret not in json.dumps(values, default=str), model.__name__
    assert RejectedRequest.objects.count() == 2


@pytest.fixture
def server_log():
    """What the configured console handler writes, as the server would write it to stderr."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(original)


def test_no_key_or_secret_reaches_the_application_log(api, api_key, client, server_log, settings):
    """Through the logging configuration the server runs with."""
    settings.LOGSTORE_RATE_LIMIT = None
    openai_key = "sk-proj-abcdefghijklmnopqrstuvwx1234"
    item = openai_chat()
    item["request"]["headers"]["Authorization"] = f"Bearer {openai_key}"
    post_json(api, item)
    item["response"]["status"] = f"Bearer {openai_key}"
    post_json(api, item)
    post_json(client, openai_chat(), HTTP_X_PORTKEY_API_KEY=api_key.raw + "x")
    post_json(client, openai_chat(), HTTP_AUTHORIZATION=f"Bearer {api_key.raw}x")
    err = server_log.getvalue()
    assert "POST /v1/logs 200" in err and "POST /v1/logs 401" in err
    for secret in (api_key.raw, secret_part(api_key), openai_key, "sk-p…1234"):
        assert secret not in err


def test_html_pages_carry_a_csp_that_blocks_inline_scripts(admin_client):
    response = admin_client.get("/admin/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_templates_get_the_csp_nonce():
    processors = django_settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    assert "django.template.context_processors.csp" in processors


def test_the_admin_login_form_needs_its_csrf_token(django_user_model):
    django_user_model.objects.create_superuser("root", password="pw-long-enough-1")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "root", "password": "pw-long-enough-1"})
    assert response.status_code == 403
    page = client.get("/admin/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/admin/login/",
        {"username": "root", "password": "pw-long-enough-1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789-abcdefghijk",
    "ALLOWED_HOSTS": "logs.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://logs.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "REQUIRE_SECRET_KEY": "true",
}


def check_deploy(env):
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never would.
    leave_out = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in leave_out}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_documented_production_settings():
    result = check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_them():
    result = check_deploy({"DEBUG": "false", "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_the_documented_production_settings_are_the_ones_tested():
    doc = (REPO / "docs" / "operations.md").read_text()
    for name in PRODUCTION_ENV:
        assert name in doc, name


def test_a_cached_key_revoked_since_is_refused_on_its_next_write(api, api_key):
    assert post_json(api, openai_chat()).status_code == 200  # this process now caches the key
    ApiKey.objects.get(pk=api_key.pk).revoke()
    body = assert_json_error(post_json(api, openai_chat()), 401)
    assert "revoked" in body["message"]
    assert Log.objects.count() == 1


def test_a_cached_key_that_lost_its_scope_is_refused_on_its_next_write(api, api_key):
    assert post_json(api, openai_chat()).status_code == 200
    key = ApiKey.objects.get(pk=api_key.pk)
    key.scopes = [SCOPE_LOGS_READ]
    key.save()
    assert_json_error(post_json(api, openai_chat()), 403)
    assert Log.objects.count() == 1


def test_a_cached_key_edited_but_still_allowed_writes_without_a_hitch(api, api_key):
    assert post_json(api, openai_chat()).status_code == 200
    key = ApiKey.objects.get(pk=api_key.pk)
    key.name = "renamed"
    key.save()
    assert post_json(api, openai_chat()).status_code == 200
    assert post_json(api, openai_chat()).status_code == 200
    assert Log.objects.count() == 3
