"""The console in a real browser: log in, filter, open a log, and find hostile bodies inert."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.browser import CHROMIUM, chromium, record_dialogs

SCRIPT = "<script>window.__xss = 1; alert('script')</script>"
IMG = "<img src=x onerror=\"window.__xss = 2; alert('img')\">"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"
    ),
]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    # beside one. Test data is made before the browser starts (see `hostile`): ORM calls made
    # under the loop run on a connection pytest-django never closes, which keeps the test
    # database open at teardown on PostgreSQL.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        yield record_dialogs(browser.new_page())


def rows(page):
    return page.locator("#result_list tbody tr")


@pytest.fixture
def hostile(make_log):
    """Made before the browser starts: the ORM stays out of Playwright's event loop."""
    get_user_model().objects.create_superuser("root", "root@example.com", "s3cret-pass")
    log = make_log(
        trace_id="trace-hostile",
        user="mallory",
        status=500,
        span_name=SCRIPT,
        request={"body": {"messages": [{"role": "user", "content": f"{SCRIPT} {IMG}"}]}},
        metadata={"note": IMG},
    )
    make_log(trace_id="trace-hostile", user="mallory", status=200)
    for i in range(5):
        make_log(trace_id=f"trace-other-{i}", user="alice", status=200)
    return log


def test_an_operator_filters_opens_a_log_and_sees_hostile_bodies_as_text(
    live_server, hostile, browser_page
):
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/logstore/log/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/logstore/log/")
    assert rows(page).count() == 7

    page.fill("#filter-trace_id", "trace-hostile")
    page.locator("#filter-trace_id").press("Enter")
    page.wait_for_url("**trace_id=trace-hostile**")
    assert rows(page).count() == 2

    page.locator('details[data-filter-title="status class"] a', has_text="5xx").click()
    page.wait_for_url("**status_class=5xx**")
    assert "trace_id=trace-hostile" in page.url
    assert rows(page).count() == 1
    assert page.locator("#result_list").get_by_text(SCRIPT).is_visible()

    rows(page).first.locator("th a").click()
    page.wait_for_url(f"**/admin/logstore/log/{hostile.pk}/change/**")
    request_json = page.locator(".field-request_json pre")
    assert SCRIPT in request_json.inner_text()
    assert IMG.replace('"', '\\"') in request_json.inner_text()
    assert request_json.is_visible()
    assert page.locator(".field-metadata_json pre").inner_text().count("onerror") == 1
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
