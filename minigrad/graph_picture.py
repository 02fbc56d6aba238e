"""What a picture of a graph shows, before it is drawn: which tensors and ops,
their labels, and every number on them, each taken from the engine.

`describe(root)` walks the graph that made `root` and returns a `Picture`:
nodes and edges whose label lines mix text with `Number`s. A Number keeps its
array and a key that says what it is ("v3": the value of tensor 3, "g3": its
gradient, "d3.1": the local derivative of the op that made tensor 3 with
respect to its input 1, "c3.1": the gradient that op passes to that input).
`viz.draw_graph` formats the numbers into DOT labels; the HTML pages look the
same keys up in tables of numbers (`numbers(root)`), so a page and a picture
can never disagree.

Gradients come from the engine's `backward_pass`, local derivatives from each
op's own `backward` (its vector-Jacobian product with 1): no derivative is
written twice.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Union

import numpy as np

from minigrad.backward import backward_pass, unbroadcast
from minigrad.engine import Tensor


@dataclass(frozen=True)
class Number:
    """One number (or array) on a picture, and the key that names it."""

    key: str
    array: np.ndarray


Line = tuple[Union[str, Number], ...]


@dataclass
class Node:
    """A tensor ("t3") or the op that made it ("op3"), with its label lines."""

    id: str
    lines: list[Line]
    kind: str            # "root", "parameter", "intermediate", "constant" or "op"
    zero: bool = False   # its gradient is exactly 0: the branch passes nothing back
    zero_key: str | None = None  # the number that decides `zero`


@dataclass
class Edge:
    """An input into an op ("t5" -> "op3", labelled with the local derivative), or an op into its result."""

    tail: str
    head: str
    lines: list[Line] = field(default_factory=list)
    zero: bool = False
    highlighted: bool = False
    zero_key: str | None = None


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


# How each op reads in mathematics: its symbol on op nodes, and its expression
# (with the precedence that decides parentheses) in the names of unnamed tensors.
SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "÷", "Neg": "−", "Pow": "^", "MatMul": "@", "Exp": "exp",
           "Log": "ln", "Sqrt": "√", "Abs": "| |", "Sigmoid": "σ", "Tanh": "tanh", "ReLU": "relu", "Sum": "Σ",
           "Mean": "mean", "Max": "max", "Softmax": "softmax", "LogSoftmax": "log_softmax", "Clip": "clip",
           "Affine": "x·Wᵀ + b", "Reshape": "reshape", "Transpose": "transpose", "GetItem": "[ ]",
           "FusedMSE": "MSE", "FusedL1": "L1", "FusedHuber": "Huber", "FusedBCE": "BCE",
           "FusedBCEWithLogits": "BCE on logits", "FusedCrossEntropy": "cross-entropy", "FusedNLL": "NLL",
           "FusedKLDiv": "KL", "FusedMultiMargin": "hinge"}
EXPRESSIONS = {"Add": ("{0} + {1}", 1), "Sub": ("{0} − {1}", 1), "Mul": ("{0}·{1}", 2), "Div": ("{0}/{1}", 2),
               "MatMul": ("{0} @ {1}", 2), "Neg": ("−{0}", 3), "Pow": ("{0}^{1}", 4), "Exp": ("exp({0})", 9),
               "Log": ("ln({0})", 9), "Sqrt": ("√({0})", 9), "Tanh": ("tanh({0})", 9), "ReLU": ("relu({0})", 9),
               "Sum": ("Σ({0})", 9), "Abs": ("|{0}|", 9), "Sigmoid": ("σ({0})", 9), "Clip": ("clip({0})", 9),
               "Softmax": ("softmax({0})", 9), "LogSoftmax": ("log_softmax({0})", 9), "Mean": ("mean({0})", 9),
               "Max": ("max({0})", 9), "Transpose": ("{0}ᵀ", 9), "Reshape": ("reshape({0})", 9),
               "Affine": ("{0}·{1}ᵀ + {2}", 1)}
INFIX = {"Add", "Sub", "Mul", "Div", "Pow", "MatMul"}  # a folded constant joins their symbol: "− y", "0.5 ×"
SUPERSCRIPTS = {2: "²", 3: "³"}
ATOM = 10             # the precedence of a name or a number
LONGEST_NAME = 20     # longer expressions lose their longest operands: "y·ln a + …"


def describe(root: Tensor, *, compact: bool = True, show_values: bool = True, show_grads: bool = True,
             max_nodes: int = 300, highlight: Mapping[Tensor, str] | Iterable[Tensor] | None = None) -> Picture:
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
    uses = Counter(id(parent) for t in tensors for parent in (() if t._op is None else t._op.inputs))
    marked = _highlights(highlight)
    missing = set(marked) - {id(t) for t in tensors if t._op is not None}
    if missing:
        raise ValueError(f"draw_graph: highlight names {len(missing)} tensor(s) that no op of this graph made "
                         "(a leaf, or a tensor outside the graph); expected results of ops on the way to the root")
    drawing = _Drawing(root, index, gradients(root) if show_grads else {}, labels, folded, compact, show_values,
                       marked, uses, all(t.size == 1 for t in tensors) and show_grads)
    nodes, edges = [], []
    for i, t in enumerate(tensors):
        if id(t) not in folded:
            nodes.append(drawing.tensor_node(i, t))
            if t._op is not None:
                nodes.append(drawing.op_node(i, t))
                edges += drawing.edges_of_op(i, t)
    return Picture(nodes, edges, tensors, {id(t): f"t{i}" for i, t in enumerate(tensors)}, root_label, hidden,
                   labels)


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

    def zero(self, t: Tensor) -> bool:
        return t in self.grads and not np.any(self.grads[t])

    def tensor_node(self, i: int, t: Tensor) -> Node:
        kind = "root" if t is self.root else "parameter" if t.is_leaf and t.requires_grad else \
            "intermediate" if t.requires_grad else "constant"
        lines = _tensor_lines(t, i, self.labels[id(self.root)] if self.compact else self.root.name or "",
                              self.labels, self.grads, self.show_values, self.compact)
        return Node(f"t{i}", lines, kind, self.zero(t), f"g{i}" if t in self.grads else None)

    def op_node(self, i: int, t: Tensor) -> Node:
        op_name = type(t._op).__name__
        if not self.compact:
            return Node(f"op{i}", [(op_name,)], "op", self.zero(t), f"g{i}" if t in self.grads else None)
        line = _op_symbol(t, op_name, self.folded, self.labels)
        for c in t._op.inputs:  # a named constant shows its value: "− y  (y = 0)"
            if id(c) in self.folded and c.name:
                line += (f"  ({c.name} = ", Number(f"v{self.index[id(c)]}", c.data), ")")
        return Node(f"op{i}", [line], "op", self.zero(t), f"g{i}" if t in self.grads else None)

    def edges_of_op(self, i: int, t: Tensor) -> list[Edge]:
        """op -> t, and each drawn input -> op with its local derivative (or the chain rule, highlighted)."""
        zero_key = f"g{i}" if t in self.grads else None
        edges = [Edge(f"op{i}", f"t{i}", zero=self.zero(t), zero_key=zero_key)]
        local = local_derivatives(t) if self.local_edges else {}
        passed = contributions(t, self.grads[t]) if t in self.grads else {}
        for k, parent in enumerate(t._op.inputs):
            if id(parent) in self.folded:
                continue
            edge = Edge(f"t{self.index[id(parent)]}" if id(parent) in self.index else "collapsed", f"op{i}",
                        zero=self.zero(t), zero_key=zero_key)
            if k in passed:  # grey when this op passes nothing back to this input
                edge.zero, edge.zero_key = not np.any(passed[k]), f"c{i}.{k}"
            edge.highlighted = id(t) in self.marked and parent.requires_grad
            if k in local and edge.highlighted:  # one-element tensors: the chain rule in numbers
                edge.lines = _chain_rule_lines(t, parent, i, k, local[k], self.marked[id(t)], self.labels,
                                               self.labels[id(self.root)], self.grads[t], passed[k],
                                               self.uses[id(parent)] == 1)
            elif k in local:
                edge.lines = _edge_lines(t, parent, i, k, local[k], self.labels, self.compact, self.root)
            edges.append(edge)
        return edges


def is_constant(t: Tensor) -> bool:
    """A leaf that gets no gradient: data, a target, a number written into an expression."""
    return t._op is None and not t.requires_grad


def nearest_tensors(root: Tensor, max_nodes: int) -> tuple[list[Tensor], int]:
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


def gradients(root: Tensor) -> dict[Tensor, np.ndarray]:
    """d(root)/d(tensor) for every tensor that requires grad (of the sum of root's
    elements), by the engine's backward pass; nothing is written to .grad."""
    if not root.requires_grad:
        return {}
    return dict(backward_pass(root, np.ones(root.shape, dtype=root.dtype)))


def local_derivatives(t: Tensor) -> dict[int, np.ndarray]:
    """d(t)/d(input) for each input that requires grad: the op's vector-Jacobian
    product with 1. Exact for one-element tensors, and elementwise for an
    elementwise op whose input has the output's shape."""
    vjps = t._op.backward(np.ones(t.shape, dtype=t.dtype))
    return {i: unbroadcast(np.asarray(vjp), parent.shape)
            for i, (parent, vjp) in enumerate(zip(t._op.inputs, vjps))
            if vjp is not None and parent.requires_grad}


def contributions(t: Tensor, grad: np.ndarray) -> dict[int, np.ndarray]:
    """What the op that made `t` passes back to each input that requires grad,
    given dL/dt = grad: one term of the chain rule's sum, by the op's backward."""
    return {i: unbroadcast(np.asarray(vjp), parent.shape)
            for i, (parent, vjp) in enumerate(zip(t._op.inputs, t._op.backward(grad)))
            if vjp is not None and parent.requires_grad}


def numbers(root: Tensor, max_nodes: int = 300) -> dict[str, np.ndarray]:
    """Every number a picture of `root` can show, by key ("v3", "g3", "d3.1",
    "c3.1"; see the module docstring). Built on a graph whose tensors hold many
    values at once (one per point of a grid), it gives each number at every
    point: the same keys as `describe` of the same graph built on one point."""
    tensors, _ = nearest_tensors(root, max_nodes)
    grads = gradients(root)
    table: dict[str, np.ndarray] = {}
    for i, t in enumerate(tensors):
        table[f"v{i}"] = t.data
        if t in grads:
            table[f"g{i}"] = grads[t]
        if t._op is None:
            continue
        for k, d in local_derivatives(t).items():
            table[f"d{i}.{k}"] = d
        if t in grads:
            for k, c in contributions(t, grads[t]).items():
                table[f"c{i}.{k}"] = c
    return table


# ------------------------------------------------------------------ names --

def names(tensors: list[Tensor], index: dict[int, int], folded: set[int]) -> dict[int, str]:
    """A name for every tensor: its own, a folded constant's value, or, for an
    unnamed result, its expression in the names of its inputs ("a − y")."""
    found: dict[int, tuple[str, int]] = {}

    def name_of(t: Tensor) -> tuple[str, int]:
        if id(t) not in index:
            return "…", ATOM
        if id(t) in found:
            return found[id(t)]
        stack = [t]
        while stack:  # inputs first, without recursion
            top = stack[-1]
            pending = [p for p in (top._op.inputs if top._op is not None and not top.name else ())
                       if id(p) in index and id(p) not in found]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            found[id(top)] = _name(top, index, folded, found)
        return found[id(t)]

    return {id(t): name_of(t)[0] for t in tensors}


def _name(t: Tensor, index: dict[int, int], folded: set[int], found: dict[int, tuple[str, int]]) -> tuple[str, int]:
    if t.name:
        return t.name, ATOM if _is_word(t.name) else 0  # "1 − y" is parenthesised
    if t._op is None:
        if id(t) in folded or (t.size == 1 and not t.requires_grad):
            return _number_text(t.data), ATOM
        return ("", ATOM) if not t.requires_grad else (f"t{index[id(t)]}", ATOM)  # data needs no name; a gradient does
    op_name = type(t._op).__name__
    generic = (SYMBOLS.get(op_name, op_name).lower() + "(" + ", ".join(f"{{{k}}}" for k in range(len(t._op.inputs)))
               + ")", ATOM)
    template, precedence = EXPRESSIONS.get(op_name, generic)
    if template.count("{") != len(t._op.inputs):  # e.g. Affine without a bias
        template, precedence = generic
    operands = [found.get(id(p)) or ("…", ATOM) for p in t._op.inputs]
    operands = [("…", ATOM) if not text else (text, p) for text, p in operands]  # unnamed data reads "…"
    if op_name == "Pow" and id(t._op.inputs[1]) in folded and t._op.inputs[1].data.item() in SUPERSCRIPTS:
        template, operands = "{0}" + SUPERSCRIPTS[t._op.inputs[1].data.item()], operands[:1]
    enclosed = "({0})" in template or "|{0}|" in template  # σ(a − y) needs no more parentheses
    texts = [text if enclosed or p > precedence or (p == precedence and k == 0 and precedence in (1, 2))
             else f"({text})" for k, (text, p) in enumerate(operands)]
    fill = lambda parts: template.format(*parts)
    for longest in sorted(range(len(texts)), key=lambda k: -len(texts[k])):
        if len(fill(texts)) <= LONGEST_NAME:
            break
        texts[longest] = "…"  # "y·ln a + …": the longest operand goes first
    return fill(texts), precedence


def _number_text(array: np.ndarray) -> str:
    return f"{array.item() + 0:.4g}" if array.size == 1 else str(array.shape)


def _op_symbol(t: Tensor, op_name: str, folded: set[int], labels: dict[int, str]) -> Line:
    """The op in mathematics, with its folded constants: "− y", "0.5 ×", "^2", "σ"."""
    symbol = SYMBOLS.get(op_name, op_name)
    inputs = t._op.inputs
    if op_name == "Clip":
        lo, hi = getattr(t._op, "lo", None), getattr(t._op, "hi", None)
        low, high = ("-∞" if lo is None else f"{float(lo):.2g}"), ("∞" if hi is None else f"{float(hi):.2g}")
        return (f"clip [{low}, {high}]",)
    if op_name not in INFIX:
        return (symbol,)
    if len(inputs) == 2 and id(inputs[1]) in folded:
        return (f"{symbol} {wrapped(labels[id(inputs[1])])}",) if op_name != "Pow" else \
            (f"^{labels[id(inputs[1])]}",)
    if len(inputs) == 2 and id(inputs[0]) in folded:
        return (f"{wrapped(labels[id(inputs[0])])} {symbol}",)
    return (symbol,)


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


def wrapped(name: str) -> str:
    """A name inside ∂L/∂(…): parenthesised when it holds an operator ("a − y", "w·x", "a²")."""
    return f"({name})" if any(sign in name for sign in " ·/@^+−-²³ᵀ|") else name


def _is_word(name: str | None) -> bool:
    """A name that needs no parentheses: "x", "w_1", a parameter's dotted name "0.weight"."""
    return bool(name) and name.replace("_", "").replace(".", "").isalnum()


def _edge_lines(t: Tensor, parent: Tensor, i: int, k: int, derivative: np.ndarray, labels: dict[int, str],
                compact: bool, root: Tensor) -> list[Line]:
    """The local derivative d(out)/d(parent), named when both names are short
    words and out is not the root (∂L/∂x on an edge would read as L's gradient)."""
    out, into = labels.get(id(t)), labels.get(id(parent))
    number = Number(f"d{i}.{k}", derivative)
    short = _is_word(out) and _is_word(into) and len(out + into) <= 4 and t is not root
    if out and into and (not compact or short):
        return [(f"{'local ' if not compact else ''}∂{wrapped(out)}/∂{wrapped(into)} = ", number)]
    return [("local " if not compact else "× ", number)]


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


def _highlights(highlight: Mapping[Tensor, str] | Iterable[Tensor] | None) -> dict[int, str]:
    expected = "tensors, or a dict from a tensor to the name of its local derivative like {a: 'σ′'}"
    if highlight is None:
        return {}
    if isinstance(highlight, Tensor):
        highlight = [highlight]
    if isinstance(highlight, Mapping):
        items = list(highlight.items())
    elif isinstance(highlight, Iterable) and not isinstance(highlight, str):
        items = [(t, "") for t in highlight]
    else:
        raise TypeError(f"draw_graph: highlight takes {expected}, got {type(highlight).__name__}")
    for t, name in items:
        if not isinstance(t, Tensor) or not isinstance(name, str):
            raise TypeError(f"draw_graph: highlight takes {expected}, got {type(t).__name__}: {type(name).__name__}")
    return {id(t): name for t, name in items}
