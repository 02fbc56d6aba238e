"""Properties over random shapes (hypothesis): broadcasting, reductions,
matmul and indexing keep value and gradient right whatever the shapes."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import Tensor

small_floats = st.floats(-3, 3, allow_nan=False, width=64)
away_from_zero = st.floats(0.5, 3, width=64)


def arrays(shape, elements=small_floats, unique=False):
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


BINARY = {"add": (np.add, lambda a, b: a + b), "sub": (np.subtract, lambda a, b: a - b),
          "mul": (np.multiply, lambda a, b: a * b), "div": (np.divide, lambda a, b: a / b)}


@given(st.sampled_from(sorted(BINARY)),
       hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), st.data())
def test_binary_ops_broadcast_any_compatible_shapes(name, shapes, data):
    reference, op = BINARY[name]
    a = data.draw(arrays(shapes.input_shapes[0]))
    b = data.draw(arrays(shapes.input_shapes[1], elements=away_from_zero))
    out = op(Tensor(a), Tensor(b))
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, reference(a, b))
    assert mg.gradcheck(op, [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)])


def unbroadcast_by_loops(grad, shape):
    """The reference: send each gradient element to the input element it came from."""
    result = np.zeros(shape)
    leading = grad.ndim - len(shape)
    for index in np.ndindex(*grad.shape):
        source = tuple(0 if n == 1 else i for i, n in zip(index[leading:], shape))
        result[source] += grad[index]
    return result


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3), st.data())
def test_unbroadcast_sums_each_gradient_into_its_source_element(shapes, data):
    grad = data.draw(arrays(shapes.result_shape))
    target = shapes.input_shapes[0]
    np.testing.assert_allclose(mg.unbroadcast(grad, target), unbroadcast_by_loops(grad, target))


@st.composite
def shape_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    n = len(shape)
    axes = draw(st.none() | st.lists(st.integers(-n, n - 1), min_size=1, unique_by=lambda a: a % n).map(tuple))
    return shape, axes, draw(st.booleans())


@given(st.sampled_from(["sum", "mean", "max"]), shape_and_axes(), st.data())
def test_reductions_over_any_axes(name, shape_axes_keepdims, data):
    shape, axes, keepdims = shape_axes_keepdims
    spaced = st.integers(-30, 30).map(lambda i: i / 10)
    a = data.draw(arrays(shape, elements=spaced, unique=True))  # no ties, no near-ties for max
    reduce = lambda t: getattr(t, name)(axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(reduce(Tensor(a)).data, getattr(np, name)(a, axis=axes, keepdims=keepdims))
    assert mg.gradcheck(reduce, [Tensor(a, requires_grad=True)])


@given(hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3, max_side=3), st.data())
def test_matmul_of_any_compatible_shapes(shapes, data):
    a, b = (data.draw(arrays(s)) for s in shapes.input_shapes)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b)
    assert mg.gradcheck(lambda x, y: x @ y, [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)])


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(-n, n - 1), max_size=8))))
def test_indexing_with_any_int_list_counts_each_pick(n_and_indices):
    n, indices = n_and_indices
    x = Tensor(np.arange(n, dtype=np.float64), requires_grad=True)
    picked = x[indices]
    np.testing.assert_array_equal(picked.data, x.data[indices])
    if indices:
        picked.sum().backward()
        np.testing.assert_array_equal(x.grad, np.bincount(np.array(indices) % n, minlength=n))


@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3).flatmap(
    lambda s: st.tuples(st.just(s), st.permutations(range(len(s))))), st.data())
def test_transpose_by_any_permutation(shape_and_axes, data):
    shape, axes = shape_and_axes
    a = data.draw(arrays(shape))
    np.testing.assert_array_equal(Tensor(a).transpose(*axes).data, a.transpose(axes))
    assert mg.gradcheck(lambda t: t.transpose(*axes), [Tensor(a, requires_grad=True)])
