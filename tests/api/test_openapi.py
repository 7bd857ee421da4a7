"""The OpenAPI document, its docs pages, and schemathesis run against the document."""

import re

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXPECTED_PATHS = {
    "/logs",
    "/logs/{log_id}",
    "/logs/exports",
    "/logs/exports/{export_id}",
    "/logs/exports/{export_id}/start",
    "/logs/exports/{export_id}/cancel",
    "/logs/exports/{export_id}/download",
    "/feedback",
    "/feedback/{feedback_id}",
}


@pytest.mark.parametrize("url", ["/openapi.json", "/v1/openapi.json"])
def test_it_serves_the_document_without_a_key(client, url):
    response = client.get(url)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == EXPECTED_PATHS
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-portkey-api-key",
        "description": "An API key (`lsk_...`). `Authorization: Bearer <key>` works too.",
    }


def test_every_operation_documents_the_error_shape(client):
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert set(document["components"]["schemas"]["Error"]["required"]) == {"message", "error"}


@pytest.mark.parametrize("url", ["/docs", "/docs/redoc"])
def test_the_docs_pages_load_nothing_from_another_host(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    assets = [s for s in sources if s.startswith("/static/")]
    assert assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    own_scripts = [s for s in sources if not s.startswith("/static/") and "script" in s]
    served = html + "".join(
        client.get(s.replace("&amp;", "&")).content.decode() for s in own_scripts
    )
    assert "/openapi.json" in served


@pytest.fixture
def in_test_transaction():
    """Keep the WSGI app from closing the test's connection, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded at collection: the document is generated without touching the database.
schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_the_api_answers_as_its_document_says(case, api_key, in_test_transaction):
    case.call_and_validate(
        headers={"x-portkey-api-key": api_key.raw},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


def test_the_log_list_documents_every_filter_of_the_shared_filterset(client):
    from logstore.query.filters import LogFilter

    document = client.get("/openapi.json").json()
    parameters = {p["name"] for p in document["paths"]["/logs"]["get"]["parameters"]}
    assert parameters == set(LogFilter.base_filters) | {"cursor", "limit"}


def test_swagger_ui_runs_under_the_csp_with_no_inline_script(client):
    response = client.get("/docs")
    assert "script-src" in response["Content-Security-Policy"]
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    for attributes, body in scripts:
        assert not body.strip(), "inline script: the CSP blocks it"
        src = re.search(r'src="([^"]+)"', attributes).group(1).replace("&amp;", "&")
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src
        else:
            assert client.get(src).status_code == 200, src
