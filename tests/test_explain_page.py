"""The explorable page of `minigrad explain`, opened in headless Chromium: it
is one self-contained file, it runs without errors, its sliders and presets
change what is shown, every number it shows is minigrad's for that neuron,
and it reads on a phone as on a laptop.

The page is built once, and opened once per screen size (a 1366×768 window,
a 390×844 phone) for the whole module: each test reloads it, so none sees
another's clicks."""

import math
import re

import numpy as np
import pytest
from browser import PHONE, WINDOW, needs_browser, open_page, page_width, shown_text

from minigrad import Tensor
from minigrad.lessons import explain, explain_page

START = {"x": 1.0, "w": 2.0, "b": 2.0, "y": 0.0}
PRESETS = {name: neuron for name, (neuron, _) in explain_page.PRESETS.items()}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "index.html"
    path.write_text(explain_page.page(START), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def window_visit(page_file):
    with open_page(page_file) as visit:
        yield visit


def open_beside(visit, path, viewport):
    """`path` in a new page of the browser `visit` runs in (Playwright runs one browser at a time per thread), with
    the checks of browser.open_page: its errors and outside requests go to `visit`, and PHONE means mobile emulation."""
    phone = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3} if viewport == PHONE else {}
    page = visit.page.context.browser.new_page(viewport=viewport, **phone)
    page.on("pageerror", lambda error: visit.errors.append(f"JavaScript error: {error}"))
    page.on("console", lambda message: visit.errors.append(f"console error: {message.text}")
            if message.type == "error" else None)
    own = path.resolve().as_uri()
    page.route("**/*", lambda route: route.continue_() if route.request.url.split("#")[0] == own
               else (visit.outside_requests.append(route.request.url), route.abort()))
    page.goto(own)
    page.wait_for_load_state("load")
    return page


@pytest.fixture
def window(window_visit):
    """The page at 1366×768, freshly loaded."""
    window_visit.page.reload()
    return window_visit.page


@pytest.fixture(scope="module")
def phone_page(window_visit, page_file):
    page = open_beside(window_visit, page_file, PHONE)
    yield page
    page.close()


@pytest.fixture
def phone(phone_page, window_visit):
    """The page on a 390×844 phone, freshly loaded (what goes wrong on it goes to `window_visit`)."""
    phone_page.set_viewport_size(PHONE)
    phone_page.reload()
    return phone_page


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


def neuron_shown(page):
    """The grid values the four sliders stand on."""
    return {axis: page.evaluate(f"DATA.grid.{axis}[Number(document.getElementById('slider-{axis}').value)]")
            for axis in "xwby"}


def sigma_prime_edges(page):
    """The screen box (left, right, width) of each graph's bold σ′ edge, and of the part of its figure shown."""
    return page.eval_on_selector_all("#graphs g.edge", """edges => edges
        .filter(e => e.textContent.includes("σ′ = ∂a/∂z"))
        .map(e => { const r = e.getBoundingClientRect(), box = e.closest(".wide-figure").getBoundingClientRect();
                    return {left: r.left, right: r.right, width: r.width, shownLeft: box.left, shownRight: box.right}; })""")


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
def test_the_page_runs_without_errors_or_requests(window_visit, window):
    window_visit.errors.clear()
    set_sliders(window, w=-4.0, y=1.0)
    for preset in PRESETS:
        window.click(f"[data-preset={preset}]")
    window.check("#scale input[value=linear]")
    assert window_visit.problems() == []


@needs_browser
@pytest.mark.parametrize("position", [dict(x=1.0, w=2.0, b=2.0, y=0.0), dict(x=-2.0, w=4.0, b=-4.0, y=1.0),
                                      dict(x=0.5, w=-3.0, b=1.0, y=0.25), dict(x=0.0, w=0.0, b=0.0, y=0.5)])
def test_the_numbers_shown_are_minigrads_at_each_slider_position(window, position):
    truth = expected(**position)
    set_sliders(window, **position)
    for name, value in truth.items():
        assert shown(window, name) == pytest.approx(value, rel=6e-4, abs=1e-12), name


@needs_browser
def test_the_graphs_write_out_the_chain_rule_for_the_current_neuron(window):
    truth = expected(x=-1.0, w=3.0, b=1.0, y=0.75)
    set_sliders(window, x=-1.0, w=3.0, b=1.0, y=0.75)
    texts = window.eval_on_selector_all("#graphs g.edge text", "els => els.map(e => e.textContent)")
    products = [t for t in texts if t.startswith("= ") and "×" in t]
    assert len(products) == 2                                       # one σ′ edge in each graph
    for text, loss in zip(products, ("mse", "ce")):
        upstream, sigma_prime, result = (float(v) for v in re.findall(r"-?[\d.]+(?:e[-+]\d+)?", text))
        assert upstream == pytest.approx(truth[f"{loss}-da"], rel=6e-4)
        assert sigma_prime == pytest.approx(truth["sigma-prime"], rel=6e-4)
        assert result == pytest.approx(truth[f"{loss}-dz"], rel=6e-4)


@needs_browser
def test_moving_the_target_changes_the_gradient_and_which_branch_is_grey(window):
    before = window.text_content("#out-ce-dz")
    grey_before = window.eval_on_selector_all("#graphs g.zero title", "els => els.map(e => e.textContent)")
    set_sliders(window, y=1.0)
    after = window.text_content("#out-ce-dz")
    grey_after = window.eval_on_selector_all("#graphs g.zero title", "els => els.map(e => e.textContent)")
    assert before != after
    assert grey_before and grey_after and set(grey_before) != set(grey_after)   # y ln a, then (1 − y) ln(1 − a)


@needs_browser
def test_the_plots_follow_the_sliders(window):
    marker = lambda: window.get_attribute("#gradient-plot circle", "cx")
    descent = lambda: window.get_attribute("#descent-plot polyline", "points")
    before = (marker(), descent())
    set_sliders(window, b=-4.0)
    assert (marker(), descent()) != before


@needs_browser
def test_every_text_is_at_least_12_px_at_1366_by_768_before_and_after_a_preset(window):
    before = shown_text(window)
    window.click("[data-preset=saturate]")                 # adds the sentence it says and the log plot's labels
    after = shown_text(window)
    assert any("σ′ = ∂a/∂z" in text for _, text in before)   # the graphs' text is measured too
    assert min(before)[0] >= 12 and min(after)[0] >= 12, (min(before), min(after))


@needs_browser
def test_on_a_phone_the_page_is_as_wide_as_the_screen_and_unzoomed(phone):
    assert page_width(phone) == {"page": 390, "screen": 390, "zoom": 1}


@needs_browser
def test_on_a_phone_both_graphs_show_with_every_text_at_least_11_px(phone):
    widths = phone.eval_on_selector_all("#graphs svg", "svgs => svgs.map(s => s.getBoundingClientRect().width)")
    before = shown_text(phone)
    phone.click("[data-preset=saturate]")
    after = shown_text(phone)
    assert len(widths) == 2 and min(widths) > 300
    assert sum("σ′ = ∂a/∂z" in text for _, text in after) == 2
    assert min(before)[0] >= 11 and min(after)[0] >= 11, (min(before), min(after))


@needs_browser
@pytest.mark.parametrize("width", [390, 360])
def test_on_a_phone_both_bold_sigma_prime_edges_are_in_view_from_side_to_side(phone, width):
    phone.set_viewport_size({"width": width, "height": 740})
    assert page_width(phone)["page"] <= width
    edges = sigma_prime_edges(phone)
    assert len(edges) == 2
    for edge in edges:
        assert edge["width"] > 0 and max(0, edge["shownLeft"]) <= edge["left"]
        assert edge["right"] <= min(width, edge["shownRight"]), edge


@needs_browser
@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_lands_on_its_neuron_and_shows_minigrads_numbers_for_it(window, preset):
    window.click(f"[data-preset={preset}]")
    assert neuron_shown(window) == PRESETS[preset]                                    # exactly, not the nearest
    assert window.get_attribute(f"[data-preset={preset}]", "aria-pressed") == "true"
    for name, value in expected(**PRESETS[preset]).items():
        assert shown(window, name) == pytest.approx(value, rel=6e-4, abs=1e-12), name
    assert f"{expected(**PRESETS[preset])['ce-dz']:.4g}" in window.text_content(".try .said")


def test_the_peak_preset_is_where_mses_gradient_is_largest_for_target_0():
    truth = expected(**PRESETS["peak"])
    z = Tensor(np.linspace(-12, 12, 24001), requires_grad=True)
    explain.half_squared_error(z.sigmoid(), np.zeros(24001)).sum().backward()   # MSE's ∂L/∂z all along z, by backward
    assert PRESETS["peak"]["y"] == 0 and truth["z"] == math.log(2)
    assert truth["mse-dz"] == pytest.approx(4 / 27, rel=1e-15) and truth["mse-dz"] >= z.grad.max()


@needs_browser
def test_the_saturate_preset_shows_mses_gradient_five_orders_of_magnitude_under_ces(window):
    window.click("[data-preset=saturate]")
    assert shown(window, "z") == 12 and shown(window, "ce-dz") == pytest.approx(1, abs=1e-4)
    assert shown(window, "mse-dz") == pytest.approx(6.144e-6, rel=1e-3)
    assert window.is_checked("#scale input[value=log]")


@needs_browser
def test_the_right_answer_preset_greys_the_one_minus_y_branch_of_cross_entropy(window):
    window.click("[data-preset=right]")
    grey = window.eval_on_selector_all("#graphs g.zero text", "els => els.map(e => e.textContent)")
    assert any("1 − a" in text for text in grey) and not any("ln(clip(a))" in text for text in grey)


@needs_browser
def test_moving_a_slider_after_a_preset_unpresses_it(window):
    window.click("[data-preset=peak]")
    set_sliders(window, b=-4.0)
    assert window.get_attribute("[data-preset=peak]", "aria-pressed") == "false"
    assert window.text_content(".try .said") == ""


def ratio_words(x, w, b, y):
    """What the page must say about MSE's ∂L/∂z as a share of cross-entropy's, from explain's numbers."""
    truth = expected(x, w, b, y)
    mse, ce = truth["mse-dz"], truth["ce-dz"]
    if mse == 0 and ce == 0:
        return "a = y exactly" if truth["a"] == y else f"Both ∂L/∂z read 0 here: a rounds to exactly {truth['a']:.4g}"
    ratio = mse / ce
    return f"MSE passes back 1/{ce / mse:.4g} of" if ratio >= 1e-4 else f"MSE passes back only {ratio:.4g} ×"


@needs_browser
@pytest.mark.parametrize("position, words", [
    (dict(x=1.0, w=2.0, b=2.0, y=0.0), "1/56.62 of"),            # z = 4: σ′ = 0.01766
    (dict(x=2.0, w=4.0, b=4.0, y=0.0), "only 6.144e-06 ×"),      # z = 12: under 1e-4, as a factor
    (dict(x=0.0, w=1.0, b=0.0, y=0.25), "1/4 of"),               # z = 0: σ′ at its largest
    (dict(x=0.0, w=0.0, b=0.0, y=0.5), "a = y exactly"),         # both gradients exactly 0
])
def test_the_page_says_what_share_of_cross_entropys_gradient_mse_passes_back(window, position, words):
    set_sliders(window, **position)
    said = window.text_content("#ratio")
    assert words in said and ratio_words(**position) in said, said


@needs_browser
def test_the_log_switch_redraws_the_gradient_plot_in_decades_with_the_dots_a_ratio_apart(window):
    set_sliders(window, x=2.0, w=4.0, b=4.0, y=0.0)
    plot = lambda: window.eval_on_selector_all("#gradient-plot polyline, #gradient-plot text",
                                               "els => els.map(e => e.getAttribute('points') || e.textContent)")
    linear = plot()
    window.check("#scale input[value=log]")
    log = plot()
    assert log != linear and [t for t in linear if t in ("-1", "0", "1")] == ["-1", "0", "1"]
    assert [t for t in log if re.fullmatch(r"1|0\.0+1|1e-\d+", t)] == \
        ["1", "0.01", "0.0001", "1e-06", "1e-08", "1e-10", "1e-12"]
    ticks = window.eval_on_selector_all("#gradient-plot text", "els => Object.fromEntries(els.map("
                                        "e => [e.textContent, parseFloat(e.getAttribute('y'))]))")
    decade = (ticks["0.01"] - ticks["1"]) / 2
    dots = window.eval_on_selector_all("#gradient-plot circle", "els => els.map(e => parseFloat(e.getAttribute('cy')))")
    truth = expected(x=2.0, w=4.0, b=4.0, y=0.0)
    assert (dots[0] - dots[1]) / decade == pytest.approx(math.log10(truth["ce-dz"] / truth["mse-dz"]), abs=0.01)


@needs_browser
def test_a_neuron_saturated_to_exactly_1_says_why_cross_entropys_gradient_reads_0(window_visit, tmp_path):
    path = tmp_path / "saturated.html"
    path.write_text(explain_page.page({"x": 1.0, "w": 40.0, "b": 2.0, "y": 0.0}), encoding="utf-8")
    page = open_beside(window_visit, path, WINDOW)
    try:
        assert shown(page, "a") == 1.0 and shown(page, "ce-dz") == 0.0
        assert page.is_visible("#clamp-note")
        assert page.text_content("#ratio").startswith(ratio_words(1.0, 40.0, 2.0, 0.0))
        set_sliders(page, w=2.0)
        assert not page.is_visible("#clamp-note")
    finally:
        page.close()


def test_a_start_so_large_that_descent_overflows_builds_the_page_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = explain_page.page({"x": 1e300, "w": 1e8, "b": 0.0, "y": 0.0})
    assert "<svg" in text


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_neuron_is_on_the_slider_grid_exactly(preset):
    grid = explain_page.grid_with(START)
    assert all(value in grid[axis].tolist() for axis, value in PRESETS[preset].items())
