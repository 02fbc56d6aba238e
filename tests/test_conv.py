"""Convolution and max pooling: values against direct NumPy loops, gradients by
gradcheck and gradgradcheck in float64, dtypes, error messages, the layers'
initialisation and names, and (when torch is installed) PyTorch's own values
and gradients."""

import math
import re

import numpy as np
import pytest
from op_cases import _conv2d_reference, _max_pool2d_reference

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor, nn

# (x shape, weight shape, stride, padding): strides, paddings, channel counts, non-square inputs and kernels
GEOMETRIES = [
    ((2, 1, 6, 6), (3, 1, 3, 3), 1, 0),
    ((2, 3, 5, 7), (4, 3, 3, 3), 1, 1),
    ((1, 2, 7, 5), (3, 2, 2, 3), 2, 0),
    ((2, 2, 6, 9), (2, 2, 3, 2), (2, 3), (1, 2)),
    ((1, 4, 4, 4), (5, 4, 1, 1), 1, 0),
    ((1, 1, 5, 5), (1, 1, 5, 5), 1, 2),
]
POOLS = [((2, 3, 4, 4), 2, None), ((1, 2, 5, 7), (2, 3), None), ((2, 1, 6, 5), 3, 1), ((1, 2, 7, 6), (3, 2), (2, 1))]


def as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_inputs(x_shape, w_shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
            rng.standard_normal(w_shape[0]).astype(dtype))


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", GEOMETRIES)
def test_conv2d_equals_direct_loops(x_shape, w_shape, stride, padding):
    x, w, b = conv_inputs(x_shape, w_shape)
    out = F.conv2d(Tensor(x), Tensor(w), Tensor(b), stride=stride, padding=padding)
    np.testing.assert_allclose(out.data, _conv2d_reference(x, w, b, as_pair(stride), as_pair(padding)), atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", GEOMETRIES)
def test_conv2d_gradients_pass_gradcheck_in_float64(x_shape, w_shape, stride, padding):
    tensors = [Tensor(a, requires_grad=True) for a in conv_inputs(x_shape, w_shape)]
    assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), tensors)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", GEOMETRIES[1:4])
def test_conv2d_second_derivatives_pass_gradgradcheck(x_shape, w_shape, stride, padding):
    tensors = [Tensor(a, requires_grad=True) for a in conv_inputs(x_shape, w_shape)]
    assert mg.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), tensors)


def test_conv2d_without_bias_and_with_a_constant_input_passes_gradcheck():
    x, w, _ = conv_inputs((2, 2, 5, 5), (3, 2, 3, 3))
    assert mg.gradcheck(lambda weight: F.conv2d(Tensor(x), weight, padding=1), [Tensor(w, requires_grad=True)])


@pytest.mark.parametrize("x_shape, kernel, stride", POOLS)
def test_max_pool2d_equals_direct_loops(x_shape, kernel, stride):
    x = np.random.default_rng(1).standard_normal(x_shape)
    out = F.max_pool2d(Tensor(x), kernel, stride)
    expected = _max_pool2d_reference(x, as_pair(kernel), as_pair(kernel if stride is None else stride))
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("x_shape, kernel, stride", POOLS)
def test_max_pool2d_gradients_pass_gradcheck_and_gradgradcheck(x_shape, kernel, stride):
    x = Tensor(np.random.default_rng(2).standard_normal(x_shape), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_pool2d(t, kernel, stride), [x])
    assert mg.gradgradcheck(lambda t: F.max_pool2d(t, kernel, stride), [x])


def test_max_pool2d_sends_a_tie_gradient_to_the_first_maximum_only():
    x = Tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_overlapping_windows_add_their_gradients_on_a_shared_maximum():
    x = Tensor(np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    assert x.grad[0, 0, 1, 1] == 4.0 and x.grad.sum() == 4.0


def test_float32_stays_float32_through_conv_pool_and_their_gradients():
    x, w, b = (Tensor(a, requires_grad=True) for a in conv_inputs((2, 3, 6, 6), (4, 3, 3, 3), np.float32))
    out = F.max_pool2d(F.conv2d(x, w, b, padding=1), 2)
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(t.grad.dtype == np.float32 for t in (x, w, b))


def test_conv2d_of_a_3d_input_is_an_error_naming_conv2d_and_the_shapes():
    with pytest.raises(ValueError, match=r"conv2d: input \(1, 8, 8\), weight \(4, 1, 3, 3\); expected a 4-D input"):
        F.conv2d(Tensor(np.ones((1, 8, 8))), Tensor(np.ones((4, 1, 3, 3))))


@pytest.mark.parametrize("x_shape, w_shape, b_shape, kwargs, message", [
    ((2, 3, 8, 8), (4, 2, 3, 3), None, {}, r"conv2d: input \(2, 3, 8, 8\), weight \(4, 2, 3, 3\); expected a weight "
                                           r"\(out, 3, kh, kw\)"),
    ((2, 3, 8, 8), (4, 3, 3), None, {}, r"conv2d: input \(2, 3, 8, 8\), weight \(4, 3, 3\); expected a weight"),
    ((2, 3, 8, 8), (4, 3, 3, 3), (3,), {}, r"conv2d: .*bias \(3,\); expected a bias \(4,\)"),
    ((1, 1, 2, 2), (1, 1, 3, 3), None, {}, r"conv2d: input \(1, 1, 2, 2\), weight \(1, 1, 3, 3\), padding \(0, 0\); "
                                           r"expected a kernel that fits"),
])
def test_conv2d_bad_shapes_are_value_errors_naming_conv2d_and_the_shapes(x_shape, w_shape, b_shape, kwargs, message):
    bias = None if b_shape is None else Tensor(np.ones(b_shape))
    with pytest.raises(ValueError, match=message):
        F.conv2d(Tensor(np.ones(x_shape)), Tensor(np.ones(w_shape)), bias, **kwargs)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 2, 2))), stride=0), ValueError,
     r"conv2d: stride must be >= 1, got 0"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 2, 2))), padding=(1, 2, 3)), TypeError,
     r"conv2d: padding must be an int or a pair of ints"),
    (lambda: F.max_pool2d(Tensor(np.ones((1, 4, 4))), 2), ValueError, r"max_pool2d: input \(1, 4, 4\); expected a 4-D"),
    (lambda: F.max_pool2d(Tensor(np.ones((1, 1, 4, 4))), 5), ValueError, r"max_pool2d: .*kernel_size \(5, 5\)"),
    (lambda: nn.Conv2d(0, 4, 3), ValueError, r"Conv2d: in_channels must be >= 1, got 0"),
])
def test_bad_arguments_are_errors_naming_the_op(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_conv2d_layer_initialises_like_pytorch_within_one_over_root_fan_in():
    mg.manual_seed(0)
    layer = nn.Conv2d(3, 16, (3, 5))
    bound = 1 / math.sqrt(3 * 3 * 5)
    assert layer.weight.shape == (16, 3, 3, 5) and layer.bias.shape == (16,)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32 and np.abs(p.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound  # uniform over the whole range, not a narrower one


def test_conv2d_layer_is_seeded_by_manual_seed():
    mg.manual_seed(5)
    a = nn.Conv2d(1, 4, 3).weight.data
    mg.manual_seed(5)
    assert np.array_equal(nn.Conv2d(1, 4, 3).weight.data, a)


def test_layers_state_dict_names_match_pytorch():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64, 10))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "4.weight", "4.bias"]
    assert list(nn.Conv2d(1, 2, 3, bias=False).state_dict()) == ["weight"]


def test_layers_compose_into_a_small_cnn_on_digit_sized_images():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64, 10))
    out = model(Tensor(np.ones((5, 1, 8, 8), dtype=np.float32)))
    assert out.shape == (5, 10) and out.dtype == np.float32
    F.cross_entropy(out, np.arange(5)).backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


def test_flatten_keeps_the_batch_axis():
    assert nn.Flatten()(Tensor(np.ones((2, 3, 4, 5)))).shape == (2, 60)


def test_flatten_of_an_empty_batch_is_an_empty_batch_of_the_flattened_size_as_pytorch():
    torch = pytest.importorskip("torch")
    x = Tensor(np.ones((0, 3, 2, 2)), requires_grad=True)
    out = nn.Flatten()(x)
    assert out.shape == tuple(torch.nn.Flatten()(torch.ones(0, 3, 2, 2)).shape) == (0, 12)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 2, 2)


@pytest.mark.parametrize("shape", [(), (3,)], ids=["0-d", "1-D"])
def test_flatten_of_a_0d_or_1d_input_is_an_error_naming_flatten(shape):
    with pytest.raises(ValueError, match=rf"Flatten: input of shape {re.escape(str(shape))}; "
                                         r"expected at least 2 dimensions \(N, \.\.\.\)"):
        nn.Flatten()(Tensor(np.ones(shape)))


def test_conv2d_of_an_integer_image_has_the_weights_dtype_and_the_values_of_the_float_image():
    mg.manual_seed(0)
    layer = nn.Conv2d(2, 3, 3, padding=1)  # float32
    image = np.random.default_rng(7).integers(0, 2, (2, 2, 5, 5))
    for dtype in (np.int64, np.int32, np.uint8, np.bool_):
        out = layer(Tensor(image.astype(dtype)))
        assert out.dtype == np.float32, dtype
        np.testing.assert_array_equal(out.data, layer(Tensor(image.astype(np.float32))).data)


def test_conv2d_of_an_int64_image_equals_pytorch_on_the_image_cast_to_the_weights_dtype():
    torch = pytest.importorskip("torch")
    x, w, b = conv_inputs((2, 3, 5, 5), (4, 3, 3, 3), np.float32)
    image = np.random.default_rng(8).integers(0, 256, x.shape)  # int64
    out = F.conv2d(Tensor(image), Tensor(w), Tensor(b), padding=1)
    expected = torch.nn.functional.conv2d(torch.tensor(image).float(), torch.tensor(w), torch.tensor(b), padding=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-5, atol=1e-4)


def test_max_pool2d_of_a_window_holding_nan_is_nan_and_sends_the_gradient_to_its_last_nan():
    x = Tensor(np.array([[[[np.nan, 1.0], [np.nan, 2.0]]]]), requires_grad=True)
    out = F.max_pool2d(x, 2)
    out.sum().backward()
    assert np.isnan(out.item())
    assert x.grad.tolist() == [[[[0.0, 0.0], [1.0, 0.0]]]]


@pytest.mark.parametrize("x_shape, kernel, stride", POOLS)
def test_max_pool2d_with_nans_equals_pytorch_values_and_gradients(x_shape, kernel, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.integers(0, 3, x_shape).astype(np.float64)  # ties too
    x[rng.random(x_shape) < 0.3] = np.nan                 # windows with none, one and several NaNs
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.max_pool2d(ours, kernel, stride)
    expected = torch.nn.functional.max_pool2d(theirs, kernel, stride)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    assert np.isnan(out.data).any() and not np.isnan(out.data).all()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())  # NaN where PyTorch has NaN
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_convolution_and_pooling_are_one_node_each_with_a_symbol_for_pictures():
    x, w, b = (Tensor(a, requires_grad=True) for a in conv_inputs((1, 1, 4, 4), (2, 1, 3, 3)))
    out = F.max_pool2d(F.conv2d(x, w, b, padding=1), 2)
    pool, convolution = out.grad_fn, out.grad_fn.inputs[0].grad_fn
    assert type(pool).__name__ == "MaxPool2dOp" and type(convolution).__name__ == "Conv2dOp"
    assert (convolution.symbol, pool.symbol) == ("conv2d", "max pool")


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", GEOMETRIES)
def test_conv2d_values_and_gradients_equal_pytorch(x_shape, w_shape, stride, padding):
    torch = pytest.importorskip("torch")
    x, w, b = conv_inputs(x_shape, w_shape)
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*ours, stride=stride, padding=padding)
    expected = torch.nn.functional.conv2d(*theirs, stride=stride, padding=padding)
    upstream = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs_t in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, theirs_t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape, kernel, stride", POOLS)
def test_max_pool2d_values_and_gradients_equal_pytorch_ties_included(x_shape, kernel, stride):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).integers(0, 3, x_shape).astype(np.float64)  # small integers: many ties
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.max_pool2d(ours, kernel, stride)
    expected = torch.nn.functional.max_pool2d(theirs, kernel, stride)
    upstream = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_layer_matches_pytorch_layer_with_the_same_weights():
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    layer = nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1)
    reference = torch.nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1)
    reference.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((2, 2, 6, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, reference(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
