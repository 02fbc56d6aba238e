"""The explorable page of `minigrad explain`, opened in headless Chromium: it
is one self-contained file, it runs without errors, its sliders change what
is shown, and every number it shows is minigrad's for that neuron."""

import re

import pytest
from browser import needs_browser, open_page

from minigrad.lessons import explain, explain_page

START = {"x": 1.0, "w": 2.0, "b": 2.0, "y": 0.0}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "index.html"
    path.write_text(explain_page.page(START), encoding="utf-8")
    return path


def expected(x, w, b, y):
    """explain's own numbers for one neuron: both losses built from primitive ops, by backward."""
    numbers = {}
    for name, loss_of in (("mse", explain.mse_of), ("ce", explain.cross_entropy_of)):
        n = explain.neuron(x, w, b)
        n.z.retain_grad()
        n.a.retain_grad()
        loss = loss_of(n, y)
        loss.backward()
        numbers.update({f"{name}-loss": loss.item(), f"{name}-da": n.a.grad.item(), f"{name}-dz": n.z.grad.item()})
    a = n.a.item()
    numbers.update({"z": n.z.item(), "a": a, "sigma-prime": a * (1 - a)})
    return numbers


def set_sliders(page, **positions):
    """Move sliders to the grid values given (x=…, w=…, y=…), as a reader would drag them."""
    for axis, value in positions.items():
        values = page.evaluate(f"DATA.grid[{axis!r}]")
        page.eval_on_selector(f"#slider-{axis}", "(s, i) => { s.value = i; s.dispatchEvent(new Event('input')); }",
                              values.index(value))


def shown(page, name):
    return float(page.text_content(f"#out-{name}"))


def test_the_page_is_one_self_contained_file_under_2_mb(page_file):
    text = page_file.read_text(encoding="utf-8")
    assert len(text.encode()) < 2_000_000
    assert not re.search(r"<script[^>]+src=|<link|<img|@import|url\(", text)
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "").replace("http://www.w3.org/2000/svg", "") \
        .replace("http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd", "")


def test_an_explain_start_off_the_grid_is_on_the_page_exactly():
    text = explain_page.page({"x": 1.3, "w": 2.2, "b": -0.7, "y": 0.3})
    assert len(text.encode()) < 2_000_000
    for value in ("1.3", "2.2", "-0.7", "0.3"):
        assert re.search(rf"[\[,]{re.escape(value)}[,\]]", text)


@needs_browser
def test_the_page_runs_without_errors_or_requests(page_file):
    with open_page(page_file) as visit:
        set_sliders(visit.page, w=-4.0, y=1.0)
        assert visit.problems() == []


@needs_browser
@pytest.mark.parametrize("position", [dict(x=1.0, w=2.0, b=2.0, y=0.0), dict(x=-2.0, w=4.0, b=-4.0, y=1.0),
                                      dict(x=0.5, w=-3.0, b=1.0, y=0.25), dict(x=0.0, w=0.0, b=0.0, y=0.5)])
def test_the_numbers_shown_are_minigrads_at_each_slider_position(page_file, position):
    truth = expected(**position)
    with open_page(page_file) as visit:
        set_sliders(visit.page, **position)
        for name, value in truth.items():
            assert shown(visit.page, name) == pytest.approx(value, rel=6e-4, abs=1e-12), name


@needs_browser
def test_the_graphs_write_out_the_chain_rule_for_the_current_neuron(page_file):
    truth = expected(x=-1.0, w=3.0, b=1.0, y=0.75)
    with open_page(page_file) as visit:
        set_sliders(visit.page, x=-1.0, w=3.0, b=1.0, y=0.75)
        texts = visit.page.eval_on_selector_all("#graphs g.edge text", "els => els.map(e => e.textContent)")
    products = [t for t in texts if t.startswith("= ") and "×" in t]
    assert len(products) == 2                                       # one σ′ edge in each graph
    for text, loss in zip(products, ("mse", "ce")):
        upstream, sigma_prime, result = (float(v) for v in re.findall(r"-?[\d.]+(?:e[-+]\d+)?", text))
        assert upstream == pytest.approx(truth[f"{loss}-da"], rel=6e-4)
        assert sigma_prime == pytest.approx(truth["sigma-prime"], rel=6e-4)
        assert result == pytest.approx(truth[f"{loss}-dz"], rel=6e-4)


@needs_browser
def test_moving_the_target_changes_the_gradient_and_which_branch_is_grey(page_file):
    with open_page(page_file) as visit:
        before = visit.page.text_content("#out-ce-dz")
        grey_before = visit.page.eval_on_selector_all("#graphs g.zero title", "els => els.map(e => e.textContent)")
        set_sliders(visit.page, y=1.0)
        after = visit.page.text_content("#out-ce-dz")
        grey_after = visit.page.eval_on_selector_all("#graphs g.zero title", "els => els.map(e => e.textContent)")
    assert before != after
    assert grey_before and grey_after and set(grey_before) != set(grey_after)   # y ln a, then (1 − y) ln(1 − a)


@needs_browser
def test_the_plots_follow_the_sliders(page_file):
    with open_page(page_file) as visit:
        marker = lambda: visit.page.get_attribute("#gradient-plot circle", "cx")
        descent = lambda: visit.page.get_attribute("#descent-plot polyline", "points")
        before = (marker(), descent())
        set_sliders(visit.page, b=-4.0)
        assert (marker(), descent()) != before


@needs_browser
def test_every_number_in_the_graphs_is_at_least_10_px_at_1366_by_768(page_file):
    with open_page(page_file) as visit:
        sizes = visit.page.eval_on_selector_all(
            "#graphs text", "els => els.map(e => [e.textContent, "
                            "parseFloat(e.getAttribute('font-size')) * e.getScreenCTM().a])")
    numbers = [(text, size) for text, size in sizes if re.search(r"\d", text)]
    assert numbers and min(size for _, size in numbers) >= 10, min(numbers, key=lambda pair: pair[1])


@needs_browser
def test_a_neuron_saturated_to_exactly_1_says_why_cross_entropys_gradient_reads_0(tmp_path):
    path = tmp_path / "saturated.html"
    path.write_text(explain_page.page({"x": 1.0, "w": 40.0, "b": 2.0, "y": 0.0}), encoding="utf-8")
    with open_page(path) as visit:
        assert shown(visit.page, "a") == 1.0 and shown(visit.page, "ce-dz") == 0.0
        assert visit.page.is_visible("#clamp-note")
        set_sliders(visit.page, w=2.0)
        assert not visit.page.is_visible("#clamp-note")


def test_a_start_so_large_that_descent_overflows_builds_the_page_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = explain_page.page({"x": 1e300, "w": 1e8, "b": 0.0, "y": 0.0})
    assert "<svg" in text
