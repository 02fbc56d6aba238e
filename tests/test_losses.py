"""Every loss, fused and expanded, in every reduction: the value equals an
independent NumPy reference, both forms agree to 1e-10, both pass gradcheck,
and float32 stays float32. The fused ops are named apart from the nn modules."""

import inspect

import numpy as np
import pytest
from loss_cases import PAIR_IDS, PAIRS

import minigrad as mg
from minigrad import Tensor, nn
from minigrad.core.op import Op
from minigrad.functional.loss_inputs import class_targets
from minigrad.ops import fused_losses as losses


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


# ------------------------------------------------------------ the fused ops --

FUSED_OPS = [op for op in vars(losses).values()
             if isinstance(op, type) and issubclass(op, Op) and op.__module__ == losses.__name__]


def test_no_fused_loss_op_shares_its_name_with_an_nn_loss_module():
    assert {op.__name__ for op in FUSED_OPS} & set(nn.__all__) == set()


def test_every_fused_loss_op_is_named_fused_and_defines_loss_and_gradient():
    concrete = [op for op in FUSED_OPS if op is not losses.FusedLoss]
    assert len(concrete) == 9
    for op in concrete:
        assert op.__name__.startswith("Fused") and "loss_and_gradient" in vars(op), op.__name__


def test_every_fused_loss_op_has_a_symbol_for_pictures():
    assert all(isinstance(vars(op).get("symbol"), str) for op in FUSED_OPS if op is not losses.FusedLoss)


def test_class_targets_says_whether_the_target_rows_sum_to_one():
    z = Tensor(np.zeros((2, 3)))
    assert "rows_sum_to_one" in inspect.signature(losses.FusedCrossEntropy.loss_and_gradient).parameters
    assert class_targets("cross_entropy", z, np.array([2, 0]), None, 0.0)[2] is True
    assert class_targets("cross_entropy", z, np.array([2, 0]), np.ones(3), 0.0)[2] is False
