"""Pictures of what mg.blame found (issue 21): `viz.draw_graph(root, blame=report)` draws each wrong edge,
and only those, in bold red with "expected …, got …" and the kind of mistake, and outlines its op in red;
`viz.replay(root, blame=report)` opens at the step where the wrong gradient arrives and says so, with that
edge red in its figure. Without blame= nothing changes; a blame= that is not this graph's report is refused."""

import json
import re

import numpy as np
import pytest
from browser import PHONE, needs_browser, open_page, page_width, shown_text
from test_blame import RaisingBackward, SquareWrongSign, SumWrongShape, leaf

import minigrad as mg
from minigrad import Tensor, viz
from minigrad.pages import colours
from minigrad.viz.rendering import image_bytes

WRONG = "#e03131"  # colours.WRONG, as the tests expect it
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


def planted():
    """L = square(w·x + b) at w = 0.5, x = 0.25, b = 0, with a square whose backward has the sign wrong:
    ∂L/∂z should be 2z = 0.25, the rule gives -0.25."""
    w = Tensor(np.array(0.5), requires_grad=True, name="w")
    b = Tensor(np.array(0.0), requires_grad=True, name="b")
    z = w * Tensor(np.array(0.25), name="x") + b
    z.name = "z"
    L = SquareWrongSign.apply(z)
    L.name = "L"
    return L


def statements(graph):
    """{"t1 -> op0": {"label": …, "color": …}, "op0": {…}}: every node and edge of the DOT with its attributes."""
    found = {}
    for line in graph.source.splitlines():
        match = re.match(r"\t(\w+(?: -> \w+)?) \[(.*)\]$", line)
        if match:
            found[match.group(1)] = {key: value.strip('"') for key, value in ATTRIBUTE.findall(match.group(2))}
    return found


def red(graph):
    """The nodes and edges drawn in the WRONG red."""
    return sorted(name for name, attributes in statements(graph).items() if attributes.get("color") == WRONG)


@pytest.fixture(scope="module")
def drawn():
    root = planted()
    return root, viz.draw_graph(root, blame=mg.blame(root))


# ---------------------------------------------------------------- draw_graph --

def test_the_wrong_edge_is_bold_red_and_labelled_expected_and_got(drawn):
    edge = statements(drawn[1])["t1 -> op0"]  # z -> the square
    assert (edge["color"], edge["fontcolor"], edge["penwidth"]) == (WRONG, WRONG, "3")
    assert edge["label"].endswith("\\l  wrong (sign):\\l  expected 0.25, got -0.25\\l")


def test_only_the_wrong_edge_and_its_op_are_red(drawn):
    assert red(drawn[1]) == ["op0", "t1 -> op0"]
    assert statements(drawn[1])["op0"]["penwidth"] == "3"


def test_the_rendered_svg_draws_the_wrong_edge_red_with_its_label(drawn):
    svg = image_bytes(drawn[1].source, "svg").decode()
    edges = dict(re.findall(r'<g id="\w+" class="edge">\s*<title>(.*?)</title>(.*?)</g>', svg, re.S))
    wrong = edges["t1&#45;&gt;op0"]
    assert f'stroke="{WRONG}"' in wrong and "expected 0.25, got &#45;0.25" in wrong
    assert sum(WRONG in drawing for drawing in edges.values()) == 1


def test_an_array_input_names_the_element_furthest_off():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, name="x")
    root = SquareWrongSign.apply(x).sum()
    label = statements(viz.draw_graph(root, blame=mg.blame(root)))["t2 -> op1"]["label"]
    assert label == "  wrong (sign) at [2]:\\l  expected 4, got -4\\l"


def test_a_gradient_of_the_wrong_shape_is_drawn_as_got_wrong_shape_with_the_gradients_above_it():
    root = SumWrongShape.apply(leaf(3, 4)).sum()  # draw_graph(root) alone raises ShapeError
    graph = viz.draw_graph(root, blame=mg.blame(root))
    assert statements(graph)["t2 -> op1"]["label"] == "  wrong (shape) at [0, 0]:\\l  expected 1, got: wrong shape (3,)\\l"
    assert "∂out/∂sumwrongshape(t2) = [1., 1., 1.]" in statements(graph)["t1"]["label"]


def test_a_backward_that_raises_is_drawn_with_its_error():
    root = RaisingBackward.apply(leaf(2)).sum()
    label = statements(viz.draw_graph(root, blame=mg.blame(root)))["t2 -> op1"]["label"]
    assert label.endswith("got: raises NotImplementedError\\l")


def test_an_op_blame_could_not_check_is_dashed_grey_with_a_note():
    root = (leaf(3, 4) * 0).relu().sum()  # relu exactly at its kink
    op = statements(viz.draw_graph(root, blame=mg.blame(root)))["op1"]
    assert (op["color"], op["style"]) == (colours.ZERO, "dashed,filled") and op["label"].endswith("\\nnot checked: a kink")


def test_the_legend_explains_the_red(drawn):
    legend = statements(viz.draw_graph(drawn[0], blame=mg.blame(drawn[0]), legend=True))["graph"]["label"]
    assert "bold red: mg.blame found the gradient passed back along it wrong:\\l" \
           "   expected by finite differences, got by the op's backward\\l" in legend


def test_the_report_on_a_correct_graph_changes_nothing_in_the_picture():
    x = Tensor(np.array(2.0), requires_grad=True, name="x")
    root = (x * x).exp()
    assert viz.draw_graph(root, blame=mg.blame(root), legend=True).source == viz.draw_graph(root, legend=True).source


def test_wrong_is_a_red_unlike_the_sigma_magenta_the_loss_colours_and_the_fills():
    import colorsys

    def hls(colour):
        return colorsys.rgb_to_hls(*(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)))

    hue, lightness, _ = hls(colours.WRONG)
    assert colours.WRONG == WRONG and min(hue, 1 - hue) * 360 < 10  # a red
    assert all(abs(hls(other)[0] - hue) * 360 >= 15 for other in (colours.HIGHLIGHT, *colours.LOSS_COLOURS.values()))
    assert all(hls(fill)[1] - lightness > 0.25 for fill in colours.FILL.values())  # the fills are pale


@pytest.mark.parametrize("function", ["draw_graph", "replay"])
def test_a_blame_that_is_not_a_blame_report_is_a_type_error_naming_the_function(function):
    with pytest.raises(TypeError, match=rf"^{function}: blame takes the BlameReport of mg.blame\(root\), got dict"):
        getattr(viz, function)(planted(), blame={"wrong": []})


@pytest.mark.parametrize("function", ["draw_graph", "replay"])
def test_the_report_on_another_graph_is_a_value_error_naming_the_function(function):
    with pytest.raises(ValueError, match=rf"^{function}: blame is the report on another graph \(its op "
                                         r"squarewrongsign \(\) of step 1 is not in the graph of root\)"):
        getattr(viz, function)(planted(), blame=mg.blame(planted()))


# -------------------------------------------------------------------- replay --

def page_data(page):
    return json.loads(re.search(r'<script id="replay-data" type="application/json">(.*?)</script>', page.html,
                                re.S).group(1))


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    root = planted()
    return viz.replay(root, tmp_path_factory.mktemp("blame") / "replay", blame=mg.blame(root))


def test_the_replay_opens_at_the_step_where_the_wrong_gradient_arrives(story):
    start = page_data(story)["tracks"][0]["start"]
    assert story.frames[start].heading == "∂L/∂z" and story.frames[start].wrong
    assert [frame.wrong for frame in story.frames].count(True) == 1


def test_that_step_says_where_the_gradient_goes_wrong_with_expected_got_and_the_advice(story):
    (said,) = story.frames[page_data(story)["tracks"][0]["start"]].caption
    assert said.startswith("Here the gradient goes wrong: the backward of squarewrongsign gives input 0, z, "
                           "a wrong gradient (sign): expected 0.25 (finite differences), got -0.25. It has the sign")
    assert said.endswith("The steps after this one carry the wrong gradient.")


def test_the_later_steps_are_there_and_carry_the_wrong_gradient(story):
    later = {frame.heading: frame.sum + frame.total for frame in story.frames[page_data(story)["tracks"][0]["start"]:]}
    assert later["∂L/∂w"] == "∂L/∂w = ∂L/∂(w·x) · ∂(w·x)/∂w = -0.25 × 0.25 = -0.0625"  # right: +0.0625


def test_the_page_marks_the_wrong_edge_and_its_op(story):
    assert page_data(story)["tracks"][0]["wrong"] == ["t1->op0", "op0"]


def test_without_blame_the_replay_opens_at_step_1_and_marks_nothing():
    data = page_data(viz.replay(planted()))["tracks"][0]
    assert data["start"] == 0 and data["wrong"] == [] and not any(frame["wrong"] for frame in data["frames"])


def test_where_backward_cannot_go_on_the_replay_stops_at_the_ops_step_and_says_so():
    root = SumWrongShape.apply(leaf(3, 4)).sum()
    page = viz.replay(root, blame=mg.blame(root))
    assert [frame.heading for frame in page.frames] == ["∂out/∂out", "∂out/∂sumwrongshape(t2)"]
    assert page_data(page)["tracks"][0]["start"] == 1
    assert "got wrong shape (3,)" in page.frames[1].caption[0]
    assert page.frames[1].caption[0].endswith("Backward cannot go on through this op: the steps below it are missing.")


# ---------------------------------------------------------- in a browser --

@pytest.fixture(scope="module", params=["window", "phone"])
def opened(story, request):
    with open_page(story.path, **({"viewport": PHONE} if request.param == "phone" else {})) as visit:
        yield request.param, visit


@needs_browser
def test_the_page_opens_at_the_wrong_step_saying_so_with_the_edge_red(story, opened):
    _, visit = opened
    start = page_data(story)["tracks"][0]["start"]
    assert visit.page.text_content("#counter") == f"step {start + 1} of {len(story.frames)}"
    assert visit.page.inner_text("#caption").startswith("Here the gradient goes wrong")
    assert "In red: an edge whose gradient mg.blame found wrong, and its op." in visit.page.inner_text(".note")
    strokes = visit.page.evaluate("""() => Array.from(document.querySelectorAll('#graph g.edge'), g =>
        [g.querySelector('title').textContent, getComputedStyle(g.querySelector('path')).stroke])""")
    assert [edge for edge, stroke in strokes if stroke == "rgb(224, 49, 49)"] == ["t1->op0"]  # WRONG


@needs_browser
def test_every_text_is_readable_the_page_fits_and_runs_without_errors(opened):
    where, visit = opened
    sizes, width = shown_text(visit.page), page_width(visit.page)
    assert sizes[0][0] >= (12 if where == "window" else 11), sizes[:3]
    assert width["page"] <= width["screen"] and visit.problems() == []


@needs_browser
def test_stepping_past_the_wrong_step_goes_on(story, opened):
    _, visit = opened
    visit.page.click("#next")
    start = page_data(story)["tracks"][0]["start"]
    assert visit.page.text_content("#heading") == story.frames[start + 1].heading
    assert visit.page.is_hidden("#caption")
    visit.page.click("#previous")
