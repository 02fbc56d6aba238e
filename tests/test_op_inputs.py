"""Slips a learner makes when calling ops get a message that names the op, what
it got and what it expected: a NumPy array or list where a Tensor belongs, an
axis that is not an int, an axis out of range."""

import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor
from minigrad.ops import Exp


def test_an_op_given_an_array_while_recording_says_wrap_it_in_a_tensor():
    weight = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match=r"affine: input 0 is a numpy.ndarray, expected a Tensor; wrap it: Tensor\(X\)"):
        F.linear(np.ones((4, 2), dtype=np.float32), weight)


def test_the_same_slip_under_no_grad_gives_the_same_message():
    weight = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    with mg.no_grad(), pytest.raises(TypeError, match=r"affine: input 0 is a numpy.ndarray.*wrap it: Tensor\(X\)"):
        F.linear(np.ones((4, 2), dtype=np.float32), weight)


@pytest.mark.parametrize("value, kind", [([1.0], "list"), (2.0, "float"), (np.ones(2), "numpy.ndarray")])
def test_an_op_applied_to_a_non_tensor_names_the_op_and_what_it_got(value, kind):
    with pytest.raises(TypeError, match=rf"exp: input 0 is a {kind}, expected a Tensor; wrap it: Tensor\(X\)"):
        Exp.apply(value)


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [1.5, "1", [0.0]], ids=["float", "str", "list-of-float"])
def test_a_reduction_over_an_axis_that_is_not_an_int_is_a_type_error(name, axis):
    expected = rf"{name}: axis must be None, an int or a tuple of ints, got {re.escape(repr(axis))}"
    with pytest.raises(TypeError, match=expected):
        getattr(Tensor(np.ones((2, 3))), name)(axis=axis)


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_a_reduction_over_an_axis_out_of_range_names_the_op_the_axis_and_the_range(name):
    with pytest.raises(mg.ShapeError, match=rf"{name}: cannot apply to shapes \(2, 3\): axis 2 is out of range; "
                                            r"expected an axis from -2 to 1"):
        getattr(Tensor(np.ones((2, 3))), name)(axis=2)


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_a_reduction_over_a_repeated_axis_names_it(name):
    with pytest.raises(mg.ShapeError, match=rf"{name}: cannot apply to shapes \(2, 3\): axis 1 appears twice"):
        getattr(Tensor(np.ones((2, 3))), name)(axis=(1, -1))


@pytest.mark.parametrize("join, axis_range", [(mg.concatenate, "-2 to 1"), (mg.stack, "-3 to 2")],
                         ids=["concatenate", "stack"])
def test_joining_along_an_axis_out_of_range_names_the_function_the_axis_and_the_range(join, axis_range):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(mg.ShapeError, match=rf"{join.__name__}: cannot apply to shapes \(2, 3\) and \(2, 3\): "
                                            rf"axis 3 is out of range; expected an axis from {axis_range}"):
        join([x, x], axis=3)


@pytest.mark.parametrize("join", [mg.concatenate, mg.stack], ids=["concatenate", "stack"])
def test_joining_along_an_axis_that_is_not_an_int_is_a_type_error(join):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=rf"{join.__name__}: axis must be an int, got 1.5"):
        join([x, x], axis=1.5)
