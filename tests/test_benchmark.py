"""benchmarks/run.py keeps running (in --quick mode) and refuses to time an
implementation whose step lands on other weights, or whose Hessian-vector
product differs, and prints the project's targets, the ones benchmarks/README.md
quotes. Nothing here is timed."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("benchmark_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_quick_run_reports_every_workload_memory_overhead_and_fused_ratio():
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for line in ("W1 ", "W2 ", "W3 ", "W4 ", "W5 ", "W2 peak memory", "W3 per-node overhead", "fused=False",
                 "H1 Hessian-vector product"):
        assert line in result.stdout


def test_one_step_of_minigrad_matches_the_hand_written_step(script):
    for workload in script.WORKLOADS:
        weights = script.initial_weights(workload)
        script.check_same_weights(workload, {"numpy": script.numpy_step(workload, weights),
                                                "minigrad": script.minigrad_step(workload, weights)})


def test_an_implementation_that_lands_elsewhere_is_refused(script):
    workload = script.WORKLOADS[0]
    weights = script.initial_weights(workload)
    step, weights_of = script.minigrad_step(workload, weights)

    def wrong_step():
        loss = step()
        weights_of()[0][0][0, 0] += 1.0
        return loss

    with pytest.raises(SystemExit, match="W1: wrong's (losses .* differ|weights after 3 steps differ) from NumPy's"):
        script.check_same_weights(workload, {"numpy": script.numpy_step(workload, weights),
                                                "wrong": (wrong_step, weights_of)})


def test_an_optimizer_that_forgets_zero_grad_is_refused(script):
    workload = script.WORKLOADS[2]
    weights = script.initial_weights(workload)
    model = script.minigrad_model(weights)
    loss_fn, optimizer = script.nn.CrossEntropyLoss(), script.optim.SGD(model.parameters(), lr=script.LR)
    x, y = script.batch(workload)

    def accumulating_step():  # gradients pile up over the steps
        loss = loss_fn(model(script.Tensor(x)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    with pytest.raises(SystemExit, match="W3: accumulating's"):
        script.check_same_weights(workload, {
            "numpy": script.numpy_step(workload, weights),
            "accumulating": (accumulating_step, lambda: [(m.weight.data, m.bias.data) for m in model
                                                         if isinstance(m, script.nn.Linear)])})


def test_an_implementation_that_upcasts_to_float64_is_refused(script):
    workload = script.WORKLOADS[2]
    weights = script.initial_weights(workload)
    params = [(W.astype(np.float64), b.astype(np.float64)) for W, b in weights]
    with pytest.raises(SystemExit, match="does not keep its weights float32"):
        script.check_same_weights(workload, {"numpy": script.numpy_step(workload, weights),
                                                "upcast": (lambda: 0.0, lambda: params)})


# ------------------------------------------------------- W5: a small CNN's step --

def test_one_cnn_step_of_minigrad_matches_the_hand_written_im2col_step(script):
    workload = script.CNN_WORKLOAD
    weights = script.cnn_weights(workload)
    script.check_same_weights(workload, {"numpy": script.numpy_cnn_step(workload, weights),
                                         "minigrad": script.minigrad_cnn_step(workload, weights)})


def test_the_hand_written_cnn_gradient_matches_finite_differences(script):
    """The reference itself, without any engine: its gradient (read off one step) against
    central differences of its loss, in float64, at a few conv and linear entries."""
    workload = script.CNN_WORKLOAD
    weights = [(W.astype(np.float64), b.astype(np.float64)) for W, b in script.cnn_weights(workload)]

    def loss_at(ws):
        step, _ = script.numpy_cnn_step(workload, ws)
        return step()  # the loss is computed before the update

    step, weights_of = script.numpy_cnn_step(workload, weights)
    step()
    eps = 1e-6
    for layer, index in ((0, (3, 0, 1, 2)), (0, (7, 0, 0, 0)), (1, (2, 100)), (1, (9, 5))):
        analytic = (weights[layer][0][index] - weights_of()[layer][0][index]) / script.LR
        plus = [(W.copy(), b.copy()) for W, b in weights]
        minus = [(W.copy(), b.copy()) for W, b in weights]
        plus[layer][0][index] += eps
        minus[layer][0][index] -= eps
        assert np.isclose(analytic, (loss_at(plus) - loss_at(minus)) / (2 * eps), rtol=1e-5, atol=1e-8)


def test_a_cnn_step_that_lands_elsewhere_is_refused(script):
    workload = script.CNN_WORKLOAD
    weights = script.cnn_weights(workload)
    step, weights_of = script.minigrad_cnn_step(workload, weights)

    def wrong_step():  # one conv weight off after each step
        loss = step()
        weights_of()[0][0][0, 0, 1, 1] += 0.01
        return loss

    with pytest.raises(SystemExit, match="W5: wrong's (losses .* differ|weights after 3 steps differ) from NumPy's"):
        script.check_same_weights(workload, {"numpy": script.numpy_cnn_step(workload, weights),
                                             "wrong": (wrong_step, weights_of)})


def test_a_cnn_whose_pooling_routes_the_gradient_wrongly_is_refused(script):
    """Average pooling instead of max pooling: same shapes, another gradient, refused."""
    workload = script.CNN_WORKLOAD
    weights = script.cnn_weights(workload)
    model = script.minigrad_cnn_model(weights)
    conv, linear = model[0], model[4]
    loss_fn, optimizer = script.nn.CrossEntropyLoss(), script.optim.SGD(model.parameters(), lr=script.LR)
    x, y = script.cnn_batch(workload)

    def average_pool_step():
        optimizer.zero_grad()
        h = script.nn.ReLU()(conv(script.Tensor(x)))
        n, c = h.shape[:2]
        pooled = h.reshape(n, c, 4, 2, 4, 2).mean(axis=(3, 5))
        loss = loss_fn(linear(pooled.reshape(n, -1)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    with pytest.raises(SystemExit, match="W5: average's"):
        script.check_same_weights(workload, {
            "numpy": script.numpy_cnn_step(workload, weights),
            "average": (average_pool_step, lambda: [(conv.weight.data, conv.bias.data),
                                                    (linear.weight.data, linear.bias.data)])})


# ------------------------------------------------ H1: Hessian-vector products --

def numpy_gradient(script, workload, weights):
    """dL/dparameters by hand, read off one SGD step of the hand-written NumPy step: (before − after) / lr."""
    step, weights_of = script.numpy_step(workload, weights)
    step()
    return [(before - after) / script.LR
            for pair, moved in zip(weights, weights_of()) for before, after in zip(pair, moved)]


def test_the_hand_written_hvp_is_the_derivative_of_the_hand_written_gradient(script):
    """The reference itself, checked without any engine: H·v ≈ (g(θ + εv) − g(θ − εv)) / 2ε, in float64."""
    workload = script.HVP_WORKLOAD
    weights = [(W.astype(np.float64), b.astype(np.float64)) for W, b in script.initial_weights(workload)]
    vectors = [v.astype(np.float64) for v in script.hvp_vectors(weights)]
    eps = 1e-6  # small, so that no ReLU crosses its kink between θ − εv and θ + εv

    def moved(sign):
        shifted = [array + sign * eps * v for array, v in zip((a for pair in weights for a in pair), vectors)]
        return list(zip(shifted[0::2], shifted[1::2]))

    numeric = [(plus - minus) / (2 * eps) for plus, minus in zip(numpy_gradient(script, workload, moved(+1)),
                                                                numpy_gradient(script, workload, moved(-1)))]
    analytic = script.numpy_hvp(workload, weights, vectors)()
    for h, n in zip(analytic, numeric):
        np.testing.assert_allclose(h, n, rtol=1e-5, atol=1e-7)


def test_minigrad_hvp_matches_the_hand_written_one(script):
    workload = script.HVP_WORKLOAD
    weights = script.initial_weights(workload)
    vectors = script.hvp_vectors(weights)
    script.check_same_hvp(workload, {"numpy": script.numpy_hvp(workload, weights, vectors),
                                     "minigrad": script.minigrad_hvp(workload, weights, vectors)})


def test_a_wrong_hvp_is_refused(script):
    workload = script.HVP_WORKLOAD
    weights = script.initial_weights(workload)
    vectors = script.hvp_vectors(weights)
    right = script.minigrad_hvp(workload, weights, vectors)
    first_order_only = script.minigrad_hvp(workload, weights, [np.zeros_like(v) for v in vectors])  # H·0 = 0

    def off_by_one_element():
        result = right()
        result[2][0, 0] += 0.01 * np.abs(result[2]).max()
        return result

    for wrong in (off_by_one_element, first_order_only):
        with pytest.raises(SystemExit, match="H1: wrong's HVP differs from NumPy's"):
            script.check_same_hvp(workload, {"numpy": script.numpy_hvp(workload, weights, vectors), "wrong": wrong})


def test_an_hvp_in_float64_or_of_other_shapes_is_refused(script):
    workload = script.HVP_WORKLOAD
    weights = script.initial_weights(workload)
    vectors = script.hvp_vectors(weights)
    right = script.numpy_hvp(workload, weights, vectors)
    for wrong, message in ((lambda: [h.astype(np.float64) for h in right()], "is not float32"),
                           (lambda: right()[:-1], "has other shapes")):
        with pytest.raises(SystemExit, match=f"H1: wrong's HVP {message}"):
            script.check_same_hvp(workload, {"numpy": right, "wrong": wrong})


# ------------------------------------------------------------------ targets --

TARGETS = {"W1": "<= 1.3", "W2": "<= 1.05", "W3": "<= 1.6", "W4": "<= 1.5", "W5": "<= 1.5",
           "H1": "<= 0.9"}  # × NumPy, and H1 × PyTorch: the project's targets


def test_the_script_prints_the_projects_targets(script):
    workloads = [*script.WORKLOADS, script.CNN_WORKLOAD, script.HVP_WORKLOAD]
    assert {w.name: w.target for w in workloads} == TARGETS


def test_the_benchmarks_page_quotes_the_scripts_targets(script):
    page = (SCRIPT.parent / "README.md").read_text(encoding="utf-8")
    section = page.split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (W\d|H1) \|.*\| ≤ ([\d.]+) × (NumPy|PyTorch) \|$", section, re.M)
    workloads = [*script.WORKLOADS, script.CNN_WORKLOAD, script.HVP_WORKLOAD]
    assert {name: f"<= {number}" for name, number, _ in rows} == {w.name: w.target for w in workloads}
    assert [name for name, _, against in rows if against == "PyTorch"] == ["H1"]


def test_the_benchmarks_page_quotes_the_compiled_targets(script):
    page = (SCRIPT.parent / "README.md").read_text(encoding="utf-8")
    section = page.split("## Compiled targets", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (W\d) \| ≤ ([\d.]+) × NumPy \|$", section, re.M)
    assert {name: f"<= {number}" for name, number in rows} == \
        {w.name: w.compiled_target for w in [*script.WORKLOADS, script.CNN_WORKLOAD]}


def test_a_compiled_step_that_lands_elsewhere_after_50_steps_is_refused(script):
    workload = script.WORKLOADS[2]

    def drifting(w, weights):  # an eager step whose weights drift a little from the compiled one's
        step, weights_of = script.minigrad_step(w, weights)
        calls = [0]

        def drift() -> float:
            calls[0] += 1
            loss = step()
            if calls[0] == 50:
                weights_of()[0][0][0, 0] += 1e-3
            return loss
        return drift, weights_of

    with pytest.raises(SystemExit, match="compiled step's weights after 50 steps differ"):
        script.check_compiled_matches_eager(workload, script.initial_weights, drifting)
