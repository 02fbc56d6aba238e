"""A float target that requires grad gets its gradient, as in PyTorch: every
loss with a float target, fused and expanded, in every reduction, matches
PyTorch in value and in both gradients (prediction and target), in float64,
and passes gradcheck and gradgradcheck in both. Class indices and weights
stay constants. Where PyTorch's target gradient is inf or NaN, minigrad's is
finite, the same fused and expanded."""

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor, nn
from minigrad.ops import fused_losses

torch = pytest.importorskip("torch")
TF = torch.nn.functional

N, C = 4, 3
rng = np.random.default_rng(19)
CLASS_WEIGHT = rng.uniform(0.2, 2.0, C)
POS_WEIGHT = rng.uniform(0.5, 3.0, C)


def logits():
    return rng.standard_normal((N, C)) * 2


def probabilities():
    return rng.uniform(0.05, 0.95, (N, C))


def rows_of_probabilities():
    return rng.dirichlet(np.ones(C), size=N)


def log_probabilities():
    z = logits()
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


# name: (minigrad loss, torch loss, keyword arguments, prediction, target, reductions)
CASES = {
    "mse": (F.mse_loss, TF.mse_loss, {}, logits, logits),
    "l1": (F.l1_loss, TF.l1_loss, {}, logits, logits),
    "huber": (F.huber_loss, TF.huber_loss, {"delta": 0.7}, logits, logits),
    "bce": (F.binary_cross_entropy, TF.binary_cross_entropy, {}, probabilities, probabilities),
    "bce-weight": (F.binary_cross_entropy, TF.binary_cross_entropy, {"weight": CLASS_WEIGHT}, probabilities,
                   probabilities),
    "bce-logits": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, {}, logits,
                   probabilities),
    "bce-logits-weight-pos-weight": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                                     {"weight": CLASS_WEIGHT, "pos_weight": POS_WEIGHT}, logits, probabilities),
    "ce-soft": (F.cross_entropy, TF.cross_entropy, {}, logits, rows_of_probabilities),
    "ce-rows-not-summing-to-1": (F.cross_entropy, TF.cross_entropy, {}, logits, probabilities),
    "ce-soft-weight": (F.cross_entropy, TF.cross_entropy, {"weight": CLASS_WEIGHT}, logits, rows_of_probabilities),
    "ce-soft-smoothing": (F.cross_entropy, TF.cross_entropy, {"label_smoothing": 0.2}, logits,
                          rows_of_probabilities),
    "ce-soft-weight-smoothing": (F.cross_entropy, TF.cross_entropy, {"weight": CLASS_WEIGHT, "label_smoothing": 0.3},
                                 logits, rows_of_probabilities),
    "kl-div": (F.kl_div, TF.kl_div, {}, log_probabilities, rows_of_probabilities),
}
REDUCTIONS = {"kl-div": ("mean", "sum", "none", "batchmean")}
# every (case, reduction), its prediction and target drawn once
PAIRS = [(name, reduction, CASES[name][3](), CASES[name][4]())
         for name in CASES for reduction in REDUCTIONS.get(name, ("mean", "sum", "none"))]
PAIR_IDS = [f"{name}-{reduction}" for name, reduction, _, _ in PAIRS]


def minigrad_loss(name, reduction, fused):
    loss, _, options, _, _ = CASES[name]
    return lambda x, y: loss(x, y, reduction=reduction, fused=fused, **options)


def torch_value_and_gradients(name, reduction, x, y):
    _, loss, options, _, _ = CASES[name]
    options = {key: torch.tensor(value) if isinstance(value, np.ndarray) else value for key, value in options.items()}
    x, y = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kl_div's 'mean' is PyTorch's, with its warning
        out = loss(x, y, reduction=reduction, **options)
    grad_x, grad_y = torch.autograd.grad(out, (x, y), torch.ones_like(out))
    return out.detach().numpy(), grad_x.numpy(), grad_y.numpy()


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("name, reduction, x, y", PAIRS, ids=PAIR_IDS)
def test_value_and_both_gradients_match_pytorch_when_the_target_requires_grad(name, reduction, x, y, fused):
    prediction, target = Tensor(x.copy(), requires_grad=True), Tensor(y.copy(), requires_grad=True)
    out = minigrad_loss(name, reduction, fused)(prediction, target)
    out.backward(np.ones(out.shape))
    value, grad_x, grad_y = torch_value_and_gradients(name, reduction, x, y)
    np.testing.assert_allclose(out.data, value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(prediction.grad, grad_x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(target.grad, grad_y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("name, reduction, x, y", PAIRS, ids=PAIR_IDS)
def test_gradients_in_prediction_and_target_pass_gradcheck(name, reduction, x, y, fused):
    inputs = [Tensor(x.copy(), requires_grad=True), Tensor(y.copy(), requires_grad=True)]
    assert mg.gradcheck(minigrad_loss(name, reduction, fused), inputs)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("name, reduction, x, y", PAIRS, ids=PAIR_IDS)
def test_second_derivatives_in_prediction_and_target_pass_gradgradcheck(name, reduction, x, y, fused):
    inputs = [Tensor(x.copy(), requires_grad=True), Tensor(y.copy(), requires_grad=True)]
    assert mg.gradgradcheck(minigrad_loss(name, reduction, fused), inputs)


MODULES = {
    "MSELoss": (nn.MSELoss(), "mse"), "L1Loss": (nn.L1Loss(), "l1"), "HuberLoss": (nn.HuberLoss(delta=0.7), "huber"),
    "BCELoss": (nn.BCELoss(weight=CLASS_WEIGHT), "bce-weight"),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss(weight=CLASS_WEIGHT, pos_weight=POS_WEIGHT),
                          "bce-logits-weight-pos-weight"),
    "CrossEntropyLoss": (nn.CrossEntropyLoss(weight=CLASS_WEIGHT, label_smoothing=0.3), "ce-soft-weight-smoothing"),
    "KLDivLoss": (nn.KLDivLoss(reduction="batchmean"), "kl-div"),
}


@pytest.mark.parametrize("module_name", MODULES)
def test_nn_loss_modules_send_the_target_its_gradient_as_pytorch_does(module_name):
    module, name = MODULES[module_name]
    x, y = CASES[name][3](), CASES[name][4]()
    prediction, target = Tensor(x.copy(), requires_grad=True), Tensor(y.copy(), requires_grad=True)
    module(prediction, target).backward()
    reduction = module.options["reduction"]
    _, grad_x, grad_y = torch_value_and_gradients(name, reduction, x, y)
    np.testing.assert_allclose(prediction.grad, grad_x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(target.grad, grad_y, rtol=1e-10, atol=1e-12)


def test_every_fused_loss_with_a_float_target_defines_its_target_gradient():
    with_float_targets = [fused_losses.FusedMSE, fused_losses.FusedL1, fused_losses.FusedHuber, fused_losses.FusedBCE,
                          fused_losses.FusedBCEWithLogits, fused_losses.FusedCrossEntropy, fused_losses.FusedKLDiv]
    assert all("target_gradient" in vars(op) for op in with_float_targets)
    assert not any("target_gradient" in vars(op) for op in (fused_losses.FusedNLL, fused_losses.FusedMultiMargin))


def test_a_float32_loss_sends_a_float64_target_its_gradient_in_float64():
    prediction = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    target = Tensor(np.array([0.0, 0.5]), requires_grad=True)
    loss = F.mse_loss(prediction, target)
    loss.backward()
    assert loss.dtype == np.float32 and prediction.grad.dtype == np.float32 and target.grad.dtype == np.float64
    np.testing.assert_allclose(target.grad, [-1.0, -1.5], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda w: F.binary_cross_entropy(Tensor(np.array([0.5])), np.array([1.0]), weight=w),
    lambda w: F.binary_cross_entropy_with_logits(Tensor(np.array([0.5])), np.array([1.0]), weight=w),
    lambda w: F.binary_cross_entropy_with_logits(Tensor(np.array([0.5])), np.array([1.0]), pos_weight=w),
    lambda w: F.cross_entropy(Tensor(np.zeros((1, 1))), np.array([0]), weight=w),
    lambda w: F.nll_loss(Tensor(np.zeros((1, 1))), np.array([0]), weight=w),
], ids=["bce", "bce-logits", "bce-logits-pos-weight", "ce", "nll"])
def test_a_weight_that_requires_grad_is_refused_naming_it_with_the_fix(make):
    with pytest.raises(ValueError, match=r"weight requires grad, but a loss's (pos_)?weight is a constant.*\.detach\(\)"):
        make(Tensor(np.array([1.0]), requires_grad=True))


@pytest.mark.parametrize("loss", [F.nll_loss, F.multi_margin_loss, F.cross_entropy])
def test_float_class_labels_that_require_grad_are_told_to_be_integers(loss):
    with pytest.raises(TypeError, match=r"integer class indices, got dtype float64"):
        loss(Tensor(np.zeros((2, 3))), Tensor(np.array([0.0, 1.0]), requires_grad=True))


# ------------------------------------------- where PyTorch gives inf or NaN --

def target_gradients(loss, x, y, **options):
    """The target's gradient, fused and expanded, with NumPy warnings raised as errors."""
    grads = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for fused in (True, False):
            target = Tensor(y.copy(), requires_grad=True)
            loss(Tensor(x.copy(), requires_grad=True), target, reduction="sum", fused=fused, **options).backward()
            grads.append(target.grad)
    return grads


def test_bce_at_p_0_and_1_sends_the_target_the_slope_of_the_clamped_loss_not_inf():
    fused, expanded = target_gradients(F.binary_cross_entropy, np.array([0.0, 1.0, 0.5]), np.full(3, 0.3),
                                       weight=np.array([2.0, 2.0, 2.0]))
    np.testing.assert_allclose(fused, [200.0, -200.0, 0.0], atol=1e-12)   # w [log(1 - p) - log p], logs ≥ -100
    np.testing.assert_allclose(expanded, fused, atol=1e-9)


def test_kl_div_at_p_0_sends_the_target_minus_log_q_not_nan():
    log_q = np.log(np.array([0.2, 0.3, 0.5]))
    fused, expanded = target_gradients(F.kl_div, log_q, np.array([0.0, 0.4, 0.6]))
    np.testing.assert_allclose(fused, [-log_q[0], np.log(0.4) + 1 - log_q[1], np.log(0.6) + 1 - log_q[2]], atol=1e-12)
    np.testing.assert_allclose(expanded, fused, atol=1e-12)


def test_a_masked_class_of_target_0_sends_it_0_and_an_unmasked_one_minus_log_p():
    z = np.array([[0.0, -np.inf, 1.0, 0.5]])
    fused, expanded = target_gradients(F.cross_entropy, z, np.array([[0.7, 0.0, 0.3, 0.0]]))
    log_p = z - np.log(np.exp(z).sum())
    np.testing.assert_allclose(fused, [[-log_p[0, 0], 0.0, -log_p[0, 2], -log_p[0, 3]]], atol=1e-12)
    np.testing.assert_allclose(expanded, fused, atol=1e-12)


def test_bce_second_derivative_of_the_target_gradient_at_p_0_and_1_is_finite_fused_and_expanded():
    second = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for fused in (True, False):
            p, y = Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True), Tensor(np.full(3, 0.3), requires_grad=True)
            (grad_y,) = mg.grad(F.binary_cross_entropy(p, y, reduction="sum", fused=fused), [y], create_graph=True)
            second.append(mg.grad(grad_y.sum(), [p])[0].data)
    np.testing.assert_allclose(second[0], [-1.0, -1.0, -4.0], atol=1e-12)  # d/dp [log(1 - p) - log p], clamp: 0
    np.testing.assert_allclose(second[1], second[0], atol=1e-12)
