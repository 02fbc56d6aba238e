"""The docs as a site (mkdocs.yml): `mkdocs build --strict` builds it with no
warning, the API reference documents every public name, the notebook page
carries this build's outputs, and in headless Chromium, served from
127.0.0.1 (and, for search and an embedded page, opened from disk), the home page, the API reference, the notebook and the embedded
explorable pages run with no JavaScript error and no outside request, read at
1366×768, their controls work inside the site, and search finds.

The site is built once, into a temporary folder, by the README's command."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from browser import PHONE, WINDOW, needs_browser, open_page, page_width, shown_text
from test_docs_pages import API_MODULES, API_PAGE_OF, documented_names

ROOT = Path(__file__).resolve().parent.parent
DOCS_EXTRA = ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter")
EXPLORABLE = ["pages/explain/index.html", "pages/explain/replay.html", "pages/train/report.html",
              "pages/compare/compare.html"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """(the site's folder, what `mkdocs build --strict` printed)."""
    missing = [name for name in DOCS_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"the docs extra is not installed (no {', '.join(missing)}): pip install -e '.[docs]'")
    site = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    return site, run.stdout + run.stderr


@pytest.fixture(scope="module")
def site(build):
    return build[0]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site):
    """The site's root URL, served by Python's http.server on 127.0.0.1 (as `mkdocs serve` would)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_the_site_builds_strictly_with_no_warning(build):
    _, log = build
    assert not re.findall(r"^(?:WARNING|ERROR)\s+-.*$", log, flags=re.M)


def test_every_page_of_the_nav_is_built(site):
    for page in ["index.html", "autodiff.html", "vanishing_gradients.html", "why_cross_entropy.html",
                 "explore.html", "claims.html", "api/index.html", "api/functional.html"]:
        assert (site / page).is_file(), page


@pytest.mark.parametrize("module", API_MODULES)
def test_the_api_reference_has_an_entry_for_every_public_name(site, module):
    page = (site / "api" / API_PAGE_OF[module].with_suffix(".html").name).read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([^"]+)"', page))
    names = [name for name, _ in documented_names(module)]
    assert names and not [name for name in names if name not in anchors]


def test_the_api_reference_shows_doctests_as_code_not_as_quotations(site):
    page = (site / "api" / "minigrad.html").read_text(encoding="utf-8")
    assert "<blockquote" not in page
    assert '<div class="highlight"><pre><span></span><code><span class="gp">&gt;&gt;&gt; </span>' in page


def test_the_api_reference_shows_each_ops_source(site):
    page = (site / "api" / "minigrad.html").read_text(encoding="utf-8")
    assert "Source code in <code>minigrad/core/tensor.py</code>" in page


def test_a_one_line_property_is_shown_as_a_property_with_its_docstring(site):
    page = (site / "api" / "minigrad.html").read_text(encoding="utf-8")
    entry = page[page.index('id="minigrad.Tensor.shape"'):page.index('id="minigrad.Tensor.ndim"')]
    assert re.findall(r"doc-label-[\w-]+", entry) == ["doc-label-property"] and "The shape of .data." in entry
    assert "lambda" not in entry


def test_the_search_index_leaves_out_the_source_listings(site):
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "Tensor.backward" in index or "minigrad.Tensor.backward" in index  # the entries are in it
    assert "self._requires_grad = bool(value)" not in index                    # the sources are not


def test_the_notebook_page_carries_this_builds_outputs(site):
    page = (site / "why_cross_entropy.html").read_text(encoding="utf-8")
    assert "σ′(z) = a(1 − a) = 0.0177" in page and "∂L/∂z = 0.0173" in page  # printed by its cells
    assert page.count('class="jp-RenderedSVG') >= 3 and page.count("data:image/png;base64") >= 2


@pytest.mark.parametrize("name", EXPLORABLE)
def test_each_explorable_page_is_in_the_site_in_one_file(site, name):
    html = (site / name).read_text(encoding="utf-8")
    assert "<script>" in html and not re.search(r'(?:src|href)="(?:https?:)?//', html)


# ------------------------------------------------------------- in a browser --

def _texts_below(page, pixels: float) -> list[tuple[str, float]]:
    """Visible text elements of the page's content whose font is smaller than `pixels`."""
    return page.evaluate(
        """pixels => Array.from(document.querySelectorAll('.md-content p, .md-content li, .md-content td, '
                                                         + '.md-content code, .md-nav__link, .md-content h1'))
             .filter(e => e.offsetParent && e.textContent.trim())
             .map(e => [e.textContent.trim().slice(0, 40), parseFloat(getComputedStyle(e).fontSize)])
             .filter(([, size]) => size < pixels)""", pixels)


def _smallest_figure_text(page, site: Path) -> list[tuple[str, float]]:
    """For each figure of the page (an SVG or a PNG shown as an image): (its file, the smallest text in it,
    in CSS pixels as shown), from the file's own font sizes: Graphviz's in points, matplotlib's as the PNG
    records them (training.plots.save_png)."""
    from minigrad.training.plots import smallest_text_px

    shown = page.evaluate("""() => Array.from(document.querySelectorAll('.md-content img[src^="figures/"]'),
                                              img => [img.getAttribute('src'), img.getBoundingClientRect().width])""")
    found = []
    for source, width in shown:
        path = site / source
        if path.suffix == ".svg":
            svg = path.read_text(encoding="utf-8")
            natural = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
            smallest = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg))
        else:
            natural, smallest = int.from_bytes(path.read_bytes()[16:20], "big"), smallest_text_px(path)
        found.append((source, smallest * width / natural))
    return found


@needs_browser
def test_the_home_page_reads_at_1366_by_768_with_no_error_or_outside_request(served, site):
    with open_page(served + "index.html", within=served) as visit:
        assert visit.page.title().startswith("minigrad")
        assert not _texts_below(visit.page, 12)
        figures = _smallest_figure_text(visit.page, site)
        assert figures and all(smallest >= 12 for _, smallest in figures), figures
        assert visit.page.locator(".md-nav__link", has_text="Derivatives of derivatives").count()
    assert not visit.problems()


@needs_browser
@pytest.mark.parametrize("page", ["activations.html", "mse_vs_ce.html", "information.html", "training.html",
                                  "drawing_graphs.html", "losses.html", "own_op.html", "higher_order.html",
                                  "vanishing_gradients.html", "exercises.html"])
def test_the_tutorial_figures_read_at_1366_by_768(served, site, page):
    with open_page(served + page, within=served) as visit:
        figures = _smallest_figure_text(visit.page, site)
    assert figures and all(smallest >= 12 for _, smallest in figures), figures
    assert not visit.problems()


@needs_browser
@pytest.mark.parametrize("page", ["index.html", "training.html", "vanishing_gradients.html", "own_op.html"])
def test_on_a_phone_a_page_and_its_figures_read_without_the_page_scrolling_sideways(served, site, page):
    with open_page(served + page, viewport=PHONE, within=served) as visit:
        width = page_width(visit.page)
        assert width["page"] <= width["screen"] and width["zoom"] == 1, width
        assert shown_text(visit.page)[0][0] >= 11, shown_text(visit.page)[:3]
        figures = _smallest_figure_text(visit.page, site)
        assert figures and all(smallest >= 11 for _, smallest in figures), figures
    assert not visit.problems()


@needs_browser
def test_the_api_page_shows_a_signature_a_doctest_and_the_source(served):
    with open_page(served + "api/functional.html", within=served) as visit:
        entry = visit.page.locator('[id="minigrad.functional.cross_entropy"]')
        assert entry.count() == 1
        signatures = visit.page.eval_on_selector_all(".doc-signature", "els => els.map(e => e.textContent)")
        assert any(re.sub(r"\s+", "", text).startswith("cross_entropy(logits:Tensor,target") for text in signatures)
        assert max(len(line) for text in signatures for line in text.splitlines()) <= 88  # laid out by ruff
        assert visit.page.locator(".doc-contents .highlight .gp").count() >= 5  # the prompts of doctests
        assert not _texts_below(visit.page, 12)
    assert not visit.problems()


@pytest.fixture(scope="module", params=["http", "file"])
def root(request, site):
    """The site's root URL: served from 127.0.0.1, or opened from disk (file://)."""
    return request.getfixturevalue("served") if request.param == "http" else site.as_uri() + "/"


@needs_browser
def test_search_finds_the_hessian_in_the_tutorial_and_the_reference(root):
    with open_page(root + "index.html", within=root) as visit:
        page = visit.page
        page.click(".md-search__input")
        page.keyboard.type("hessian")
        page.wait_for_selector(".md-search-result__item", timeout=15_000)
        links = page.eval_on_selector_all(".md-search-result__item a", "links => links.map(a => a.href)")
    found = {re.sub(r"\?h=[^#]*", "", link.removeprefix(root)) for link in links}  # ?h= highlights the word
    assert "higher_order.html" in found and "api/minigrad.html#minigrad.hessian" in found, found
    assert not visit.problems()


@needs_browser
@pytest.mark.parametrize("screen", ["1366x768", "phone"])
def test_no_output_of_the_notebook_page_is_cut_or_shrunk(served, screen):
    """At 1366×768 every picture fits its output area at full size; on a phone a wider one keeps its size
    and its output area scrolls sideways (the page does not)."""
    with open_page(served + "why_cross_entropy.html", viewport=PHONE if screen == "phone" else WINDOW,
                   within=served) as visit:
        outputs = visit.page.evaluate(
            """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output iframe'),
                 e => { const area = e.closest('.jp-OutputArea-output'), box = e.getBoundingClientRect(),
                              room = area.getBoundingClientRect();
                        return [e.tagName, box.left >= room.left - 0.5 && box.right <= room.right + 0.5,
                                area.scrollWidth >= Math.floor(box.width),
                                e.tagName === 'IMG' ? box.width / e.naturalWidth : 1]; })""")
        width = page_width(visit.page)
        assert len(outputs) >= 6  # three graphs, the replay, two plots
        assert all(shown >= 0.99 for *_, shown in outputs), outputs
        if screen == "phone":
            assert width["page"] <= width["screen"], width
            assert all(scrolls for _, _, scrolls, _ in outputs), outputs
        else:
            assert all(inside for _, inside, _, _ in outputs), outputs
    assert not visit.problems()


def _frame(visit, name):
    """The embedded page `name`, scrolled into view (the iframes load lazily) and loaded."""
    iframe = visit.page.locator(f'iframe[src="{name}"]')
    iframe.scroll_into_view_if_needed()
    handle = iframe.element_handle()
    for _ in range(300):  # until the lazy iframe has left about:blank for its page
        frame = handle.content_frame()
        if frame is not None and frame.url.endswith(name):
            break
        visit.page.wait_for_timeout(100)
    frame.wait_for_load_state("load")
    return frame


def _move(frame, slider, index):
    """Set a range input to `index` ("max": its last position), as a reader dragging it would."""
    frame.eval_on_selector(slider, "(s, i) => { s.value = i === 'max' ? s.max : i; s.dispatchEvent(new Event('input')); }",
                           index)


@needs_browser
def test_the_embedded_explain_page_moves_its_neuron_and_reads_at_1366_by_768(root):
    with open_page(root + "explore.html", within=root) as visit:
        frame = _frame(visit, "pages/explain/index.html")
        assert frame.text_content("#out-z") == "4"  # x = 1, w = 2, b = 2
        b_grid = frame.evaluate("DATA.grid.b")
        _move(frame, "#slider-b", b_grid.index(-4.0))
        assert frame.text_content("#out-z") == "-2"
        smallest = shown_text(visit.page)[:3]  # the site's text and the frame's, graphs included
        assert smallest[0][0] >= 12, smallest
    assert not visit.problems()


@needs_browser
def test_the_embedded_replay_steps_through_backward(served):
    with open_page(served + "explore.html", within=served) as visit:
        frame = _frame(visit, "pages/explain/replay.html")
        first = frame.text_content("#counter")
        frame.click("#next")
        assert first.startswith("step 1 of") and frame.text_content("#counter").startswith("step 2 of")
    assert not visit.problems()


@needs_browser
@pytest.mark.parametrize("name, slider, shown", [("pages/train/report.html", "#slider-epoch", "#value-epoch"),
                                                 ("pages/compare/compare.html", "#epoch", "#epoch-value")])
def test_the_embedded_training_pages_follow_their_epoch_slider(served, name, slider, shown):
    with open_page(served + "explore.html", within=served) as visit:
        frame = _frame(visit, name)
        before = frame.text_content(shown)
        _move(frame, slider, 0 if frame.eval_on_selector(slider, "s => s.value !== s.min") else "max")
        assert frame.text_content(shown) != before
    assert not visit.problems()


@needs_browser
def test_on_a_phone_every_embedded_page_fits_its_frame_and_reads(served):
    with open_page(served + "explore.html", viewport=PHONE, within=served) as visit:
        frames = {name: _frame(visit, name) for name in EXPLORABLE}
        for name, frame in frames.items():
            width = frame.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], (name, width)
        smallest = shown_text(visit.page)[:3]
        assert smallest[0][0] >= 11, smallest
    assert not visit.problems()
