"""Pages carry no inline script, style or event handler, so a strict CSP can be switched on."""

import re

import pytest

from tests.web.seed import agent_trace

pytestmark = pytest.mark.django_db


def test_pages_need_no_inline_script_or_style(web, api_key, post_logs):
    ids = post_logs(agent_trace(), key=api_key)
    for url in (
        "/",
        f"/log/{ids[1]}/",
        "/traces/trace-checkout-42/",
        "/charts/",
        "/accounts/login/",
    ):
        html = web.get(url).content.decode()
        assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == [], url
        assert re.findall(r"\sstyle=", html) == [], url
        assert re.findall(r"\son[a-z]+=", html) == [], url
