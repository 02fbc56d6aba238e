"""Conventions at ties and kinks, and stability at extreme values."""

import numpy as np
import pytest

from minigrad import Tensor


def grad_of(fn, values, dtype=np.float64):
    x = Tensor(np.array(values, dtype=dtype), requires_grad=True)
    out = fn(x)
    out.backward(np.ones(out.shape, dtype=dtype))
    return x.grad


def test_max_ties_share_the_gradient_equally():
    assert grad_of(lambda x: x.max(), [1.0, 3.0, 3.0]).tolist() == [0.0, 0.5, 0.5]


def test_max_ties_share_per_reduced_slice():
    grad = grad_of(lambda x: x.max(axis=1), [[2.0, 2.0, 2.0], [1.0, 5.0, 0.0]])
    np.testing.assert_allclose(grad, [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize("fn", [lambda x: x.abs(), lambda x: x.relu()], ids=["abs", "relu"])
def test_kinks_have_gradient_zero_at_zero(fn):
    assert grad_of(fn, [0.0]).tolist() == [0.0]


def test_clip_passes_the_gradient_at_its_bounds_and_stops_it_outside():
    assert grad_of(lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0]).tolist() == [0, 1, 1, 1, 0]


def test_repeated_indices_accumulate_their_gradients():
    assert grad_of(lambda x: x[[0, 2, 0, 0]], [1.0, 2.0, 3.0]).tolist() == [3.0, 0.0, 1.0]


def test_pow_gradient_in_the_exponent_at_base_zero_is_zero_for_nonnegative_exponents():
    base = Tensor(np.array([0.0, 0.0, 2.0]))
    exponent = Tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    (base ** exponent).sum().backward()
    assert exponent.grad.tolist() == [0.0, 0.0, 8 * np.log(2.0)]


def test_pow_gradient_in_the_exponent_at_base_zero_is_minus_infinity_for_negative_exponents():
    exponent = Tensor(np.array([-1.0]), requires_grad=True)
    with np.errstate(divide="ignore"):                    # 0 ** -1 = inf in the forward
        (Tensor(np.array([0.0])) ** exponent).sum().backward()
    assert exponent.grad.tolist() == [-np.inf]


@pytest.mark.parametrize("exponent", [0, 0.0, np.array([0.0, 0.0])], ids=["int", "float", "tensor"])
def test_pow_with_exponent_zero_has_gradient_zero_even_at_base_zero(exponent):
    assert grad_of(lambda x: x ** exponent, [0.0, 3.0]).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("z", [1e4, -1e4, 1000.0, -1000.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_at_extreme_inputs(z, dtype):
    x = Tensor(np.array([z], dtype=dtype), requires_grad=True)
    a = x.sigmoid()
    a.backward(np.ones(1, dtype=dtype))
    assert a.item() == (1.0 if z > 0 else 0.0)
    assert np.isfinite(x.grad).all()


def test_softmax_of_large_logits_is_finite_and_exact():
    s = Tensor(np.array([123.0, 456.0, 789.0])).softmax().data  # exp(789) alone would overflow
    assert np.isfinite(s).all()
    np.testing.assert_allclose(s, [np.exp(123 - 789.0), np.exp(456 - 789.0), 1.0], rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("logits", [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
@pytest.mark.parametrize("fn", [lambda x: x.softmax(), lambda x: x.log_softmax()], ids=["softmax", "log_softmax"])
def test_softmax_family_is_finite_with_finite_gradients_at_1e4(logits, fn):
    x = Tensor(np.array(logits), requires_grad=True)
    out = fn(x)
    out.backward(np.array([1.0, -2.0, 0.5]))
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()


def test_log_softmax_uses_log_sum_exp():
    out = Tensor(np.array([1000.0, 0.0])).log_softmax()
    np.testing.assert_allclose(out.data, [0.0, -1000.0])


def test_softmax_of_two_classes_is_the_sigmoid():
    z = np.linspace(-8, 8, 17)
    pair = Tensor(np.stack([z, np.zeros_like(z)], axis=1)).softmax(axis=1).data[:, 0]
    np.testing.assert_allclose(pair, Tensor(z).sigmoid().data, rtol=1e-12)


@pytest.mark.parametrize("columns", [(1, 1), [1, 1]], ids=["tuple", "list"])
def test_a_repeated_column_inside_an_index_counts_twice(columns):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x[:, columns].sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]]


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [0, -1, (0,)], ids=["0", "-1", "(0,)"])
def test_reducing_a_zero_dimensional_tensor_over_axis_0_returns_it_with_gradient_1(name, axis):
    x = Tensor(np.array(0.7), requires_grad=True)   # as torch.tensor(0.7).sum(0): a 0-d tensor has one "axis"
    out = getattr(x, name)(axis=axis)
    out.backward()
    assert out.shape == () and out.item() == 0.7 and x.grad.tolist() == 1.0


@pytest.mark.parametrize("fn", [lambda x: x.softmax(axis=1), lambda x: x.log_softmax(axis=1)],
                         ids=["softmax", "log_softmax"])
def test_softmax_family_along_an_empty_axis_is_empty_with_an_empty_gradient(fn):
    x = Tensor(np.ones((2, 0)), requires_grad=True)
    out = fn(x)
    out.backward(np.ones((2, 0)))
    assert out.shape == (2, 0) and x.grad.shape == (2, 0)
