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

COLORS = {"root": "#fff2b3", "parameter": "#dbe8fb", "constant": "#eeeeee", "intermediate": "#ffffff"}


class RenderError(RuntimeError):
    """No installed program can render the requested format (the message says what to install)."""


class GradientGraph(graphviz.Digraph):
    """A graphviz.Digraph that Jupyter shows inline even without a system Graphviz."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        return {"image/svg+xml": image_bytes(self.source, "svg").decode()}


# ------------------------------------------------------------------ drawing --

def draw_graph(root: Tensor, show_values: bool = True, show_grads: bool = True, max_nodes: int = 300,
               max_elements: int = 4, title: str | None = None) -> GradientGraph:
    """The graph that computed `root`, as a graphviz.Digraph.

    Gradients shown are d(root)/d(tensor) (for a root with several elements,
    of their sum), computed for the picture: the same as `.grad` after one
    `root.backward()`, and nothing is written to `.grad`. Tensors with at most
    `max_elements` elements show their numbers, larger ones mean, min and max.
    `show_grads=False` hides the gradients and the local derivatives.
    Past `max_nodes` tensor and op nodes, the nodes farthest from `root` are
    collapsed into one note that counts them.

    >>> x = Tensor(np.array(2.0), requires_grad=True, name="x")
    >>> y = x * x; y.name = "y"
    >>> "∂y/∂x = 4" in draw_graph(y).source
    True
    """
    tensors, hidden = _nearest_tensors(root, max_nodes)
    grads = _gradients(root) if show_grads else {}
    scalar_graph = all(t.size == 1 for t in tensors)
    graph = GradientGraph(graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": title or "",
                                      "labelloc": "t"},
                          node_attr={"fontname": "Helvetica", "fontsize": "11"},
                          edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    node_id = {id(t): f"t{i}" for i, t in enumerate(tensors)}  # numbered from the root: the same DOT every run
    for t in tensors:
        kind = "root" if t is root else "parameter" if t.is_leaf and t.requires_grad else \
            "intermediate" if t.requires_grad else "constant"
        label = _tensor_label(t, root, grads.get(t), show_values, max_elements)
        graph.node(node_id[id(t)], label, shape="box", style="rounded,filled", fillcolor=COLORS[kind])
        if t._op is None:
            continue
        op_id = f"op{node_id[id(t)][1:]}"
        graph.node(op_id, type(t._op).__name__, shape="ellipse", style="filled", fillcolor="#fde0c5")
        graph.edge(op_id, node_id[id(t)])
        local = _local_derivatives(t) if scalar_graph and show_grads else {}
        for i, parent in enumerate(t._op.inputs):
            target = node_id.get(id(parent), "collapsed")
            graph.edge(target, op_id, label=_edge_label(t, parent, local.get(i)))
    if hidden:
        graph.node("collapsed", f"… {hidden} more nodes, farthest from the root, not shown "
                                f"(max_nodes={max_nodes})", shape="note", style="filled", fillcolor="#eeeeee")
    return graph


def _nearest_tensors(root: Tensor, max_nodes: int) -> tuple[list[Tensor], int]:
    """Tensors of the graph in breadth-first order from the root, within the node
    budget (a tensor and the op that made it count as two), and how many nodes
    did not fit. Iterative, like topological_order, so deep graphs are fine."""
    kept: list[Tensor] = []
    seen = {id(root)}
    queue, budget, hidden = deque([root]), max_nodes, 0
    while queue:
        t = queue.popleft()
        cost = 1 if t._op is None else 2
        if cost > budget:
            hidden += cost
        else:
            budget -= cost
            kept.append(t)
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


def _tensor_label(t: Tensor, root: Tensor, grad: np.ndarray | None, show_values: bool, max_elements: int) -> str:
    lines = [t.name] if t.name else []
    lines.append(f"{t.shape} {t.dtype}")
    if show_values:
        lines.append(f"value {_numbers(t.data, max_elements)}")
    if grad is not None:
        of = f"∂{root.name}/∂{t.name}" if root.name and t.name else "grad"
        lines.append(f"{of} = {_numbers(grad, max_elements)}")
    return "\\n".join(lines)


def _edge_label(out: Tensor, parent: Tensor, derivative: float | None) -> str | None:
    if derivative is None:
        return None
    if out.name and parent.name:
        return f"∂{out.name}/∂{parent.name} = {derivative + 0:.4g}"
    return f"{derivative + 0:.4g}"


def _numbers(array: np.ndarray, max_elements: int) -> str:
    """A short text for an array: its numbers if few, else mean, min and max."""
    if array.size == 1:
        return f"{array.item() + 0:.4g}"  # + 0 turns -0.0 into 0
    if array.size <= max_elements:
        return np.array2string(array.ravel(), precision=4, separator=", ")
    as_float = array.astype(np.float64)
    return f"mean {as_float.mean():.3g}, min {as_float.min():.3g}, max {as_float.max():.3g}"


# ---------------------------------------------------------------- rendering --

def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str = "svg") -> Path:
    """Write the picture of `graph` to `path` (".svg" etc. is added if missing)
    and return its path. The DOT source is always written beside it first
    (".dot"), so it survives when no program can render the format.

    >>> import tempfile
    >>> x = Tensor(np.array(2.0), requires_grad=True, name="x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     render(draw_graph((x * x).exp()), Path(folder) / "graph").name
    'graph.svg'
    """
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(f".{format}")
    elif path.suffix != f".{format}":
        raise ValueError(f"render: path {str(path)!r} does not end in .{format}; "
                         f"pass format={path.suffix[1:]!r} or change the name")
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
    pure_pip = "" if format == "pdf" else " or, for SVG and PNG, pip install graphviz-pure (part of 'minigrad[viz]')"
    raise RenderError(f"render: no installed program makes {format.upper()} from a graph. Install Graphviz "
                      f"(apt install graphviz, brew install graphviz, or https://graphviz.org/download){pure_pip}.")


def renderers(format: str) -> list[str]:
    """The programs that can render `format`, best first."""
    found = [shutil.which("dot")]
    if format in ("svg", "png", "jpeg", "jpg"):
        found.append(_find_program("graphviz-pure"))
    return [program for program in found if program]


def _find_program(name: str) -> str | None:
    """A command on PATH, or in this Python's scripts folder (a venv used without activating it)."""
    beside_python = Path(sysconfig.get_path("scripts")) / name
    return shutil.which(name) or (str(beside_python) if beside_python.exists() else None)
