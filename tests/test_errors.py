"""Bad input gets a ValueError or TypeError that names the op, the shapes and
what was expected; the graph and the existing gradients stay as they were."""

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


@pytest.mark.parametrize("name", BINARY)
def test_a_broadcast_mismatch_names_the_op_and_both_shapes(name):
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"{name}: cannot apply to shapes \(2, 3\) and \(4,\).*expected shapes that broadcast"):
        BINARY[name](a, b)


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3, 4), (5, 2))])
def test_a_matmul_mismatch_names_both_shapes_and_the_rule(shape_a, shape_b):
    message = re.escape(f"matmul: cannot multiply shapes {shape_a} and {shape_b}; expected the last dimension")
    with pytest.raises(ValueError, match=message):
        Tensor(np.ones(shape_a)) @ Tensor(np.ones(shape_b))


def test_a_matmul_batch_mismatch_names_both_shapes_and_the_rule():
    with pytest.raises(ValueError, match=r"matmul: cannot apply to shapes \(2, 3, 4\) and \(5, 4, 2\).*"
                                         r"expected batch dimensions \(all but the last two\) that broadcast"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))


def test_where_names_the_condition_shape_when_it_does_not_broadcast():
    with pytest.raises(ValueError, match=r"where: cannot apply to shapes \(4,\) and \(2, 3\) and \(2, 3\)"):
        mg.where(np.ones(4, dtype=bool), Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("index", [5, (0, 0), np.array([True, False])], ids=["out-of-range", "too-many", "wrong-mask"])
def test_a_bad_index_is_a_value_error_and_an_index_error_naming_getitem(index):
    with pytest.raises(ValueError, match=r"getitem: cannot apply to shapes \(3,\)") as caught:
        Tensor(np.ones(3), requires_grad=True)[index]
    assert isinstance(caught.value, IndexError)


def test_a_bad_axis_is_a_shape_error_not_an_index_error():
    with pytest.raises(mg.ShapeError, match=r"sum: cannot apply to shapes \(3,\)") as caught:
        Tensor(np.ones(3)).sum(axis=3)
    assert not isinstance(caught.value, mg.BadIndexError)


def test_transposing_a_zero_dimensional_tensor_with_an_axis_is_refused():
    with pytest.raises(ValueError, match=r"transpose: cannot apply to shapes \(\)"):
        Tensor(2.0).transpose(0)


def test_unbroadcast_refuses_a_gradient_that_no_broadcast_explains():
    with pytest.raises(ValueError, match=r"unbroadcast: a gradient of shape \(4, 3\) cannot come from broadcasting shape \(3, 4\)"):
        mg.unbroadcast(np.ones((4, 3)), (3, 4))


def test_matmul_of_a_zero_dimensional_tensor_is_refused():
    with pytest.raises(ValueError, match="at least one dimension"):
        Tensor(2.0) @ Tensor(np.ones(3))


def test_shape_errors_are_value_errors_of_a_named_class():
    assert issubclass(mg.ShapeError, ValueError)


def test_backward_without_grad_on_many_elements_says_what_to_pass():
    y = Tensor(np.ones((3, 2)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"shape \(3, 2\); pass grad=np.ones\(\(3, 2\)\)"):
        y.backward()


def test_backward_with_a_wrongly_shaped_grad_names_both_shapes():
    y = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"grad has shape \(2,\), expected the tensor's shape \(3,\)"):
        y.backward(np.ones(2))


def test_backward_on_a_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(1.0).backward()


@pytest.mark.parametrize("make, pattern", [
    (lambda x: x.reshape(4, 4), r"reshape: cannot apply to shapes \(2, 3\)"),
    (lambda x: x.sum(axis=2), r"sum: cannot apply to shapes \(2, 3\)"),
    (lambda x: x.transpose(0, 0), r"transpose: cannot apply to shapes \(2, 3\)"),
    (lambda x: mg.concatenate([x, Tensor(np.ones((3, 3)))], axis=1),
     r"concatenate: cannot apply to shapes \(2, 3\) and \(3, 3\).*equal shapes except along"),
    (lambda x: mg.stack([x, Tensor(np.ones(3))]), r"stack: cannot apply to shapes \(2, 3\) and \(3,\).*all shapes equal"),
], ids=["reshape", "sum-axis", "transpose-axes", "concatenate", "stack"])
def test_shape_ops_name_themselves_and_the_shapes(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make(Tensor(np.ones((2, 3)), requires_grad=True))


def test_where_needs_a_boolean_condition():
    with pytest.raises(TypeError, match="where: condition must be boolean, got dtype float64"):
        mg.where(np.ones(2), Tensor([1.0, 2.0]), 0.0)


@pytest.mark.parametrize("bad", [Tensor([1.0]), [], "ab"], ids=["a-tensor", "empty", "string"])
def test_concatenate_needs_a_list_of_tensors(bad):
    with pytest.raises(TypeError, match="concatenate: expected a non-empty list or tuple of tensors"):
        mg.concatenate(bad)


def test_a_failed_op_leaves_the_graph_and_grads_unchanged():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    (w * 2).sum().backward()
    with pytest.raises(ValueError):
        w @ Tensor(np.ones((4, 5)))
    (w * 2).sum().backward()
    assert w.grad.tolist() == [[4.0] * 3] * 2


@pytest.mark.parametrize("weight_shape, bias_shape", [((5, 4), (2, 1, 5)), ((5, 4), (4,)), ((2, 5, 4), (5,))])
def test_linear_wants_weight_out_in_and_bias_out_as_in_pytorch(weight_shape, bias_shape):
    with pytest.raises(ValueError, match=r"linear: weight of shape .* expected \(out, in\) and \(out,\)"):
        mg.functional.linear(Tensor(np.ones((3, 4))), Tensor(np.ones(weight_shape)), Tensor(np.ones(bias_shape)))


@pytest.mark.parametrize("maker", [mg.zeros, mg.ones, mg.randn], ids=["zeros", "ones", "randn"])
@pytest.mark.parametrize("shape", [(-1, 2), ((2, -3),)], ids=["ints", "tuple"])
def test_makers_refuse_a_negative_size_naming_themselves_and_the_shape(maker, shape):
    size = shape[0] if isinstance(shape[0], tuple) else shape
    with pytest.raises(ValueError, match=re.escape(f"{maker.__name__}: got shape {size}; expected sizes >= 0")):
        maker(*shape)


@pytest.mark.parametrize("maker", [mg.zeros, mg.ones, mg.randn], ids=["zeros", "ones", "randn"])
@pytest.mark.parametrize("shape", [(2.5,), (2, "3"), ((2, None),)], ids=["float", "str", "none-in-tuple"])
def test_makers_refuse_a_size_that_is_not_an_int_naming_themselves(maker, shape):
    with pytest.raises(TypeError, match=rf"{maker.__name__}: shape must be ints or one tuple of ints, got "):
        maker(*shape)
