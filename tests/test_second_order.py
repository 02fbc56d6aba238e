"""Derivatives of derivatives: every op and every loss, fused and expanded,
passes gradgradcheck (second derivatives against finite differences of the
first), and `grad`, `hvp` and `hessian` behave as PyTorch's do."""

import numpy as np
import pytest
from loss_cases import PAIR_IDS, PAIRS
from op_cases import CASES

import minigrad as mg
from minigrad import Tensor

case_ids = lambda case: case.name


@pytest.mark.parametrize("case", CASES, ids=case_ids)
def test_every_op_passes_gradgradcheck_in_float64(case):
    tensors = [Tensor(a, requires_grad=True) for a in case.inputs()]
    assert mg.gradgradcheck(case.minigrad, tensors)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "expanded"])
@pytest.mark.parametrize("case, reduction, x", PAIRS, ids=PAIR_IDS)
def test_every_loss_passes_gradgradcheck(case, reduction, x, fused):
    loss = lambda t: case.loss(t, case.target, reduction=reduction, fused=fused)
    assert mg.gradgradcheck(loss, [Tensor(x.copy(), requires_grad=True)])


class SquareKeepingItsSlope(mg.Op):
    """x², whose forward keeps the slope 2x on itself without declaring it."""

    def forward(self, a):
        self.slope = 2 * a
        return a * a

    def backward(self, grad):
        return (grad * self.slope,)


def test_an_op_keeping_an_undeclared_array_is_refused_under_create_graph_naming_it():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    assert mg.gradcheck(lambda t: SquareKeepingItsSlope.apply(t).sum(), [x])  # first order: fine
    with pytest.raises(TypeError, match="SquareKeepingItsSlope keeps the array 'slope' on itself without declaring"):
        mg.grad(SquareKeepingItsSlope.apply(x).sum(), x, create_graph=True)


class SquareWithAFrozenSlope(SquareKeepingItsSlope):
    """The same op, its slope declared a constant: wrongly, since it depends on x."""

    constants = ("slope",)


def test_gradgradcheck_catches_a_slope_declared_constant_that_depends_on_the_input():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradgradcheck(lambda t: SquareWithAFrozenSlope.apply(t).sum(), [x])


class SquareWithACachedSlope(SquareKeepingItsSlope):
    """The same op, its slope declared a cache, which backward computes again from what it saved."""

    saves, caches = ("a",), ("slope",)

    def backward(self, grad):
        slope = self.slope if self.slope is not None else 2 * self.saved[0]
        return (grad * slope,)


def test_a_declared_cache_is_computed_again_on_tensors_so_second_derivatives_are_right():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    assert mg.gradgradcheck(lambda t: SquareWithACachedSlope.apply(t).sum(), [x])


def test_saves_must_name_inputs_of_forward_or_the_output():
    with pytest.raises(TypeError, match=r"Twice.saves names 'x': expected inputs of forward \(a: parameters"):
        class Twice(mg.Op):
            saves = ("x",)

            def forward(self, a):
                return 2 * a


def test_saves_refuses_an_optional_input_which_apply_may_not_be_given():
    with pytest.raises(TypeError, match=r"WithBias.saves names 'b': expected inputs of forward \(x: "):
        class WithBias(mg.Op):
            saves = ("b",)

            def forward(self, x, b=None):
                return x if b is None else x + b


class Scale(mg.Op):
    """x · k, its factor meant as an input."""

    saves = ("k",)

    def forward(self, x, k):
        return x * k

    def backward(self, grad):
        (k,) = self.saved
        return grad * k, None


def test_a_saved_input_given_by_keyword_is_refused_rather_than_read_off_the_output():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert np.array_equal(mg.grad(Scale.apply(x, Tensor(np.array(3.0))).sum(), x)[0].data, [3.0, 3.0])
    with pytest.raises(TypeError, match=r"scale: Scale.saves names input 1 of forward, but apply got 1 inputs"):
        Scale.apply(x, k=3.0)


class SquareKeepingItsSlopeInATuple(SquareKeepingItsSlope):
    def forward(self, a):
        self.slopes = (2 * a,)
        return a * a

    def backward(self, grad):
        return (grad * self.slopes[0],)


def test_an_undeclared_array_inside_a_tuple_is_refused_too():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    with pytest.raises(TypeError, match="keeps the array 'slopes' on itself without declaring"):
        mg.grad(SquareKeepingItsSlopeInATuple.apply(x).sum(), x, create_graph=True)


def test_an_op_that_saves_nothing_has_no_saved_values_on_arrays_or_on_tensors():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x + x
    assert not hasattr(y.grad_fn, "saved") and not hasattr(y.grad_fn.on_tensors(y), "saved")


def test_saved_values_are_the_inputs_own_arrays_and_output_not_copies():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    quotient = a / b
    assert quotient.grad_fn.saved[0] is b.data and quotient.grad_fn.saved[1] is quotient.data


# --------------------------------------------------------------- mg.grad --

def small_network(seed=0):
    mg.manual_seed(seed)
    model = mg.nn.Sequential(mg.nn.Linear(3, 5, dtype=np.float64), mg.nn.Tanh(), mg.nn.Linear(5, 2, dtype=np.float64))
    x = Tensor(np.random.default_rng(seed).standard_normal((4, 3)))
    loss = mg.functional.cross_entropy(model(x), np.array([0, 1, 1, 0]))
    return model, loss


def test_first_order_grad_equals_what_backward_leaves_in_grad():
    model, loss = small_network()
    gradients = mg.grad(loss, list(model.parameters()))
    loss.backward()
    for p, g in zip(model.parameters(), gradients):
        np.testing.assert_allclose(g.data, p.grad, rtol=1e-12)
        assert g.shape == p.shape and g.dtype == p.dtype


def test_inputs_may_be_any_iterable_of_tensors_such_as_model_parameters():
    model, loss = small_network()
    assert len(mg.grad(loss, model.parameters())) == len(list(model.parameters()))


def test_grad_without_create_graph_returns_plain_tensors_and_leaves_every_grad_alone():
    model, loss = small_network()
    first = next(iter(model.parameters()))
    first.grad = np.full(first.shape, 7.0)
    gradients = mg.grad(loss, list(model.parameters()))
    assert all(g.grad_fn is None and not g.requires_grad for g in gradients)
    assert np.all(first.grad == 7.0) and all(p.grad is None for p in list(model.parameters())[1:])


def test_grad_with_create_graph_returns_tensors_that_require_grad_and_can_be_drawn():
    x = Tensor(np.array(0.5), requires_grad=True, name="x")
    (dy,) = mg.grad(x.tanh(), x, create_graph=True)
    assert dy.requires_grad and dy.grad_fn is not None
    pytest.importorskip("graphviz")
    from minigrad import viz
    assert "tanh" in viz.draw_graph(dy).source           # the graph of a gradient is a graph like any other


@pytest.mark.parametrize("z", [-2.0, 0.3, 1.7])
def test_third_derivatives_of_tanh_and_sigmoid_equal_their_closed_forms(z):
    def derivatives(f, order=3):
        x = Tensor(np.array(z), requires_grad=True)
        out, found = f(x), []
        for _ in range(order):
            (out,) = mg.grad(out, x, create_graph=True)
            found.append(out.item())
        return found

    t, s = np.tanh(z), 1 / (1 + np.exp(-z))
    tanh_closed = [1 - t ** 2, -2 * t * (1 - t ** 2), (1 - t ** 2) * (6 * t ** 2 - 2)]
    s1 = s * (1 - s)
    sigmoid_closed = [s1, s1 * (1 - 2 * s), s1 * (1 - 6 * s + 6 * s ** 2)]
    np.testing.assert_allclose(derivatives(Tensor.tanh), tanh_closed, rtol=1e-10)
    np.testing.assert_allclose(derivatives(Tensor.sigmoid), sigmoid_closed, rtol=1e-10)


def test_an_input_the_outputs_do_not_use_is_an_error_unless_allow_unused():
    x, unused = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with pytest.raises(ValueError, match="grad: input 1 is not used"):
        mg.grad(x * 3, [x, unused])
    assert mg.grad(x * 3, [x, unused], allow_unused=True)[1] is None


def test_an_output_with_several_elements_needs_grad_outputs_of_its_shape():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match="grad_outputs may be left out only for one-element outputs"):
        mg.grad(x * x, x)
    with pytest.raises(ValueError, match=r"grad_outputs\[0\] has shape \(3,\)"):
        mg.grad(x * x, x, grad_outputs=np.ones(3))
    assert mg.grad(x * x, x, grad_outputs=np.array([1.0, 0.5]))[0].data.tolist() == [2.0, 2.0]


def test_several_outputs_add_their_gradients():
    x = Tensor(np.array(3.0), requires_grad=True)
    assert mg.grad([x * x, x * 2], x)[0].item() == 8.0


@pytest.mark.parametrize("bad, message", [("inputs", "input 0 does not require grad"),
                                          ("outputs", "output 0 does not require grad"),
                                          ("type", "outputs must be a Tensor")])
def test_bad_arguments_name_grad_and_what_was_expected(bad, message):
    x = Tensor(np.array(3.0), requires_grad=True)
    with pytest.raises((ValueError, TypeError), match=message):
        if bad == "inputs":
            mg.grad(x * 2, Tensor(1.0))
        elif bad == "outputs":
            mg.grad(Tensor(1.0), x)
        else:
            mg.grad(3.0, x)


# ---------------------------------------------------------- hvp, hessian --

def quadratic_form(a):
    return lambda t: (t @ Tensor(a) @ t) / 2 + (t ** 3).sum()


def test_the_hessian_of_a_quadratic_form_plus_cubes_is_its_symmetric_part_plus_6x():
    a = np.array([[2.0, 1.0], [3.0, 4.0]])
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    expected = (a + a.T) / 2 + np.diag(6 * x.data)
    np.testing.assert_allclose(mg.hessian(quadratic_form(a), x).data, expected, rtol=1e-12)


def test_hvp_equals_the_hessian_times_v_and_returns_the_value():
    a = np.array([[2.0, 1.0], [3.0, 4.0]])
    x, v = Tensor(np.array([0.5, -1.0]), requires_grad=True), np.array([1.0, 2.0])
    value, product = mg.hvp(quadratic_form(a), x, v)
    np.testing.assert_allclose(product.data, mg.hessian(quadratic_form(a), x).data @ v, rtol=1e-12)
    assert value.item() == pytest.approx(quadratic_form(a)(x).item())


def test_the_hessian_of_a_network_loss_is_symmetric_and_matches_finite_differences_of_the_gradient():
    rng = np.random.default_rng(3)
    data, labels = rng.standard_normal((6, 2)), np.array([0, 1, 2, 1, 0, 2])

    def loss(w):  # a 2-3 softmax regression, its 9 parameters in one vector
        return mg.functional.cross_entropy(Tensor(data) @ w[:6].reshape(2, 3) + w[6:], labels)

    w = Tensor(rng.standard_normal(9), requires_grad=True)
    h = mg.hessian(loss, w).data
    np.testing.assert_allclose(h, h.T, atol=1e-12)
    def gradient_at(values):
        point = Tensor(values, requires_grad=True)
        return mg.grad(loss(point), point)[0].data

    eps, numeric = 1e-6, np.zeros((9, 9))
    for i in range(9):
        step = np.eye(9)[i] * eps
        numeric[:, i] = (gradient_at(w.data + step) - gradient_at(w.data - step)) / (2 * eps)
    np.testing.assert_allclose(h, numeric, atol=1e-6)
    assert np.linalg.eigvalsh(h).min() > -1e-10       # softmax cross-entropy is convex in its weights


def test_memory_stays_flat_over_many_hvp_steps():
    import gc
    import tracemalloc
    model, _ = small_network()
    params = list(model.parameters())
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)))
    v = [np.ones(p.shape) for p in params]

    def hvp_step():
        loss = mg.functional.cross_entropy(model(x), np.array([0, 1, 1, 0]))
        gradients = mg.grad(loss, params, create_graph=True)
        total = sum((g * Tensor(u)).sum() for g, u in zip(gradients, v))
        return mg.grad(total, params)

    for _ in range(200):  # warm up: caches, first allocations
        hvp_step()
    gc.collect()
    tracemalloc.start()
    for _ in range(300):
        hvp_step()
    gc.collect()
    middle, _ = tracemalloc.get_traced_memory()
    for _ in range(700):
        hvp_step()
    gc.collect()
    end, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert end - middle < 50_000, end - middle


def test_two_inputs_on_one_array_keep_their_own_second_derivatives():
    shared = np.array(2.0)
    x, y = Tensor(shared, requires_grad=True), Tensor(shared, requires_grad=True)
    (dx,) = mg.grad(x * y, x, create_graph=True)
    (dy,) = mg.grad(x * y, y, create_graph=True)
    assert mg.grad(dx, y)[0].item() == 1.0 and mg.grad(dy, x)[0].item() == 1.0
    (d,) = mg.grad(x.detach() * x, x, create_graph=True)   # the detached copy is a constant factor
    assert d.item() == 2.0 and mg.grad(d, x)[0].item() == 0.0


class ExpWithNumPy(mg.Op):
    saves = ("a",)

    def forward(self, a):
        return np.exp(a)

    def backward(self, grad):
        (a,) = self.saved
        return (grad * np.exp(a),)  # fine on arrays; np.exp cannot take a Tensor


def test_a_rule_that_calls_numpy_on_a_saved_input_says_so_under_create_graph():
    x = Tensor(np.array(0.5), requires_grad=True)
    assert mg.grad(ExpWithNumPy.apply(x), x)[0].item() == pytest.approx(np.exp(0.5))
    with pytest.raises(TypeError, match="grad: the backward of ExpWithNumPy cannot run on Tensors.*rule_math"):
        mg.grad(ExpWithNumPy.apply(x), x, create_graph=True)


class SquareForgettingItsCache(SquareWithACachedSlope):
    def backward(self, grad):
        return (grad * self.slope,)  # under create_graph the cache is None


def test_a_backward_that_reads_a_dropped_cache_is_told_the_cache_is_none_under_create_graph():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    with pytest.raises(TypeError, match=r"SquareForgettingItsCache cannot run on Tensors.*caches \(slope\) are None"):
        mg.grad(SquareForgettingItsCache.apply(x).sum(), x, create_graph=True)
