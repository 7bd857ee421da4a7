"""Playwright with Debian's Chromium against pytest-django's live server."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from logstore.models import ApiKey, Workspace
from tests.browser import chromium, record_dialogs
from tests.web.seed import api_poster, seed, xss_logs

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "a-long-test-passphrase"


# One per module, not per session: Playwright's loop must be gone before another test file
# (the admin's, the CSP probes') starts its own, whichever order the files run in.
@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def seeded(transactional_db):
    """Two workspaces: `acme` with a day of traffic and XSS probes, `globex` with a secret."""
    acme = Workspace.objects.create(name="Acme", slug="acme")
    globex = Workspace.objects.create(name="Globex", slug="globex")
    user = get_user_model().objects.create_user("dev", password=PASSWORD)
    acme.members.add(user)
    client = Client()
    _, raw = ApiKey.generate(acme, "seed")
    post = api_poster(client, raw)
    seed(post)
    post(xss_logs())
    _, other_raw = ApiKey.generate(globex, "seed")
    from tests.web.seed import call

    api_poster(client, other_raw)(
        [call("openai", "gpt-4o", "globex-secret-user", "secret", 2, trace_id="trace-globex")]
    )
    return user


@pytest.fixture
def page(browser, live_server, seeded):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, accept_downloads=True
    )
    page = record_dialogs(context.new_page())
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "dev")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    yield page
    context.close()
