"""Optimizers: SGD and Adam take the steps PyTorch's take, write them into
`param.data` in place and in its dtype, skip parameters without a gradient,
and refuse bad settings with a message naming the optimizer and the value."""

import re

import numpy as np
import pytest

from minigrad import Tensor, nn, optim

# Two steps worked by hand: the parameter starts at P0, and step k sees gradient GRADS[k].
P0 = [1.0, 2.0]
GRADS = [[1.0, -1.0], [2.0, 0.5]]


def two_steps(optimizer_class, **settings):
    """The parameter's value after each of the two hand-worked steps (in float64, like the hand arithmetic)."""
    param = Tensor(np.array(P0), requires_grad=True)
    optimizer = optimizer_class([param], **settings)
    values = []
    for grad in GRADS:
        param.grad = np.array(grad)
        optimizer.step()
        values.append(param.data.tolist())
    return values


@pytest.mark.parametrize("settings, expected", [
    # p1 = [1, 2] − 0.5·[1, −1] = [0.5, 2.5];  p2 = p1 − 0.5·[2, 0.5] = [−0.5, 2.25]
    pytest.param(dict(lr=0.5), [[0.5, 2.5], [-0.5, 2.25]], id="plain"),
    # b1 = g1 = [1, −1], p1 = [0.5, 2.5];  b2 = 0.5·b1 + g2 = [2.5, 0], p2 = p1 − 0.5·b2 = [−0.75, 2.5]
    pytest.param(dict(lr=0.5, momentum=0.5), [[0.5, 2.5], [-0.75, 2.5]], id="momentum"),
    # b1 = g1, p1 = p0 − 0.5·(g1 + 0.5·b1) = [0.25, 2.75];
    # b2 = [2.5, 0], p2 = p1 − 0.5·(g2 + 0.5·b2) = p1 − 0.5·[3.25, 0.5] = [−1.375, 2.5]
    pytest.param(dict(lr=0.5, momentum=0.5, nesterov=True), [[0.25, 2.75], [-1.375, 2.5]], id="nesterov"),
    # d1 = g1 + 0.5·p0 = [1.5, 0], p1 = [0.25, 2];  d2 = g2 + 0.5·p1 = [2.125, 1.5], p2 = [−0.8125, 1.25]
    pytest.param(dict(lr=0.5, weight_decay=0.5), [[0.25, 2.0], [-0.8125, 1.25]], id="weight-decay"),
    # the decayed gradient goes into the buffer: b1 = d1 = [1.5, 0], p1 = [0.25, 2];
    # d2 = [2.125, 1.5], b2 = 0.5·b1 + d2 = [2.875, 1.5], p2 = p1 − 0.5·b2 = [−1.1875, 1.25]
    pytest.param(dict(lr=0.5, momentum=0.5, weight_decay=0.5), [[0.25, 2.0], [-1.1875, 1.25]],
                 id="momentum-and-weight-decay"),
])
def test_sgd_takes_the_hand_computed_steps(settings, expected):
    np.testing.assert_allclose(two_steps(optim.SGD, **settings), expected, rtol=1e-12)


@pytest.mark.parametrize("settings, expected", [
    # step 1: m̂ = g1 and v̂ = g1², so p1 = p0 − 0.1·sign(g1) = [0.9, 2.1] (up to eps)
    # step 2: m = 0.9·0.1·g1 + 0.1·g2 = [0.29, −0.04], v = 0.999·0.001·g1² + 0.001·g2² = [0.004999, 0.001249],
    #         m̂ = m/(1 − 0.9²), v̂ = v/(1 − 0.999²), p2 = p1 − 0.1·m̂/√v̂ = [0.8034818, 2.1266337]
    pytest.param(dict(lr=0.1), [[0.9, 2.1], [0.8034818, 2.1266337]], id="plain"),
    # g1' = g1 + 0.5·p0 = [1.5, 0]: the second weight gets m = v = 0 and stays, p1 = [0.9, 2];
    # g2' = g2 + 0.5·p1 = [2.45, 1.5], m = [0.38, 0.15], v = [0.00825025, 0.00225], p2 = [0.8015529, 1.9255863]
    pytest.param(dict(lr=0.1, weight_decay=0.5), [[0.9, 2.0], [0.8015529, 1.9255863]], id="weight-decay"),
])
def test_adam_takes_the_hand_computed_steps(settings, expected):
    np.testing.assert_allclose(two_steps(optim.Adam, **settings), expected, rtol=1e-7)


def test_adam_counts_steps_per_parameter():
    early, late = Tensor(np.array([1.0]), requires_grad=True), Tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.Adam([early, late], lr=0.1)
    early.grad = np.array([1.0])
    optimizer.step()  # `late` has no gradient yet: its step count stays 0
    early.grad, late.grad = np.array([1.0]), np.array([1.0])
    optimizer.step()
    assert late.data.tolist() == pytest.approx([0.9])  # a bias-corrected first step: lr·sign(g)


# Settings that exercise every branch, as (optimizer name, keyword arguments).
CONFIGS = {
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd-momentum-weight-decay": ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    "sgd-nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(lr=0.1)),
    "adam-weight-decay-betas": ("Adam", dict(lr=0.1, betas=(0.8, 0.99), weight_decay=0.01)),
}


def make(config, params):
    name, settings = CONFIGS[config]
    return getattr(optim, name)(params, **settings)


def run_steps(optimizer, params, grads_per_step):
    for grads in grads_per_step:
        for param, grad in zip(params, grads):
            param.grad = grad
        optimizer.step()


def random_grads(shapes, steps, seed=0):
    """For each step, one float32 gradient per shape."""
    rng = np.random.default_rng(seed)
    return [[np.asarray(rng.standard_normal(shape), dtype=np.float32) for shape in shapes] for _ in range(steps)]


def reference_steps(name, settings, initial, grads_per_step):
    """PyTorch's documented algorithms (torch.optim.SGD / Adam pseudo-code), written
    out plainly in float64, one parameter at a time."""
    lr, wd = settings["lr"], settings.get("weight_decay", 0.0)
    momentum, nesterov = settings.get("momentum", 0.0), settings.get("nesterov", False)
    beta1, beta2 = settings.get("betas", (0.9, 0.999))
    params = [array.astype(np.float64) for array in initial]
    state = [dict(step=0, buffer=None, m=0.0, v=0.0) for _ in params]
    for grads in grads_per_step:
        for i, grad in enumerate(grads):
            if grad is None:
                continue
            g, s = grad + wd * params[i], state[i]
            if name == "SGD":
                if momentum:
                    s["buffer"] = g if s["buffer"] is None else momentum * s["buffer"] + g
                    g = g + momentum * s["buffer"] if nesterov else s["buffer"]
                params[i] = params[i] - lr * g
            else:
                s["step"] += 1
                s["m"] = beta1 * s["m"] + (1 - beta1) * g
                s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
                m_hat, v_hat = s["m"] / (1 - beta1 ** s["step"]), s["v"] / (1 - beta2 ** s["step"])
                params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return params


@pytest.mark.parametrize("config", CONFIGS)
def test_five_steps_match_pytorchs_algorithm_written_out(config):
    shapes = [(3, 4), (4,), ()]
    rng = np.random.default_rng(1)
    initial = [np.asarray(rng.standard_normal(shape), dtype=np.float32) for shape in shapes]
    grads_per_step = random_grads(shapes, steps=5)
    grads_per_step[0][1] = None  # the second parameter misses the first step
    ours = [Tensor(array.copy(), requires_grad=True) for array in initial]
    run_steps(make(config, ours), ours, grads_per_step)
    expected = reference_steps(*CONFIGS[config], initial, grads_per_step)
    for mine, reference in zip(ours, expected):
        np.testing.assert_allclose(mine.data, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("shape", [(), (3,)], ids=["0-d", "vector"])
def test_step_updates_param_data_in_place(config, shape):
    param = Tensor(np.ones(shape, dtype=np.float32), requires_grad=True)
    array = param.data
    run_steps(make(config, [param]), [param], random_grads([shape], steps=3))
    assert param.data is array
    assert not np.all(array == 1)


@pytest.mark.parametrize("config", CONFIGS)
def test_float32_parameters_stay_float32(config):
    param = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    optimizer = make(config, [param])
    for _ in range(3):
        optimizer.zero_grad()
        ((param * param).sum() + param.sum()).backward()
        optimizer.step()
    assert param.data.dtype == np.float32


@pytest.mark.parametrize("optimizer_class, settings", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.01)),
], ids=["SGD", "Adam"])
def test_numpy_float64_hyperparameters_do_not_turn_float32_arithmetic_into_float64(optimizer_class, settings):
    as_numpy = {key: tuple(map(np.float64, value)) if isinstance(value, tuple) else np.float64(value)
                for key, value in settings.items()}
    grads = random_grads([(1000,)], steps=3)
    python_param, numpy_param = (Tensor(np.ones(1000, dtype=np.float32), requires_grad=True) for _ in range(2))
    run_steps(optimizer_class([python_param], **settings), [python_param], grads)
    run_steps(optimizer_class([numpy_param], **as_numpy), [numpy_param], grads)
    np.testing.assert_array_equal(numpy_param.data, python_param.data)


@pytest.mark.parametrize("config", CONFIGS)
def test_a_zero_dimensional_parameter_moves_like_a_one_element_vector(config):
    scalar, vector = Tensor(np.float32(1.0), requires_grad=True), Tensor(np.ones(1, dtype=np.float32), requires_grad=True)
    grads = random_grads([()], steps=3)
    run_steps(make(config, [scalar]), [scalar], grads)
    run_steps(make(config, [vector]), [vector], [[grad.reshape(1)] for [grad] in grads])
    assert scalar.data.reshape(1).tolist() == vector.data.tolist()


@pytest.mark.parametrize("config", CONFIGS)
def test_a_parameter_whose_grad_is_none_is_left_as_it_was(config):
    trained, frozen = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    run_steps(make(config, [trained, frozen]), [trained, frozen], [[np.ones(2, dtype=np.float32), None]] * 3)
    assert frozen.data.tolist() == [3.0, 4.0]
    assert trained.data.tolist() != [1.0, 2.0]


@pytest.mark.parametrize("config", CONFIGS)
def test_zero_grad_sets_every_grad_to_none(config):
    params = [Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)]
    optimizer = make(config, params)
    (params[0] * params[1]).sum().backward()
    optimizer.zero_grad()
    assert [param.grad for param in params] == [None, None]


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
def test_params_may_be_a_generator(optimizer_class):
    params = [Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)]
    optimizer = optimizer_class((param for param in params), lr=0.1)
    run_steps(optimizer, params, [[np.ones(1, dtype=np.float32)] * 2])
    assert [param.data.item() for param in params] == pytest.approx([0.9, 1.9])


@pytest.mark.parametrize("config", CONFIGS)
def test_repeated_steps_reach_the_minimum_of_a_quadratic(config):
    w = Tensor([0.0, 5.0], requires_grad=True)
    optimizer = make(config, [w])
    for _ in range(500):
        optimizer.zero_grad()
        ((w - 3.0) ** 2).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(w.data, [3.0, 3.0], atol=0.05)


def one_param():
    return [Tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize("make_optimizer, message", [
    (lambda: optim.SGD(one_param(), lr=-0.1), r"SGD: invalid lr=-0.1; expected lr >= 0"),
    (lambda: optim.SGD(one_param(), lr=float("nan")), r"SGD: invalid lr=nan; expected lr >= 0"),
    (lambda: optim.SGD(one_param(), lr=0.1, momentum=-0.9), r"SGD: invalid momentum=-0.9; expected momentum >= 0"),
    (lambda: optim.SGD(one_param(), lr=0.1, weight_decay=-1e-4), r"SGD: invalid weight_decay=-0.0001"),
    (lambda: optim.SGD(one_param(), lr=0.1, nesterov=True), r"SGD: nesterov=True needs momentum > 0, got momentum=0.0"),
    (lambda: optim.Adam(one_param(), lr=-1e-3), r"Adam: invalid lr=-0.001; expected lr >= 0"),
    (lambda: optim.Adam(one_param(), betas=(1.0, 0.999)), r"Adam: invalid betas=\(1.0, 0.999\); expected each beta in \[0, 1\)"),
    (lambda: optim.Adam(one_param(), betas=(0.9, -0.1)), r"Adam: invalid betas=\(0.9, -0.1\)"),
    (lambda: optim.Adam(one_param(), eps=-1e-8), r"Adam: invalid eps=-1e-08; expected eps >= 0"),
    (lambda: optim.Adam(one_param(), weight_decay=-0.1), r"Adam: invalid weight_decay=-0.1"),
], ids=["sgd-lr", "sgd-lr-nan", "sgd-momentum", "sgd-weight-decay", "sgd-nesterov-without-momentum",
        "adam-lr", "adam-beta1", "adam-beta2", "adam-eps", "adam-weight-decay"])
def test_a_bad_hyperparameter_is_a_value_error_naming_the_optimizer_and_the_value(make_optimizer, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer()


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
@pytest.mark.parametrize("params, error, message", [
    ([], ValueError, "got an empty parameter list"),
    ((p for p in []), ValueError, "got an empty parameter list"),
    ([Tensor([1.0], requires_grad=True), Tensor([1.0, 2.0])], ValueError,
     r"param 1 \(shape \(2,\)\) does not require grad"),
    ([Tensor([1.0], requires_grad=True) * 2], ValueError, r"param 0 \(shape \(1,\)\) is not a leaf"),
    ([np.ones(2)], TypeError, "param 0 has type ndarray; expected a Tensor"),
    (Tensor([1.0, 2.0], requires_grad=True), TypeError, "params must be an iterable of Tensors, got a single Tensor"),
], ids=["empty-list", "empty-generator", "no-requires-grad", "non-leaf", "not-a-tensor", "single-tensor"])
def test_bad_params_are_refused_naming_the_optimizer(optimizer_class, params, error, message):
    with pytest.raises(error, match=rf"{optimizer_class.__name__}: {message}"):
        optimizer_class(params, lr=0.1)


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
def test_a_parameter_listed_twice_is_refused(optimizer_class):
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=f"{optimizer_class.__name__}: a parameter appears more than once"):
        optimizer_class([w, w], lr=0.1)


@pytest.mark.parametrize("make_optimizer, message", [
    (lambda: optim.SGD(one_param(), lr=None), "SGD: invalid lr=None of type NoneType; expected a number"),
    (lambda: optim.SGD(one_param(), lr="0.1"), "SGD: invalid lr='0.1' of type str; expected a number"),
    (lambda: optim.SGD(one_param(), lr=0.1, momentum=[0.9]), "SGD: invalid momentum=[0.9] of type list"),
    (lambda: optim.SGD(one_param(), lr=0.1, weight_decay=None), "SGD: invalid weight_decay=None of type NoneType"),
    (lambda: optim.SGD(one_param(), lr=0.1, momentum=0.9, nesterov="yes"),
     "SGD: invalid nesterov='yes' of type str; expected True or False"),
    (lambda: optim.Adam(one_param(), lr=None), "Adam: invalid lr=None of type NoneType; expected a number"),
    (lambda: optim.Adam(one_param(), eps="1e-8"), "Adam: invalid eps='1e-8' of type str; expected a number"),
    (lambda: optim.Adam(one_param(), betas=0.9), "Adam: invalid betas=0.9; expected a pair of numbers (beta1, beta2)"),
    (lambda: optim.Adam(one_param(), betas=(0.9, 0.99, 0.999)),
     "Adam: invalid betas=(0.9, 0.99, 0.999); expected a pair"),
    (lambda: optim.Adam(one_param(), betas=(0.9, None)), "Adam: invalid betas=(0.9, None); expected a pair of numbers"),
], ids=["sgd-lr-none", "sgd-lr-str", "sgd-momentum-list", "sgd-weight-decay-none", "sgd-nesterov-str",
        "adam-lr-none", "adam-eps-str", "adam-betas-number", "adam-betas-triple", "adam-beta-none"])
def test_a_hyperparameter_of_the_wrong_type_is_a_type_error_naming_the_optimizer_and_the_value(make_optimizer, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        make_optimizer()


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
@pytest.mark.parametrize("params, message", [
    (nn.Linear(2, 1), "params is a Linear (a Module); pass model.parameters()"),
    (nn.Sequential(nn.Linear(2, 1)), "params is a Sequential (a Module); pass model.parameters()"),
    (0.1, "params must be an iterable of Tensors, got float"),
], ids=["module", "sequential", "number"])
def test_params_that_are_not_an_iterable_of_tensors_are_a_type_error_saying_what_to_pass(optimizer_class, params,
                                                                                         message):
    with pytest.raises(TypeError, match=re.escape(f"{optimizer_class.__name__}: {message}")):
        optimizer_class(params, lr=0.1)


def test_numpy_numbers_are_accepted_as_hyperparameters():
    optimizer = optim.Adam(one_param(), lr=np.float32(0.1), betas=[np.float64(0.9), 0.999], eps=np.int64(0))
    assert (optimizer.lr, optimizer.beta1, optimizer.eps) == (pytest.approx(0.1), 0.9, 0.0)
