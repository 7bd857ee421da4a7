"""In a real browser: the Content-Security-Policy stops injected scripts, and the admin's
pages of refused requests render client-sent probes as text."""

from contextlib import contextmanager

import pytest

from logstore.models import RejectedRequest
from tests.browser import chromium, record_dialogs

pytestmark = pytest.mark.browser

PROBE = (
    '<script>window.xss = 1</script><img src="data:," onload="window.xss = 2">'
    '"><svg onload="window.xss = 3">\'-alert(4)-\''
)


@contextmanager
def browser_page():
    """A Chromium page. Playwright's sync API runs an event loop in this thread, so touch the
    database before opening it: inside, Django would hand out a second, leaked connection."""
    with chromium() as browser:
        yield record_dialogs(browser.new_context().new_page())


@pytest.mark.urls("tests.reliability.csp_urls")
@pytest.mark.django_db(transaction=True)
def test_only_the_nonce_script_runs(live_server):
    with browser_page() as page:
        page.goto(f"{live_server.url}/csp-probes/")
        page.click("#link")
        ran = page.evaluate(
            "[window.nonceRan, window.inlineRan, window.handlerRan, window.linkRan].map(Boolean)"
        )
    assert ran == [True, False, False, False]


@pytest.mark.django_db
def test_admin_pages_render_rejection_probes_as_text(admin_client):
    """The admin's HTML, parsed by the browser without any CSP: escaping alone must hold."""
    rejection = RejectedRequest.objects.create(
        status_code=400, key_prefix="probe", reason=PROBE, excerpt=PROBE, path="/v1/logs"
    )
    pages = [
        admin_client.get(url)
        for url in (
            "/admin/logstore/rejectedrequest/",
            f"/admin/logstore/rejectedrequest/{rejection.pk}/change/",
        )
    ]
    with browser_page() as page:
        for response in pages:
            assert response.status_code == 200
            page.set_content(response.content.decode())
            assert "<script>window.xss = 1</script>" in page.inner_text("body")
            assert page.evaluate("window.xss") is None
        assert page.dialogs == []
