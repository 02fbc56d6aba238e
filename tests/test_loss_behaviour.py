"""Losses at the edges: extreme logits, probabilities of exactly 0 and 1, bad
input, and the facts of claims 2, 5, 6 and 7 in docs/claims.md with their numbers."""

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor

EXTREME_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
LOSSES_ON_LOGITS = {
    "cross_entropy": lambda z, fused: F.cross_entropy(z, np.array([1, 0]), fused=fused),
    "cross_entropy-soft": lambda z, fused: F.cross_entropy(z, np.full((2, 3), 1 / 3), fused=fused),
    "bce_with_logits": lambda z, fused: F.binary_cross_entropy_with_logits(
        z, np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), pos_weight=np.array([3.0, 1.0, 0.5]), fused=fused),
    "nll_of_log_softmax": lambda z, fused: F.nll_loss(z.log_softmax(axis=1), np.array([1, 0]), fused=fused),
    "multi_margin": lambda z, fused: F.multi_margin_loss(z, np.array([1, 0]), fused=fused),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("name", LOSSES_ON_LOGITS)
def test_logits_of_plus_minus_1e4_give_finite_loss_and_gradient(name, fused, dtype):
    z = Tensor(EXTREME_LOGITS.astype(dtype), requires_grad=True)
    loss = LOSSES_ON_LOGITS[name](z, fused)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()


@pytest.mark.parametrize("name", LOSSES_ON_LOGITS)
def test_fused_and_expanded_agree_at_extreme_and_zero_logits(name):
    grads = []
    for fused in (True, False):
        z = Tensor(EXTREME_LOGITS.copy(), requires_grad=True)
        LOSSES_ON_LOGITS[name](z, fused).backward()
        grads.append(z.grad)
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-10)


def test_cross_entropy_of_confidently_wrong_logits_is_the_logit_gap():
    assert F.cross_entropy(Tensor(np.array([[1e4, -1e4]])), np.array([1])).item() == 2e4


def test_bce_on_probabilities_of_exactly_0_and_1_is_finite_with_log_clamped_at_minus_100():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 0.0, 1.0]), reduction="none")
    loss.backward(np.ones(4))
    assert loss.data.tolist() == [100.0, 100.0, 0.0, 0.0]
    assert p.grad.tolist() == [-1e12, 1e12, 0.0, 0.0]          # PyTorch's (p - y) / max(p(1 - p), 1e-12)


def test_expanded_bce_at_probabilities_0_and_1_has_the_same_value_and_no_nan():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 0.0, 1.0]), reduction="none", fused=False)
    loss.backward(np.ones(4))
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0], atol=1e-12)
    assert p.grad.tolist() == [0.0, 0.0, 1.0, -1.0]    # 0 where the log is clamped, else d/dp of the formula


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_expanded_bce_on_a_float32_sigmoid_saturated_to_exactly_1_has_a_finite_gradient(y):
    z = Tensor(np.array([20.0], dtype=np.float32), requires_grad=True)   # σ(20) rounds to 1.0 in float32
    with np.errstate(over="ignore"):           # 1/p at the clamp, e^100, overflows float32 before the clamp zeroes it
        F.binary_cross_entropy(z.sigmoid(), np.array([y]), fused=False).backward()
    assert np.isfinite(z.grad).all()


# ----------------------------------------------------------------- bad input --

def test_a_class_index_outside_the_classes_names_the_label_and_c():
    with pytest.raises(ValueError, match=r"cross_entropy: target contains class index 3, outside \[0, 3\) for 3 classes"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3]))


def test_a_negative_class_index_is_refused():
    with pytest.raises(ValueError, match="class index -1"):
        F.nll_loss(Tensor(np.zeros((2, 3))), np.array([-1, 0]))


@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan])
def test_bce_refuses_probabilities_outside_0_1(bad):
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold probabilities in \[0, 1\]"):
        F.binary_cross_entropy(Tensor(np.array([0.5, bad])), np.array([1.0, 0.0]))


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss, F.binary_cross_entropy,
                                  F.binary_cross_entropy_with_logits, F.kl_div],
                         ids=lambda f: f.__name__)
def test_a_target_of_another_shape_is_refused_not_broadcast(loss):
    with pytest.raises(ValueError, match=rf"{loss.__name__}: target shape \(4,\) differs from input shape \(4, 1\)"):
        loss(Tensor(np.full((4, 1), 0.5)), np.full(4, 0.5))


def test_cross_entropy_refuses_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match input shape \(2, 4\); expected \(2,\)"):
        F.cross_entropy(Tensor(np.zeros((2, 4))), np.array([0, 1, 2]))


def test_cross_entropy_refuses_probability_targets_of_another_shape():
    with pytest.raises(ValueError, match=r"target shape \(2, 3\) differs from input shape \(2, 4\)"):
        F.cross_entropy(Tensor(np.zeros((2, 4))), np.full((2, 3), 1 / 3))


def test_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"cross_entropy: input must have shape \(N, C\), got \(4,\)"):
        F.cross_entropy(Tensor(np.zeros(4)), np.array([1]))


def test_nll_needs_integer_labels():
    with pytest.raises(TypeError, match="nll_loss: target must hold integer class indices, got dtype float64"):
        F.nll_loss(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]))


def test_a_class_weight_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) does not broadcast to the input shape \(3,\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), weight=np.ones(2))


@pytest.mark.parametrize("reduction", ["avg", "batchmean"])
def test_an_unknown_reduction_is_refused(reduction):
    with pytest.raises(ValueError, match=rf"mse_loss: reduction must be one of 'mean', 'sum', 'none', got '{reduction}'"):
        F.mse_loss(Tensor([1.0]), [0.0], reduction=reduction)


@pytest.mark.parametrize("smoothing", [-0.1, 1.5])
def test_label_smoothing_must_lie_in_0_1(smoothing):
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(Tensor(np.zeros((1, 2))), np.array([0]), label_smoothing=smoothing)


def test_an_integer_prediction_is_refused():
    with pytest.raises(TypeError, match="mse_loss: input must be a float tensor, got dtype int64"):
        F.mse_loss(Tensor(np.array([1, 2])), np.array([1.0, 2.0]))


@pytest.mark.parametrize("make", [
    lambda: F.mse_loss(Tensor(np.zeros(0)), np.zeros(0)),
    lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([1, 0]), weight=np.array([0.0, 0.0, 1.0])),
    lambda: F.nll_loss(Tensor(np.zeros((1, 2))), np.array([0]), weight=np.array([0.0, 1.0])),
], ids=["empty-mse", "zero-weight-ce", "zero-weight-nll"])
def test_a_mean_over_nothing_is_refused_not_a_silent_nan(make):
    with pytest.raises(ValueError, match="reduction='mean' divides by the .*, which is 0"):
        make()


@pytest.mark.parametrize("make", [
    lambda z: F.cross_entropy(z, np.array([1, 0]), label_smoothing=np.float64(0.1)),
    lambda z: F.cross_entropy(z, np.array([1, 0]), label_smoothing=np.float64(0.1), fused=False),
    lambda z: F.huber_loss(z, np.zeros((2, 3), dtype=np.float32), delta=np.float64(0.5)),
    lambda z: F.multi_margin_loss(z, np.array([1, 0]), margin=np.float64(0.5)),
    lambda z: F.multi_margin_loss(z, np.array([1, 0]), margin=np.float64(0.5), fused=False),
], ids=["ce-smoothing", "ce-smoothing-expanded", "huber-delta", "margin", "margin-expanded"])
def test_numpy_float64_hyperparameters_keep_a_float32_loss_float32(make):
    assert make(Tensor(np.ones((2, 3), dtype=np.float32))).dtype == np.float32


def test_float_labels_for_cross_entropy_say_that_class_indices_must_be_integers():
    with pytest.raises(TypeError, match=r"must hold integer class indices, got dtype float32.*np.array"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), Tensor([1, 0]))


def test_soft_targets_that_do_not_sum_to_one_are_allowed():
    z = Tensor(np.zeros((1, 2)))
    assert F.cross_entropy(z, np.array([[0.5, 1.0]])).item() == pytest.approx(1.5 * np.log(2))


# ------------------------------------------ docs/claims.md, with numbers --

def sigmoid_neuron_grad(loss_of_a, z=4.0, y=0.0):
    """dL/dz for a = σ(z) under the given loss of (a, y)."""
    z = Tensor(np.array([z]), requires_grad=True)
    loss_of_a(z.sigmoid(), np.array([y])).backward()
    return z.grad.item()


@pytest.mark.parametrize("z, y", [(4.0, 0.0), (-3.0, 1.0), (0.5, 1.0)])
def test_seed2_bce_on_a_sigmoid_has_gradient_a_minus_y_in_z(z, y):
    a = 1 / (1 + np.exp(-z))
    for fused in (True, False):
        grad = sigmoid_neuron_grad(lambda p, t, fused=fused: F.binary_cross_entropy(p, t, fused=fused), z, y)
        assert grad == pytest.approx(a - y, rel=1e-9)


@pytest.mark.parametrize("z, y", [(4.0, 0.0), (-3.0, 1.0), (0.5, 1.0)])
def test_seed1_mse_on_a_sigmoid_carries_the_sigma_prime_factor(z, y):
    a = 1 / (1 + np.exp(-z))
    grad = sigmoid_neuron_grad(lambda p, t: 0.5 * F.mse_loss(p, t, fused=False), z, y)
    assert grad == pytest.approx((a - y) * a * (1 - a), rel=1e-9)


def test_seed1_a_saturated_wrong_neuron_gets_a_tiny_mse_gradient_but_a_large_ce_gradient():
    mse = sigmoid_neuron_grad(lambda p, t: 0.5 * F.mse_loss(p, t), z=4.0)     # x = 1, w = 2, b = 2
    ce = sigmoid_neuron_grad(lambda p, t: F.binary_cross_entropy(p, t), z=4.0)
    assert mse == pytest.approx(0.0173, abs=1e-4) and ce == pytest.approx(0.9820, abs=1e-4)


def test_seed2_softmax_cross_entropy_gradient_is_softmax_minus_one_hot():
    z = Tensor(np.array([[1.0, -2.0, 0.5, 3.0]]), requires_grad=True)
    F.cross_entropy(z, np.array([2])).backward()
    np.testing.assert_allclose(z.grad, F.softmax(z).data - np.eye(4)[[2]], atol=1e-12)


def test_seed5_worked_example_both_predictions_cost_minus_ln_0_1():
    target = np.array([[1.0, 0, 0, 0, 0]])
    for prediction in ([0.1, 0.5, 0.1, 0.1, 0.2], [0.1, 0.6, 0.1, 0.1, 0.1]):
        log_p = Tensor(np.log([prediction]))
        assert F.cross_entropy(log_p, target).item() == pytest.approx(2.302585, abs=1e-6)


def test_seed5_worked_example_gradients_with_respect_to_the_logits_differ():
    grads = []
    for prediction in ([0.1, 0.5, 0.1, 0.1, 0.2], [0.1, 0.6, 0.1, 0.1, 0.1]):
        z = Tensor(np.log([prediction]), requires_grad=True)      # logits whose softmax is the prediction
        F.cross_entropy(z, np.array([0])).backward()
        np.testing.assert_allclose(z.grad, np.array([prediction]) - [[1, 0, 0, 0, 0]], atol=1e-12)
        grads.append(z.grad)
    assert not np.allclose(grads[0], grads[1])


@pytest.mark.parametrize("z", [-30.0, -2.0, 0.0, 0.7, 25.0])
def test_seed6_softmax_of_z_and_0_is_the_sigmoid_of_z(z):
    assert F.softmax(Tensor(np.array([z, 0.0]))).data[0] == pytest.approx(F.sigmoid(Tensor(np.array(z))).item(), rel=1e-12)


def test_seed7_softmax_of_123_456_789_is_finite_where_the_naive_formula_overflows():
    z = np.array([123.0, 456.0, 789.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive).any()
    s = F.softmax(Tensor(z)).data
    assert np.isfinite(s).all() and s.sum() == pytest.approx(1.0) and s[2] == pytest.approx(1.0)
