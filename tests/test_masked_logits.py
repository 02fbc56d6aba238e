"""Logits of -inf: a class masked out. Its probability is exactly 0, it costs
nothing unless the target names it, and it gets no gradient, as in PyTorch.
A row with every class masked has no softmax at all (0/0): refused, by name.

The numbers in the comments are PyTorch 2.13's, for the same call."""

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor

inf = np.inf
MASKED = np.array([[0.0, -inf, 1.0]])           # class 1 masked out
P = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()  # softmax of the unmasked logits [0, 1]


def loss_and_grad(loss, logits, **kwargs):
    z = Tensor(np.array(logits, dtype=float), requires_grad=True)
    out = loss(z, **kwargs)
    out.backward(np.ones(out.shape))
    return out.data, z.grad


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_cross_entropy_with_a_masked_logit_is_pytorchs_1_3133(fused):
    value, _ = loss_and_grad(lambda z: F.cross_entropy(z, np.array([0]), fused=fused), MASKED)
    assert value == pytest.approx(1.3132616875182228, rel=1e-12)   # torch: 1.3133 = ln(1 + e)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_the_gradient_at_a_masked_logit_is_zero_and_softmax_minus_one_hot_elsewhere(fused):
    _, grad = loss_and_grad(lambda z: F.cross_entropy(z, np.array([0]), fused=fused), MASKED)
    np.testing.assert_allclose(grad, [[P[0] - 1, 0.0, P[1]]], rtol=0, atol=1e-15)   # torch: [-0.7311, 0, 0.7311]


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_masked_logits_in_a_batch_leave_every_loss_finite(fused, reduction):
    logits = np.array([[0.0, -inf, 1.0], [-inf, 2.0, -inf], [0.5, 0.5, 0.5]])
    value, grad = loss_and_grad(lambda z: F.cross_entropy(z, np.array([2, 1, 0]), reduction=reduction, fused=fused),
                                logits)
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    assert grad[0, 1] == grad[1, 0] == grad[1, 2] == 0.0


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_a_soft_target_that_gives_a_masked_class_no_weight_counts_0_log_0_as_0(fused):
    value, grad = loss_and_grad(lambda z: F.cross_entropy(z, np.array([[0.5, 0.0, 0.5]]), fused=fused), MASKED)
    assert value == pytest.approx(-0.5 * np.log(P).sum(), rel=1e-12)   # torch: nan (0 · -inf), see the docstring
    np.testing.assert_allclose(grad, [[P[0] - 0.5, 0.0, P[1] - 0.5]], rtol=0, atol=1e-15)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_a_target_that_names_a_masked_class_costs_infinity_with_a_finite_gradient(fused):
    value, grad = loss_and_grad(lambda z: F.cross_entropy(z, np.array([1]), fused=fused), MASKED)
    assert value == inf                                                  # torch: inf
    np.testing.assert_allclose(grad, [[P[0], -1.0, P[1]]], rtol=0, atol=1e-15)   # torch: [0.2689, -1, 0.7311]


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("target", [np.array([0, 2]), np.array([[1.0, 0, 0], [0, 0, 1.0]])], ids=["labels", "probs"])
def test_a_row_with_every_class_masked_is_refused_naming_cross_entropy_and_the_row(fused, target):
    logits = Tensor(np.array([[0.0, -inf, 1.0], [-inf, -inf, -inf]]), requires_grad=True)
    with pytest.raises(ValueError, match=r"cross_entropy: row 1 of the logits is -inf in every class"):
        F.cross_entropy(logits, target, fused=fused)                     # torch: nan


# ------------------------------------------------- the other losses at -inf --

@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_nll_of_log_softmax_with_a_masked_logit_equals_cross_entropy(fused):
    nll = loss_and_grad(lambda z: F.nll_loss(z.log_softmax(axis=1), np.array([0]), fused=fused), MASKED)
    ce = loss_and_grad(lambda z: F.cross_entropy(z, np.array([0]), fused=fused), MASKED)
    np.testing.assert_allclose(nll[0], ce[0], rtol=1e-12)
    np.testing.assert_allclose(nll[1], ce[1], rtol=0, atol=1e-15)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_kl_div_where_q_and_p_are_both_zero_counts_0_log_0_as_0(fused):
    log_q = [[np.log(0.5), -inf, np.log(0.5)]]                          # log q = -inf where q = 0 ...
    value, grad = loss_and_grad(lambda x: F.kl_div(x, np.array([[0.25, 0.0, 0.75]]), reduction="sum", fused=fused),
                                log_q)
    expected = 0.25 * np.log(0.25 / 0.5) + 0.75 * np.log(0.75 / 0.5)   # ... and p = 0 there: D(p ‖ q) is finite
    assert value == pytest.approx(expected, rel=1e-12)                   # torch: nan (0 · -inf)
    np.testing.assert_allclose(grad, [[-0.25, 0.0, -0.75]], rtol=0, atol=1e-15)



@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
def test_nll_of_a_class_of_weight_0_adds_no_term_even_at_log_probability_minus_inf(fused):
    value, grad = loss_and_grad(lambda x: F.nll_loss(x, np.array([1, 0]), weight=np.array([1.0, 0.0, 1.0]),
                                                     reduction="sum", fused=fused),
                                [[-0.5, -inf, -1.0], [-0.1, -2.0, -3.0]])
    assert value == pytest.approx(0.1, rel=1e-12)                        # torch: nan (0 · -inf)
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.0], [-1.0, 0.0, 0.0]], rtol=0, atol=0)


def test_log_softmax_of_a_masked_logit_is_minus_inf_with_pytorchs_gradient():
    value, grad = loss_and_grad(lambda z: z.log_softmax(axis=1), MASKED)
    np.testing.assert_allclose(value, [[np.log(P[0]), -inf, np.log(P[1])]], rtol=1e-12)
    np.testing.assert_allclose(grad, [[1 - 3 * P[0], 1.0, 1 - 3 * P[1]]], rtol=1e-12)  # torch: [0.1932, 1, -1.1932]
