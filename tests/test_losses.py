"""Every loss, fused and expanded, in every reduction: the value equals an
independent NumPy reference, both forms agree to 1e-10, both pass gradcheck,
and float32 stays float32."""

import numpy as np
import pytest

import minigrad as mg
from loss_cases import PAIR_IDS, PAIRS
from minigrad import Tensor


def reduce(losses, divisor, reduction):
    if reduction == "none":
        return losses
    return losses.sum() / divisor if reduction in ("mean", "batchmean") else losses.sum()


def value_and_grad(case, reduction, x, fused):
    prediction = Tensor(x.copy(), requires_grad=True)
    out = case.loss(prediction, case.target, reduction=reduction, fused=fused)
    out.backward(np.ones(out.shape))
    return out.data, prediction.grad


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("case, reduction, x", PAIRS, ids=PAIR_IDS)
def test_value_equals_the_reference(case, reduction, x, fused):
    losses, divisor = case.reference(x, case.target)
    value, _ = value_and_grad(case, reduction, x, fused)
    np.testing.assert_allclose(value, reduce(losses, divisor, reduction), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case, reduction, x", PAIRS, ids=PAIR_IDS)
def test_fused_and_expanded_agree_in_value_and_gradient(case, reduction, x):
    fused_value, fused_grad = value_and_grad(case, reduction, x, fused=True)
    expanded_value, expanded_grad = value_and_grad(case, reduction, x, fused=False)
    np.testing.assert_allclose(fused_value, expanded_value, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fused_grad, expanded_grad, rtol=0, atol=1e-10)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("case, reduction, x", PAIRS, ids=PAIR_IDS)
def test_gradient_passes_gradcheck(case, reduction, x, fused):
    loss = lambda t: case.loss(t, case.target, reduction=reduction, fused=fused)
    assert mg.gradcheck(loss, [Tensor(x.copy(), requires_grad=True)])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("case, reduction, x", PAIRS, ids=PAIR_IDS)
def test_float32_stays_float32(case, reduction, x, fused):
    prediction = Tensor(x.astype(np.float32), requires_grad=True)
    out = case.loss(prediction, case.target, reduction=reduction, fused=fused)
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert out.dtype == np.float32 and prediction.grad.dtype == np.float32


@pytest.mark.parametrize("case, reduction, x", PAIRS, ids=PAIR_IDS)
def test_fused_loss_is_one_node_of_the_graph(case, reduction, x):
    prediction = Tensor(x, requires_grad=True)
    out = case.loss(prediction, case.target, reduction=reduction)
    assert out.grad_fn.inputs[0] is prediction
