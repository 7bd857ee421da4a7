"""Stored-XSS probes in bodies, metadata keys and values, and span names render as text."""

import re

import pytest

from tests.web.seed import XSS, XSS_IMG, xss_logs

pytestmark = pytest.mark.django_db

RAW = ("<script>alert", "<img src=x onerror")


def assert_inert(html):
    for probe in RAW:
        assert probe not in html
    # The only scripts on a page are our own static files.
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == []


def test_probes_are_escaped_on_every_page(web, api_key, post_logs):
    (log_id,) = post_logs(xss_logs(), key=api_key)
    pages = [
        "/?cols=feature," + XSS,
        f"/log/{log_id}/",
        "/traces/trace-xss/",
        "/charts/?by=metadata&by_key=feature",
        "/charts/?by=model",
        "/charts/?by=user",
        f"/?metadata={XSS}%3D{XSS}&user={XSS}",
    ]
    for url in pages:
        response = web.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_inert(html)
        assert "&lt;script&gt;" in html, url
    assert_inert(web.get("/metadata-keys/?q=%3Cscript").content.decode())
    detail = web.get(f"/log/{log_id}/").content.decode()
    assert "&lt;img src=x onerror=alert(&quot;xss-img&quot;)&gt;" in detail
    assert XSS not in detail and XSS_IMG not in detail
