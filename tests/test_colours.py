"""One colour code: MSE is one colour and cross-entropy another on every page, picture, plot, the notebook
and the docs' figures, each unlike the fills that mean "parameter" and "op" in a graph picture."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from minigrad.pages import builder
from minigrad.pages.colours import FILL, HIGHLIGHT, LOSS_COLOURS

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "minigrad" / "pages" / "assets"


def hue(colour: str) -> float:
    import colorsys

    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hsv(red, green, blue)[0] * 360


def hue_distance(a: str, b: str) -> float:
    distance = abs(hue(a) - hue(b)) % 360
    return min(distance, 360 - distance)


@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("other", ["parameter", "op", "sigma"])
def test_a_loss_colour_is_at_least_45_degrees_of_hue_from_parameter_op_and_the_sigma_edge(loss, other):
    colour = {"parameter": FILL["parameter"], "op": FILL["op"], "sigma": HIGHLIGHT}[other]
    assert hue_distance(LOSS_COLOURS[loss], colour) >= 45


def test_the_two_loss_colours_are_far_apart():
    assert hue_distance(LOSS_COLOURS["mse"], LOSS_COLOURS["ce"]) >= 90


@pytest.mark.parametrize("name", builder.PAGES)
def test_every_page_starts_its_style_with_the_shared_colours(name):
    page = builder.build_page(name, title="t", data={})
    style = page[page.index("<style>"):page.index("</style>")]
    assert f"--mse: {LOSS_COLOURS['mse']};" in style and f"--ce: {LOSS_COLOURS['ce']};" in style


@pytest.mark.parametrize("css", sorted(ASSETS.glob("*.css")), ids=lambda path: path.name)
def test_a_pages_css_colours_mse_and_ce_only_through_the_shared_variables(css):
    text = css.read_text(encoding="utf-8")
    assert not re.search(r"--(mse|ce)\s*:", text), "the colours are defined once, in colours.py"
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        if re.search(r"\bmse\b|\bce\b", selector):
            for value in re.findall(r"(?:^|;)\s*(?:color|fill|stroke|background(?:-color)?)\s*:\s*([^;]+)", body):
                assert value.strip().startswith("var(--"), f"{css.name}: {selector.strip()} sets {value.strip()}"


@pytest.mark.parametrize("script", sorted(ASSETS.glob("*.js")), ids=lambda path: path.name)
def test_no_page_script_writes_a_loss_colour_of_its_own(script):
    text = script.read_text(encoding="utf-8")
    assert not re.search(r"\b(mse|ce)\w*[\"']?\s*[:=]\s*[\"']#[0-9a-fA-F]{3,6}", text, re.IGNORECASE)
    assert not any(colour in text.lower() for colour in LOSS_COLOURS.values())


def plotting_sources() -> dict[str, str]:
    """Python that draws matplotlib figures: the package, the examples, docs/make_figures.py, the notebook."""
    sources = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
               for folder in ("minigrad", "examples") for path in sorted((ROOT / folder).rglob("*.py"))}
    sources["docs/make_figures.py"] = (ROOT / "docs" / "make_figures.py").read_text(encoding="utf-8")
    notebook = json.loads((ROOT / "examples" / "why_cross_entropy.ipynb").read_text(encoding="utf-8"))
    sources["why_cross_entropy.ipynb"] = "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    return sources


def loss_plots(source: str) -> list[ast.Call]:
    """The calls in `source` that draw something labelled as MSE or cross-entropy."""
    tree = ast.parse(source)
    found = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call):
            label = next((keyword.value for keyword in call.keywords if keyword.arg == "label"), None)
            if label is not None and re.search(r"MSE|cross-entropy|LOSS_NAMES", ast.unparse(label)):
                found.append(call)
    return found


def test_the_plots_that_draw_a_loss_are_found():
    sources = plotting_sources()
    assert len(loss_plots(sources["docs/make_figures.py"])) >= 2
    assert len(loss_plots(sources["why_cross_entropy.ipynb"])) >= 4


@pytest.mark.parametrize("name", sorted(plotting_sources()))
def test_every_plot_of_a_loss_takes_its_colour_from_the_shared_code(name):
    for call in loss_plots(plotting_sources()[name]):
        colour = next((keyword.value for keyword in call.keywords if keyword.arg in ("color", "c")), None)
        assert colour is not None and "LOSS_COLOURS" in ast.unparse(colour), \
            f"{name}: {ast.unparse(call)[:120]} draws a loss without LOSS_COLOURS"
