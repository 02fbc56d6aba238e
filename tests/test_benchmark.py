"""benchmarks/run.py keeps running (in --quick mode) and refuses to time an
implementation whose step lands on other weights. Nothing here is timed."""

import importlib.util
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
    for line in ("W1 ", "W2 ", "W3 ", "W4 ", "W2 peak memory", "W3 per-node overhead", "fused=False"):
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
