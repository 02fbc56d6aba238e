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
PHONE = {"width": 390, "height": 844}  # opened with mobile emulation: touch, 3 device pixels per CSS pixel


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


_SHARED: dict[str, object] = {}  # one Playwright and one Chromium for the whole test run


def shared_browser():
    """The test run's Chromium, launched at the first page (a launch costs about 1.4 s here; a fresh
    context for each page costs 0.5 s and shares nothing with the others). conftest.py closes it."""
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    return _SHARED["browser"]


def close_shared_browser() -> None:
    if "browser" in _SHARED:
        _SHARED.pop("browser").close()
        _SHARED.pop("playwright").stop()


@contextlib.contextmanager
def open_page(path: Path | str, viewport: dict[str, int] = WINDOW, within: str | None = None) -> Iterator[Visit]:
    """`path` is a file or a URL; a request under `within` (a URL prefix) is the page's own too. With
    `viewport=PHONE` the page is opened as a phone shows it: mobile emulation, so a page without a
    viewport tag is laid out 980 px wide and zoomed out, as a phone's browser does. Each page opens in
    a context of its own (no cookies, storage or cache shared), in the run's one browser."""
    phone = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3} if viewport == PHONE else {}
    context = shared_browser().new_context(viewport=viewport, **phone)
    try:
        page = context.new_page()
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
        context.close()


def text_heights(page, selector: str) -> list[tuple[str, float]]:
    """(text, rendered height in CSS pixels) of every text element matching `selector`."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.textContent.trim()).map(e => "
                  "[e.textContent.trim(), e.getBoundingClientRect().height])")


# Every visible text of the page and of its same-origin frames, at the size it is shown on the screen: its
# font size, times the scale of its SVG (if in one), times the frame's scale, times the browser's zoom.
SHOWN_TEXT = """() => {
  const found = [];
  function walk(doc, scale) {
    const view = doc.defaultView, walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const element = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
      if (!text || element.closest("script, style, title, [hidden]")) continue;
      const style = view.getComputedStyle(element), box = element.getBoundingClientRect();
      if (style.display === "none" || style.visibility === "hidden" || box.width === 0 || box.height === 0) continue;
      if (element.closest("details:not([open]) > :not(summary)")) continue;
      let size = parseFloat(style.fontSize);
      if (element instanceof view.SVGElement) { const m = element.getScreenCTM(); size *= Math.hypot(m.a, m.b); }
      found.push([size * scale, text.slice(0, 50)]);
    }
    for (const frame of doc.querySelectorAll("iframe")) {
      const inner = frame.contentDocument;
      if (!inner || !inner.body) continue;
      const box = frame.getBoundingClientRect();
      walk(inner, scale * box.width / (frame.contentWindow.innerWidth || box.width));
    }
  }
  walk(document, window.visualViewport ? window.visualViewport.scale : 1);
  return found;
}"""


def shown_text(page) -> list[tuple[float, str]]:
    """(size in screen pixels, text) of every visible text on the page and in its frames, smallest first."""
    return sorted((round(size, 2), text) for size, text in page.evaluate(SHOWN_TEXT))


def page_width(page) -> dict[str, float]:
    """How wide the page is laid out ("page"), how wide the screen shows it ("screen", both in CSS pixels of
    the layout), and the browser's zoom: a page that fits has page <= screen and zoom 1."""
    return page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        screen: document.documentElement.clientWidth, zoom: window.visualViewport.scale})""")
