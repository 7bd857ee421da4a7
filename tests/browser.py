"""Debian's Chromium driven by Playwright, the one way every browser test starts it.

Playwright cannot download browsers here; it launches /usr/bin/chromium, with the flags that
keep a sandboxed, offline machine from stalling it.
"""

import os
from contextlib import contextmanager

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium():
    """A launched browser, or a skip naming what is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def record_dialogs(page):
    """Dismiss every alert/confirm and keep its text in `page.dialogs`: a probe that ran shows."""
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page
