"""What a picture of a graph shows, before it is drawn: which tensors and ops,
their labels, and every number on them, each taken from the engine.

`describe(root)` walks the graph that made `root` and returns a `Picture`:
nodes and edges whose label lines mix text with `Number`s. A Number keeps its
array and a key that says what it is ("v3": the value of tensor 3, "g3": its
gradient, "d3.1": the local derivative of the op that made tensor 3 with
respect to its input 1, "c3.1": the gradient that op passes to that input;
"d3.1.min", "d3.1.median", "d3.1.max" and "d3.1.small", the fraction of its
elements below 0.01 in size: the summary of a local derivative that holds
one number per element, on an edge between arrays; "b3.1.expected" and
"b3.1.got", what finite differences expect that op to pass to its input 1
and what it passes, where a BlameReport says that edge is wrong).
`viz.draw_graph` formats the numbers into DOT labels; the HTML pages look the
same keys up in tables of numbers (`numbers(root)`), so a page and a picture
can never disagree.

Gradients come from the engine's `backward_pass`, local derivatives from each
op's own `backward` (its vector-Jacobian product with 1): no derivative is
written twice.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from minigrad.core.backward import backward_pass, unbroadcast
from minigrad.core.blame import BlameReport, Blamed
from minigrad.core.tensor import Tensor
from minigrad.viz import marks as marking
from minigrad.viz.notation import is_word, names, op_symbol, wrapped


@dataclass(frozen=True)
class Number:
    """One number (or array) on a picture, the key that names it, and how it is
    written: "value" in the picture's own format, "short" with two significant
    digits (a summary's min, median and max), "percent" as a percentage."""

    key: str
    array: np.ndarray
    form: str = "value"


Line = tuple[str | Number, ...]


@dataclass
class Node:
    """A tensor ("t3") or the op that made it ("op3"), with its label lines."""

    id: str
    lines: list[Line]
    kind: str            # "root", "parameter", "intermediate", "constant" or "op"
    zero: bool = False   # its gradient is exactly 0: the branch passes nothing back
    zero_key: str | None = None  # the number that decides `zero`
    wrong: bool = False  # an op whose backward gives an input a wrong gradient (blame=)
    unchecked: bool = False  # an op whose backward blame could not check


@dataclass
class Edge:
    """An input into an op ("t5" -> "op3", labelled with the local derivative), or an op into its result."""

    tail: str
    head: str
    lines: list[Line] = field(default_factory=list)
    zero: bool = False
    highlighted: bool = False
    zero_key: str | None = None
    wrong: Blamed | None = None  # blame=: the gradient this edge carries back is wrong


@dataclass
class Picture:
    """Everything a picture of one graph shows."""

    nodes: list[Node]
    edges: list[Edge]
    tensors: list[Tensor]            # the drawn and folded tensors, numbered breadth first from the root
    node_id: dict[int, str]          # id(tensor) -> node id
    root_label: str
    hidden: int                      # nodes past the budget, not drawn
    labels: dict[int, str]           # id(tensor) -> the name used for it
    blamed: marking.Marks = field(default_factory=marking.Marks)  # what blame= marks


SMALL = 0.01  # a local derivative below this in size all but stops the gradient: "41% < 0.01"


def describe(root: Tensor, *, compact: bool = True, show_values: bool = True, show_grads: bool = True,
             max_nodes: int = 300, highlight: Mapping[Tensor, str] | Iterable[Tensor] | None = None,
             max_elements: int = 4, blame: BlameReport | None = None) -> Picture:
    """The picture of the graph that made `root` (see viz.draw_graph for the options).

    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> L = (x * 3).exp(); L.name = "L"
    >>> [node.id for node in describe(L).nodes]   # t3, the constant 3, is folded into op1: "× 3"
    ['t0', 'op0', 't1', 'op1', 't2']
    """
    tensors, hidden = nearest_tensors(root, max_nodes)
    index = {id(t): i for i, t in enumerate(tensors)}
    folded = {id(t) for t in tensors if compact and t is not root and is_constant(t) and t.size == 1}
    labels = names(tensors, index, folded) if compact else {id(t): t.name for t in tensors if t.name}
    root_label = root.name or ("out" if compact else "")
    if compact:
        labels[id(root)] = root_label  # an unnamed root is "out", in its box and in every ∂out/∂t
    uses = Counter(id(parent) for t in tensors for parent in (() if t.grad_fn is None else t.grad_fn.inputs))
    marked, blamed = marking.highlights(highlight), marking.blame_marks(root, blame, "draw_graph")
    missing = set(marked) - {id(t) for t in tensors if t.grad_fn is not None}
    if missing:
        raise ValueError(f"draw_graph: highlight names {len(missing)} tensor(s) that no op of this graph made "
                         "(a leaf, or a tensor outside the graph); expected results of ops on the way to the root")
    drawing = _Drawing(root, index, gradients(root, partial=bool(blamed.broken)) if show_grads else {}, labels,
                       folded, compact, show_values, marked, uses, all(t.size == 1 for t in tensors) and show_grads,
                       show_grads, max_elements, blamed)
    nodes, edges = [], []
    for i, t in enumerate(tensors):
        if id(t) not in folded:
            nodes.append(drawing.tensor_node(i, t))
            if t.grad_fn is not None:
                nodes.append(drawing.op_node(i, t))
                edges += drawing.edges_of_op(i, t)
    return Picture(nodes, edges, tensors, {id(t): f"t{i}" for i, t in enumerate(tensors)}, root_label, hidden,
                   labels, blamed)


@dataclass
class _Drawing:
    """What every node and edge of one picture needs to know."""

    root: Tensor
    index: dict[int, int]             # id(tensor) -> its number, breadth first from the root
    grads: dict[Tensor, np.ndarray]   # from backward; empty with show_grads=False
    labels: dict[int, str]
    folded: set[int]                  # constants written into their op's label, not drawn
    compact: bool
    show_values: bool
    marked: dict[int, str]            # highlighted tensors -> the name of their local derivative
    uses: Counter                     # id(tensor) -> how many ops use it
    local_edges: bool                 # a graph of one-element tensors: local derivatives on the edges
    summaries: bool                   # edges between arrays: summaries of elementwise local derivatives
    max_elements: int                 # an array with at most this many elements is listed, not summarised
    blamed: marking.Marks             # what blame= marks

    def zero(self, t: Tensor) -> bool:
        return t in self.grads and not np.any(self.grads[t])

    def tensor_node(self, i: int, t: Tensor) -> Node:
        kind = "root" if t is self.root else "parameter" if t.is_leaf and t.requires_grad else \
            "intermediate" if t.requires_grad else "constant"
        lines = _tensor_lines(t, i, self.labels[id(self.root)] if self.compact else self.root.name or "",
                              self.labels, self.grads, self.show_values, self.compact)
        return Node(f"t{i}", lines, kind, self.zero(t), f"g{i}" if t in self.grads else None)

    def op_node(self, i: int, t: Tensor) -> Node:
        if not self.compact:
            return Node(f"op{i}", [(type(t.grad_fn).__name__,)], "op", self.zero(t),
                        f"g{i}" if t in self.grads else None)
        line = op_symbol(t.grad_fn, self.folded, self.labels)
        for c in t.grad_fn.inputs:  # a named constant shows its value: "− y  (y = 0)"
            if id(c) in self.folded and c.name:
                line += (f"  ({c.name} = ", Number(f"v{self.index[id(c)]}", c.data), ")")
        note = self.blamed.unchecked.get(id(t.grad_fn))
        return Node(f"op{i}", [line, (note,)] if note else [line], "op", self.zero(t),
                    f"g{i}" if t in self.grads else None, id(t.grad_fn) in self.blamed.ops, note is not None)

    def edges_of_op(self, i: int, t: Tensor) -> list[Edge]:
        """op -> t, and each drawn input -> op with its local derivative (or the chain rule, highlighted)."""
        zero_key = f"g{i}" if t in self.grads else None
        edges = [Edge(f"op{i}", f"t{i}", zero=self.zero(t), zero_key=zero_key)]
        broken = id(t.grad_fn) in self.blamed.broken  # its backward gives no numbers to draw
        summarised = {k for k, parent in enumerate(t.grad_fn.inputs)
                      if self.summaries and is_summarised(t, parent) and not broken}
        local = local_derivatives(t) if (self.local_edges or summarised) and not broken else {}
        if not self.local_edges:  # between arrays only the summarised edges are labelled: the others hold Jacobians
            local = {k: d for k, d in local.items() if k in summarised}
        passed = contributions(t, self.grads[t]) if t in self.grads and not broken else {}
        for k, parent in enumerate(t.grad_fn.inputs):
            if id(parent) in self.folded:
                continue
            edge = Edge(f"t{self.index[id(parent)]}" if id(parent) in self.index else "collapsed", f"op{i}",
                        zero=self.zero(t), zero_key=zero_key)
            if k in passed:  # grey when this op passes nothing back to this input
                edge.zero, edge.zero_key = not np.any(passed[k]), f"c{i}.{k}"
            edge.highlighted = id(t) in self.marked and parent.requires_grad
            if k in summarised:  # arrays: min … max, median, and how much is below 0.01
                edge.lines = _summary_lines(t, parent, i, k, local[k], self.marked.get(id(t)), self.labels,
                                            self.compact, self.root, parent.size <= self.max_elements)
            elif k in local and edge.highlighted:  # one-element tensors: the chain rule in numbers
                edge.lines = _chain_rule_lines(t, parent, i, k, local[k], self.marked[id(t)], self.labels,
                                               self.labels[id(self.root)], self.grads[t], passed[k],
                                               self.uses[id(parent)] == 1)
            elif k in local:
                edge.lines = _edge_lines(t, parent, i, k, local[k], self.labels, self.compact, self.root)
            edge.wrong = self.blamed.wrong.get((id(t.grad_fn), k))
            if edge.wrong is not None:
                edge.lines = edge.lines + _blame_lines(edge.wrong, f"b{i}.{k}")
            edges.append(edge)
        return edges


def is_constant(t: Tensor) -> bool:
    """A leaf that gets no gradient: data, a target, a number written into an expression."""
    return t.grad_fn is None and not t.requires_grad


def nearest_tensors(root: Tensor, max_nodes: int) -> tuple[list[Tensor], int]:
    """The tensors nearest the root, breadth first, within the node budget (a
    tensor and the op that made it count as two; the root is always drawn),
    and how many nodes lie beyond. Iterative, so deep graphs are fine."""
    kept: list[Tensor] = []
    seen = {id(root)}
    queue, budget, hidden = deque([root]), max_nodes, 0
    while queue:
        t = queue.popleft()
        cost = 1 if t.grad_fn is None else 2
        if t is root or (not hidden and cost <= budget):
            budget -= cost
            kept.append(t)
        else:
            hidden += cost  # past the first node that does not fit, nothing more is drawn
        for parent in () if t.grad_fn is None else t.grad_fn.inputs:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return kept, hidden


def gradients(root: Tensor, partial: bool = False) -> dict[Tensor, np.ndarray]:
    """d(root)/d(tensor) for every tensor that requires grad (of the sum of root's
    elements), by the engine's backward pass. Drawing changes nothing: nothing is
    written to .grad, and no hook of register_hook runs. `partial`: where an op's
    backward fails (blame found it wrong), the gradients completed before it."""
    if not root.requires_grad:
        return {}
    found = {}
    try:
        for t, grad in backward_pass(root, np.ones(root.shape, dtype=root.dtype), hooks=False):
            found[t] = grad
    except Exception:
        if not partial:
            raise
    return found


def local_derivatives(t: Tensor) -> dict[int, np.ndarray]:
    """d(t)/d(input) for each input that requires grad: the op's vector-Jacobian
    product with 1. Exact for one-element tensors, and elementwise for an
    elementwise op whose input has the output's shape."""
    vjps = t.grad_fn.backward(np.ones(t.shape, dtype=t.dtype))
    return {i: unbroadcast(np.asarray(vjp), parent.shape)
            for i, (parent, vjp) in enumerate(zip(t.grad_fn.inputs, vjps))
            if vjp is not None and parent.requires_grad}


def is_summarised(t: Tensor, parent: Tensor) -> bool:
    """Whether the edge from `parent` into the op that made `t` carries a summary
    of its local derivative: an elementwise op from an input of its output's
    shape, or a fused loss that says what it passes to its logits, on more than one element."""
    op = t.grad_fn
    return parent.requires_grad and parent.size > 1 and (
        (op.elementwise and parent.shape == t.shape) or (op.passes is not None and parent is op.inputs[0]))


def summary(key: str, array: np.ndarray) -> dict[str, np.ndarray]:
    """The min, median and max of a local derivative, and the fraction of its
    elements below SMALL in size, keyed after it ("d3.1.min", …, "d3.1.small")."""
    values = np.asarray(array, dtype=np.float64)
    low, middle, high = values.min(), np.median(values), values.max()
    if low < 0 < high and abs(middle) < 1e-6 * max(-low, high):
        middle = 0.0  # only float rounding around 0, as of softmax(z) − y over two classes
    return {f"{key}.min": low, f"{key}.median": np.float64(middle), f"{key}.max": high,
            f"{key}.small": np.mean(np.abs(values) < SMALL)}


def contributions(t: Tensor, grad: np.ndarray) -> dict[int, np.ndarray]:
    """What the op that made `t` passes back to each input that requires grad,
    given dL/dt = grad: one term of the chain rule's sum, by the op's backward."""
    return {i: unbroadcast(np.asarray(vjp), parent.shape)
            for i, (parent, vjp) in enumerate(zip(t.grad_fn.inputs, t.grad_fn.backward(grad)))
            if vjp is not None and parent.requires_grad}


def numbers(root: Tensor, max_nodes: int = 300) -> dict[str, np.ndarray]:
    """Every number a picture of `root` can show, by key ("v3", "g3", "d3.1",
    "c3.1", "d3.1.min", …; see the module docstring). Built on a graph whose
    tensors hold many values at once (one per point of a grid), it gives each
    number at every point: the keys of `describe` of the same graph built on
    one point (and summaries over the grid, which that picture has no use for)."""
    tensors, _ = nearest_tensors(root, max_nodes)
    grads = gradients(root)
    table: dict[str, np.ndarray] = {}
    for i, t in enumerate(tensors):
        table[f"v{i}"] = t.data
        if t in grads:
            table[f"g{i}"] = grads[t]
        if t.grad_fn is None:
            continue
        for k, d in local_derivatives(t).items():
            table[f"d{i}.{k}"] = d
            if is_summarised(t, t.grad_fn.inputs[k]):
                table.update(summary(f"d{i}.{k}", d))
        if t in grads:
            for k, c in contributions(t, grads[t]).items():
                table[f"c{i}.{k}"] = c
    return table


# ----------------------------------------------------------------- labels --

def _tensor_lines(t: Tensor, i: int, root_label: str, labels: dict[int, str], grads: dict[Tensor, np.ndarray],
                  show_values: bool, compact: bool) -> list[Line]:
    name = labels.get(id(t))
    value = Number(f"v{i}", t.data)
    grad = Number(f"g{i}", grads[t]) if t in grads else None
    if compact and t.size == 1:
        lines: list[Line] = [(f"{name} = ", value) if show_values else (name,)]
    else:
        lines = [(name,)] if name else []
        lines.append((f"{t.shape}" if compact and t.dtype == np.float32 else f"{t.shape} {t.dtype}",))
        if show_values:
            lines.append(("value ", value))
    if grad is not None:
        of = f"∂{root_label}/∂{wrapped(name)}" if root_label and name else \
            f"∂{root_label}/∂·" if root_label else "grad"
        lines.append((f"{of} = ", grad))
    return lines


def _named_quotient(t: Tensor, parent: Tensor, labels: dict[int, str], root: Tensor) -> bool:
    """Whether an edge names its local derivative ∂out/∂in by the tensors' names:
    both short words, and out not the root (∂L/∂x on an edge would read as L's gradient)."""
    out, into = labels.get(id(t)), labels.get(id(parent))
    return is_word(out) and is_word(into) and len(out + into) <= 4 and t is not root


def _edge_lines(t: Tensor, parent: Tensor, i: int, k: int, derivative: np.ndarray, labels: dict[int, str],
                compact: bool, root: Tensor) -> list[Line]:
    """The local derivative d(out)/d(parent), named when _named_quotient says so (always in the full style)."""
    out, into = labels.get(id(t)), labels.get(id(parent))
    number = Number(f"d{i}.{k}", derivative)
    if out and into and (not compact or _named_quotient(t, parent, labels, root)):
        return [(f"{'local ' if not compact else ''}∂{wrapped(out)}/∂{wrapped(into)} = ", number)]
    return [("local " if not compact else "× ", number)]


def _summary_lines(t: Tensor, parent: Tensor, i: int, k: int, derivative: np.ndarray, name: str | None,
                   labels: dict[int, str], compact: bool, root: Tensor, listed: bool) -> list[Line]:
    """A local derivative with one number per element, summarised in two lines,
    "σ′: 0.00035 … 0.25" / "median 0.021, 41% < 0.01", or `listed` element by
    element; one number if it is the same on every element; what a fused loss passes."""
    key = f"d{i}.{k}"
    every = Number(key, derivative)
    low, middle, high, small = (Number(f"{key}.{part}", np.asarray(value), "percent" if part == "small" else "short")
                                for part, value in zip(("min", "median", "max", "small"),
                                                       summary(key, derivative).values()))
    op = t.grad_fn
    if op.passes is not None:  # the fused loss's own gradient rule: ∂L/∂z = softmax(z) − y, no σ′
        return [(f"passes {op.passes}: no σ′",), ("= ", every) if listed else (low, " … ", high, ", median ", middle)]
    named = _named_quotient(t, parent, labels, root)
    quotient = f"∂{labels[id(t)]}/∂{labels[id(parent)]}" if named else "∂out/∂in"
    name = ("" if compact else "local ") + (name or op.derivative_name or quotient)
    if low.array == high.array:
        return [(f"{name} = ", low, " everywhere",)]
    if listed:
        return [(f"{name} = ", every)]
    return [(f"{name}: ", low, " … ", high), ("median ", middle, ", ", small, f" < {SMALL:g}")]


def _blame_lines(entry: Blamed, key: str) -> list[Line]:
    """What blame says of a wrong edge: "wrong (sign) at [2]:" / "expected 0.25, got -0.25"."""
    got = ("got ", Number(f"{key}.got", np.asarray(entry.got))) if entry.got is not None else \
        (f"got: {marking.got_text(entry)}",)
    kind = f" ({entry.diagnosis})" if entry.diagnosis else ""
    return [(f"wrong{kind}{marking.index_text(entry)}:",),
            ("expected ", Number(f"{key}.expected", np.asarray(entry.expected)), ", ", *got)]


def _chain_rule_lines(t: Tensor, parent: Tensor, i: int, k: int, derivative: np.ndarray, name: str,
                      labels: dict[int, str], root_label: str, grad: np.ndarray | None, passed: np.ndarray | None,
                      only_use: bool) -> list[Line]:
    """The chain rule written out on one edge: ∂L/∂z = ∂L/∂a · σ′ = 0.982 × 0.0177 = 0.0173."""
    out, into = wrapped(labels.get(id(t)) or "·"), wrapped(labels.get(id(parent)) or "·")
    at_root = out == root_label  # there ∂L/∂in would read as the gradient: the op's factor is "local"
    local = name or ("local" if at_root else f"∂{out}/∂{into}")
    quotient = f"{name} = ∂{out}/∂{into} = " if name and not at_root else f"{local} = "
    lines: list[Line] = [(quotient, Number(f"d{i}.{k}", derivative))]
    if grad is not None and passed is not None:
        gets = "=" if only_use else "+="  # a tensor used twice sums one such term per use
        lines.append((f"∂{root_label}/∂{into} {gets} ∂{root_label}/∂{out} · {local}",))
        lines.append(("= ", Number(f"g{i}", grad), " × ", Number(f"d{i}.{k}", derivative), " = ",
                      Number(f"c{i}.{k}", passed)))
    return lines
