"""The random cases each exercise is checked on: shapes and values drawn by hypothesis, in float64.

A case gets the learner's module and `draw` (hypothesis's `data.draw`) and returns a `Case`: for an op
exercise, a small graph whose root blame walks (each output weighted by a random constant, so that the
gradient arriving at the learner's op is random too); for the others (unbroadcast, walk, mse, linear, sgd),
it compares with minigrad's own behaviour itself and raises `Mismatch`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import strategies as st

from minigrad import optim
from minigrad.core.backward import backward_pass, unbroadcast
from minigrad.core.tensor import Tensor
from minigrad.functional import linear, mse_loss

Draw = Callable[[st.SearchStrategy], Any]


@dataclass
class Case:
    """What one random case checked: its root (for blame and the picture) and its inputs, in words."""

    root: Tensor | None
    inputs: str
    learner_ops: tuple[type, ...] = ()


@dataclass
class Mismatch(Exception):
    """A non-op exercise gave something other than minigrad's own behaviour."""

    inputs: str
    what: str                 # what was compared: "dL/dx", "the value after step 2"
    expected: np.ndarray
    got: np.ndarray
    diagnosis: str | None = None
    root: Tensor | None = field(default=None, repr=False)


@dataclass
class Raised(Exception):
    """The learner's code raised on these inputs."""

    inputs: str
    error: Exception


def learners(inputs: str, function: Callable, *args: Any) -> Any:
    """function(*args), the learner's code: an error it raises (other than the stub's) becomes Raised."""
    try:
        return function(*args)
    except NotImplementedError:
        raise
    except Exception as error:  # a learner's code may fail in any way: say how, on which inputs
        raise Raised(inputs, error) from error


def _rng(draw: Draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))


def _shape(draw: Draw, min_dims: int = 1, max_dims: int = 3, max_side: int = 4) -> tuple[int, ...]:
    """A shape of sides 2 to max_side: a shrunk failing case keeps two elements, enough to tell a constant factor
    from a wrong formula."""
    return tuple(draw(st.lists(st.integers(2, max_side), min_size=min_dims, max_size=max_dims)))


def _broadcast_pair(draw: Draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast: the second drops leading axes of the first and sets some to 1 (maybe swapped)."""
    full = _shape(draw)
    dropped = draw(st.integers(0, len(full) - 1))
    small = tuple(1 if draw(st.booleans()) else n for n in full[dropped:])
    return (small, full) if draw(st.booleans()) else (full, small)


def _leaf(values: np.ndarray, name: str) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


def _weighted(rng: np.random.Generator, *outputs: Tensor) -> Tensor:
    """Σ w·out over the outputs, w random constants: a root whose gradient at each output is w."""
    terms = [(out * Tensor(rng.normal(size=out.shape), name="w")).sum() for out in outputs]
    root = terms[0]
    for term in terms[1:]:
        root = root + term
    root.name = "L"
    return root


def _named(root: Tensor) -> Tensor:
    root.name = "L"
    return root


def _words(**tensors: Tensor) -> str:
    return ", ".join(f"{name} {tuple(t.shape)}" for name, t in tensors.items())


def binary(op_name: str, low: float | None = None) -> Callable[[ModuleType, Draw], Case]:
    """a ∘ b on two broadcasting shapes; b's values in ±[low, 2] when `low` is given (a divisor, an exponent's base)."""
    def case(module: ModuleType, draw: Draw) -> Case:
        rng, (shape_a, shape_b) = _rng(draw), _broadcast_pair(draw)
        op = getattr(module, op_name)
        if op_name == "Pow":  # a positive base: ln a exists
            a, b = _leaf(rng.uniform(0.5, 2.0, shape_a), "a"), _leaf(rng.normal(size=shape_b), "b")
        else:
            b_values = rng.normal(size=shape_b) if low is None else \
                rng.choice([-1.0, 1.0], shape_b) * rng.uniform(low, 2.0, shape_b)
            a, b = _leaf(rng.normal(size=shape_a), "a"), _leaf(b_values, "b")
        return Case(_weighted(rng, op.apply(a, b)), _words(a=a, b=b), (op,))
    return case


def unary(*op_names: str, positive: bool = False, away_from_zero: bool = False, axis: bool = False,
          max_dims: int = 3) -> Callable[[ModuleType, Draw], Case]:
    """Each op on its own random input: positive (for log), away from 0 (relu's kink), along a random axis."""
    def case(module: ModuleType, draw: Draw) -> Case:
        rng, outputs, inputs = _rng(draw), [], []
        for op_name in op_names:
            shape = _shape(draw, min_dims=2 if axis else 1, max_dims=max_dims)
            values = rng.uniform(0.2, 3.0, shape) if positive and op_name == "Log" else rng.normal(size=shape)
            if away_from_zero:
                values = np.sign(values) * (np.abs(values) + 0.1)
            z = _leaf(values, "z")
            params = {"axis": draw(st.integers(-len(shape), len(shape) - 1))} if axis else {}
            outputs.append(getattr(module, op_name).apply(z, **params))
            inputs.append(f"{op_name} of z {shape}" + (f" along axis {params['axis']}" if axis else ""))
        return Case(_weighted(rng, *outputs), ", ".join(inputs), tuple(getattr(module, n) for n in op_names))
    return case


def reductions(module: ModuleType, draw: Draw) -> Case:
    """Sum and Mean of a random shape over a random set of axes (or all), keepdims or not."""
    rng, outputs, inputs = _rng(draw), [], {}
    for op_name in ("Sum", "Mean"):
        shape = _shape(draw)
        axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
        x = _leaf(rng.normal(size=shape), "x")
        keepdims = draw(st.booleans())
        outputs.append(getattr(module, op_name).apply(x, axis=tuple(axes) or None, keepdims=keepdims))
        inputs[f"{op_name} over axes {tuple(axes) or 'all'}{', keepdims' if keepdims else ''} of x"] = x
    return Case(_weighted(rng, *outputs), _words(**inputs), (module.Sum, module.Mean))


def matmul(module: ModuleType, draw: Draw) -> Case:
    """(n, k) @ (k, m), or batched (B, n, k) @ (B or 1, k, m)."""
    rng = _rng(draw)
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.sampled_from([(), (2,), (3,)]))
    batch_b = batch if not batch or draw(st.booleans()) else (1,)
    a, b = _leaf(rng.normal(size=batch + (n, k)), "a"), _leaf(rng.normal(size=batch_b + (k, m)), "b")
    return Case(_weighted(rng, module.MatMul.apply(a, b)), _words(a=a, b=b), (module.MatMul,))


def bce(module: ModuleType, draw: Draw) -> Case:
    """The learner's fused BCE, mean over the elements, on probabilities in [0.05, 0.95] (no clamping needed)."""
    rng, shape = _rng(draw), _shape(draw)
    p, y = _leaf(rng.uniform(0.05, 0.95, shape), "p"), Tensor(rng.uniform(0, 1, shape), name="y")
    loss = module.FusedBCE.apply(p, y, reduction="mean", divisor=p.size, weight=1.0)
    return Case(_named(loss * float(rng.uniform(0.5, 2))), _words(p=p, y=y), (module.FusedBCE,))


def cross_entropy(module: ModuleType, draw: Draw) -> Case:
    """The learner's fused cross-entropy, mean over the rows, on logits (N, C) against one-hot rows."""
    rng, rows, classes = _rng(draw), draw(st.integers(1, 4)), draw(st.integers(2, 4))
    z = _leaf(rng.normal(size=(rows, classes)), "z")
    t = Tensor(np.eye(classes)[rng.integers(0, classes, rows)], name="y")
    loss = module.FusedCrossEntropy.apply(z, t, reduction="mean", divisor=rows, rows_sum_to_one=True, masked=False)
    return Case(_named(loss * float(rng.uniform(0.5, 2))), _words(z=z, y=t), (module.FusedCrossEntropy,))


def compare(inputs: str, what: str, expected: Any, got: Any, root: Tensor | None = None) -> None:
    """Raise Mismatch unless `got` equals `expected` (float64, to 1e-7 relative)."""
    expected = np.asarray(expected, dtype=np.float64)
    got_array = np.asarray(got.data if isinstance(got, Tensor) else got, dtype=np.float64)
    if got_array.shape != expected.shape:
        try:  # the expected shape broadcast to the one got: the summing back was forgotten
            broadcast = np.broadcast_shapes(expected.shape, got_array.shape) == got_array.shape
        except ValueError:
            broadcast = False
        raise Mismatch(inputs, what, expected, got_array, "broadcast" if broadcast else "shape", root)
    if not np.allclose(got_array, expected, rtol=1e-7, atol=1e-9):
        raise Mismatch(inputs, what, expected, got_array, diagnose(expected, got_array), root)


def diagnose(expected: np.ndarray, got: np.ndarray) -> str | None:
    """"sign" or "factor" when `got` is -1 or another constant times `expected`, of the same shape; else None.
    (A constant factor needs two elements to be seen: any one number is a multiple of another.)

    >>> diagnose(np.array([1.0, 2.0]), np.array([-1.0, -2.0])), diagnose(np.array([1.0, 2.0]), np.array([3.0, 6.0]))
    ('sign', 'factor')
    """
    if np.allclose(got, -expected, rtol=1e-5, atol=1e-8):
        return "sign"
    nonzero = np.abs(expected) > 1e-6
    if nonzero.sum() > 1:
        ratio = got[nonzero] / expected[nonzero]
        if np.allclose(ratio, ratio[0], rtol=1e-5) and not np.isclose(ratio[0], 1):
            return "factor"
    return None


def unbroadcasting(module: ModuleType, draw: Draw) -> Case:
    """A gradient of a broadcast shape, and a smaller shape it came from (leading axes dropped, some set to 1)."""
    rng, full = _rng(draw), _shape(draw, min_dims=2)
    dropped = draw(st.integers(0, len(full) - 1))
    shape = (1,) + tuple(1 if draw(st.booleans()) else n for n in full[dropped + 1:])  # one axis stretched, at least
    grad = rng.normal(size=full)
    inputs = f"grad {full} back to shape {shape}"
    compare(inputs, f"unbroadcast(grad, {shape})", unbroadcast(grad, shape),
            learners(inputs, module.unbroadcast, grad.copy(), shape))
    return Case(None, inputs)


def diamond(x: Tensor) -> Tensor:
    """a = 2x, b = x², c = a·b, then Σ c: x feeds two ops, whose gradients must add up at x."""
    a = x * 2.0
    a.name = "a"
    b = x * x
    b.name = "b"
    c = a * b
    c.name = "c"
    return c.sum()


def walk(module: ModuleType, draw: Draw) -> Case:
    """The learner's walk on the diamond, then on a random chain of ops that reuse earlier results."""
    rng = _rng(draw)
    x = _leaf(rng.normal(size=_shape(draw, max_dims=2)), "x")
    roots = [diamond(x)]
    nodes = [x]
    for step in range(draw(st.integers(2, 6))):
        left, right = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        made = draw(st.sampled_from(["mul", "add", "tanh"]))
        node = left * right if made == "mul" else left + right if made == "add" else left.tanh()
        node.name = f"t{step + 1}"
        nodes.append(node)
    roots.append(nodes[-1].sum())
    for root, words in zip(roots, [f"the diamond a = 2x, b = x², c = a·b on x {x.shape}",
                                   f"a random graph of {len(nodes) - 1} ops on x {x.shape}"]):
        expected = dict(backward_pass(root, np.ones_like(root.data)))
        uses = Counter(p for t in expected if t._op is not None for p in t._op.inputs)
        got = learners(words, module.backward, root)
        for tensor in expected:  # outputs before inputs, as backward reaches them
            what = f"dL/d{tensor.name or 'tensor'}"
            if tensor not in got:
                raise Mismatch(words, what, expected[tensor], np.full_like(expected[tensor], np.nan), "order", root)
            try:
                compare(words, what, expected[tensor], got[tensor], root)
            except Mismatch as mismatch:
                if uses[tensor] > 1:  # it feeds several ops: their shares did not add up
                    mismatch.diagnosis = "accumulation"
                    mismatch.what += f" ({tensor.name or 'it'} feeds {uses[tensor]} ops)"
                raise
    return Case(None, f"x {x.shape}")


def mse(module: ModuleType, draw: Draw) -> Case:
    """The learner's MSE from primitives: its dL/dx, then its value, against minigrad's mse_loss."""
    rng, shape = _rng(draw), _shape(draw)
    x, y = _leaf(rng.normal(size=shape), "x"), Tensor(rng.normal(size=shape), name="y")
    inputs = _words(x=x, y=y)
    loss = learners(inputs, module.mse, x, y)
    expected = dict(backward_pass(mse_loss(x, y), np.ones(())))[x]
    compare(inputs, "dL/dx", expected, dict(backward_pass(loss, np.ones(()))).get(x, np.zeros_like(x.data)), loss)
    compare(inputs, "the loss", mse_loss(x, y).data, loss, loss)
    return Case(None, inputs)


def linear_layer(module: ModuleType, draw: Draw) -> Case:
    """The learner's Linear against minigrad's x Wᵀ + b with the same W and b: output, then dL/dW, dL/db, dL/dx."""
    rng = _rng(draw)
    batch, features_in, features_out = (draw(st.integers(2, 4)) for _ in range(3))
    x = _leaf(rng.normal(size=(batch, features_in)), "x")
    inputs = f"x {x.shape} into Linear({features_in} -> {features_out})"
    layer = learners(inputs, module.Linear, features_in, features_out)
    weight, bias = _leaf(layer.weight.data, "W"), _leaf(layer.bias.data, "b")
    expected_out = linear(x, weight, bias)
    out = learners(inputs, layer, x)
    try:
        compare(inputs, "the output", expected_out.data, out)
    except Mismatch as mismatch:
        if mismatch.got.shape == mismatch.expected.shape and np.allclose(mismatch.got, x.data @ weight.data +
                                                                         bias.data):
            mismatch.diagnosis = "transpose"  # x W + b, with W square: the shapes could not tell
        raise
    w_out = rng.normal(size=expected_out.shape)
    expected = dict(backward_pass(expected_out, w_out))
    got = dict(backward_pass(out, w_out))
    for name, mine, theirs in (("W", weight, layer.weight), ("b", bias, layer.bias), ("x", x, x)):
        compare(inputs, f"dL/d{name}", expected[mine], got.get(theirs, np.zeros_like(theirs.data)))
    return Case(None, inputs)


def sgd(module: ModuleType, draw: Draw) -> Case:
    """Three steps of the learner's SGD and of minigrad's on the same parameters and gradients."""
    rng = _rng(draw)
    lr, momentum = draw(st.sampled_from([0.1, 0.05])), draw(st.sampled_from([0.0, 0.5, 0.9]))
    weight_decay = draw(st.sampled_from([0.0, 0.01]))
    shapes = [_shape(draw, max_dims=2) for _ in range(2)]
    start = [rng.normal(size=shape) for shape in shapes]
    mine = [Tensor(v.copy(), requires_grad=True) for v in start]
    theirs = [Tensor(v.copy(), requires_grad=True) for v in start]
    reference = optim.SGD(mine, lr=lr, momentum=momentum, weight_decay=weight_decay)
    learner = module.SGD(theirs, lr=lr, momentum=momentum, weight_decay=weight_decay)
    inputs = f"lr={lr}, momentum={momentum}, weight_decay={weight_decay}, parameters {shapes[0]} and {shapes[1]}"
    for step in range(1, 4):
        before = [a.data.copy() for a in mine]
        for a, b in zip(mine, theirs):
            a.grad = rng.normal(size=a.shape)
            b.grad = a.grad.copy()
        reference.step()
        learners(inputs, learner.step)
        for i, (a, b, value) in enumerate(zip(mine, theirs, before)):  # the change, so that a sign shows
            compare(inputs, f"the change of parameter {i} at step {step}", a.data - value, b.data - value)
    return Case(None, inputs)


CASES: dict[str, Callable[[ModuleType, Draw], Case]] = {
    "mul": binary("Mul"),
    "div": binary("Div", low=0.5),
    "pow": binary("Pow"),
    "exp_log": unary("Exp", "Log", positive=True),
    "walk": walk,
    "unbroadcast": unbroadcasting,
    "sum_mean": reductions,
    "matmul": matmul,
    "sigmoid": unary("SigmoidOp"),
    "tanh": unary("TanhOp"),
    "relu": unary("ReLUOp", away_from_zero=True),
    "softmax": unary("SoftmaxOp", axis=True, max_dims=2),
    "log_softmax": unary("LogSoftmaxOp", axis=True, max_dims=2),
    "mse": mse,
    "bce": bce,
    "cross_entropy": cross_entropy,
    "linear": linear_layer,
    "sgd": sgd,
}
