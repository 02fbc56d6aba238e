"""Code excerpts in the README and docs/ are verbatim copies of the source they name.

An excerpt is a fenced block preceded by `<!-- excerpt: path/to/file.py -->`.
(The `>>>` examples in docs/ run as doctests: see pyproject's pytest options.)"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXCERPT = re.compile(r"<!-- excerpt: (\S+) -->\n```python\n(.*?)```", re.S)

excerpts = [(page.name, path, code) for page in PAGES for path, code in EXCERPT.findall(page.read_text())]


def test_the_docs_have_excerpts():
    assert len(excerpts) >= 4


@pytest.mark.parametrize("page, path, code", excerpts, ids=[f"{p}:{s}#{i}" for i, (p, s, _) in enumerate(excerpts)])
def test_excerpt_is_verbatim_source(page, path, code):
    assert code in (ROOT / path).read_text(), f"{page} quotes {path}, but the source has changed"


def test_committed_figures_are_what_make_figures_draws_today(tmp_path):
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    written = make_figures.make_figures(tmp_path)
    for dot in (path for path in written if path.suffix == ".dot"):
        assert dot.read_text() == (ROOT / "docs" / "figures" / dot.name).read_text(), \
            f"docs/figures/{dot.name} is stale: run python docs/make_figures.py"
    assert all((ROOT / "docs" / "figures" / path.name).exists() for path in written)


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_image_a_page_shows_exists(page):
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
        assert (page.parent / image).exists(), f"{page.name} shows {image}, which does not exist"


def test_every_plot_the_docs_show_is_at_most_880_px_wide_so_a_page_does_not_shrink_its_text():
    for plot in sorted((ROOT / "docs" / "figures").glob("*.png")):
        width = int.from_bytes(plot.read_bytes()[16:20], "big")  # a PNG's IHDR chunk: width, then height
        assert width <= 880, f"{plot.name} is {width} px wide: a docs column (834-880 px) would shrink its text"
