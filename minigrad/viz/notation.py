"""How a picture writes ops and names tensors, as in mathematics.

Each op has a symbol for its node ("×", "σ", "x·Wᵀ + b") and an expression
that names an unnamed result from the names of its inputs ("a − y",
"(a − y)²", "σ(w·x + b)"), with the precedence that decides parentheses;
the local derivatives of the activations have names of their own (σ′).
`names` gives every tensor of a picture its name; `op_symbol` writes an op
with the constants folded into it ("− y", "0.5 ×", "^2"). graph_picture
decides what a picture shows, this module how it reads.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.tensor import Tensor

# How each op reads in mathematics: its symbol on op nodes, and its expression
# (with the precedence that decides parentheses) in the names of unnamed tensors.
SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "÷", "Neg": "−", "Pow": "^", "MatMul": "@", "Exp": "exp",
           "Log": "ln", "Sqrt": "√", "Abs": "| |", "Sigmoid": "σ", "Tanh": "tanh", "ReLU": "relu", "Sum": "Σ",
           "Mean": "mean", "Max": "max", "Softmax": "softmax", "LogSoftmax": "log_softmax", "Clip": "clip",
           "Affine": "x·Wᵀ + b", "Reshape": "reshape", "Transpose": "transpose", "GetItem": "[ ]",
           "FusedMSE": "MSE", "FusedL1": "L1", "FusedHuber": "Huber", "FusedBCE": "BCE",
           "FusedBCEWithLogits": "BCE on logits", "FusedCrossEntropy": "cross-entropy", "FusedNLL": "NLL",
           "FusedKLDiv": "KL", "FusedMultiMargin": "hinge", "Conv2d": "conv2d", "MaxPool2d": "max pool",
           "Im2Col": "im2col", "Col2Im": "col2im"}
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

# The names of the local derivatives of the activations, on the edges into them.
PRIMES = {"Sigmoid": "σ′", "Tanh": "tanh′", "ReLU": "relu′"}


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
        return t.name, ATOM if is_word(t.name) else 0  # "1 − y" is parenthesised
    if t._op is None:
        if id(t) in folded or (t.size == 1 and not t.requires_grad):
            return constant_text(t.data), ATOM
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


def constant_text(array: np.ndarray) -> str:
    """A constant inside a name: its value ("0.5"), or its shape when it holds several."""
    return f"{array.item() + 0:.4g}" if array.size == 1 else str(array.shape)


def op_symbol(t: Tensor, op_name: str, folded: set[int], labels: dict[int, str]) -> tuple[str]:
    """The op in mathematics, with its folded constants: "− y", "0.5 ×", "^2", "σ"."""
    symbol = SYMBOLS.get(op_name, op_name)
    inputs = t._op.inputs
    if op_name == "Clip":
        lo, hi = getattr(t._op, "lo", None), getattr(t._op, "hi", None)
        low, high = ("-∞" if lo is None else f"{float(lo):.2g}"), ("∞" if hi is None else f"{float(hi):.2g}")
        return (f"clip [{low}, {high}]",)
    if op_name == "Affine" and len(inputs) == 2:  # a layer without a bias
        return ("x·Wᵀ",)
    if op_name not in INFIX:
        return (symbol,)
    if len(inputs) == 2 and id(inputs[1]) in folded:
        return (f"{symbol} {wrapped(labels[id(inputs[1])])}",) if op_name != "Pow" else \
            (f"^{labels[id(inputs[1])]}",)
    if len(inputs) == 2 and id(inputs[0]) in folded:
        return (f"{wrapped(labels[id(inputs[0])])} {symbol}",)
    return (symbol,)


def wrapped(name: str) -> str:
    """A name inside ∂L/∂(…): parenthesised when it holds an operator ("a − y", "w·x", "a²")."""
    return f"({name})" if any(sign in name for sign in " ·/@^+−-²³ᵀ|") else name


def is_word(name: str | None) -> bool:
    """A name that needs no parentheses: "x", "w_1", a parameter's dotted name "0.weight"."""
    return bool(name) and name.replace("_", "").replace(".", "").isalnum()
