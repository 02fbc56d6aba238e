"""Graph pictures: one node per tensor and per op, values and gradients on the
nodes, local derivatives on the edges of scalar graphs (and their summaries on
elementwise edges between arrays), a node budget, and rendering through the
pip-installable path when no system Graphviz is there.

Two styles: the compact one (the default: "a = 0.982", constants folded into
their op, unnamed results named by their expression, zero branches grey,
`highlight=` and `legend=`) and the full one (`compact=False`: every tensor's
shape and dtype, ops by class name, every constant a node)."""

import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor, nn, viz
from minigrad.viz import graph_picture
from minigrad.viz.dot import number_text
from minigrad.viz.rendering import image_bytes

# A node's label comes first; Graphviz writes the other attributes (color,
# fillcolor, fontcolor, height, margin, penwidth, shape, style) after it.
NODE = re.compile(r'^\t(\w*?(?:t\d+|op\d+|collapsed)) \[label="?(.*?)"? (?:color|fillcolor|shape)=', re.M)
EDGE = re.compile(r'^\t(\w+) -> (\w+)(?: \[(?:label="?(.*?)"?)? ?(?:(?:color|fontcolor|penwidth)=\S+ ?)*\])?$', re.M)
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
GREY, HIGHLIGHT = "#a0a0a0", "#c2255c"   # viz.dot.ZERO and viz.dot.HIGHLIGHT, as the tests expect them


def scalar(value, name, requires_grad=True):
    return Tensor(np.array(value, dtype=np.float64), requires_grad=requires_grad, name=name)


def named(tensor, name):
    tensor.name = name
    return tensor


def nodes(graph):
    return dict(NODE.findall(graph.source))


def shown_name(label):
    """The name a tensor node shows: its first line ("x" in the full style, "x = 1.5" compact)."""
    return label.split("\\n")[0].split(" = ")[0]


def node_of(graph, name):
    """The label of the tensor node that shows `name`."""
    return next(label for label in nodes(graph).values() if shown_name(label) == name)


def node_id_of(graph, name):
    return next(key for key, label in nodes(graph).items() if shown_name(label) == name)


def edge_labels(graph):
    return [label for _, _, label in EDGE.findall(graph.source) if label]


def attributes(graph, node_or_edge):
    """The DOT attributes of one node ("t3") or edge ("t3 -> op2"), unquoted."""
    line = next(line for line in graph.source.splitlines()
                if line == f"\t{node_or_edge}" or line.startswith(f"\t{node_or_edge} ["))
    return {key: value.strip('"') for key, value in ATTRIBUTE.findall(line)}


def number_on(label):
    """The number a label ends with: "∂y/∂x = 3", "× 0.0177", "∂out/∂w = 0.07468"."""
    return float(re.split(r"= |× ", label)[-1])


def expression():
    x, w = scalar(1.5, "x"), scalar(-2.0, "w")
    y = named(x * w, "y")
    return x, w, named(y.exp() + x, "out")


def test_one_node_per_tensor_and_per_op():
    x, w, out = expression()
    labels = list(nodes(viz.draw_graph(out, compact=False)).values())
    ops = sorted(label for label in labels if "float64" not in label)
    assert ops == ["Add", "Exp", "Mul"]
    assert len(labels) - len(ops) == 5          # x, w, y, exp(y), out


def test_tensor_nodes_show_name_shape_dtype_value_and_gradient():
    x, w, out = expression()
    label = node_of(viz.draw_graph(out, compact=False), "w")
    assert label == f"w\\n() float64\\nvalue -2\\n∂out/∂w = {1.5 * np.exp(-3.0):.4g}"


def test_gradients_shown_equal_those_backward_leaves():
    x, w, out = expression()
    out.backward()
    label = node_of(viz.draw_graph(out), "x")
    assert f"∂out/∂x = {x.grad.item():.4g}" in label


def test_drawing_does_not_touch_grad():
    x, w, out = expression()
    viz.draw_graph(out)
    assert x.grad is None and w.grad is None


@pytest.mark.parametrize("make, expected", [
    (lambda x: x.sigmoid(), lambda v: (1 / (1 + np.exp(-v))) * (1 - 1 / (1 + np.exp(-v)))),
    (lambda x: x.log(), lambda v: 1 / v),
    (lambda x: x ** 3, lambda v: 3 * v ** 2),
    (lambda x: x.tanh(), lambda v: 1 - np.tanh(v) ** 2),
    (lambda x: 2.0 / x, lambda v: -2.0 / v ** 2),
], ids=["sigmoid", "log", "pow", "tanh", "rdiv"])
def test_scalar_graph_edges_carry_the_local_derivative(make, expected):
    x = scalar(0.7, "x")
    out = named(make(x), "f")
    assert edge_labels(viz.draw_graph(out, compact=False)) == [f"local ∂f/∂x = {expected(0.7):.4g}"]


@pytest.mark.parametrize("make, expected", [
    (lambda a, b: a - b, ["local ∂f/∂a = 1", "local ∂f/∂b = -1"]),
    (lambda a, b: a / b, [f"local ∂f/∂a = {1 / 4:.4g}", f"local ∂f/∂b = {-3 / 16:.4g}"]),
    (lambda a, b: a ** b, [f"local ∂f/∂a = {4 * 3 ** 3:.4g}", f"local ∂f/∂b = {3 ** 4 * np.log(3):.4g}"]),
], ids=["sub", "div", "pow"])
def test_two_input_ops_label_each_input_with_its_own_derivative(make, expected):
    a, b = scalar(3.0, "a"), scalar(4.0, "b")
    out = named(make(a, b), "f")
    assert edge_labels(viz.draw_graph(out, compact=False)) == expected


def test_an_input_used_twice_gets_two_local_edges_and_the_summed_gradient():
    x = scalar(2.0, "x")
    graph = viz.draw_graph(named(x * x, "y"), compact=False)
    assert edge_labels(graph) == ["local ∂y/∂x = 2", "local ∂y/∂x = 2"]
    assert "∂y/∂x = 4" in node_of(graph, "x")


def test_edge_labels_multiply_to_the_gradient_along_a_path():
    x, w = scalar(1.5, "x"), scalar(-2.0, "w")
    y = named(x * w, "y")
    e = named(y.exp(), "e")
    out = named(e + x, "out")
    graph = viz.draw_graph(out, compact=False)
    label_of = {(tail, head): label for tail, head, label in EDGE.findall(graph.source)}
    path = ["w", "y", "e"]                           # w -> Mul -> y -> Exp -> e -> Add -> out
    labels = [label_of[node_id_of(graph, name), _op_into(graph, name, next_name)]
              for name, next_name in zip(path, ["y", "e", "out"])]
    product = np.prod([float(label.split("= ")[-1]) for label in labels])
    shown_gradient = float(node_of(graph, "w").split("∂out/∂w = ")[1])
    assert product == pytest.approx(shown_gradient, rel=1e-3)
    assert shown_gradient == pytest.approx(1.5 * np.exp(-3.0), rel=1e-3)


def _op_into(graph, input_name, output_name):
    """The op node between two named tensors: the one that feeds `output_name`."""
    edges = EDGE.findall(graph.source)
    feeding = {tail for tail, head, _ in edges if head == node_id_of(graph, output_name)}
    return next(head for tail, head, _ in edges if tail == node_id_of(graph, input_name) and head in feeding)


def test_edges_into_a_sum_of_an_array_carry_no_label():
    a = Tensor(np.ones((2, 2)), requires_grad=True, name="a")
    graph = viz.draw_graph(named(a.sum(), "s"))
    assert EDGE.findall(graph.source) == [("op0", "t0", ""), ("t1", "op0", "")]


def test_large_tensors_show_mean_min_max_and_small_ones_their_numbers():
    big = Tensor(np.arange(10.0), requires_grad=True, name="big")
    small = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="small")
    graph = viz.draw_graph((big.sum() + small).sum())
    assert "value mean 4.5, min 0, max 9" in node_of(graph, "big")
    assert "value [1., 2.]" in node_of(graph, "small")


@pytest.mark.parametrize("option, hidden", [("show_values", "value"), ("show_grads", "∂out/∂")])
def test_values_and_gradients_can_be_hidden(option, hidden):
    x, w, out = expression()
    assert hidden not in viz.draw_graph(out, compact=False, **{option: False}).source


def test_max_nodes_collapses_the_far_end_into_a_note_that_counts_it():
    x = scalar(0.1, "x")
    y = x
    for _ in range(50):
        y = y.tanh()                               # 50 ops, 51 tensors: 101 nodes
    labels = nodes(viz.draw_graph(y, max_nodes=20))
    assert len(labels) == 21
    assert labels["collapsed"] == "… 81 more nodes, farthest from the root, not shown (max_nodes=20)"


def test_the_root_is_always_drawn_and_nothing_past_the_first_node_that_does_not_fit():
    w = scalar(0.5, "w")
    q = named((w * w).exp(), "q")
    labels = nodes(viz.draw_graph(q, max_nodes=1, compact=False))
    assert sorted(labels) == ["collapsed", "op0", "t0"] and labels["t0"].startswith("q\\n")


def test_max_nodes_below_one_is_refused():
    with pytest.raises(ValueError, match="max_nodes must be at least 1, got 0"):
        viz.draw_graph(scalar(1.0, "x"), max_nodes=0)


def test_two_graphs_with_different_prefixes_share_no_node_names():
    first, second = viz.draw_graph(expression()[2], id_prefix="a_"), viz.draw_graph(expression()[2], id_prefix="b_")
    assert not set(nodes(first)) & set(nodes(second))


@pytest.mark.parametrize("name", ['say "hi"', "back\\slash", "two\nlines", "<b>", "\\N"])
def test_names_are_shown_literally(name, tmp_path):
    x = Tensor(np.array(1.0), requires_grad=True, name=name)
    path = viz.render(viz.draw_graph((x * 2).exp()), tmp_path / "graph.svg")
    shown = path.read_text()
    expected = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert all(part in shown for part in expected.split("\n"))


def test_a_deep_graph_is_drawn_without_recursion():
    x = scalar(0.1, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    assert "collapsed" in viz.draw_graph(y).source


def test_module_parameters_appear_under_their_dotted_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss = F.mse_loss(model(Tensor(np.ones((4, 2), dtype=np.float32))), np.zeros((4, 1), dtype=np.float32))
    labels = "".join(nodes(viz.draw_graph(loss, compact=False)).values())
    assert all(f"{name}\\n" in labels for name in ("0.weight", "0.bias", "2.weight", "2.bias"))


def test_compact_module_parameters_appear_under_their_dotted_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss = F.mse_loss(model(Tensor(np.ones((4, 2), dtype=np.float32))), np.zeros((4, 1), dtype=np.float32))
    shown = {shown_name(label) for label in nodes(viz.draw_graph(loss)).values()}
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= shown


# ------------------------------------------------------------ compact style --

def binary_cross_entropy(z_value=4.0, y_value=0.0):
    """L = −(y·ln a + (1 − y)·ln(1 − a)) with a = σ(z): at y = 0 the y·ln a branch passes back exactly 0."""
    z = scalar(z_value, "z")
    y = scalar(y_value, "y", requires_grad=False)
    a = named(z.sigmoid(), "a")
    return z, a, named(-(y * a.log() + (1 - y) * (1 - a).log()), "L")


def op_of(graph, name):
    """The op node that made the tensor node showing `name` (tensor "t5" comes from op "op5")."""
    return "op" + node_id_of(graph, name)[1:]


def test_the_parsing_helpers_see_every_node_and_edge():
    z, a, L = binary_cross_entropy()
    for graph in (viz.draw_graph(L), viz.draw_graph(L, highlight={a: "σ′"}), viz.draw_graph(L, compact=False)):
        lines = graph.source.splitlines()
        assert len(nodes(graph)) == sum(" [label=" in line and "->" not in line for line in lines)
        assert len(EDGE.findall(graph.source)) == sum("->" in line for line in lines)


def test_compact_one_element_tensors_show_name_and_value_without_shape_or_dtype():
    x, w, out = expression()
    graph = viz.draw_graph(out)
    assert node_of(graph, "w") == f"w = -2\\n∂out/∂w = {1.5 * np.exp(-3.0):.4g}"
    assert not any("()" in label or "float64" in label for label in nodes(graph).values())


def test_compact_ops_are_drawn_as_math_symbols():
    x, w, out = expression()
    graph = viz.draw_graph(out)
    assert sorted(label for key, label in nodes(graph).items() if key.startswith("op")) == ["+", "exp", "×"]


@pytest.mark.parametrize("make, op_label", [
    (lambda a: a - scalar(0.0, "y", requires_grad=False), "− y  (y = 0)"),
    (lambda a: a * 3, "× 3"),
    (lambda a: 0.5 * a, "0.5 ×"),
    (lambda a: a ** 2, "^2"),
], ids=["named", "times", "times-on-the-left", "power"])
def test_compact_one_element_constants_are_folded_into_their_op_label_with_their_value(make, op_label):
    a = scalar(2.0, "a")
    graph = viz.draw_graph(named(make(a), "f"))
    labels = nodes(graph)
    assert [label for key, label in labels.items() if key.startswith("op")] == [op_label]
    assert sorted(shown_name(label) for key, label in labels.items() if key.startswith("t")) == ["a", "f"]
    edges = [(tail, head) for tail, head, _ in EDGE.findall(graph.source)]
    assert edges == [("op0", "t0"), (node_id_of(graph, "a"), "op0")]     # no edge from the constant


def test_full_style_draws_every_constant_as_a_node():
    a = scalar(2.0, "a")
    graph = viz.draw_graph(named(a - scalar(0.0, "y", requires_grad=False), "f"), compact=False)
    assert node_of(graph, "y") == "y\\n() float64\\nvalue 0"
    assert nodes(graph)["op0"] == "Sub"


def test_compact_unnamed_results_are_named_by_their_expression_and_gradients_after_them():
    a, y = scalar(0.5, "a"), scalar(0.0, "y", requires_grad=False)
    L = named(((a - y) ** 2) * 0.5, "L")
    graph = viz.draw_graph(L)
    assert node_of(graph, "a − y") == "a − y = 0.5\\n∂L/∂(a − y) = 0.5"
    assert node_of(graph, "(a − y)²") == "(a − y)² = 0.25\\n∂L/∂((a − y)²) = 0.5"


def test_compact_long_expressions_are_shortened_with_an_ellipsis():
    a, b, y = scalar(0.5, "a"), scalar(0.25, "b"), scalar(0.0, "y", requires_grad=False)
    graph = viz.draw_graph(named(((a - y) ** 2 + (b - y) ** 2 + a) * 0.5, "L"))   # "(a − y)² + (b − y)² + a" is too long
    labels = nodes(graph)
    plus = next(key for key, label in labels.items() if label == "+")
    label = labels["t" + plus[2:]]
    name = shown_name(label)
    assert " + " in name and "…" in name and len(name) <= 20
    assert label == f"{name} = 0.8125\\n∂L/∂({name}) = 0.5"


def test_compact_an_exactly_zero_branch_is_grey():
    z, a, L = binary_cross_entropy(y_value=0.0)
    graph = viz.draw_graph(L)
    ln_a, ln_1_minus_a = node_id_of(graph, "ln(a)"), node_id_of(graph, "ln(1 − a)")
    assert "∂L/∂ln(a) = 0" in node_of(graph, "ln(a)")
    grey = [ln_a, op_of(graph, "ln(a)"), f"{op_of(graph, 'ln(a)')} -> {ln_a}",
            f"{node_id_of(graph, 'a')} -> {op_of(graph, 'ln(a)')}"]
    for item in grey:
        assert attributes(graph, item)["color"] == attributes(graph, item)["fontcolor"] == GREY, item
    for item in (ln_1_minus_a, op_of(graph, "ln(1 − a)"), node_id_of(graph, "a"), node_id_of(graph, "z")):
        assert "color" not in attributes(graph, item), item


def test_compact_edge_labels_name_short_identifiers_and_otherwise_give_the_factor():
    x = scalar(2.0, "x")
    assert "∂y/∂x = 3" in edge_labels(viz.draw_graph(named(x * 3, "y").exp()))
    assert edge_labels(viz.draw_graph(named(x / 4, "y").exp()))[-1] == "∂y/∂x = 0.25"
    assert "× 0.25" in edge_labels(viz.draw_graph((x / 4).exp()))            # into "x/4", not a word
    assert "× 3" in edge_labels(viz.draw_graph(named(x * 3, "long_name").exp()))


def test_compact_edges_into_the_root_give_the_factor_not_a_quotient_that_reads_as_its_gradient():
    x = scalar(2.0, "x")
    assert edge_labels(viz.draw_graph(named(x * 3, "L"))) == ["× 3"]   # ∂L/∂x is the box's total gradient


def test_compact_edge_labels_multiply_to_the_gradient_along_a_path():
    x, w = scalar(1.5, "x"), scalar(-2.0, "w")
    out = named((x * w).exp() + x, "out")
    graph = viz.draw_graph(out)
    label_of = {(tail, head): label for tail, head, label in EDGE.findall(graph.source)}
    path = ["w", "x·w", "exp(x·w)"]                   # w -> × -> x·w -> exp -> exp(x·w) -> + -> out
    labels = [label_of[node_id_of(graph, name), _op_into(graph, name, next_name)]
              for name, next_name in zip(path, ["x·w", "exp(x·w)", "out"])]
    assert labels[1:] == [f"× {np.exp(-3.0):.4g}", "× 1"]      # into "exp(x·w)" and into "+": no names
    shown_gradient = number_on(node_of(graph, "w"))
    assert np.prod([number_on(label) for label in labels]) == pytest.approx(shown_gradient, rel=1e-3)
    assert shown_gradient == pytest.approx(1.5 * np.exp(-3.0), rel=1e-3)


def test_compact_values_can_be_hidden():
    x, w, out = expression()
    assert node_of(viz.draw_graph(out, show_values=False), "w") == f"w\\n∂out/∂w = {1.5 * np.exp(-3.0):.4g}"


def test_highlight_draws_the_edges_into_the_op_bold_and_coloured():
    z, a, L = binary_cross_entropy()
    graph = viz.draw_graph(L, highlight={a: "σ′"})
    highlighted = f"{node_id_of(graph, 'z')} -> {op_of(graph, 'a')}"
    assert attributes(graph, highlighted)["penwidth"] == "3"
    assert attributes(graph, highlighted)["color"] == attributes(graph, highlighted)["fontcolor"] == HIGHLIGHT
    others = [f"{tail} -> {head}" for tail, head, _ in EDGE.findall(graph.source) if f"{tail} -> {head}" != highlighted]
    assert not any("penwidth" in attributes(graph, edge) for edge in others)


def test_highlight_writes_out_the_chain_rule_and_the_product_is_the_gradient():
    z, a, L = binary_cross_entropy()
    graph = viz.draw_graph(L, highlight={a: "σ′"})
    label = dict(((t, h), text) for t, h, text in EDGE.findall(graph.source))[node_id_of(graph, "z"), op_of(graph, "a")]
    name_line, rule, product = label.split("\\n")
    assert name_line.startswith("σ′ = ∂a/∂z = ")
    assert rule == "∂L/∂z = ∂L/∂a · σ′"
    grad_a, local, result = (float(n) for n in re.fullmatch(r"= (\S+) × (\S+) = (\S+)", product).groups())
    assert grad_a == number_on(node_of(graph, "a")) and local == number_on(name_line)
    assert grad_a * local == pytest.approx(result, rel=1e-3)
    assert result == number_on(node_of(graph, "z"))
    L.backward()
    assert result == pytest.approx(z.grad.item(), rel=1e-3)


def test_highlight_without_a_name_writes_the_local_derivative_as_a_quotient():
    z, a, L = binary_cross_entropy()
    labels = edge_labels(viz.draw_graph(L, highlight=[a]))
    assert any(label.startswith("∂a/∂z = ") and "\\n∂L/∂z = ∂L/∂a · ∂a/∂z\\n= " in label for label in labels)


@pytest.mark.parametrize("highlight", [
    "a", [1.0], {"a": "σ′"}, 5,
], ids=["str", "list-of-float", "dict-with-str-key", "int"])
def test_highlight_of_the_wrong_type_raises_a_type_error_naming_draw_graph(highlight):
    z, a, L = binary_cross_entropy()
    with pytest.raises(TypeError, match="^draw_graph: highlight takes tensors"):
        viz.draw_graph(L, highlight=highlight)


def test_highlight_names_must_be_strings():
    z, a, L = binary_cross_entropy()
    with pytest.raises(TypeError, match="^draw_graph: highlight takes tensors.*got Tensor: int"):
        viz.draw_graph(L, highlight={a: 1})


def test_legend_puts_the_notation_under_the_title_in_the_graph_label():
    z, a, L = binary_cross_entropy()
    label = attributes(viz.draw_graph(L, title="BCE", legend=True), "graph")["label"]
    assert label.startswith("BCE\\n")
    assert "∂L/∂t: the gradient of L with respect to t, computed by backward\\l" in label
    assert "grey text: a branch that passes no gradient back (exactly 0)\\l" in label
    assert attributes(viz.draw_graph(L, title="BCE"), "graph")["label"] == "BCE"


def test_rankdir_is_top_to_bottom_by_default_and_can_be_changed():
    x, w, out = expression()
    assert attributes(viz.draw_graph(out), "graph")["rankdir"] == "TB"
    assert attributes(viz.draw_graph(out, compact=False), "graph")["rankdir"] == "TB"
    assert attributes(viz.draw_graph(out, rankdir="LR"), "graph")["rankdir"] == "LR"


def test_an_unknown_rankdir_is_refused():
    with pytest.raises(ValueError, match="draw_graph: rankdir must be 'TB', 'LR', 'BT' or 'RL', got 'sideways'"):
        viz.draw_graph(expression()[2], rankdir="sideways")


# ---------------------------------------------------------------- rendering --

@pytest.fixture
def no_system_graphviz(monkeypatch):
    real_which = viz.rendering.shutil.which
    monkeypatch.setattr(viz.rendering.shutil, "which", lambda name: None if name == "dot" else real_which(name))


@pytest.fixture
def no_graphviz_at_all(monkeypatch):
    monkeypatch.setattr(viz.rendering, "renderers", lambda format: [])


def test_svg_renders_without_system_graphviz(tmp_path, no_system_graphviz):
    path = viz.render(viz.draw_graph(expression()[2], compact=False), tmp_path / "graph.svg")
    assert path == tmp_path / "graph.svg" and "<svg" in path.read_text()
    assert "Exp" in path.read_text()


def test_png_renders_without_system_graphviz(tmp_path, no_system_graphviz):
    path = viz.render(viz.draw_graph(expression()[2]), tmp_path / "graph", format="png")
    assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_dot_source_is_written_beside_the_picture(tmp_path, no_system_graphviz):
    graph = viz.draw_graph(expression()[2])
    viz.render(graph, tmp_path / "graph.svg")
    assert (tmp_path / "graph.dot").read_text() == graph.source


def test_with_nothing_to_render_the_error_says_what_to_install_and_the_dot_is_kept(tmp_path, no_graphviz_at_all):
    with pytest.raises(viz.RenderError, match=r"Install Graphviz .*pip install graphviz-pure.*The DOT source is in"):
        viz.render(viz.draw_graph(expression()[2]), tmp_path / "graph.svg")
    assert (tmp_path / "graph.dot").exists()


def test_pdf_without_system_graphviz_is_refused_with_what_to_install(tmp_path, no_system_graphviz):
    with pytest.raises(viz.RenderError, match="no installed program makes PDF"):
        viz.render(viz.draw_graph(expression()[2]), tmp_path / "graph.pdf", format="pdf")


@pytest.mark.parametrize("name, format, written", [
    ("model.v1", "svg", "model.v1.svg"), ("G.SVG", "svg", "G.SVG"), ("graph", "PNG", "graph.png"),
])
def test_the_format_suffix_is_added_unless_the_path_ends_in_it(tmp_path, name, format, written):
    assert viz.render(viz.draw_graph(expression()[2]), tmp_path / name, format=format).name == written


def test_an_unknown_format_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'gif'; expected one of svg, png, pdf, jpeg"):
        viz.render(viz.draw_graph(expression()[2]), tmp_path / "graph", format="gif")


def test_a_renderer_failure_is_reported_with_its_message(monkeypatch, no_system_graphviz):
    with pytest.raises(viz.RenderError, match="failed"):
        image_bytes("digraph { this is not dot", "svg")


def test_jupyter_gets_an_inline_svg_without_system_graphviz(no_system_graphviz):
    bundle = viz.draw_graph(expression()[2])._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_jupyter_shows_the_reason_and_the_source_when_nothing_can_render(no_graphviz_at_all):
    bundle = viz.draw_graph(expression()[2])._repr_mimebundle_()
    assert "Install Graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]


def test_highlight_at_the_roots_own_op_calls_its_factor_local_not_a_quotient_that_reads_as_the_gradient():
    x = scalar(3.0, "x")
    L = named(x * x, "L")
    labels = edge_labels(viz.draw_graph(L, highlight=[L]))
    assert "∂L/∂x += ∂L/∂L · local" in labels[0] and "= 1 × 3 = 3" in labels[0]   # one of x's two terms
    assert not any("∂L/∂x = " in label for label in labels)                     # that is x's box: 6


def test_highlight_draws_bold_edges_in_a_graph_of_arrays_too():
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="v")
    square = named(v * v, "square")
    graph = viz.draw_graph(named(square.sum(), "s"), highlight=[square])
    assert [attributes(graph, edge).get("penwidth") for edge in ("t2 -> op1",)] == ["3"]


@pytest.mark.parametrize("which", ["leaf", "outside"])
def test_highlight_of_a_tensor_no_op_of_the_graph_made_is_a_value_error(which):
    z, a, L = binary_cross_entropy()
    other = scalar(1.0, "other") * 2
    with pytest.raises(ValueError, match="^draw_graph: highlight names 1 tensor"):
        viz.draw_graph(L, highlight=[z if which == "leaf" else other])


def test_compact_an_unnamed_parameter_is_named_by_its_node_not_by_its_value():
    x = Tensor(np.array(2.0), requires_grad=True)
    label = nodes(viz.draw_graph(named((x * 3).exp(), "L")))["t2"]
    assert label == "t2 = 2\\n∂L/∂t2 = 1210"


def test_compact_functions_are_written_with_parentheses_so_products_read_right():
    x, y = scalar(1.0, "x"), scalar(2.0, "y")
    assert "∂L/∂(exp(x)·y) = " in node_of(viz.draw_graph(named((x.exp() * y).tanh(), "L")), "exp(x)·y")


# ------------------------------------------- local derivatives between arrays --

Z = np.array([[-9.0, -3.0, -4.0, -1.0, 0.0], [0.5, 2.0, 4.5, 6.0, 11.0]])  # pre-activations, 3 of 10 saturated


def sigmoid_of_z(make=lambda z: z.sigmoid()):
    """L = Σ f(z) on the known pre-activations Z; z -> f is an elementwise edge between (2, 5) arrays."""
    z = Tensor(Z.copy(), requires_grad=True, name="z")
    return z, named(make(z).sum(), "L")


def summary_numbers(root, key_end=(".min", ".median", ".max", ".small")):
    """The summary Numbers on the edges of root's picture, by what they are: {"min": …, "median": …, …}."""
    found = {}
    for edge in graph_picture.describe(root).edges:
        for line in edge.lines:
            for part in line:
                if isinstance(part, graph_picture.Number) and part.key.endswith(key_end):
                    found[part.key.rsplit(".", 1)[1]] = part.array.item()
    return found


def test_an_edge_into_sigmoid_between_arrays_summarises_sigma_prime_as_min_median_max_and_share_below_001():
    s = 1 / (1 + np.exp(-Z))
    by_hand = s * (1 - s)                                # σ′(z) = σ(z)(1 − σ(z)), elementwise
    z, L = sigmoid_of_z()
    shown = summary_numbers(L)
    assert shown["min"] == pytest.approx(by_hand.min(), rel=1e-12)
    assert shown["median"] == pytest.approx(np.median(by_hand), rel=1e-12)
    assert shown["max"] == pytest.approx(by_hand.max(), rel=1e-12)
    assert shown["small"] == np.mean(by_hand < 0.01) == 0.3    # z = −9, 6 and 11


def test_the_summary_is_drawn_in_two_lines_named_sigma_prime():
    s = 1 / (1 + np.exp(-Z))
    d = s * (1 - s)
    z, L = sigmoid_of_z()
    label = edge_labels(viz.draw_graph(L))
    assert label == [f"σ′: {d.min():.2g} … {d.max():.2g}\\nmedian {np.median(d):.2g}, 30% < 0.01"]


@pytest.mark.parametrize("make, name", [
    (lambda z: z.tanh(), "tanh′"), (lambda z: z.relu(), "relu′"), (lambda z: z.exp(), "∂out/∂in"),
], ids=["tanh", "relu", "exp"])
def test_the_summary_is_named_by_the_op(make, name):
    z, L = sigmoid_of_z(make)
    assert edge_labels(viz.draw_graph(L))[0].startswith(f"{name}: ")


def test_a_local_derivative_that_is_the_same_on_every_element_is_one_number():
    z, L = sigmoid_of_z(lambda z: z * 3)
    assert edge_labels(viz.draw_graph(L)) == ["∂out/∂in = 3 everywhere"]


def test_an_elementwise_edge_from_an_input_of_the_outputs_shape_is_summarised_but_a_broadcast_one_is_not():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="a")
    b = Tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True, name="b")   # broadcast over the rows
    graph = viz.draw_graph(named((a * b).sum(), "L"))
    labels = {tail: label for tail, head, label in EDGE.findall(graph.source) if head == op_of(graph, "a·b")}
    assert labels[node_id_of(graph, "a")] == "∂out/∂in: 1 … 4\\nmedian 2, 0% < 0.01"  # ∂(a·b)/∂a = b, elementwise
    assert labels[node_id_of(graph, "b")] == ""                                # a sum over rows: a Jacobian


@pytest.mark.parametrize("make", [
    lambda x, w: x @ w,
    lambda x, w: F.linear(x, w.transpose()),
    lambda x, w: (x @ w).sum(axis=1),
    lambda x, w: (x @ w).softmax(axis=1),
], ids=["matmul", "affine", "sum", "softmax"])
def test_a_non_elementwise_edge_between_arrays_carries_no_summary(make):
    x = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True, name="x")   # of the output's shape but
    w = Tensor(np.linspace(-2, 2, 9).reshape(3, 3), requires_grad=True, name="w")   # @, x·Wᵀ, softmax mix elements
    graph = viz.draw_graph(named(named(make(x, w), "y").sum(), "L"))
    assert edge_labels(graph) == []
    assert any(head == op_of(graph, "y") for _, head, _ in EDGE.findall(graph.source))


def cross_entropy_of_logits(reduction="mean"):
    z = Tensor(np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [1.0, 1.0, 1.0], [-4.0, 0.0, 4.0]]),
               requires_grad=True, name="z")
    labels = np.array([0, 2, 1, 2])
    return z, labels, named(F.cross_entropy(z, labels, reduction=reduction), "L")


def test_a_fused_cross_entropy_edge_says_it_passes_softmax_minus_y_with_no_sigma_prime():
    z, labels, L = cross_entropy_of_logits()
    label = edge_labels(viz.draw_graph(L))
    assert len(label) == 1 and label[0].startswith("passes (softmax(z) − y)/4: no σ′\\n")


def test_the_fused_cross_entropy_edge_summarises_softmax_minus_y_over_the_batch():
    z, labels, L = cross_entropy_of_logits()
    p = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    passed = (p - np.eye(3)[labels]) / 4                  # ∂L/∂z of the mean over 4 rows
    shown = summary_numbers(L, (".min", ".median", ".max"))
    assert shown == pytest.approx({"min": passed.min(), "median": np.median(passed), "max": passed.max()},
                                  rel=1e-12)
    assert edge_labels(viz.draw_graph(L))[0].endswith(
        f"\\n{passed.min():.2g} … {passed.max():.2g}, median {np.median(passed):.2g}")


def test_a_summed_cross_entropy_passes_softmax_minus_y_itself():
    z, labels, L = cross_entropy_of_logits(reduction="sum")
    assert edge_labels(viz.draw_graph(L))[0].startswith("passes softmax(z) − y: no σ′\\n")


def test_a_class_weighted_cross_entropy_passes_the_general_form_softmax_times_row_sum_minus_y():
    z, labels, _ = cross_entropy_of_logits()
    L = named(F.cross_entropy(z, labels, weight=np.array([1.0, 2.0, 0.5])), "L")   # rows of y sum to their weight
    assert edge_labels(viz.draw_graph(L))[0].startswith("passes (softmax(z)·Σy − y)/")


def test_a_cross_entropy_of_a_few_logits_lists_what_it_passes():
    z = Tensor(np.array([[2.0, -1.0, 0.5]]), requires_grad=True, name="z")
    p = np.exp(z.data) / np.exp(z.data).sum()
    L = named(F.cross_entropy(z, np.array([0])), "L")
    assert edge_labels(viz.draw_graph(L)) == [
        "passes softmax(z) − y: no σ′\\n= " + number_text(p - [[1.0, 0.0, 0.0]])]


def test_an_elementwise_edge_of_at_most_max_elements_lists_its_local_derivatives():
    v = Tensor(np.array([0.0, 2.0, -4.0]), requires_grad=True, name="v")
    assert edge_labels(viz.draw_graph(named(v.tanh().sum(), "L"))) == [
        "tanh′ = " + number_text(1 - np.tanh(v.data) ** 2)]


def test_scalar_graphs_keep_one_local_derivative_per_edge_and_no_summary():
    z = scalar(4.0, "z")
    L = named(z.sigmoid() * 2, "L")
    assert edge_labels(viz.draw_graph(L)) == ["× 2", "× 0.01766"]     # σ′(4) = 0.01766


def test_every_summary_number_has_a_key_that_numbers_finds_with_the_same_value():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 3))
    loss = nn.CrossEntropyLoss()(model(Tensor(np.linspace(-3, 3, 16).reshape(8, 2))), np.arange(8) % 3)
    table = graph_picture.numbers(loss)
    shown = [part for edge in graph_picture.describe(loss).edges for line in edge.lines for part in line
             if isinstance(part, graph_picture.Number)]
    assert {part.key.rsplit(".", 1)[1] for part in shown} == {"min", "median", "max", "small"}
    for part in shown:
        assert np.array_equal(table[part.key], part.array), part.key


def test_summaries_are_left_out_with_the_gradients():
    z, L = sigmoid_of_z()
    assert edge_labels(viz.draw_graph(L, show_grads=False)) == []


def test_the_full_style_calls_the_summary_local():
    z, L = sigmoid_of_z()
    assert edge_labels(viz.draw_graph(L, compact=False))[0].startswith("local σ′: ")


def test_a_name_given_by_highlight_names_the_summary():
    z = Tensor(Z.copy(), requires_grad=True, name="z")
    a = named(z.sigmoid(), "a")
    assert edge_labels(viz.draw_graph(named(a.sum(), "L"), highlight={a: "s′"}))[0].startswith("s′: ")


def test_the_legend_explains_the_summaries_when_an_edge_carries_one():
    z, L = sigmoid_of_z()
    line = "between arrays: its min … max, median, and the share below 0.01 in size\\l"
    assert line in attributes(viz.draw_graph(L, legend=True), "graph")["label"]
    assert line not in attributes(viz.draw_graph(binary_cross_entropy()[2], legend=True), "graph")["label"]
