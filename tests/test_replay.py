"""viz.replay: a page that steps through the backward pass, one gradient at a
time. Its frames follow the engine's order, each frame's sum of chain-rule
terms equals `.grad`, the page needs nothing but itself, and in a browser the
keys, buttons and slider move through the frames with every number readable."""

import html
import json
import re
import sys

import numpy as np
import pytest
from browser import needs_browser, open_page, shown_text

import minigrad as mg
from minigrad import Tensor, nn, viz
from minigrad.core.backward import topological_order
from minigrad.lessons import explain
from minigrad.viz import graph_picture


def cross_entropy_neuron():
    """The explain neuron (x = 1, w = 2, b = 2) under cross-entropy with target 0."""
    return explain.cross_entropy_of(explain.neuron(1.0, 2.0, 2.0), 0.0)


def used_twice():
    """y = x·x + x: x feeds two ops, one of them twice."""
    x = Tensor(3.0, requires_grad=True, name="x")
    y = x * x + x
    y.name = "y"
    return y


def small_network():
    """Cross-entropy of a 2-3-2 tanh network on two points: a graph of matrices."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    x = Tensor(np.array([[0.5, -1.0], [1.0, 2.0]], dtype=np.float32))
    return nn.CrossEntropyLoss()(model(x), np.array([0, 1]))


GRAPHS = {"neuron": (cross_entropy_neuron, 300), "used twice": (used_twice, 300),
          "network": (small_network, 300), "network past max_nodes": (small_network, 6)}


def frames_of(page):
    """The frames the page embeds for its JavaScript (and for these tests)."""
    found = re.search(r'<script id="replay-data" type="application/json">(.*?)</script>', page.html, re.S)
    return json.loads(found.group(1))["tracks"][0]["frames"]


def by_number(root):
    """Every tensor of the graph by its number ("t3"), breadth first from the root, as the pictures number them."""
    return {f"t{i}": t for i, t in enumerate(graph_picture.nearest_tensors(root, sys.maxsize)[0])}


def backward_keeping_every_grad(root):
    for t in topological_order(root):
        t.retain_grad()
    root.backward()


@pytest.mark.parametrize("name", GRAPHS)
def test_frames_visit_every_tensor_that_requires_grad_once_in_reverse_topological_order(name):
    make, max_nodes = GRAPHS[name]
    root = make()
    tensors = by_number(root)
    visited = [tensors[frame["tensor"]] for frame in frames_of(viz.replay(root, max_nodes=max_nodes))]
    assert [id(t) for t in visited] == [id(t) for t in reversed(topological_order(root))]


@pytest.mark.parametrize("name", GRAPHS)
def test_each_frames_sum_of_terms_equals_grad_after_backward(name):
    make, max_nodes = GRAPHS[name]
    root = make()
    frames = viz.replay(root, max_nodes=max_nodes).frames
    tensors = by_number(root)
    backward_keeping_every_grad(root)
    for frame in frames:
        np.testing.assert_allclose(frame.grad, tensors[frame.tensor].grad, rtol=1e-6, atol=1e-12)


def test_a_tensor_used_twice_adds_one_term_per_use():
    last = viz.replay(used_twice()).frames[-1]  # x: 1 from +, then 3 and 3 from x·x
    assert last.sum + last.total == "∂y/∂x = 1 + 3 + 3 = 7"
    assert last.edges == ["t2->op0", "t2->op1"]
    assert len(last.lines) == 4  # "x is used 3 times ..." and one line per term


def test_a_step_writes_the_chain_rule_with_its_numbers():
    frame = next(f for f in viz.replay(cross_entropy_neuron()).frames if f.heading == "∂L/∂z")
    assert frame.sum + frame.total == "∂L/∂z = ∂L/∂a · ∂a/∂z = 55.6 × 0.01766 = 0.982"


def test_tensors_past_max_nodes_are_replayed_on_the_collapsed_note():
    frames = viz.replay(small_network(), max_nodes=6).frames
    assert [f.node for f in frames[:2]] == ["t0", "t1"] and {f.node for f in frames[2:]} == {"collapsed"}


def test_the_page_is_self_contained_and_small():
    page = viz.replay(cross_entropy_neuron()).html
    assert "http" not in page and "<script src" not in page and "<link" not in page
    assert len(page.encode()) < 2_000_000


def test_a_path_writes_the_page_with_html_added(tmp_path):
    page = viz.replay(used_twice(), tmp_path / "pages" / "used_twice")
    assert page.path == tmp_path / "pages" / "used_twice.html"
    assert page.path.read_text(encoding="utf-8") == page.html


def test_jupyter_shows_the_page_in_an_iframe_with_srcdoc():
    page = viz.replay(used_twice())
    shown = page._repr_html_()
    assert shown.startswith("<iframe ") and "height: " in shown
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1)) == page.html


def test_a_root_that_is_not_a_tensor_is_a_type_error_naming_replay():
    with pytest.raises(TypeError, match=r"^replay: .*got float"):
        viz.replay(3.0)


def test_a_root_that_does_not_require_grad_is_a_value_error_naming_replay():
    with pytest.raises(ValueError, match=r"^replay: .*does not require grad"):
        viz.replay(Tensor(3.0) * 2)


# ------------------------------------------------------------- in a browser --

def shown_step(visit):
    return visit.page.text_content("#counter")


def go(visit, step):
    """Show step `step` (1-based) with the slider."""
    visit.page.eval_on_selector("#slider", f"s => {{ s.value = {step - 1}; s.dispatchEvent(new Event('input')); }}")


def shown_numbers(text):
    return [float(number) for number in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", text)]


def assert_each_steps_sum_equals_grad(visit, page, root):
    """From step 1 to the last, the total shown is the tensor's .grad after backward, as formatted."""
    tensors = by_number(root)
    backward_keeping_every_grad(root)
    go(visit, 1)
    for k, frame in enumerate(page.frames):
        if k:
            visit.page.keyboard.press("ArrowRight")
        grad = tensors[frame.tensor].grad.astype(np.float64)
        if grad.size == 1:  # 4 significant digits
            expected, tolerance = grad.ravel(), {"rel": 5e-4}
        elif grad.size <= 4:  # each element, 4 decimals
            expected, tolerance = grad.ravel(), {"abs": 5e-5}
        else:  # mean, min and max, 3 significant digits (a mean within rounding of 0 shows as 0)
            expected = [grad.mean(), grad.min(), grad.max()]
            tolerance = {"rel": 5e-3, "abs": 1e-6 * np.abs(grad).max()}
        assert shown_numbers(visit.page.text_content("#total")) == pytest.approx(expected, **tolerance), \
            frame.heading


@pytest.fixture(scope="class")
def neuron(tmp_path_factory):
    """The replay of the explain neuron's cross-entropy graph at 1366×768, opened once for a class of tests."""
    root = cross_entropy_neuron()
    page = viz.replay(root, tmp_path_factory.mktemp("replay") / "replay")
    with open_page(page.path) as visit:
        yield root, page, visit


@needs_browser
class TestTheNeuronsReplay:
    """Each test sets the step it starts from."""

    def test_the_counter_counts_from_step_1_to_step_n_of_n_frames(self, neuron):
        _, page, visit = neuron
        n = len(page.frames)
        go(visit, 1)
        assert shown_step(visit) == f"step 1 of {n}"
        for _ in range(n - 1):
            visit.page.keyboard.press("ArrowRight")
        assert shown_step(visit) == f"step {n} of {n}"
        assert visit.page.text_content("#heading") == page.frames[-1].heading

    def test_the_left_arrow_goes_back(self, neuron):
        _, page, visit = neuron
        go(visit, 1)
        for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft"):
            visit.page.keyboard.press(key)
        assert shown_step(visit) == f"step 3 of {len(page.frames)}"

    def test_the_slider_and_the_buttons_change_the_step(self, neuron):
        _, page, visit = neuron
        n = len(page.frames)
        go(visit, 6)
        assert shown_step(visit) == f"step 6 of {n}"
        visit.page.click("#next")
        assert shown_step(visit) == f"step 7 of {n}"
        visit.page.click("#previous")
        visit.page.click("#previous")
        assert shown_step(visit) == f"step 5 of {n}"
        visit.page.focus("#slider")
        visit.page.keyboard.press("ArrowRight")  # one step, not two (the slider's own and the page's)
        assert shown_step(visit) == f"step 6 of {n}"

    def test_the_sum_shown_at_each_step_equals_grad(self, neuron):
        assert_each_steps_sum_equals_grad(neuron[2], neuron[1], neuron[0])

    def test_gradients_show_once_backward_has_completed_them(self, neuron):
        _, page, visit = neuron
        gradients = "Array.from(document.querySelectorAll('#graph text.gradient'), t => t.textContent)"
        go(visit, 1)
        at_start = visit.page.evaluate(gradients)
        assert sum(not text.endswith("= ?") for text in at_start) == 1 and "∂L/∂L = 1" in at_start
        go(visit, len(page.frames))
        at_end = visit.page.evaluate(gradients)
        assert len(at_end) == len(at_start) and not any(text.endswith("= ?") for text in at_end)

    def test_every_text_is_at_least_12_px_at_1366_by_768(self, neuron):
        sizes = shown_text(neuron[2].page)
        assert len(sizes) > 20 and sizes[0][0] >= 12, sizes[:3]

    def test_the_page_runs_without_errors_or_outside_requests(self, neuron):
        _, page, visit = neuron
        go(visit, 1)
        for _ in range(len(page.frames)):
            visit.page.keyboard.press("ArrowRight")
        assert visit.problems() == []


@needs_browser
@pytest.mark.parametrize("name", ["used twice", "network"])
def test_the_sum_shown_at_each_step_equals_grad(name, tmp_path):
    root = GRAPHS[name][0]()
    page = viz.replay(root, tmp_path / "replay")
    with open_page(page.path) as visit:
        assert_each_steps_sum_equals_grad(visit, page, root)


@needs_browser
def test_every_text_of_a_graph_of_matrices_is_at_least_12_px_at_1366_by_768(tmp_path):
    page = viz.replay(small_network(), tmp_path / "replay")
    with open_page(page.path) as visit:
        sizes = shown_text(visit.page)
    assert len(sizes) > 20 and sizes[0][0] >= 12, sizes[:3]


@needs_browser
def test_in_a_narrow_frame_the_text_goes_under_the_graph_which_keeps_the_full_width(tmp_path):
    page = viz.replay(cross_entropy_neuron(), tmp_path / "replay")  # a notebook's output is about 720 px wide
    with open_page(page.path, viewport={"width": 720, "height": 640}) as visit:
        graph, panel = (visit.page.locator(selector).bounding_box() for selector in ("#graph", "#panel"))
        svg = visit.page.locator("#graph svg").bounding_box()
    assert panel["y"] >= graph["y"] + graph["height"] - 1 and graph["width"] >= 700
    assert svg["width"] <= graph["width"]  # the graph is not cut at the side


def test_a_folder_as_the_path_is_refused_with_the_path_it_expected(tmp_path):
    with pytest.raises(ValueError, match=r"^replay: .* is a folder; expected the path of the page"):
        viz.replay(used_twice(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_at_the_roots_own_op_the_chain_rule_calls_the_factor_local():
    first = viz.replay(used_twice()).frames[1]   # x·x, right under the root y = x·x + x
    assert first.sum + first.total == "∂y/∂(x·x) = ∂y/∂y · local = 1 × 1 = 1"


def test_a_tensor_past_max_nodes_keeps_its_own_name():
    x = Tensor(0.5, requires_grad=True, name="start")
    h = x
    for _ in range(20):
        h = h.tanh()
    h.name = "end"
    assert viz.replay(h, max_nodes=6).frames[-1].heading == "∂end/∂start"


def test_the_page_carries_the_shown_numbers_not_the_raw_gradients():
    assert all("grad" not in frame for frame in frames_of(viz.replay(small_network())))
