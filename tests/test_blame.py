"""Gradient blame (mg.blame): every op's backward checked on its own against finite differences of its
forward, with the gradient that arrived; the wrong edges named in backward order, with what kind of
mistake each is; no false blame on correct graphs; kinks reported as unchecked, not wrong."""

from __future__ import annotations

import time

import numpy as np
import pytest
from op_cases import CASES

import minigrad as mg
import minigrad.functional as F
from minigrad import Op, Tensor

RNG = np.random.default_rng(0)


def leaf(*shape, positive=False, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return Tensor(np.abs(x) + 0.5 if positive else x, requires_grad=True)


# ------------------------------------------------------------ wrong rules --
class SquareWrongSign(Op):
    saves = ("a",)

    def forward(self, a):
        return a * a

    def backward(self, grad):
        (a,) = self.saved
        return (-2 * a * grad,)


class MeanTwice(Op):
    def forward(self, a):
        self.n, self.shape = a.size, a.shape
        return a.mean()

    def backward(self, grad):
        return (np.broadcast_to(grad / self.n / self.n, self.shape),)  # divides by N a second time


class MatMulTransposed(Op):
    saves = ("a", "b")

    def forward(self, a, b):
        return a @ b

    def backward(self, grad):
        a, b = self.saved
        return (b @ grad.T, a.T @ grad)  # ∂L/∂A should be grad @ bᵀ


class MulNoFactor(Op):
    saves = ("a", "b")

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return (grad, grad * a)  # ∂L/∂a lacks × b


class MulNotSummed(Op):
    saves = ("a", "b")

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return (grad * b, grad * a)  # right values, the output's shape for a broadcast b


class SumWrongShape(Op):
    def forward(self, a):
        return a.sum(axis=1)

    def backward(self, grad):
        return (grad,)  # shape (3,) for an input of shape (3, 4)


class SigmoidAsSigma(Op):
    saves = ("out",)

    def forward(self, a):
        return 1 / (1 + np.exp(-a))

    def backward(self, grad):
        (s,) = self.saved
        return (grad * s,)  # σ′ written as σ


class RaisingBackward(Op):
    def forward(self, a):
        return a * 2

    def backward(self, grad):
        raise NotImplementedError("write the backward of RaisingBackward")


class IgnoresGrad(Op):
    saves = ("a",)

    def forward(self, a):
        return a * a

    def backward(self, grad):
        (a,) = self.saved
        return (2 * a,)  # the local derivative alone: right only when ones arrive


def only_wrong(report):
    assert len(report.wrong) == 1, str(report)
    return report.wrong[0]


def test_a_rule_with_the_sign_wrong_is_blamed_with_the_diagnosis_sign():
    entry = only_wrong(mg.blame(SquareWrongSign.apply(leaf(3)).exp().sum()))
    assert (entry.op.name(), entry.input, entry.diagnosis) == ("squarewrongsign", 0, "sign")
    assert entry.got == pytest.approx(-entry.expected, rel=1e-4)


def test_a_mean_divided_by_n_twice_is_blamed_as_a_factor_asking_if_it_averaged_twice():
    entry = only_wrong(mg.blame(MeanTwice.apply(leaf(3, 4))))
    assert entry.diagnosis == "factor" and "1/12" in entry.advice and "average twice" in entry.advice


def test_a_transposed_matmul_gradient_is_blamed_as_a_transpose():
    entry = only_wrong(mg.blame(MatMulTransposed.apply(leaf(3, 4), leaf(4, 5, seed=1)).sum()))
    assert (entry.input, entry.diagnosis, entry.got) == (0, "transpose", None)


def test_a_square_transposed_gradient_is_blamed_as_a_transpose_too():
    entry = only_wrong(mg.blame(MatMulTransposed.apply(leaf(3, 3), leaf(3, 3, seed=1)).tanh().sum()))
    assert entry.diagnosis == "transpose"


def test_a_gradient_passed_through_without_the_local_derivative_is_a_missing_factor():
    entry = only_wrong(mg.blame(MulNoFactor.apply(leaf(3, 4), leaf(3, 4, seed=1)).sum()))
    assert (entry.input, entry.diagnosis) == (0, "missing factor")


def test_with_strict_shapes_a_gradient_not_summed_back_to_a_broadcast_input_is_blamed_as_broadcast():
    root = MulNotSummed.apply(leaf(3, 4), leaf(4, seed=1)).sum()
    entry = only_wrong(mg.blame(root, strict_shapes=True))
    assert (entry.input, entry.diagnosis) == (1, "broadcast") and ".sum(axis=0" in entry.advice


def test_without_strict_shapes_the_walk_sums_a_broadcast_gradient_back_and_nothing_is_blamed():
    assert mg.blame(MulNotSummed.apply(leaf(3, 4), leaf(4, seed=1)).sum()).ok


def test_a_gradient_of_a_shape_that_cannot_be_the_inputs_is_blamed_as_shape():
    entry = only_wrong(mg.blame(SumWrongShape.apply(leaf(3, 4)).sum()))
    assert entry.diagnosis == "shape" and "(3,)" in entry.advice and "(3, 4)" in entry.advice


def test_sigma_prime_written_as_sigma_shows_both_local_derivatives_at_one_element():
    x = leaf(5)
    entry = only_wrong(mg.blame(SigmoidAsSigma.apply(x).sum()))
    s = 1 / (1 + np.exp(-x.data[entry.index]))
    assert entry.diagnosis is None
    assert f"should be {s * (1 - s):.6g}, the rule's is {s:.6g}" in entry.advice


def test_a_rule_that_ignores_grad_is_blamed_even_where_ones_arrive():
    entry = only_wrong(mg.blame(IgnoresGrad.apply(leaf(3)).sum()))
    assert entry.diagnosis == "ignores grad" and "does it use grad at all?" in entry.advice


def test_a_rule_returning_its_local_derivative_alone_is_blamed_as_ignoring_grad():
    x = leaf(3)
    entry = only_wrong(mg.blame(IgnoresGrad.apply(x), grad=np.array([0.5, -2.0, 3.0])))
    assert entry.diagnosis == "ignores grad" and "which it ignores" in entry.advice


def test_a_backward_that_raises_is_blamed_with_its_error():
    entry = only_wrong(mg.blame(RaisingBackward.apply(leaf(2)).sum()))
    assert entry.diagnosis == "raises" and "NotImplementedError: write the backward" in str(entry)
    assert isinstance(entry.error, NotImplementedError)


def test_the_report_names_the_first_wrong_op_in_backward_order_and_checks_the_ops_below_it():
    x = leaf(4)
    root = SquareWrongSign.apply(MeanTwice.apply(x).reshape(1) * x).sum()  # backward meets the square first
    report = mg.blame(root)
    assert [entry.op.name() for entry in report.wrong] == ["squarewrongsign", "meantwice"]
    assert "first goes wrong at step 2, the backward of squarewrongsign (4,)" in str(report)


def test_a_vanished_gradient_still_shows_a_wrong_rule():
    x = leaf(4)
    y = SigmoidAsSigma.apply(x)
    for _ in range(300):
        y = (y * 0.9).tanh()  # the gradient reaching the sigmoid is about 1e-14
    assert [entry.op.name() for entry in mg.blame(y.sum()).wrong] == ["sigmoidassigma"]


def test_one_wrong_op_in_a_1000_node_graph_is_found_in_under_5_seconds():
    x = leaf(8)
    y = x
    for k in range(333):
        y = (SigmoidAsSigma.apply(y) if k == 200 else (y * 0.5).tanh()) + x * 0.01
    start = time.perf_counter()
    report = mg.blame(y.sum())
    assert time.perf_counter() - start < 5
    assert report.checked >= 998 and [entry.op.name() for entry in report.wrong] == ["sigmoidassigma"]


def test_relu_hit_exactly_at_its_kink_is_unchecked_not_wrong():
    report = mg.blame((leaf(3, 4) * 0).relu().sum())
    assert report.ok and [u.op.name() for u in report.unchecked] == ["relu"]
    assert "not differentiable" in report.unchecked[0].reason


def test_max_with_ties_is_not_blamed():  # ties share the gradient: what central differences give there too
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]]), requires_grad=True)
    assert mg.blame(x.max(axis=1).sum()).ok


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_no_built_in_op_is_blamed(case):
    for seed in range(2):
        xs = [Tensor(a, requires_grad=True) for a in case.inputs(seed=seed)]
        out = case.minigrad(*xs)
        seed_grad = np.random.default_rng(seed).standard_normal(out.shape)
        report = mg.blame(out, seed_grad)
        assert report.ok, str(report)


def random_graph(rng: np.random.Generator) -> Tensor:
    """A random correct graph: a few ops of every kind on a random shape (broadcasting, repeated indices,
    reductions, matmul, losses, conv), ending in a scalar."""
    rows, cols = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    x = Tensor(rng.standard_normal((rows, cols)), requires_grad=True)
    h = x
    for _ in range(int(rng.integers(2, 7))):
        kind = int(rng.integers(0, 12))
        if kind == 0:
            h = h * Tensor(rng.standard_normal(cols), requires_grad=True)           # broadcast a row
        elif kind == 1:
            h = h / (Tensor(rng.standard_normal((rows, 1)), requires_grad=True) ** 2 + 1)  # a column
        elif kind == 2:
            h = h.tanh() if rng.random() < 0.5 else h.sigmoid()
        elif kind == 3:
            h = (h * h + 1).log() + h.exp() * 0.1
        elif kind == 4:
            h = h[rng.integers(0, rows, size=rows + 1)]                            # repeated indices
            rows = rows + 1
        elif kind == 5:
            h = h @ Tensor(rng.standard_normal((cols, cols)), requires_grad=True)
        elif kind == 6:
            h = h - h.mean(axis=0, keepdims=True) + h.sum(axis=1, keepdims=True) * 0.1
        elif kind == 7:
            h = F.softmax(h, axis=1) + F.log_softmax(h, axis=1) * 0.1
        elif kind == 8:
            h = h.abs() + 0.1 if rng.random() < 0.5 else F.relu(h + 0.05)
        elif kind == 9:
            h = h.T.reshape(rows, cols) if rows == cols else h.reshape(cols, rows).T
        elif kind == 10:
            image = h.reshape(1, 1, rows, cols)
            kernel = Tensor(rng.standard_normal((2, 1, 1, 1)), requires_grad=True)
            h = F.conv2d(image, kernel, padding=1).sum(axis=(0, 1))[1:rows + 1, 1:cols + 1]
        else:
            h = h + Tensor(rng.standard_normal((rows, cols)), requires_grad=True).exp()
    if cols >= 2 and rng.random() < 0.5:
        return F.cross_entropy(h, rng.integers(0, cols, size=rows))
    return F.mse_loss(h, Tensor(rng.standard_normal((rows, cols)))) if rng.random() < 0.5 else (h * h).sum()


def test_500_random_correct_graphs_of_every_kind_of_op_are_blamed_for_nothing():
    rng = np.random.default_rng(20)
    for k in range(500):
        root = random_graph(rng)
        report = mg.blame(root)
        assert report.ok, f"graph {k}: {report}"


def test_blame_writes_no_gradient():
    x = leaf(3)
    mg.blame((x * x).sum())
    assert x.grad is None


def test_a_root_that_is_not_a_tensor_is_a_type_error_naming_blame():
    with pytest.raises(TypeError, match="blame: root is a ndarray; expected a Tensor"):
        mg.blame(np.ones(3))


def test_a_root_without_a_graph_is_a_value_error_naming_blame():
    with pytest.raises(ValueError, match="blame: root has no recorded graph"):
        mg.blame(Tensor(np.ones(3)))


def test_a_root_of_several_elements_needs_a_grad_of_its_shape():
    with pytest.raises(ValueError, match=r"blame: root has shape \(3,\), so grad is needed, of that shape; got none"):
        mg.blame(leaf(3) * 2)


def test_gradcheck_names_the_op_to_blame():
    with pytest.raises(mg.GradcheckError, match=r"To blame: step 3: the backward of squarewrongsign \(3,\)"):
        mg.gradcheck(lambda t: SquareWrongSign.apply(t).exp().sum(), [leaf(3)])
