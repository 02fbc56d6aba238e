"""`grad`, `hvp` and `hessian` at their edges, against PyTorch: an input listed
twice, gradients that do not vary with the input (relu's mask, a linear map's
slope), functions that ignore their input. A gradient returned with
`create_graph=True` requires grad and differentiates to zeros where it is
constant, at any order; hvp and hessian then give zeros, as
torch.autograd.functional's do."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional

X = np.array([[1.0, -2.0, 3.0], [-0.5, 0.25, 2.0]])
A = np.array([[2.0, -1.0], [0.5, 3.0], [1.0, 1.0]])

# Scalar functions whose gradient does not vary with x (piecewise or exactly linear), in minigrad and
# in PyTorch: the Hessian is zero everywhere the gradient is defined.
CONSTANT_SLOPE = {
    "relu": (lambda t: t.relu().sum(), lambda t: t.relu().sum()),
    "abs": (lambda t: t.abs().sum(), lambda t: t.abs().sum()),
    "max": (lambda t: t.max(), lambda t: t.max()),
    "max-axis": (lambda t: t.max(axis=1).sum(), lambda t: t.amax(dim=1).sum()),
    "clip": (lambda t: t.clip(-1.0, 1.0).sum(), lambda t: t.clip(-1.0, 1.0).sum()),
    "linear": (lambda t: (3 * t - 1).sum(), lambda t: (3 * t - 1).sum()),
    "matmul": (lambda t: (t @ Tensor(A)).sum(), lambda t: (t @ torch.tensor(A)).sum()),
    "mean-of-slice": (lambda t: t[:, 1:].mean(), lambda t: t[:, 1:].mean()),
    "l1-fused": (lambda t: F.l1_loss(t, np.zeros_like(X)), lambda t: TF.l1_loss(t, torch.zeros(X.shape, dtype=t.dtype))),
    "l1-expanded": (lambda t: F.l1_loss(t, np.zeros_like(X), fused=False),
                    lambda t: TF.l1_loss(t, torch.zeros(X.shape, dtype=t.dtype))),
}
# Scalar functions that ignore x: their value is a constant, or depends on x.detach() or another tensor only.
W = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.5]])
IGNORING_X = {
    "detached": (lambda t: (t.detach() ** 2).sum(), lambda t: (t.detach() ** 2).sum()),
    "constant": (lambda t: Tensor(np.array(1.5)), lambda t: torch.tensor(1.5, dtype=torch.float64)),
    "another-tensor": (lambda t: (Tensor(W, requires_grad=True) * t.detach()).sum(),
                       lambda t: (torch.tensor(W, requires_grad=True) * t.detach()).sum()),
}


def leaf(array=X):
    return Tensor(array.copy(), requires_grad=True)


def torch_leaf(array=X):
    return torch.tensor(array, requires_grad=True)


# ------------------------------------------------------------ an input twice --

def test_an_input_listed_twice_gets_its_gradient_twice_as_in_pytorch():
    x, tx = leaf(), torch_leaf()
    gradients = mg.grad((x ** 3).sum(), [x, x])
    expected = torch.autograd.grad((tx ** 3).sum(), [tx, tx])
    assert len(gradients) == 2
    for g, e in zip(gradients, expected):
        np.testing.assert_allclose(g.data, e.numpy(), rtol=1e-12)


def test_an_input_listed_twice_is_not_reported_unused_under_allow_unused():
    x = leaf()
    first, second = mg.grad((x * x).sum(), [x, x], allow_unused=True)
    assert first is not None and np.array_equal(first.data, second.data)


def test_an_input_listed_twice_with_create_graph_gets_one_recorded_gradient_twice():
    x, tx = leaf(), torch_leaf()
    first, second = mg.grad((x ** 3).sum(), [x, x], create_graph=True)
    (hessian_diagonal,) = mg.grad(first.sum(), x)
    (expected,) = torch.autograd.grad(torch.autograd.grad((tx ** 3).sum(), [tx, tx], create_graph=True)[0].sum(), tx)
    assert first is second and first.requires_grad                        # PyTorch's are the same tensor too
    np.testing.assert_allclose(hessian_diagonal.data, expected.numpy(), rtol=1e-12)


def test_an_input_listed_twice_among_others_keeps_every_position():
    x, w = leaf(), leaf(W)
    gx, gw, gx_again = mg.grad((x * w).sum(), [x, w, x])
    assert np.array_equal(gx.data, W) and np.array_equal(gw.data, X) and np.array_equal(gx_again.data, W)


# ------------------------------------------------------- a constant gradient --

@pytest.mark.parametrize("name", sorted(CONSTANT_SLOPE))
def test_a_gradient_that_does_not_vary_with_x_requires_grad_under_create_graph(name):
    x = leaf()
    (g,) = mg.grad(CONSTANT_SLOPE[name][0](x), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None


@pytest.mark.parametrize("name", sorted(CONSTANT_SLOPE))
def test_a_gradient_that_does_not_vary_with_x_differentiates_to_zeros_with_pytorchs_first_derivative(name):
    fn, torch_fn = CONSTANT_SLOPE[name]
    x, tx = leaf(), torch_leaf()
    (g,) = mg.grad(fn(x), x, create_graph=True)
    (expected,) = torch.autograd.grad(torch_fn(tx), tx)
    np.testing.assert_allclose(g.data, expected.numpy(), rtol=1e-12)
    u = np.random.default_rng(0).standard_normal(X.shape)
    (second,) = mg.grad((g * Tensor(u)).sum(), x)
    assert second.shape == X.shape and np.array_equal(second.data, np.zeros_like(X))


@pytest.mark.parametrize("name", ["relu", "abs", "l1-fused"])
def test_where_pytorch_records_the_gradient_both_give_zeros_again(name):
    fn, torch_fn = CONSTANT_SLOPE[name]
    x, tx = leaf(), torch_leaf()
    (g,) = mg.grad(fn(x), x, create_graph=True)
    (tg,) = torch.autograd.grad(torch_fn(tx), tx, create_graph=True)
    assert tg.requires_grad                                           # PyTorch: ThresholdBackwardBackward, Mul
    np.testing.assert_array_equal(mg.grad(g.sum(), x)[0].data, torch.autograd.grad(tg.sum(), tx)[0].numpy(force=True))


def test_derivatives_of_a_polynomial_reach_zero_and_stay_differentiable_at_every_order():
    x = Tensor(np.array(1.5), requires_grad=True)
    out, found = x * x, []
    for _ in range(4):                                                # 2x, 2, 0, 0
        (out,) = mg.grad(out, x, create_graph=True)
        assert out.requires_grad
        found.append(out.item())
    assert found == [3.0, 2.0, 0.0, 0.0]


def test_a_constant_gradient_with_respect_to_one_input_still_varies_with_another():
    x, w = leaf(), leaf(W)
    (gx,) = mg.grad((x * w).sum(), x, create_graph=True)             # ∂/∂x = w: constant in x
    gx_x, gx_w = mg.grad((gx * gx).sum(), [x, w])
    assert np.array_equal(gx_x.data, np.zeros_like(X)) and np.allclose(gx_w.data, 2 * W)


def test_grad_under_no_grad_with_create_graph_still_records_the_returned_gradient():
    x = leaf()
    y = x.relu().sum()
    with mg.no_grad():
        (g,) = mg.grad(y, x, create_graph=True)
    assert g.requires_grad and np.array_equal(mg.grad(g.sum(), x)[0].data, np.zeros_like(X))


def test_a_gradient_penalty_on_a_piecewise_linear_critic_passes_gradcheck_and_gradgradcheck_in_float64():
    w = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))

    def penalty(t):  # ‖∂critic/∂t‖², as in a WGAN-GP; the critic's slope is constant in t
        with mg.enable_grad():  # gradcheck's finite differences run fn under no_grad
            (slope,) = mg.grad((t.relu() * w + (t * w).abs()).sum(), t, create_graph=True)
            return (slope ** 2).sum()

    x = Tensor(np.array([[0.7, -1.3, 2.1], [-0.4, 0.9, 1.6]]), requires_grad=True)   # away from kinks
    assert penalty(x).requires_grad
    assert mg.gradcheck(penalty, [x]) and mg.gradgradcheck(penalty, [x])


# -------------------------------------------------------------- hvp, hessian --

@pytest.mark.parametrize("name", sorted(CONSTANT_SLOPE))
def test_hvp_and_hessian_of_a_function_with_a_constant_slope_are_zero_as_in_pytorch(name):
    fn, torch_fn = CONSTANT_SLOPE[name]
    v = np.random.default_rng(1).standard_normal(X.shape)
    value, product = mg.hvp(fn, leaf(), v)
    t_value, t_product = torch.autograd.functional.hvp(torch_fn, torch.tensor(X), torch.tensor(v))
    assert value.item() == pytest.approx(t_value.item(), rel=1e-12)
    np.testing.assert_array_equal(product.data, t_product.numpy())
    np.testing.assert_array_equal(mg.hessian(fn, leaf()).data,
                                  torch.autograd.functional.hessian(torch_fn, torch.tensor(X)).numpy())


@pytest.mark.parametrize("name", sorted(IGNORING_X))
def test_hvp_and_hessian_of_a_function_that_ignores_x_are_zero_as_in_pytorch(name):
    fn, torch_fn = IGNORING_X[name]
    v = np.ones(X.shape)
    value, product = mg.hvp(fn, leaf(), v)
    t_value, t_product = torch.autograd.functional.hvp(torch_fn, torch.tensor(X), torch.tensor(v))
    assert value.item() == pytest.approx(t_value.item(), rel=1e-6) and not value.requires_grad
    assert product.shape == X.shape and np.array_equal(product.data, t_product.numpy())
    h = mg.hessian(fn, leaf())
    assert h.dtype == np.float64 and np.array_equal(h.data, torch.autograd.functional.hessian(
        torch_fn, torch.tensor(X)).numpy())


def test_hvp_and_hessian_run_fn_with_grad_enabled_inside_no_grad_as_pytorch():
    fn, torch_fn = (lambda t: (t ** 3).sum()), (lambda t: (t ** 3).sum())
    v = np.array([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0]])
    with mg.no_grad(), torch.no_grad():
        product = mg.hvp(fn, leaf(), v)[1]
        h = mg.hessian(fn, leaf())
        t_product = torch.autograd.functional.hvp(torch_fn, torch.tensor(X), torch.tensor(v))[1]
        t_h = torch.autograd.functional.hessian(torch_fn, torch.tensor(X))
    np.testing.assert_allclose(product.data, t_product.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.data, t_h.numpy(), rtol=1e-12)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)
values = st.floats(-3, 3, allow_nan=False, width=64).filter(lambda f: abs(f) > 1e-3)   # off relu's kink


@given(st.data())
def test_hvp_and_hessian_of_a_piecewise_linear_function_of_any_shape_are_zero_as_in_pytorch(data):
    shape = data.draw(shapes)
    x, w, v = (data.draw(hnp.arrays(np.float64, shape, elements=values)) for _ in range(3))
    fn = lambda t: (t.relu() * Tensor(w) + t.abs()).sum() + (t * Tensor(w)).sum()
    torch_fn = lambda t: (t.relu() * torch.tensor(w) + t.abs()).sum() + (t * torch.tensor(w)).sum()
    h = mg.hessian(fn, Tensor(x, requires_grad=True)).data
    assert h.shape == shape + shape
    np.testing.assert_array_equal(h, torch.autograd.functional.hessian(torch_fn, torch.tensor(x)).numpy())
    product = mg.hvp(fn, Tensor(x, requires_grad=True), v)[1].data
    np.testing.assert_array_equal(product, torch.autograd.functional.hvp(torch_fn, torch.tensor(x),
                                                                         torch.tensor(v))[1].numpy())


@given(st.data())
def test_a_linear_map_of_any_shape_has_a_recorded_gradient_whose_derivative_is_zero(data):
    shape = data.draw(shapes)
    w = data.draw(hnp.arrays(np.float64, shape, elements=values))
    x = Tensor(np.ones(shape), requires_grad=True)
    (g,) = mg.grad((x * Tensor(w)).sum(), x, create_graph=True)
    assert g.requires_grad and g.shape == shape and np.array_equal(g.data, w)
    (second,) = mg.grad((g * g).sum(), x)
    assert second.shape == shape and np.array_equal(second.data, np.zeros(shape))
