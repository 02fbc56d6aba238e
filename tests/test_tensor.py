"""Tensor construction, dtype rules, attributes, and the module-level makers."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor


@pytest.mark.parametrize("data", [2.5, 3, [1, 2], [[1.0, 2.0], [3.0, 4.0]]], ids=["float", "int", "list", "nested"])
def test_python_numbers_and_lists_become_float32(data):
    assert Tensor(data).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_numpy_arrays_keep_their_dtype(dtype):
    assert Tensor(np.zeros(3, dtype=dtype)).dtype == dtype


def test_numpy_scalars_keep_their_dtype():
    assert Tensor(np.float64(1.5)).dtype == np.float64


def test_bool_lists_stay_bool():
    assert Tensor([True, False]).dtype == bool


@pytest.mark.parametrize("data", [np.array([1, 2]), np.array([True])], ids=["int", "bool"])
def test_requires_grad_on_a_non_float_tensor_is_a_type_error(data):
    with pytest.raises(TypeError, match="requires_grad=True needs a float dtype"):
        Tensor(data, requires_grad=True)


def test_setting_requires_grad_on_an_integer_tensor_is_a_type_error():
    labels = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="requires_grad=True needs a float dtype, got int64"):
        labels.requires_grad = True
    assert not labels.requires_grad


def test_requires_grad_can_be_switched_on_for_a_float_tensor():
    t = Tensor([1.0])
    t.requires_grad = True
    (t * 2).backward()
    assert t.grad.tolist() == [2.0]


@pytest.mark.parametrize("data", [np.array(["a", "b"]), "abc", [1j, 2j]], ids=["string-array", "string", "complex"])
def test_non_numeric_data_is_a_type_error(data):
    with pytest.raises(TypeError, match="Tensor: unsupported dtype"):
        Tensor(data)


def test_ragged_lists_are_a_value_error():
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0, 2.0], [3.0]])


def test_tensor_of_an_array_shares_it_and_minigrad_tensor_copies_it():
    a = np.zeros(3)
    assert Tensor(a).data is a
    assert not np.shares_memory(mg.tensor(a).data, a)


def test_minigrad_tensor_with_float64_dtype_does_not_round_through_float32():
    assert mg.tensor([0.1], dtype=np.float64).data[0] == 0.1


def test_attributes():
    t = Tensor(np.zeros((2, 3)), requires_grad=True, name="w")
    assert (t.shape, t.ndim, t.dtype, t.size, t.name, t.grad) == ((2, 3), 2, np.float64, 6, "w", None)
    assert t.T.shape == (3, 2)


def test_name_can_be_set_after_construction():
    t = Tensor(1.0)
    t.name = "bias"
    assert "name='bias'" in repr(t)


def test_item_returns_a_python_number():
    assert Tensor([[4.0]]).item() == 4.0 and isinstance(Tensor([[4.0]]).item(), float)


def test_item_of_many_elements_names_the_shape():
    with pytest.raises(ValueError, match=r"item: tensor has shape \(2,\); expected exactly one element"):
        Tensor([1.0, 2.0]).item()


def test_numpy_returns_the_data_array():
    a = np.ones(2)
    assert Tensor(a).numpy() is a


def test_repr_shows_data_dtype_and_requires_grad():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor(np.array([1, 2]))) == "Tensor([1, 2], dtype=int64)"


@pytest.mark.parametrize("op, expected", [
    (lambda t: t < 2, [True, False, False]),
    (lambda t: t <= 2, [True, True, False]),
    (lambda t: t > 2, [False, False, True]),
    (lambda t: t >= 2, [False, True, True]),
    (lambda t: t == 2, [False, True, False]),
    (lambda t: t != 2, [True, False, True]),
    (lambda t: t < np.array([2.0, 2.0, 4.0]), [True, False, True]),
    (lambda t: np.array([2.0, 2.0, 4.0]) > t, [True, False, True]),
], ids=["lt", "le", "gt", "ge", "eq", "ne", "lt-array", "reflected-gt-array"])
def test_comparisons_return_a_boolean_tensor_without_grad(op, expected):
    result = op(Tensor([1.0, 2.0, 3.0], requires_grad=True))
    assert isinstance(result, Tensor) and result.dtype == bool and not result.requires_grad
    assert result.data.tolist() == expected


def test_numpy_array_on_the_left_gives_a_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([10.0, 20.0]) * x
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [10.0, 20.0]


@pytest.mark.parametrize("scalar", [2, 2.0, np.float64(2.0), np.int64(2), np.array(2.0)],
                         ids=["int", "float", "np.float64", "np.int64", "0-d-float64-array"])
def test_scalars_do_not_upcast_float32(scalar):
    x = Tensor(np.ones(2, dtype=np.float32))
    for y in (x * scalar, scalar * x, x / scalar, x ** scalar, x - scalar, scalar - x):
        assert y.dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda x, labels: labels * x,
    lambda x, labels: x - labels,
    lambda x, labels: x * labels.data,
    lambda x, labels: labels.data / x,
    lambda x, labels: x ** labels,
    lambda x, labels: x @ np.array([[1, 2], [3, 4]]),
    lambda x, labels: x + [1, 2],
    lambda x, labels: x + [0.5, 1.5],
], ids=["int-tensor*x", "x-int-tensor", "x*int-array", "int-array/x", "x**int-tensor", "x@int-array",
        "x+int-list", "x+float-list"])
def test_integers_and_lists_do_not_upcast_float32(make):
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert make(x, Tensor(np.array([1, 2]))).dtype == np.float32


def test_integer_tensors_stay_integer_with_python_ints():
    labels = Tensor(np.array([1, 2]))
    assert (labels + 1).dtype == np.int64 and (labels * 0.5).dtype == np.float32


def test_float64_stays_float64_with_python_scalars():
    assert (Tensor(np.ones(2)) * 2 + 1).dtype == np.float64


def test_python_floats_meet_float64_tensors_at_full_precision():
    assert (Tensor(np.array([1.0])) * 0.1).item() == 0.1


def test_tensors_are_hashable_by_identity():
    a, b = Tensor(1.0), Tensor(1.0)
    assert len({a, b, a}) == 2


def test_len_and_iteration_follow_the_first_axis():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2 and [row.data.tolist() for row in t] == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("maker", [mg.zeros, mg.ones, mg.randn], ids=["zeros", "ones", "randn"])
def test_makers_take_a_shape_as_ints_or_a_tuple_and_give_float32(maker):
    assert maker(2, 3).shape == maker((2, 3)).shape == (2, 3)
    assert maker(2, 3).dtype == np.float32


def test_makers_can_make_leaves_that_require_grad():
    assert mg.zeros(2, requires_grad=True).requires_grad


def test_zeros_and_ones_fill():
    assert mg.zeros(2).data.tolist() == [0.0, 0.0] and mg.ones(2).data.tolist() == [1.0, 1.0]


def test_manual_seed_makes_randn_reproducible():
    mg.manual_seed(7)
    first = mg.randn(5).data
    mg.manual_seed(7)
    assert np.array_equal(mg.randn(5).data, first)
    assert not np.array_equal(mg.randn(5).data, first)


def test_makers_reject_a_non_integer_shape():
    with pytest.raises(TypeError, match="shape must be ints"):
        mg.zeros(2.5)


def test_a_zero_dimensional_float64_tensor_does_not_upcast_float32():
    x = Tensor(np.ones(2, dtype=np.float32))
    two = Tensor(np.float64(2.0))                  # 0-d: follows the scalar rule, as in PyTorch
    for y in (x * two, two * x, x / two, x - two, two - x, x ** two):
        assert y.dtype == np.float32


def test_a_zero_dimensional_float64_tensor_that_requires_grad_gets_a_float64_gradient():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    scale = Tensor(np.float64(3.0), requires_grad=True)
    y = x * scale
    y.sum().backward()
    assert y.dtype == np.float32 and scale.grad.dtype == np.float64 and scale.grad.item() == 3.0


def test_two_zero_dimensional_tensors_promote_as_numpy_does():
    assert (Tensor(np.float32(1.0)) * Tensor(np.float64(2.0))).dtype == np.float64   # as torch: both 0-d
