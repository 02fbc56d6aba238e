"""MkDocs hooks for minigrad's site (mkdocs.yml, `hooks`): the pages that do not live in docs/,
and a search index without the API reference's source listings.

- The notebook examples/why_cross_entropy.ipynb becomes the page
  why_cross_entropy.html; mkdocs-jupyter runs it at every build, so its outputs
  are this build's. The docs link it as ../examples/why_cross_entropy.ipynb,
  which works on a code host; in the site the link leads to its page.
- The explorable pages are written by minigrad at every build, as the commands
  `minigrad explain`, `minigrad train` and `minigrad compare` write them with
  their default options: pages/explain/index.html (with replay.html beside it,
  which it links), pages/train/report.html and pages/compare/compare.html.
  Every number on them is minigrad's, computed for this build; docs/explore.md
  embeds them.
- Each figure (docs/figures/*.svg, *.png) sits in a box that scrolls sideways,
  and is shown no narrower than keeps its smallest text 12 px: on a phone the
  picture is read by scrolling it, as wide as it must be.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "why_cross_entropy.ipynb"
EXPLORABLE = ["explain/index.html", "explain/replay.html", "train/report.html", "compare/compare.html"]


def explorable_pages() -> dict[str, str]:
    """{path under pages/: HTML} for the pages minigrad's three commands write by default."""
    from minigrad import training
    from minigrad.lessons import compare, explain_page

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        _, problems = explain_page.write_explanation(out / "explain")
        if problems:  # without a Graphviz renderer the pages would show no graphs
            raise PluginError("the explain page has no graphs: " + "; ".join(problems))
        training.write_outputs(training.fit(training.TrainConfig()), out / "train")
        config = compare.CompareConfig()
        compare.write_outputs(compare.compare(config), config, out / "compare")
        return {name: (out / name).read_text(encoding="utf-8") for name in EXPLORABLE}


def on_page_markdown(markdown: str, **kwargs: object) -> str:
    return markdown.replace(f"](../examples/{NOTEBOOK.name})", f"]({NOTEBOOK.name})")


def on_page_content(html: str, page: Page, config: MkDocsConfig, **kwargs: object) -> str:
    """Keep the API reference's "Source code in …" blocks out of the search index (a search for
    no_grad should find its entry and the tutorial, not every function whose source mentions it), and
    give each figure its readable width."""
    source = '<details class="mkdocstrings-source"'
    html = html.replace(source, f"{source} data-search-exclude")
    folder = Path(config.docs_dir) / Path(page.file.src_uri).parent
    return FIGURE.sub(lambda image: readable_figure(image.group(0), folder / image.group(1)), html)


FIGURE = re.compile(r'<img [^>]*src="(figures/[^"]+\.(?:svg|png))"[^>]*>')
READABLE_PX = 12  # the smallest text of a figure, in CSS pixels, at the narrowest a figure is shown


def readable_figure(image: str, path: Path) -> str:
    """The <img> in a box that scrolls sideways, and no narrower than shows its smallest text at
    READABLE_PX: a wide graph on a phone is read by scrolling it, not by zooming the page."""
    if path.suffix == ".svg":  # Graphviz writes width="…pt" and font sizes in the same points
        svg = path.read_text(encoding="utf-8")
        width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3
        smallest = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg)) * 4 / 3
    else:
        from minigrad.training.plots import smallest_text_px

        width = int.from_bytes(path.read_bytes()[16:20], "big")  # the PNG header's width
        smallest = smallest_text_px(path)
        if not smallest:
            raise PluginError(f"{path.name} does not record its smallest text: run python docs/make_figures.py")
    least = min(width, width * READABLE_PX / smallest)
    return f'<span class="figure-box"><img style="min-width: {math.ceil(least)}px"{image.removeprefix("<img")}</span>'


@event_priority(50)  # before mkdocs-jupyter's on_files, which makes the notebook a page
def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File(NOTEBOOK.name, src_dir=str(NOTEBOOK.parent), dest_dir=config.site_dir,
                      use_directory_urls=config.use_directory_urls))
    for name, html in explorable_pages().items():
        files.append(File.generated(config, f"pages/{name}", content=html))
    return files
