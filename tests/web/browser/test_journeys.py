"""The main journeys of a developer in a real browser, with XSS probes in the data."""

import os
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def assert_no_script_ran(page):
    assert page.dialogs == [], f"a stored script ran: {page.dialogs}"
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_it_filters_opens_a_log_and_follows_its_trace(page):
    page.fill("input[aria-label='new metadata pair']", "feature=search")
    page.click("button:has-text('Apply')")
    page.wait_for_url(re.compile(r"metadata=feature%3Dsearch"))
    users_column = page.locator("table.logs tbody tr td:nth-child(4)")
    assert users_column.count() > 0
    assert "metadata=feature%3Dsearch" in page.url and "trace_id=" not in page.url

    page.goto("/?trace_id=trace-checkout-42")
    page.locator("table.logs tbody tr", has_text="answer").locator("td.time a").click()
    page.wait_for_url(re.compile(r"/log/"))
    assert page.locator(".conversation .message").count() >= 3
    assert page.locator(".message.role-assistant").first.is_visible()

    page.click("dl.props a.mono")  # the trace link
    page.wait_for_url(re.compile(r"/traces/trace-checkout-42/"))
    rows = page.locator("table.waterfall tbody tr")
    assert rows.count() == 5
    assert rows.first.locator("a").inner_text() == "checkout agent"
    assert page.locator("table.waterfall .tag", has_text="orphan").count() == 1
    assert_no_script_ran(page)


def test_it_changes_the_time_range_and_saves_a_filter(page):
    assert page.locator("text=trace-old").count() == 0
    page.click(".segmented a:has-text('7d')")
    page.wait_for_url(re.compile(r"since=7d"))
    page.goto(page.url + "&user=zoe")
    assert page.locator("table.logs tbody tr").count() == 1

    page.click("summary:has-text('Save filter')")
    page.fill("input[name=name]", "Zoe this week")
    page.click(".save-filter button:has-text('Save')")
    page.wait_for_selector(".flash li:has-text('Saved filter')")
    page.goto("/")
    page.click(".saved a:has-text('Zoe this week')")
    page.wait_for_url(re.compile(r"user=zoe"))
    assert page.locator("table.logs tbody tr").count() == 1
    assert_no_script_ran(page)


def test_it_downloads_the_current_filter_as_csv(page):
    page.goto("/?user=bob")
    with page.expect_download() as download_info:
        page.click("a:has-text('Export CSV')")
    path = download_info.value.path()
    text = Path(path).read_text()
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,created_at")
    assert len(lines) > 1
    assert "alice" not in text
    assert "globex-secret-user" not in text


def test_xss_probes_stay_inert_on_every_page(page):
    page.goto("/?cols=feature,tier&since=1h")
    assert page.locator("table.logs td", has_text="<script>").count() >= 1  # shown as text
    page.goto("/?trace_id=trace-xss")
    page.locator("table.logs td.time a").first.click()
    page.wait_for_url(re.compile(r"/log/"))
    assert page.locator(".message .text", has_text="<img src=x").count() == 1
    page.goto("/traces/trace-xss/")
    page.goto("/charts/?by=metadata&by_key=feature")
    page.goto("/charts/?by=model")
    assert_no_script_ran(page)


def test_it_ranks_users_by_cost_and_follows_one_to_their_priced_logs(page):
    page.click("nav a:has-text('Users')")
    page.wait_for_url(re.compile(r"/users/"))
    rows = page.locator("table.users-table tbody tr")
    assert rows.count() > 1
    costs = page.locator("table.users-table tbody td.cost")
    assert costs.first.inner_text().startswith("$")
    page.click("table.users-table th a:has-text('Requests')")
    page.wait_for_url(re.compile(r"sort=requests"))
    requests = [
        int(t) for t in page.locator("table.users-table tbody td:nth-child(2)").all_inner_texts()
    ]
    assert requests == sorted(requests, reverse=True)
    name = rows.first.locator("td a").first.inner_text()
    rows.first.locator("td a").first.click()
    page.wait_for_url(re.compile(r"user="))
    assert page.locator("table.logs th", has_text="Cost").count() == 1
    cells = page.locator("table.logs tbody td.cost").all_inner_texts()
    assert cells and all(c.startswith("$") or c == "no price" or c == "" for c in cells), cells
    assert name in page.locator("table.logs tbody").inner_text()
    page.goto("/users/?by_key=feature")
    assert page.locator("table.users-table th", has_text="feature").count() == 1
    assert_no_script_ran(page)


def test_it_keeps_other_workspaces_out_of_sight(page):
    page.goto("/?since=24h&user=globex-secret-user")
    assert page.locator("table.logs td.empty").count() == 1
    response = page.goto("/traces/trace-globex/")
    assert response.status == 404


def test_it_renders_the_screenshots(page):
    """Writes docs/screenshots/*.png when LOGSTORE_SCREENSHOTS=1 (`make screenshots`)."""
    target = SCREENSHOTS if os.environ.get("LOGSTORE_SCREENSHOTS") == "1" else None
    shots = {
        "list": "/?cols=feature,tier",
        "detail": None,
        "trace": "/traces/trace-checkout-42/",
        "charts": "/charts/?since=24h",
        "users": "/users/?since=24h",
    }
    for name, url in shots.items():
        if url is None:
            page.goto("/?trace_id=trace-checkout-42")
            page.locator("table.logs tbody tr", has_text="plan").locator("td.time a").click()
            page.wait_for_url(re.compile(r"/log/"))
        else:
            page.goto(url)
        if target:
            target.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target / f"{name}.png"), full_page=name != "list")
    assert_no_script_ran(page)
