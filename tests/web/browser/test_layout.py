"""Layout, CSP and the find features in headless Chromium, at desktop and at 400 px wide."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from logstore.models import ApiKey, SavedFilter, Workspace
from tests.web.browser.conftest import PASSWORD
from tests.web.seed import api_poster, call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_VALUE = "v" * 300
LONG_NAME = "n" * 200
BIG_TRACE_SPANS = 1000


@pytest.fixture
def extra(seeded):
    """More data, made before the browser context opens: long values, a 1,000-span trace."""
    acme = Workspace.objects.get(slug="acme")
    _, raw = ApiKey.generate(acme, "layout")
    post = api_poster(Client(), raw)
    post([call("openai", "gpt-4o", "longvalue", LONG_VALUE, 2, trace_id="trace-long")])
    spans = [
        call(
            "openai",
            "gpt-4o-mini",
            "tracer",
            f"step {i}",
            5,
            trace_id="trace-big",
            span_id=f"s{i}",
            parent_span_id="s0" if i else "",
            span_name=f"step {i}",
        )
        for i in range(BIG_TRACE_SPANS)
    ]
    post(spans)
    SavedFilter.objects.create(workspace=acme, name=LONG_NAME, query="since=1h")
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    return post


def open_page(browser, live_server, width, username="dev"):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    if username == "root":
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", "root")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))
    else:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
    return page


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_long_values_wrap_instead_of_widening_the_page(browser, live_server, extra):
    page = open_page(browser, live_server, 1400)
    page.goto("/?user=longvalue")
    page.locator("td.time a").first.click()
    page.wait_for_url(re.compile(r"/log/"))
    assert page_width(page) <= 1400
    page.goto("/")
    chip = box(page, ".saved .chip")
    delete = box(page, ".saved .chip button")
    assert chip["x"] + chip["width"] <= 1400
    assert delete["x"] >= chip["x"] and delete["x"] + delete["width"] <= chip["x"] + chip["width"]
    assert page_width(page) <= 1400
    assert page.console_errors == []
    page.context.close()


@pytest.mark.parametrize("path", ["/", "/charts/", "/traces/trace-checkout-42/"])
def test_nothing_overflows_a_400px_screen(browser, live_server, extra, path):
    page = open_page(browser, live_server, 400)
    page.goto(path)
    assert page_width(page) <= 400, path
    logout = box(page, ".logout button")
    assert logout["x"] + logout["width"] <= 400
    if path.startswith("/traces/"):
        bar = box(page, "table.waterfall tbody td.bar-col")
        assert bar["x"] + bar["width"] <= 400 and bar["width"] > 40
    assert page.console_errors == []
    page.context.close()


def test_the_admin_log_table_fits_its_box_at_1400px(browser, live_server, extra):
    page = open_page(browser, live_server, 1400, username="root")
    page.goto("/admin/logstore/log/")
    table = box(page, "#result_list")
    holder = page.evaluate("document.querySelector('.results').clientWidth")
    assert table["width"] <= holder + 1
    latency = box(page, "#result_list th.column-latency")
    assert latency["x"] + latency["width"] <= 1400
    assert page.console_errors == []
    page.context.close()


def test_the_new_key_page_copies_without_csp_errors(browser, live_server, extra):
    page = open_page(browser, live_server, 1400, username="root")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/admin/logstore/apikey/add/")
    page.select_option("#id_workspace", label="acme")
    page.fill("#id_name", "ci")
    page.click("input[name=_save]")
    page.wait_for_selector("#new-api-key")
    page.focus("#new-api-key")
    page.click("button[data-copy=new-api-key]")
    page.wait_for_selector("button[data-copy]:has-text('Copied')")
    key = page.input_value("#new-api-key")
    assert page.evaluate("navigator.clipboard.readText()") == key
    crumbs = page.locator("ol.breadcrumbs")
    assert crumbs.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.console_errors == []
    page.context.close()


def test_live_tail_adds_new_rows_and_pauses_while_the_tab_is_hidden(browser, live_server, extra):
    page = open_page(browser, live_server, 1400)
    polls = []
    page.on("request", lambda r: "/tail/" in r.url and polls.append(r.url))
    page.check("#live-tail")
    extra([call("openai", "gpt-4o", "tail-newcomer", "tail", 0)])
    page.wait_for_selector("tr.new >> text=tail-newcomer", timeout=15000)
    assert all("newer_than=" in url for url in polls)
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    seen = len(polls)
    time.sleep(6)
    assert len(polls) == seen
    assert page.console_errors == []
    page.context.close()


@pytest.mark.parametrize("width", [1400, 400])
def test_a_1000_span_trace_loads_and_shows_a_spans_io_beside_it(browser, live_server, extra, width):
    page = open_page(browser, live_server, width)
    started = time.perf_counter()
    page.goto("/traces/trace-big/")
    loaded = time.perf_counter() - started
    assert page.locator("table.waterfall tbody tr").count() == BIG_TRACE_SPANS
    started = time.perf_counter()
    page.locator("a.span-link", has_text="step 999").click()
    page.wait_for_selector("#span-panel >> text=Help me step 999 this.")
    shown = time.perf_counter() - started
    print(f"1000-span trace at {width}px: page {loaded * 1000:.0f} ms, panel {shown * 1000:.0f} ms")
    assert page_width(page) <= width
    assert page.console_errors == []
    page.context.close()


@pytest.mark.parametrize("width", [1400, 400])
def test_the_time_inputs_show_the_whole_time_with_am_pm(browser, live_server, extra, width):
    """A datetime-local input narrower than its content cuts off the end of the time (AM/PM);
    its natural width, measured on a copy in the same font, padding and border but free of the
    form's sizing, is what it needs."""
    page = open_page(browser, live_server, width)
    page.goto("/")
    page.fill("input[name=start]", "2026-12-31T23:59:59")
    shortfalls = page.evaluate(
        """() => [...document.querySelectorAll('input[type=datetime-local]')].map(input => {
            const copy = input.cloneNode();
            const style = getComputedStyle(input);
            copy.style.cssText = 'position: absolute; width: auto; min-width: 0; max-width: none';
            for (const name of ['font', 'letter-spacing', 'padding', 'border', 'box-sizing']) {
                copy.style.setProperty(name, style.getPropertyValue(name));
            }
            copy.value = '2026-12-31T23:59:59';
            document.body.appendChild(copy);
            const natural = copy.getBoundingClientRect().width;
            copy.remove();
            const own = input.getBoundingClientRect();
            const cell = input.parentElement.getBoundingClientRect();
            // Wide enough, and still inside its own label (not drawn over the next field).
            return Math.max(natural - own.width, own.right - cell.right);
        })"""
    )
    assert len(shortfalls) == 2
    assert all(shortfall <= 1 for shortfall in shortfalls), shortfalls
    assert "UTC" in page.locator("label.time-input").first.inner_text()
    page.context.close()
