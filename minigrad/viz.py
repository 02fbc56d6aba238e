"""Pictures of the graph: every tensor and every op that produced `root`.

`draw_graph` returns a `graphviz.Digraph`. Tensor nodes show their name, shape
and dtype, their value and their gradient d(root)/d(tensor) (a summary for
large tensors); op nodes show the op. When every tensor has one element, each
edge from an input to an op carries the op's local derivative d(out)/d(in),
so the product of the labels along a path is the gradient at its start.
`render` writes the picture with the system Graphviz (`dot`) or, for SVG and
PNG, with the pip-installable `graphviz-pure`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.engine import Tensor, backward_pass, unbroadcast

try:
    import graphviz
except ImportError as missing:  # the viz extra is not installed
    raise ImportError("minigrad.viz needs the graphviz package: pip install 'minigrad[viz]'") from missing

__all__ = ["GradientGraph", "RenderError", "draw_graph", "render"]

COLORS = {"root": "#fff2b3", "parameter": "#dbe8fb", "constant": "#eeeeee", "intermediate": "#ffffff"}


class RenderError(RuntimeError):
    """No installed program can render the requested format (the message says what to install)."""


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
               max_elements: int = 4, title: str | None = None, id_prefix: str = "") -> GradientGraph:
    """The graph that computed `root`, as a graphviz.Digraph.

    Each tensor shows d(root)/d(tensor) (for a root with several elements, of
    their sum), computed for the picture: the same as `.grad` after one
    `root.backward()`, and nothing is written to `.grad`. In a graph of
    one-element tensors each edge into an op is labelled with the op's local
    derivative; along a path they multiply to the gradient. Tensors with at
    most `max_elements` elements show their numbers, larger ones mean, min and
    max. `show_grads=False` hides gradients and local derivatives. Past
    `max_nodes` tensor and op nodes, the nodes farthest from `root` are
    collapsed into one note that counts them. `id_prefix` keeps the node names
    of two graphs apart when both go into one figure.

    >>> x = Tensor(np.array(2.0), requires_grad=True, name="x")
    >>> y = x * 3; y.name = "y"
    >>> source = draw_graph(y).source
    >>> "local ∂y/∂x = 3" in source     # on the edge x -> Mul
    True
    """
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    tensors, hidden = _nearest_tensors(root, max_nodes)
    grads = _gradients(root) if show_grads else {}
    scalar_graph = all(t.size == 1 for t in tensors)
    graph = GradientGraph(graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": _text(title or ""),
                                      "labelloc": "t"},
                          node_attr={"fontname": "Helvetica", "fontsize": "11"},
                          edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    node_id = {id(t): f"{id_prefix}t{i}" for i, t in enumerate(tensors)}  # numbered from the root: stable DOT
    collapsed = f"{id_prefix}collapsed"
    for t in tensors:
        kind = "root" if t is root else "parameter" if t.is_leaf and t.requires_grad else \
            "intermediate" if t.requires_grad else "constant"
        label = _tensor_label(t, root, grads.get(t), show_values, max_elements)
        graph.node(node_id[id(t)], label, shape="box", style="rounded,filled", fillcolor=COLORS[kind])
        if t._op is None:
            continue
        op_id = f"{id_prefix}op{node_id[id(t)][len(id_prefix) + 1:]}"
        graph.node(op_id, type(t._op).__name__, shape="ellipse", style="filled", fillcolor="#fde0c5")
        graph.edge(op_id, node_id[id(t)])
        local = _local_derivatives(t) if scalar_graph and show_grads else {}
        for i, parent in enumerate(t._op.inputs):
            graph.edge(node_id.get(id(parent), collapsed), op_id, label=_edge_label(t, parent, local.get(i)))
    if hidden:
        graph.node(collapsed, f"… {hidden} more nodes, farthest from the root, not shown "
                              f"(max_nodes={max_nodes})", shape="note", style="filled", fillcolor="#eeeeee")
    return graph


def _nearest_tensors(root: Tensor, max_nodes: int) -> tuple[list[Tensor], int]:
    """The tensors nearest the root, breadth first, within the node budget (a
    tensor and the op that made it count as two; the root is always drawn),
    and how many nodes lie beyond. Iterative, so deep graphs are fine."""
    kept: list[Tensor] = []
    seen = {id(root)}
    queue, budget, hidden = deque([root]), max_nodes, 0
    while queue:
        t = queue.popleft()
        cost = 1 if t._op is None else 2
        if t is root or (not hidden and cost <= budget):
            budget -= cost
            kept.append(t)
        else:
            hidden += cost  # past the first node that does not fit, nothing more is drawn
        for parent in () if t._op is None else t._op.inputs:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return kept, hidden


def _gradients(root: Tensor) -> dict[Tensor, np.ndarray]:
    if not root.requires_grad:
        return {}
    return dict(backward_pass(root, np.ones(root.shape, dtype=root.dtype)))


def _local_derivatives(t: Tensor) -> dict[int, float]:
    """d(t)/d(input) for each input that requires grad, in a graph of one-element tensors:
    the op's vector-Jacobian product with the vector 1."""
    vjps = t._op.backward(np.ones(t.shape, dtype=t.dtype))
    return {i: unbroadcast(np.asarray(vjp), parent.shape).item()
            for i, (parent, vjp) in enumerate(zip(t._op.inputs, vjps))
            if vjp is not None and parent.requires_grad}


def _text(text: str) -> str:
    """`text` safe inside a DOT label: backslashes and newlines are DOT escapes."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _tensor_label(t: Tensor, root: Tensor, grad: np.ndarray | None, show_values: bool, max_elements: int) -> str:
    lines = [_text(t.name)] if t.name else []
    lines.append(f"{t.shape} {t.dtype}")
    if show_values:
        lines.append(f"value {_numbers(t.data, max_elements)}")
    if grad is not None:
        of = f"∂{_text(root.name)}/∂{_text(t.name) if t.name else '·'}" if root.name else "grad"
        lines.append(f"{of} = {_numbers(grad, max_elements)}")
    return "\\n".join(lines)


def _edge_label(out: Tensor, parent: Tensor, derivative: float | None) -> str | None:
    """The local derivative d(out)/d(parent) of one op, marked "local" to tell it from a gradient."""
    if derivative is None:
        return None
    if out.name and parent.name:
        return f"local ∂{_text(out.name)}/∂{_text(parent.name)} = {derivative + 0:.4g}"
    return f"local {derivative + 0:.4g}"


def _numbers(array: np.ndarray, max_elements: int) -> str:
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


# ---------------------------------------------------------------- rendering --

FORMATS = ("svg", "png", "pdf", "jpeg")  # what `dot` makes; graphviz-pure makes all but PDF
PURE_PIP_FORMATS = ("svg", "png", "jpeg")


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str = "svg") -> Path:
    """Write the picture of `graph` to `path` and return its path; ".svg" (or
    the format's suffix) is added unless the path already ends in it. The DOT
    source is always written beside it first (".dot"), so it survives when no
    program can render the format.

    >>> import tempfile
    >>> x = Tensor(np.array(2.0), requires_grad=True, name="x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     render(draw_graph((x * x).exp()), Path(folder) / "graph").name
    'graph.svg'
    """
    format = format.lower()
    if format not in FORMATS:
        raise ValueError(f"render: unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path)
    if path.suffix.lower() != f".{format}":
        path = path.with_name(f"{path.name}.{format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(graph.source, encoding="utf-8")
    try:
        path.write_bytes(image_bytes(graph.source, format))
    except RenderError as error:
        raise RenderError(f"{error} The DOT source is in {dot_path}.") from None
    return path


def image_bytes(source: str, format: str) -> bytes:
    """`source` rendered by the first program that can: Graphviz's `dot`, then graphviz-pure."""
    for program in renderers(format):
        result = subprocess.run([program, f"-T{format}"], input=source.encode(), capture_output=True, timeout=120)
        if result.returncode == 0:
            return result.stdout
        raise RenderError(f"render: {program} failed: {result.stderr.decode(errors='replace').strip()}")
    pure_pip = " or, for SVG and PNG, pip install graphviz-pure (part of 'minigrad[viz]')" \
        if format in PURE_PIP_FORMATS else ""
    raise RenderError(f"render: no installed program makes {format.upper()} from a graph. Install Graphviz "
                      f"(apt install graphviz, brew install graphviz, or https://graphviz.org/download){pure_pip}.")


def renderers(format: str) -> list[str]:
    """The programs that can render `format`, best first."""
    found = [shutil.which("dot")]
    if format in PURE_PIP_FORMATS:
        found.append(_find_program("graphviz-pure"))
    return [program for program in found if program]


def _find_program(name: str) -> str | None:
    """A command on PATH, or in this Python's scripts folder (a venv used without activating it)."""
    beside_python = Path(sysconfig.get_path("scripts")) / name
    return shutil.which(name) or (str(beside_python) if beside_python.exists() else None)
