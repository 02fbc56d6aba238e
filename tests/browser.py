"""Open minigrad's HTML pages in a real browser: Debian's headless Chromium,
driven by Playwright for Python. `.ci/run` installs both; on a machine without
them the tests that need a browser are skipped, saying what to install.

`open_page(path)` yields a Playwright page at 1366×768 that records what a
reader would never see: JavaScript errors, console errors, and every request
that is not for the page's own file (a self-contained page makes none). For a
page of a site, `open_page(url, within=root)` also lets through the requests
under the site's root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MINIGRAD_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WINDOW = {"width": 1366, "height": 768}


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is missing: pip install playwright (part of minigrad[dev])"
    return None


needs_browser = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


class Visit:
    """A page opened from file://, with what went wrong while it ran."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside_requests: list[str] = []

    def problems(self) -> list[str]:
        return self.errors + [f"request to {url}" for url in self.outside_requests]


@contextlib.contextmanager
def open_page(path: Path | str, viewport: dict[str, int] = WINDOW, within: str | None = None) -> Iterator[Visit]:
    """`path` is a file or a URL; a request under `within` (a URL prefix) is the page's own too."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport=viewport)
            visit = Visit(page)
            page.on("pageerror", lambda error: visit.errors.append(f"JavaScript error: {error}"))
            page.on("console", lambda message: visit.errors.append(f"console {message.type}: {message.text}")
                    if message.type == "error" else None)
            own = path if isinstance(path, str) else Path(path).resolve().as_uri()

            def route(request_route) -> None:
                url = request_route.request.url
                if url.split("#")[0] == own or (within and url.startswith(within)) \
                        or url.startswith(("data:", "blob:", "about:")):
                    request_route.continue_()
                else:
                    visit.outside_requests.append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.goto(own)
            page.wait_for_load_state("load")
            yield visit
        finally:
            browser.close()


def text_heights(page, selector: str) -> list[tuple[str, float]]:
    """(text, rendered height in CSS pixels) of every text element matching `selector`."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.textContent.trim()).map(e => "
                  "[e.textContent.trim(), e.getBoundingClientRect().height])")
