"""mg.compile: a step traced once, then run as the straight-line NumPy it prints as `.source`.

Compiled and eager copies of the same model take the same steps on the same batches: the losses,
gradients, parameters and optimizer state must agree after every step (they run the same NumPy
calls in the same order, so they agree to the bit; the tolerance is float32's)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import nn, optim
from minigrad.compiler import CompileCheckError, CompileWarning

RTOL, ATOL = 1e-6, 1e-7


def mlp(seed: int = 0, sizes: tuple[int, ...] = (4, 8, 8, 3)) -> nn.Sequential:
    mg.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(n_in, n_out)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


def cnn(seed: int = 0) -> nn.Sequential:
    mg.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 3))


OPTIMIZERS = {
    "sgd": lambda params: optim.SGD(params, lr=0.1),
    "momentum and weight decay": lambda params: optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=0.01),
    "nesterov": lambda params: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda params: optim.Adam(params, lr=0.01),
    "adam with weight decay": lambda params: optim.Adam(params, lr=0.01, weight_decay=0.01),
}


def training_step(model: nn.Module, optimizer: optim.Optimizer, loss: str, fused: bool = True):
    def step(x, y):
        optimizer.zero_grad()
        out = model(x)
        value = F.cross_entropy(out, y, fused=fused) if loss == "ce" else F.mse_loss(out, y, fused=fused)
        value.backward()
        optimizer.step()
        return value.item()
    return step


def batches(loss: str, steps: int, n_in: int = 4, n_out: int = 3, image: bool = False, sizes=(6,)):
    rng = np.random.default_rng(1)
    for i in range(steps):
        n = sizes[i * len(sizes) // steps]
        shape = (n, 1, 6, 6) if image else (n, n_in)
        x = mg.Tensor(rng.standard_normal(shape).astype(np.float32))
        y = rng.integers(0, n_out, n) if loss == "ce" else rng.standard_normal((n, n_out)).astype(np.float32)
        yield x, y


def assert_same_state(eager_model, compiled_model, eager_optimizer, compiled_optimizer):
    for (name, p), q in zip(eager_model.named_parameters(), compiled_model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=RTOL, atol=ATOL, err_msg=name)
        np.testing.assert_allclose(q.grad, p.grad, rtol=RTOL, atol=ATOL, err_msg=f"{name}.grad")
        assert q.data.dtype == p.data.dtype == np.float32
    for eager_state, compiled_state in zip(eager_optimizer.state, compiled_optimizer.state):
        assert eager_state.keys() == compiled_state.keys()
        for key in eager_state:
            np.testing.assert_allclose(compiled_state[key], eager_state[key], rtol=RTOL, atol=ATOL, err_msg=key)


def run_side_by_side(make_model, optimizer_name, loss, fused=True, steps=20, **batch_options):
    eager_model, compiled_model = make_model(), make_model()
    eager_optimizer = OPTIMIZERS[optimizer_name](eager_model.parameters())
    compiled_optimizer = OPTIMIZERS[optimizer_name](compiled_model.parameters())
    eager = training_step(eager_model, eager_optimizer, loss, fused)
    compiled = mg.compile(training_step(compiled_model, compiled_optimizer, loss, fused))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # no fallback to eager: the compiled code ran
        for x, y in batches(loss, steps, **batch_options):
            assert compiled(x, y) == pytest.approx(eager(x, y), rel=RTOL, abs=ATOL)
            assert_same_state(eager_model, compiled_model, eager_optimizer, compiled_optimizer)
    return compiled


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss, fused", [("ce", True), ("ce", False), ("mse", True), ("mse", False)])
def test_a_compiled_mlp_step_matches_the_eager_step_after_every_step(loss, fused, optimizer_name):
    compiled = run_side_by_side(mlp, optimizer_name, loss, fused)
    assert compiled.entries, "the compiled code never ran"


@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
def test_a_compiled_cnn_step_matches_the_eager_step(optimizer_name):
    run_side_by_side(cnn, optimizer_name, "ce", image=True, steps=8)


def test_a_new_batch_size_is_traced_again_and_both_traces_stay_in_use():
    compiled = run_side_by_side(mlp, "sgd", "ce", sizes=(6, 5, 6, 5), steps=16)
    assert len(compiled.entries) == 2  # one per batch shape, each reused as the sizes alternate


def test_a_step_built_on_mg_grad_matches_the_eager_step():
    def make():
        model = mlp()
        params = list(model.parameters())

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            grads = mg.grad(loss, params)
            with mg.no_grad():
                for p, g in zip(params, grads):
                    p -= 0.1 * g
            return loss.item()
        return model, step

    (eager_model, eager), (compiled_model, plain) = make(), make()
    compiled = mg.compile(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for x, y in batches("ce", 10):
            assert compiled(x, y) == pytest.approx(eager(x, y), rel=RTOL)
    for p, q in zip(eager_model.parameters(), compiled_model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=RTOL, atol=ATOL)


def test_a_changed_learning_rate_is_traced_again_not_frozen():
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    step = mg.compile(training_step(model, optimizer, "ce"))
    x, y = next(batches("ce", 1))
    step(x, y)
    step(x, y)
    before = [p.data.copy() for p in model.parameters()]
    optimizer.lr = 0.0
    step(x, y)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)  # lr 0: no change, as eagerly


def test_the_source_is_the_whole_step_forward_backward_update():
    model = mlp(sizes=(4, 8, 3))
    step = mg.compile(training_step(model, optim.SGD(model.parameters(), lr=0.1), "ce"))
    x, y = next(batches("ce", 1))
    step(x, y)
    source = step.source
    assert source.startswith("def step(x, y, W1, b1, W2, b2):")
    for expected in ["z1 = x @ W1.T + b1", "h1 = np.maximum(z1, 0)", "dL_dz1 = dL_dh1 * positive",
                     "W1 -= 0.1 * dL_dW1", "# forward", "# backward", "# update"]:
        assert expected in source
    assert 20 <= len(source.splitlines()) <= 45


def test_every_backward_line_of_a_w1_step_carries_a_derivative_comment():
    model = mlp(sizes=(64, 128, 10))
    step = mg.compile(training_step(model, optim.SGD(model.parameters(), lr=0.1), "ce"))
    rng = np.random.default_rng(0)
    step(mg.Tensor(rng.standard_normal((64, 64)).astype(np.float32)), rng.integers(0, 10, 64))
    backward = step.source.split("# backward")[1].split("# update")[0]
    lines = [line for line in backward.splitlines()[1:] if line.strip()]
    assert len(lines) >= 8
    for line in lines:
        assert re.search(r"\S\s+# \S", line), f"no derivative comment: {line}"


def test_the_source_run_on_its_own_gives_the_numbers_of_the_compiled_step():
    model = mlp(sizes=(4, 8, 3))
    step = mg.compile(training_step(model, optim.SGD(model.parameters(), lr=0.1), "ce"))
    x, y = next(batches("ce", 1))
    step(x, y)
    weights = [p.data.copy() for p in model.parameters()]
    namespace = dict(step.last.source.namespace)  # NumPy, and the constants it names (the one-hot rows)
    exec(step.source, namespace)  # noqa: S102  (the printed text, executed by itself)
    standalone = namespace["step"]
    copies = [w.copy() for w in weights]
    loss, *grads = standalone(x.data, y, *copies)
    expected_loss = step(x, y)
    assert loss == pytest.approx(expected_loss, rel=RTOL)
    for copy, p in zip(copies, model.parameters()):
        np.testing.assert_allclose(copy, p.data, rtol=RTOL, atol=ATOL)
    for grad, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(grad, p.grad, rtol=RTOL, atol=ATOL)


def test_the_source_names_only_numpy_and_what_it_shows_as_constants():
    model = mlp(sizes=(4, 8, 3))
    step = mg.compile(training_step(model, optim.SGD(model.parameters(), lr=0.1), "ce"))
    step(*next(batches("ce", 1)))
    assert set(step.last.source.namespace) <= {"np", "math", "GuardFailed", "identity"}


def test_check_catches_a_decision_on_a_value_the_trace_cannot_see():
    model = mlp(sizes=(2, 4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    calls = [0]

    def step(x, y):  # a Python counter decides: the trace sees only the branch it took
        calls[0] += 1
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        if calls[0] % 2:
            loss = loss * 2
        loss.backward()
        optimizer.step()
        return loss.item()

    compiled = mg.compile(step, check=True)
    x, y = mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32)
    compiled(x, y)  # traced: calls = 1, the doubled loss
    with pytest.raises(CompileCheckError, match=r"differ in (the returned value|W1)"):
        compiled(x, y)  # compiled: the trace, doubled; eager: call 2, not doubled


def test_check_passes_a_faithful_step_and_keeps_the_eager_results():
    model = mlp(sizes=(4, 8, 3))
    eager_model = mlp(sizes=(4, 8, 3))
    compiled = mg.compile(training_step(model, optim.Adam(model.parameters(), lr=0.01), "ce"), check=True)
    eager = training_step(eager_model, optim.Adam(eager_model.parameters(), lr=0.01), "ce")
    for x, y in batches("ce", 5):
        assert compiled(x, y) == eager(x, y)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_array_equal(q.data, p.data)


def halving_step(model: nn.Module, optimizer: optim.Optimizer):
    def step(x, y):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        if loss.item() > 0.5:  # a value the trace sees read: the compiled code checks it at each call
            loss = loss * 0.5
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def test_a_decision_on_a_traced_value_is_checked_at_each_call_and_runs_eagerly_when_it_differs():
    eager_model, compiled_model = mlp(sizes=(2, 4, 1)), mlp(sizes=(2, 4, 1))
    eager = halving_step(eager_model, optim.SGD(eager_model.parameters(), lr=0.1))
    compiled = mg.compile(halving_step(compiled_model, optim.SGD(compiled_model.parameters(), lr=0.1)))
    x = mg.Tensor(np.ones((3, 2), np.float32))
    small, large = np.zeros((3, 1), np.float32), np.full((3, 1), 5.0, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for y in [small, small, large, small, large, small]:
            assert compiled(x, y) == pytest.approx(eager(x, y), rel=RTOL)
    for p, q in zip(eager_model.parameters(), compiled_model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=RTOL, atol=ATOL)
    assert "if not " in compiled.source or "raise GuardFailed" in compiled.source


def test_a_hook_makes_the_step_run_eagerly_with_one_warning_naming_it():
    model = mlp(sizes=(2, 4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    model[0].weight.register_hook(lambda g: g * 0.5)
    step = mg.compile(training_step(model, optimizer, "mse"))
    x, y = mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32)
    with pytest.warns(CompileWarning, match="hook"):
        step(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # one warning, not one a call
        step(x, y)
    with pytest.raises(RuntimeError, match="runs eagerly: .*hook"):
        _ = step.source


def test_an_array_leaving_numpys_dispatch_makes_the_step_run_eagerly_with_the_place_named():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        y = (w * x).sum()
        np.asarray(y.data)  # NumPy code the trace cannot follow
        y.backward()
        return y.item()

    compiled = mg.compile(step)
    with pytest.warns(CompileWarning, match=r"test_compile\.py:\d+ converts a traced array"):
        assert compiled(mg.Tensor([1.0, 1.0])) == 3.0
    w.grad = None
    assert compiled(mg.Tensor([2.0, 2.0])) == 6.0
    assert w.grad.tolist() == [2.0, 2.0]


def test_the_first_call_returns_the_eager_result_and_source_waits_for_it():
    model = mlp(sizes=(2, 4, 1))
    step = mg.compile(training_step(model, optim.SGD(model.parameters(), lr=0.1), "mse"))
    with pytest.raises(RuntimeError, match="call it once first"):
        _ = step.source
    assert isinstance(step(mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32)), float)


def test_a_returned_tensor_comes_back_without_a_graph():
    w = mg.Tensor([1.0, -1.0], requires_grad=True)
    step = mg.compile(lambda x: (w * x).relu())
    step(mg.Tensor([3.0, 3.0]))
    out = step(mg.Tensor([2.0, 2.0]))
    assert out.data.tolist() == [2.0, 0.0] and not out.requires_grad


def test_an_update_by_the_compiled_step_counts_a_version_so_an_old_graph_refuses_backward():
    model = mlp(sizes=(2, 4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    step = mg.compile(training_step(model, optimizer, "mse"))
    x, y = mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32)
    step(x, y)
    old = F.mse_loss(model(x), y)
    step(x, y)
    with pytest.raises(RuntimeError, match="changed in place"):
        old.backward()


def test_compile_refuses_what_is_not_a_function():
    with pytest.raises(TypeError, match="compile: expected a function, got int"):
        mg.compile(3)


def test_the_traced_run_leaves_no_stand_in_behind():
    model = mlp(sizes=(2, 4, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    step = mg.compile(training_step(model, optimizer, "mse"))
    step(mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32))
    for p in model.parameters():
        assert type(p.data) is np.ndarray and type(p.grad) is np.ndarray
    for state in optimizer.state:
        assert all(isinstance(v, (np.ndarray, int)) for v in state.values())


def test_the_backward_as_code_chapter_shows_the_xor_step_as_compile_prints_it_today():
    from pathlib import Path

    chapter = (Path(__file__).resolve().parent.parent / "docs" / "backward_as_code.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- compiled: the XOR step above -->\n```python\n(.*?)```", chapter, re.S).group(1)
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.5)

    def train_step(x, labels):
        optimizer.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    step = mg.compile(train_step)
    step(mg.Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)), np.array([0, 1, 1, 0]))
    assert shown == step.source


@pytest.mark.parametrize("config", [dict(dataset="xor", epochs=3), dict(dataset="moons", epochs=3, loss="mse", optimizer="sgd"),
                                    dict(dataset="blobs", epochs=2, activation="tanh")], ids=["xor", "moons-mse", "blobs-tanh"])
def test_fit_compiled_gives_the_history_and_gradient_statistics_of_fit(config):
    from minigrad import training

    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        compiled = training.fit(training.TrainConfig(**config), compiled=True)
    eager = training.fit(training.TrainConfig(**config))
    assert compiled.history == eager.history
    for key, value in eager.stats.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(compiled.stats[key], value, err_msg=key)


def test_minigrad_train_compile_prints_the_accuracy_of_the_eager_run(tmp_path, capsys):
    from minigrad import cli

    assert cli.main(["train", "--dataset", "xor", "--epochs", "4", "--out", str(tmp_path / "eager")]) == 0
    eager = capsys.readouterr().out
    assert cli.main(["train", "--dataset", "xor", "--epochs", "4", "--compile", "--out", str(tmp_path / "compiled")]) == 0
    compiled = capsys.readouterr().out
    accuracy = re.compile(r"(?:train|test) accuracy[^\n]*")
    assert accuracy.findall(compiled) == accuracy.findall(eager) != []


def test_a_list_of_tensors_as_an_argument_runs_eagerly_with_one_warning():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    step = mg.compile(lambda xs: (w * xs[0]).sum().item())
    with pytest.warns(CompileWarning, match="argument 0 is a list, whose contents a trace would freeze"):
        assert step([mg.Tensor([1.0, 1.0])]) == 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        assert step([mg.Tensor([2.0, 2.0])]) == 6.0  # read afresh: eager


def test_the_gradient_of_an_argument_goes_to_the_tensor_of_that_call():
    w = mg.Tensor([1.0, -2.0], requires_grad=True)

    def input_gradient(x):
        (w * x).sum().backward()
        return x.grad

    step = mg.compile(input_gradient)
    first, second = mg.Tensor([1.0, 1.0], requires_grad=True), mg.Tensor([3.0, 3.0], requires_grad=True)
    step(first)
    out = step(second)
    assert second.grad.tolist() == [1.0, -2.0] and out.data.tolist() == [1.0, -2.0]
    assert first.grad.tolist() == [1.0, -2.0]  # written once, by its own call


def test_a_step_that_raises_while_traced_raises_and_leaves_real_arrays():
    model = mlp(sizes=(2, 4, 1))

    def step(x):
        loss = model(x).sum()
        loss.backward()
        raise ValueError("step: something went wrong")

    with pytest.raises(ValueError, match="something went wrong"):
        mg.compile(step)(mg.Tensor(np.ones((3, 2), np.float32)))
    assert all(type(p.data) is np.ndarray and type(p.grad) is np.ndarray for p in model.parameters())


def test_memory_stays_flat_over_many_compiled_steps():
    import tracemalloc

    model = mlp()
    step = mg.compile(training_step(model, optim.Adam(model.parameters(), lr=0.01), "ce"))
    data = list(batches("ce", 2))
    for x, y in data * 10:
        step(x, y)
    tracemalloc.start()
    for x, y in data * 5:
        step(x, y)
    start = tracemalloc.get_traced_memory()[0]
    for x, y in data * 200:
        step(x, y)
    grown = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    assert grown < 4000, f"{grown} bytes more after 400 steps"


def test_a_value_read_after_an_update_makes_the_step_run_eagerly_naming_the_line():
    model = mlp(sizes=(2, 4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if loss.item() > 100:  # too late to run eagerly instead: the parameters have changed
            print("large")
        return loss.item()

    with pytest.warns(CompileWarning, match=r"reads a value \(at test_compile\.py:\d+\) after it has changed"):
        mg.compile(step)(mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32))


def test_a_compiled_step_called_inside_another_compiled_step_becomes_part_of_its_trace():
    model = mlp(sizes=(2, 4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    inner = mg.compile(training_step(model, optimizer, "mse"))
    outer = mg.compile(lambda x, y: inner(x, y) + inner(x, y))
    eager_model = mlp(sizes=(2, 4, 1))
    eager_inner = training_step(eager_model, optim.SGD(eager_model.parameters(), lr=0.1), "mse")
    x, y = mg.Tensor(np.ones((3, 2), np.float32)), np.zeros((3, 1), np.float32)
    for _ in range(3):
        assert outer(x, y) == pytest.approx(eager_inner(x, y) + eager_inner(x, y), rel=RTOL)
    assert outer.source.count("# update") == 2


# ------------------------------------------------------- steps a review found compiled wrongly --

def same_as_eager(make, calls, strict=True):
    """make() -> (step, observe): build it twice, compile one, call both with each call's arguments, and
    compare the results and what observe() reads (parameters, gradients) after every call."""
    (eager, eager_seen), (plain, compiled_seen) = make(), make()
    compiled = mg.compile(plain)
    with warnings.catch_warnings():
        if strict:
            warnings.simplefilter("error", CompileWarning)
        for args in calls:
            np.testing.assert_allclose(np.asarray(compiled(*args), dtype=float), np.asarray(eager(*args), dtype=float),
                                       rtol=RTOL, atol=ATOL)
            for got, expected in zip(compiled_seen(), eager_seen()):
                np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    return compiled


def ones(*shape):
    return mg.Tensor(np.ones(shape, np.float32))


def test_a_gradient_accumulated_over_calls_adds_up_for_a_parameter_held_in_a_dict():
    def make():
        params = {"w": mg.Tensor(np.ones(3, np.float32), requires_grad=True)}

        def step(x):  # no zero_grad: the gradients add up over calls
            loss = (params["w"] * x).sum()
            loss.backward()
            return loss.item()
        return step, lambda: [params["w"].grad]
    same_as_eager(make, [(mg.Tensor([1.0, 2.0, 3.0]),)] * 4)


def test_a_global_name_bound_to_a_new_tensor_each_batch_is_read_afresh():
    model = mlp(sizes=(2, 3, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    namespace = {"model": model, "optimizer": optimizer, "F": F}
    exec("def step():\n    optimizer.zero_grad()\n    loss = F.mse_loss(model(xb), yb)\n    loss.backward()\n"
         "    optimizer.step()\n    return loss.item()\n", namespace)
    compiled = mg.compile(namespace["step"])
    eager_model = mlp(sizes=(2, 3, 1))
    eager_optimizer = optim.SGD(eager_model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(4):
        xb, yb = mg.Tensor(rng.standard_normal((4, 2)).astype(np.float32)), mg.Tensor(np.zeros((4, 1), np.float32))
        namespace.update(xb=xb, yb=yb)
        eager_optimizer.zero_grad()
        expected = F.mse_loss(eager_model(xb), yb)
        expected.backward()
        eager_optimizer.step()
        assert compiled() == pytest.approx(expected.item(), rel=RTOL)


def test_a_numpy_number_argument_is_a_value_of_the_key_not_an_identity():
    def make():
        w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)

        def step(x, scale):
            w.grad = None
            loss = (w * x).sum() * scale
            loss.backward()
            return loss.item()
        return step, lambda: [w.grad]
    same_as_eager(make, [(ones(3), np.float32(i)) for i in range(8)])


def test_a_step_that_changes_its_optimizers_learning_rate_runs_eagerly_with_a_warning():
    def make():
        w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
        optimizer = optim.SGD([w], lr=0.1)

        def step(x):
            optimizer.zero_grad()
            (w * x).sum().backward()
            optimizer.step()
            optimizer.lr *= 0.5
            return 0.0
        return step, lambda: [w.data]
    with pytest.warns(CompileWarning, match=r"changes SGD\.lr"):
        same_as_eager(make, [(ones(3),)] * 4, strict=False)


def test_an_in_place_tensor_operator_under_no_grad_is_part_of_the_step():
    def make():
        w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
        optimizer = optim.SGD([w], lr=0.1)

        def step(x):
            optimizer.zero_grad()
            (w * x).sum().backward()
            optimizer.step()
            with mg.no_grad():
                for p in optimizer.params:
                    p *= 0.9  # decoupled weight decay
                w[0] = 0.5
            return 0.0
        return step, lambda: [w.data]
    same_as_eager(make, [(ones(3),)] * 3)


def test_a_comparison_of_comparisons_keeps_its_brackets():
    def make():
        w = mg.Tensor(np.ones(1, np.float32), requires_grad=True)

        def step(x, y):
            w.grad = None
            out = w * x
            out.sum().backward()
            return ((out.data > 0) == (y.data > 0)).sum()
        return step, lambda: [w.grad]
    compiled = same_as_eager(make, [(mg.Tensor([1.0]), mg.Tensor([1.0])), (mg.Tensor([1.0]), mg.Tensor([-1.0]))])
    assert "(mul > 0) == (y > 0)" in compiled.source


def test_a_module_switched_to_eval_is_traced_again():
    class Noisy(nn.Module):
        def forward(self, x):
            return x * 2 if self.training else x

    def make():
        model = nn.Sequential(nn.Linear(2, 1), Noisy())

        def step(x):
            model.zero_grad()
            loss = model(x).sum()
            loss.backward()
            return loss.item()
        return step, model

    (eager, eager_model), (plain, compiled_model) = make(), make()
    compiled_model.load_state_dict(eager_model.state_dict())
    compiled = mg.compile(plain)
    for mode in (True, False, True):
        eager_model.train(mode), compiled_model.train(mode)
        assert compiled(ones(3, 2)) == pytest.approx(eager(ones(3, 2)), rel=RTOL)


@pytest.mark.parametrize("what", ["concatenate", "slice", "where", "nll_loss", "weighted cross_entropy", "round"])
def test_common_operations_compile_and_match_eager(what):
    def make():
        mg.manual_seed(0)
        layer = nn.Linear(4, 3)

        def step(x, y):
            layer.zero_grad()
            h = layer(x)
            if what == "concatenate":
                loss = mg.concatenate([h, h * 2], axis=1).sum()
            elif what == "slice":
                loss = (h[:, :2] ** 2).sum()
            elif what == "where":
                loss = mg.where(h.data > 0, h, h * 0.1).sum()
            elif what == "nll_loss":
                loss = F.nll_loss(h.log_softmax(axis=1), y)
            elif what == "weighted cross_entropy":
                loss = F.cross_entropy(h, y, weight=np.array([1.0, 2.0, 0.5], np.float32))
            else:
                loss = (h ** 2).mean()
            loss.backward()
            return round(loss.item(), 3) if what == "round" else loss.item()
        return step, lambda: [layer.weight.grad, layer.bias.grad]
    y = np.array([0, 1, 2, 1])
    rng = np.random.default_rng(0)
    calls = [(mg.Tensor(rng.standard_normal((4, 4)).astype(np.float32)), y) for _ in range(3)]
    same_as_eager(make, calls, strict=what != "weighted cross_entropy")  # its divisor changes with the labels


def test_a_keyword_only_argument_runs_eagerly_with_a_warning():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)

    def step(x, *, scale=1.0):
        return ((w * x).sum() * scale).item()

    compiled = mg.compile(step)
    with pytest.warns(CompileWarning, match="keyword-only arguments \\(scale\\)"):
        assert compiled(mg.Tensor([1.0, 1.0]), scale=2.0) == 6.0


def test_the_same_tensor_given_twice_stays_a_tensor_of_arrays():
    def make():
        w = mg.Tensor(np.ones(2, np.float32), requires_grad=True)

        def step(x, target):
            w.grad = None
            loss = ((w * x - target) ** 2).sum()
            loss.backward()
            return loss.item()
        return step, lambda: [w.grad]
    x, z = mg.Tensor([1.0, 2.0]), mg.Tensor([0.5, 0.5])
    same_as_eager(make, [(x, x), (x, x), (x, z), (x, x)])
    assert type(x.data) is np.ndarray


def test_a_step_that_rebinds_a_parameters_data_keeps_doing_so():
    def make():
        w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)

        def step(x):
            w.grad = None
            loss = ((w * x) ** 2).sum()
            loss.backward()
            with mg.no_grad():
                w.data = w.data - 0.1 * w.grad  # manual SGD, by a new array
            return loss.item()
        return step, lambda: [w.data]
    same_as_eager(make, [(mg.Tensor([1.0, 2.0, 3.0]),)] * 5)


def test_a_gradient_handed_to_grad_is_a_writable_array_of_its_own():
    w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)

    def step(x):
        optimizer.zero_grad()
        loss = w.sum() * 2 + (x * x).sum()  # dL/dw: a broadcast of the seed
        loss.backward()
        return loss.item()

    compiled = mg.compile(step)
    compiled(ones(3)), compiled(ones(3))
    assert w.grad.flags.writeable and w.grad.base is None


def test_a_branch_on_a_parameters_data_is_checked_at_each_call_and_runs_eagerly_when_it_differs():
    def make():
        w = mg.Tensor(np.array([1.0, 1.0], np.float32), requires_grad=True)
        optimizer = optim.SGD([w], lr=0.4)

        def step(x):
            optimizer.zero_grad()
            if w.data.sum() > 1.5:  # a parameter's own array, read by NumPy: its stand-in during the trace
                x = x * 2
            loss = (w * x).sum()
            loss.backward()
            optimizer.step()
            return loss.item()
        return step, lambda: [w.data]
    compiled = same_as_eager(make, [(mg.Tensor([1.0, 1.0]),)] * 4)
    assert "if not w.sum() > 1.5" in compiled.source


def test_an_in_place_write_into_a_parameters_data_is_part_of_the_step():
    def make():
        w = mg.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
        optimizer = optim.SGD([w], lr=0.1)

        def step(x):
            optimizer.zero_grad()
            (w * x).sum().backward()
            np.clip(w.grad, -0.5, 0.5, out=w.grad)  # clipping by value
            optimizer.step()
            w.data *= 0.5  # decoupled decay on the array itself
            np.clip(w.data, -1.5, 1.5, out=w.data)
            return 0.0
        return step, lambda: [w.data, w.grad]
    same_as_eager(make, [(mg.Tensor([3.0, -3.0]),)] * 4)


def test_a_rebound_model_and_optimizer_are_traced_again():
    namespace = {"F": F}
    exec("def step(x, y):\n    optimizer.zero_grad()\n    loss = F.mse_loss(model(x), y)\n    loss.backward()\n"
         "    optimizer.step()\n    return loss.item()\n", namespace)
    compiled = mg.compile(namespace["step"])
    x, y = ones(4, 2), np.zeros((4, 1), np.float32)
    for lr in (0.1, 0.5):  # a sweep: each run a new model and optimizer under the same names
        model = namespace["model"] = mlp(sizes=(2, 3, 1))
        namespace["optimizer"] = optim.SGD(model.parameters(), lr=lr)
        eager_model = mlp(sizes=(2, 3, 1))
        eager_optimizer = optim.SGD(eager_model.parameters(), lr=lr)
        for _ in range(3):
            eager_optimizer.zero_grad()
            expected = F.mse_loss(eager_model(x), y)
            expected.backward()
            eager_optimizer.step()
            assert compiled(x, y) == pytest.approx(expected.item(), rel=RTOL)


@pytest.mark.parametrize("change", ["new optimizer state", "new weight tensor", "frozen layer"])
def test_a_change_to_what_the_step_reads_between_calls_is_traced_again(change):
    def make():
        mg.manual_seed(0)
        layer = nn.Linear(2, 1)
        optimizer = optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)

        def step(x):
            optimizer.zero_grad()
            loss = layer(x).sum()
            loss.backward()
            optimizer.step()
            return loss.item()
        return step, layer, optimizer

    (eager, eager_layer, eager_optimizer), (plain, layer, optimizer) = make(), make()
    compiled = mg.compile(plain)
    x = mg.Tensor([[1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for call in range(5):
            if call == 2:
                for lay, opt in ((eager_layer, eager_optimizer), (layer, optimizer)):
                    if change == "new optimizer state":
                        opt.state = [{} for _ in opt.params]
                    elif change == "new weight tensor":
                        lay.weight = mg.Tensor([[0.0, 0.0]], requires_grad=True)
                        opt.params[0] = lay.weight
                    else:
                        lay.weight.requires_grad = False
            assert compiled(x) == pytest.approx(eager(x), rel=RTOL)
            np.testing.assert_allclose(layer.weight.data, eager_layer.weight.data, rtol=RTOL)


def test_a_tensor_made_in_the_step_that_requires_grad_gets_its_gradient_at_every_call():
    w = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)

    def step(x):  # the gradient with respect to the input, as for an adversarial example
        xr = mg.Tensor(x.data, requires_grad=True)
        ((w * xr * xr).sum()).backward()
        w.grad = None
        return xr.grad

    compiled = mg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for value in (1.0, 2.0, 3.0, 4.0):
            out = compiled(mg.Tensor([value] * 3))
            np.testing.assert_allclose(out.data, 2 * value * w.data)
    assert sum(len(entries) for entries in compiled.entries.values()) == 1
