"""A picture of the graph as DOT: `draw_graph` and the GradientGraph it returns.

`draw_graph` returns a `graphviz.Digraph`. Tensor nodes show their name, shape
and dtype, their value and their gradient d(root)/d(tensor) (a summary for
large tensors); op nodes show the op. When every tensor has one element, each
edge from an input to an op carries the op's local derivative d(out)/d(in),
so the product of the labels along a path is the gradient at its start.
Between arrays, an edge into an elementwise op carries a summary of its local
derivative, one number per element: "σ′: 0.00035 … 0.25, median 0.021,
41% < 0.01". What the picture shows is decided in graph_picture.py; this module
writes it as DOT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import graphviz
import numpy as np

from minigrad.core.blame import BlameReport
from minigrad.core.tensor import Tensor
from minigrad.pages.colours import FILL, HIGHLIGHT, WRONG, ZERO
from minigrad.viz import graph_picture
from minigrad.viz.rendering import RenderError, image_bytes


class GradientGraph(graphviz.Digraph):
    """A graphviz.Digraph that Jupyter shows inline even without a system Graphviz.
    (Its own .render() and .pipe() are graphviz's and need the system `dot`;
    `minigrad.viz.render` also works with graphviz-pure.)"""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        try:
            return {"image/svg+xml": image_bytes(self.source, "svg").decode()}
        except RenderError as error:
            return {"text/plain": f"{error}\n\n{self.source}"}


# ------------------------------------------------------------------ drawing --



def draw_graph(root: Tensor, show_values: bool = True, show_grads: bool = True, max_nodes: int = 300,
               max_elements: int = 4, title: str | None = None, id_prefix: str = "", compact: bool = True,
               highlight: Mapping[Tensor, str] | Iterable[Tensor] | None = None, legend: bool = False,
               rankdir: str = "TB", blame: BlameReport | None = None) -> GradientGraph:
    """The graph that computed `root`, as a graphviz.Digraph.

    Each tensor shows its value and d(root)/d(tensor) (for a root with several
    elements, of their sum), computed for the picture: the same as `.grad`
    after one `root.backward()`, and nothing is written to `.grad`. In a graph
    of one-element tensors each edge into an op carries the op's local
    derivative; along a path they multiply to the gradient. Between arrays,
    an edge into an elementwise op (σ, tanh, relu, exp, +, ×, … from an input
    of the output's shape) carries the min … max, median and share below 0.01
    of its local derivative ("σ′: 0.00035 … 0.25" / "median 0.021, 41% <
    0.01"), and the logits' edge into a fused cross-entropy says that it
    passes softmax(z) − y, with no σ′ factor.

    `compact=True` (the default) draws for reading: one-element tensors as
    "a = 0.982" without shape or dtype, unnamed results named by their
    expression ("a − y"), one-element constants folded into their op ("− y"),
    ops as symbols, and branches whose gradient is exactly 0 in grey.
    `compact=False` shows every tensor's name, shape and dtype, and every
    constant as a node. `highlight` (tensors, or a dict from a tensor to a
    name for its local derivative, such as {a: "σ′"}) draws the edges into
    those tensors' ops bold and coloured and, in a graph of one-element
    tensors, writes the chain rule out on them:
    ∂L/∂z = ∂L/∂a · σ′ = 55.6 × 0.0177 = 0.982. `legend=True` explains the
    notation under the title. Tensors with at most `max_elements` elements
    show their numbers (and so do the elementwise edges from them), larger
    ones mean, min and max; `show_grads=False`
    hides gradients and local derivatives. Past `max_nodes` tensor and op
    nodes, the nodes farthest from `root` are collapsed into one note.
    `id_prefix` keeps the node names of two graphs apart in one figure;
    `rankdir` is Graphviz's ("TB": inputs at the top; "LR": left to right).
    `blame=mg.blame(root)` draws each edge whose gradient that report found
    wrong in bold red, labelled with what finite differences expected and
    what the op's backward gave ("expected 0.25, got -0.25", at the element
    furthest off) and the kind of mistake, and outlines its op in red; an op
    blame could not check gets a dashed grey outline. Where a backward gives
    no gradient that backward can use (the wrong shape, an error), the
    gradients shown are those backward completes before it.

    >>> x = Tensor(np.array(2.0), requires_grad=True, name="x")
    >>> y = x * 3; y.name = "y"
    >>> L = y.exp(); L.name = "L"
    >>> source = draw_graph(L).source
    >>> "∂y/∂x = 3" in source and "∂L/∂x = 1210" in source   # the local derivative, and the gradient
    True
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: expected the Tensor whose graph to draw, got {type(root).__name__}")
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    picture = graph_picture.describe(root, compact=compact, show_values=show_values, show_grads=show_grads,
                                     max_nodes=max_nodes, highlight=highlight, max_elements=max_elements,
                                     blame=blame)
    return picture_to_dot(picture, lambda array: number_text(array, max_elements), title, id_prefix, compact,
                          legend, rankdir, max_nodes)


def picture_to_dot(picture: graph_picture.Picture, format_number: Callable[[np.ndarray], str],
                   title: str | None = None, id_prefix: str = "", compact: bool = True, legend: bool = False,
                   rankdir: str = "TB", max_nodes: int = 300) -> GradientGraph:
    """The DOT of a described picture; `format_number` writes each Number's array as text."""
    def text(lines: list[graph_picture.Line], left: bool = False) -> str:
        """The label; `left`: each line left-aligned, two spaces clear of the edge it labels."""
        end, indent = ("\\l", "  ") if left else ("\\n", "")
        return end.join(indent + _text("".join(_number(part, format_number) if isinstance(part, graph_picture.Number)
                                               else part for part in line)) for line in lines) + (end if left else "")

    heading = _text(title or "") + ("\\n" if title and legend else "")
    graph = GradientGraph(graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "labelloc": "t",
                                      "label": heading + (legend_text(picture) if legend else ""),
                                      **({"fontsize": "15", "nodesep": "0.25", "ranksep": "0.2"} if compact else {})},
                          node_attr={"fontname": "Helvetica", "fontsize": "14" if compact else "11"},
                          edge_attr={"fontname": "Helvetica", "fontsize": "13" if compact else "10"})
    for node in picture.nodes:
        is_op = node.kind == "op"
        style = {"shape": "ellipse" if is_op else "box", "style": "filled" if is_op else "rounded,filled",
                 "fillcolor": "#f4f4f4" if node.zero else FILL[node.kind]}
        if compact and is_op:
            style.update(margin="0.04,0.01", height="0.25")
        if node.zero:
            style.update(color=ZERO, fontcolor=ZERO)
        if node.unchecked:
            style.update(color=ZERO, style="dashed,filled")
        if node.wrong:
            style.update(color=WRONG, penwidth="3")
        graph.node(id_prefix + node.id, text(node.lines), **style)
    for edge in picture.edges:
        style = {"label": text(edge.lines, left=edge.wrong is not None)} if edge.lines else {}
        if edge.zero:
            style.update(color=ZERO, fontcolor=ZERO)
        if edge.highlighted:
            style.update(color=HIGHLIGHT, fontcolor=HIGHLIGHT, penwidth="3")
        if edge.wrong is not None:
            style.update(color=WRONG, fontcolor=WRONG, penwidth="3")
        graph.edge(id_prefix + edge.tail, id_prefix + edge.head, **style)
    if picture.hidden:
        graph.node(f"{id_prefix}collapsed", f"… {picture.hidden} more nodes, farthest from the root, not shown "
                                            f"(max_nodes={max_nodes})", shape="note", style="filled",
                   fillcolor="#eeeeee")
    return graph


def legend_text(picture: graph_picture.Picture | None = None) -> str:
    """What the notation of a compact picture means, as left-aligned DOT label lines
    (without a picture: of one-element tensors, every line that can apply)."""
    L = picture.root_label if picture is not None else "L"
    lines = [f"box: a tensor and its value (blue: a parameter; yellow: the output, {L})",
             f"∂{L}/∂t: the gradient of {L} with respect to t, computed by backward"]
    if picture is None or any(edge.lines for edge in picture.edges):
        lines.append("on an edge into an op: the op's local derivative ∂out/∂in")
    if picture is not None and any(isinstance(part, graph_picture.Number) and part.form == "percent"
                                   for edge in picture.edges for line in edge.lines for part in line):
        lines.append(f"between arrays: its min … max, median, and the share below {graph_picture.SMALL:g} in size")
    if picture is None or any(node.zero for node in picture.nodes):
        lines.append("grey text: a branch that passes no gradient back (exactly 0)")
    if picture is None or any(edge.highlighted for edge in picture.edges):
        lines.append(f"bold colour: one step of the chain rule, ∂{L}/∂in = ∂{L}/∂out · ∂out/∂in")
    if picture is not None and any(edge.wrong is not None for edge in picture.edges):
        lines += ["bold red: mg.blame found the gradient passed back along it wrong:",
                  "   expected by finite differences, got by the op's backward"]
    if picture is not None and any(node.unchecked for node in picture.nodes):
        lines.append("dashed grey op: one mg.blame could not check")
    return "".join(_text(line) + "\\l" for line in lines)


def _text(text: str) -> str:
    """`text` safe inside a DOT label: backslashes and newlines are DOT escapes."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(number: graph_picture.Number, format_number: Callable[[np.ndarray], str]) -> str:
    """A Number as its form asks: a summary's with two significant digits, a fraction as a percentage."""
    if number.form == "short":
        return f"{number.array.item() + 0:.2g}"
    if number.form == "percent":
        return percent_text(number.array.item())
    return format_number(number.array)


def percent_text(fraction: float) -> str:
    """A fraction as a whole percentage that is never rounded to 0 % or 100 % when it is not.

    >>> [percent_text(f) for f in (0.0, 0.004, 0.4118, 0.998, 1.0)]
    ['0%', '<1%', '41%', '>99%', '100%']
    """
    if 0 < fraction < 0.01:
        return "<1%"
    if 0.99 < fraction < 1:
        return ">99%"
    return f"{100 * fraction:.0f}%"


def number_text(array: np.ndarray, max_elements: int = 4) -> str:
    """A short text for an array: its numbers if few, else mean, min and max."""
    if array.size == 1:
        return f"{array.item() + 0:.4g}"  # + 0 turns -0.0 into 0
    if array.size <= max_elements:
        return np.array2string(array.ravel(), precision=4, separator=", ")
    as_float = array.astype(np.float64)
    low, high, mean = as_float.min(), as_float.max(), as_float.mean()
    if abs(mean) < 1e-6 * max(abs(low), abs(high)):  # rounding noise around 0, e.g. of softmax - y summed
        mean = 0.0
    return f"mean {mean:.3g}, min {low:.3g}, max {high:.3g}"
