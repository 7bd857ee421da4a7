"""Playwright with Debian's Chromium against pytest-django's live server."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from logstore.models import ApiKey, Workspace
from tests.web.seed import api_poster, seed, xss_logs

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-test-passphrase"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "dev")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    yield page
    context.close()
