"""How a picture writes ops and names tensors, as in mathematics.

Each op describes itself (its class attributes, or properties that read its
inputs and params: see Op in core/op.py): a
symbol for its node ("×", "σ", "x·Wᵀ + b"), an expression that names an
unnamed result from the names of its inputs ("a − y", "(a − y)²",
"σ(w·x + b)") with the precedence that decides parentheses, and, for the
activations, the name of its local derivative (σ′). `names` gives every
tensor of a picture its name; `op_symbol` writes an op with the constants
folded into it ("− y", "0.5 ×", "^2"). graph_picture decides what a picture
shows, this module how it reads.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.op import Op
from minigrad.core.tensor import Tensor

SUPERSCRIPTS = {2: "²", 3: "³"}  # a constant exponent of 2 or 3 is written as one: "a²"
ATOM = 10             # the precedence of a name or a number
LONGEST_NAME = 20     # longer expressions lose their longest operands: "y·ln a + …"


def symbol_of(op: Op) -> str:
    """The op's symbol, or its class name when it has none.

    >>> from minigrad import Tensor
    >>> symbol_of((Tensor(2.0, requires_grad=True) * 3).grad_fn)
    '×'
    """
    return op.symbol or type(op).__name__


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
            pending = [p for p in (top.grad_fn.inputs if top.grad_fn is not None and not top.name else ())
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
        return t.name, ATOM if is_word(t.name) else 0  # "1 − y" is parenthesised
    op = t.grad_fn
    if op is None:
        if id(t) in folded or (t.size == 1 and not t.requires_grad):
            return constant_text(t.data), ATOM
        return ("", ATOM) if not t.requires_grad else (f"t{index[id(t)]}", ATOM)  # data needs no name; a gradient does
    template, precedence = op.expression, op.precedence
    if template is None or template.count("{") != len(op.inputs):  # the op as a function: "cast(x)"
        template, precedence = symbol_of(op).lower() + "(" + ", ".join(f"{{{k}}}" for k in range(len(op.inputs))) \
            + ")", ATOM
    operands = [found.get(id(p)) or ("…", ATOM) for p in op.inputs]
    operands = [("…", ATOM) if not text else (text, p) for text, p in operands]  # unnamed data reads "…"
    exponent = op.inputs[-1]
    if template == "{0}^{1}" and id(exponent) in folded and exponent.data.item() in SUPERSCRIPTS:
        template, operands = "{0}" + SUPERSCRIPTS[exponent.data.item()], operands[:1]
    enclosed = "({0})" in template or "|{0}|" in template  # σ(a − y) needs no more parentheses
    texts = [text if enclosed or p > precedence or (p == precedence and k == 0 and precedence in (1, 2))
             else f"({text})" for k, (text, p) in enumerate(operands)]
    fill = lambda parts: template.format(*parts)
    for longest in sorted(range(len(texts)), key=lambda k: -len(texts[k])):
        if len(fill(texts)) <= LONGEST_NAME:
            break
        texts[longest] = "…"  # "y·ln a + …": the longest operand goes first
    return fill(texts), precedence


def constant_text(array: np.ndarray) -> str:
    """A constant inside a name: its value ("0.5"), or its shape when it holds several."""
    return f"{array.item() + 0:.4g}" if array.size == 1 else str(array.shape)


def op_symbol(op: Op, folded: set[int], labels: dict[int, str]) -> tuple[str]:
    """The op in mathematics, with its folded constants: "− y", "0.5 ×", "^2", "σ"."""
    symbol, inputs = symbol_of(op), op.inputs
    if not op.infix:
        return (symbol,)
    if len(inputs) == 2 and id(inputs[1]) in folded:
        if symbol == "^":  # an exponent joins its symbol: "^2"
            return (f"^{labels[id(inputs[1])]}",)
        return (f"{symbol} {wrapped(labels[id(inputs[1])])}",)
    if len(inputs) == 2 and id(inputs[0]) in folded:
        return (f"{wrapped(labels[id(inputs[0])])} {symbol}",)
    return (symbol,)


def wrapped(name: str) -> str:
    """A name inside ∂L/∂(…): parenthesised when it holds an operator ("a − y", "w·x", "a²")."""
    return f"({name})" if any(sign in name for sign in " ·/@^+−-²³ᵀ|") else name


def is_word(name: str | None) -> bool:
    """A name that needs no parentheses: "x", "w_1", a parameter's dotted name "0.weight"."""
    return bool(name) and name.replace("_", "").replace(".", "").isalnum()
