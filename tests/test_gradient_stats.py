"""GradientStats records what is computed here by hand from .grad, the
parameters and the activations: on a 2-4-3 sigmoid network trained for two
epochs of three steps, and on layers built to saturate or die."""

import csv
import gc
import io
import sys
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor, nn, optim
from minigrad.core.op import Op
from minigrad.training.gradient_stats import COLUMNS, GradientStats

EPOCHS, STEPS, BATCH = 2, 3, 4


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def run():
    """Train a 2-4-3 sigmoid network with the recorder on, and write down by hand, at every
    step, each parameter's gradient and value before and after the step, the sigmoid's
    output a and dL/dz (z its input), computed in NumPy from the weights."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 3))
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    stats = GradientStats(model)
    rng = np.random.default_rng(0)
    by_hand = [[] for _ in range(EPOCHS)]
    for epoch in range(EPOCHS):
        for _ in range(STEPS):
            x, y = rng.standard_normal((BATCH, 2)).astype(np.float32) * 3, rng.integers(0, 3, BATCH)
            W1, b1, W2, b2 = (p.data.astype(np.float64) for p in model.parameters())
            a = 1 / (1 + np.exp(-(x @ W1.T + b1)))
            dlogits = (softmax(a @ W2.T + b2) - np.eye(3)[y]) / BATCH     # mean cross-entropy
            dz = dlogits @ W2 * a * (1 - a)
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(model(Tensor(x)), y).backward()
            grads, before = [p.grad.copy() for p in model.parameters()], [p.data.copy() for p in model.parameters()]
            stats.step(optimizer)
            after = [p.data.copy() for p in model.parameters()]
            by_hand[epoch].append({"grads": grads, "before": before, "after": after, "a": a, "dz": dz})
        stats.end_epoch()
    return stats, by_hand


def test_parameter_gradient_mean_max_and_norm_are_those_of_grad_averaged_over_the_epoch(run):
    stats, by_hand = run
    recorded = stats.arrays()
    for epoch, steps in enumerate(by_hand):
        for j in range(4):
            grads = [step["grads"][j] for step in steps]
            assert recorded["grad_mean"][epoch, j] == pytest.approx(np.mean([np.abs(g).mean() for g in grads]))
            assert recorded["grad_max"][epoch, j] == pytest.approx(max(np.abs(g).max() for g in grads))
            assert recorded["grad_norm"][epoch, j] == pytest.approx(np.mean([np.linalg.norm(g) for g in grads]))


def test_update_ratio_is_the_norm_of_the_change_over_the_norm_before_averaged_over_steps(run):
    stats, by_hand = run
    for epoch, steps in enumerate(by_hand):
        for j in range(4):
            ratios = [np.linalg.norm(s["after"][j] - s["before"][j]) / np.linalg.norm(s["before"][j]) for s in steps]
            assert stats.arrays()["update_ratio"][epoch, j] == pytest.approx(np.mean(ratios), rel=1e-5)


def test_preactivation_gradient_statistics_are_those_of_dL_dz_by_hand(run):
    stats, by_hand = run
    recorded = stats.arrays()
    for epoch, steps in enumerate(by_hand):
        dzs = [step["dz"] for step in steps]
        assert recorded["preactivation_grad_mean"][epoch, 0] == pytest.approx(np.mean([np.abs(d).mean() for d in dzs]),
                                                                              rel=1e-5)
        assert recorded["preactivation_grad_max"][epoch, 0] == pytest.approx(max(np.abs(d).max() for d in dzs),
                                                                             rel=1e-5)
        assert recorded["preactivation_grad_norm"][epoch, 0] == pytest.approx(
            np.mean([np.linalg.norm(d) for d in dzs]), rel=1e-5)


def test_activation_histogram_counts_the_epochs_activations_in_20_bins_over_0_to_1(run):
    stats, by_hand = run
    for epoch, steps in enumerate(by_hand):
        counts, edges = np.histogram(np.concatenate([step["a"] for step in steps]), bins=20, range=(0, 1))
        assert stats.arrays()["histogram"][epoch, 0].tolist() == counts.tolist()
    assert stats.histogram_edges[0].tolist() == pytest.approx(edges.tolist())


def test_sigmoid_saturation_is_the_fraction_of_the_epochs_activations_with_derivative_below_0_01(run):
    stats, by_hand = run
    for epoch, steps in enumerate(by_hand):
        a = np.concatenate([step["a"] for step in steps])
        assert stats.arrays()["saturated"][epoch, 0] == pytest.approx(np.mean(a * (1 - a) < 0.01))


def test_rows_are_one_per_epoch_layer_and_tensor_and_write_as_csv_with_epoch_layer_grad_norm(run):
    stats, _ = run
    rows = stats.rows()
    assert [(r["epoch"], r["layer"], r["module"], r["tensor"]) for r in rows[:5]] == [
        (1, "0", "Linear", "weight"), (1, "0", "Linear", "bias"), (1, "1", "Sigmoid", "pre-activation"),
        (1, "2", "Linear", "weight"), (1, "2", "Linear", "bias")]
    assert len(rows) == EPOCHS * 5 and rows[7]["epoch"] == 2 and rows[7]["steps"] == STEPS
    assert rows[0]["grad_norm"] == stats.arrays()["grad_norm"][0, 0]
    assert rows[0]["saturated"] is None and rows[2]["update_ratio"] is None
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    read = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert {"epoch", "layer", "grad_norm"} <= set(read[0]) and float(read[3]["grad_norm"]) == rows[3]["grad_norm"]


# ------------------------------------------------ layers built to saturate --

def one_layer(activation, weight, bias):
    model = nn.Sequential(nn.Linear(*np.shape(weight)[::-1]), activation)
    model[0].load_state_dict({"weight": np.array(weight, dtype=np.float32), "bias": np.array(bias, dtype=np.float32)})
    return model


def record(model, batches, stats=None):
    """Forward, backward and a (zero) step per batch, as one epoch; the recorder."""
    stats = stats or GradientStats(model)
    optimizer = optim.SGD(model.parameters(), lr=0.0)
    for x in batches:
        optimizer.zero_grad()
        model(Tensor(np.array(x, dtype=np.float32))).sum().backward()
        stats.step(optimizer)
    stats.end_epoch()
    return stats


def test_sigmoid_units_with_derivative_below_0_01_count_as_saturated():
    model = one_layer(nn.Sigmoid(), [[10.0], [0.0], [-10.0], [0.1]], [0, 0, 0, 0])
    stats = record(model, [[[1.0], [0.2]]])        # z = (10, 0, -10, 0.1) and (2, 0, -2, 0.02): σ′(±10) < 0.01
    assert stats.arrays()["saturated"][0, 0] == 2 / 8


def test_tanh_units_with_derivative_below_0_01_count_as_saturated():
    model = one_layer(nn.Tanh(), [[4.0], [0.0], [-10.0], [0.1]], [0, 0, 0, 0])
    stats = record(model, [[[1.0], [0.5]]])        # tanh′(4) = 0.0013, tanh′(-10), tanh′(-5): 3 of 8
    assert stats.arrays()["saturated"][0, 0] == 3 / 8


def test_a_relu_unit_is_dead_only_if_zero_for_every_sample_of_the_epoch():
    model = one_layer(nn.ReLU(), [[1.0], [-1.0], [0.0]], [0, 0, -1])   # units x, -x, and always 0
    one_batch = record(model, [[[1.0], [2.0]]])                        # -x is 0 here too
    two_batches = record(model, [[[1.0], [2.0]], [[-1.0], [3.0]]])     # -x is 1 for one sample
    assert one_batch.arrays()["saturated"][0, 0] == 2 / 3
    assert two_batches.arrays()["saturated"][0, 0] == 1 / 3


def test_relu_outputs_above_relu_max_count_in_the_last_bin():
    model = one_layer(nn.ReLU(), [[1.0]], [0])
    stats = record(model, [[[0.1], [2.6], [7.0]]], GradientStats(model, bins=5, relu_max=5.0))
    assert stats.arrays()["histogram"][0, 0].tolist() == [1, 0, 1, 0, 1]


def test_nan_activations_and_gradients_give_nan_statistics_without_warnings():
    model = one_layer(nn.Sigmoid(), [[1.0]], [0])
    stats = record(model, [[[np.nan], [0.0]]])     # RuntimeWarnings are errors in this suite
    assert stats.arrays()["histogram"][0, 0].tolist() == [0] * 10 + [1] + [0] * 8 + [1]
    assert np.isnan(stats.arrays()["grad_mean"][0]).all()


# ------------------------------------------------------------ when it records --

def sigmoid_model():
    mg.manual_seed(1)
    return nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 3))


def train_steps(model, stats, steps):
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, y = Tensor(np.ones((5, 2), dtype=np.float32)), np.array([0, 1, 2, 0, 1])
    grads = []
    for _ in range(steps):
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        grads.append(model[0].weight.grad.copy())
        stats.step(optimizer)
    return grads


def test_a_forward_under_no_grad_is_not_recorded():
    model = sigmoid_model()
    stats = GradientStats(model)
    train_steps(model, stats, 1)
    with mg.no_grad():
        model(Tensor(np.ones((100, 2), dtype=np.float32)))
    stats.end_epoch()
    assert stats.arrays()["histogram"].sum() == 5 * 4


def test_period_closes_a_record_every_k_steps():
    model = sigmoid_model()
    stats = GradientStats(model, period=2)
    train_steps(model, stats, 5)
    assert stats.arrays()["steps"].tolist() == [2, 2]


def test_record_every_n_records_one_step_in_n():
    model = sigmoid_model()
    stats = GradientStats(model, record_every=2)
    grads = train_steps(model, stats, 4)
    stats.end_epoch()
    recorded = stats.arrays()
    assert recorded["steps"].tolist() == [2] and recorded["histogram"].sum() == 2 * 5 * 4
    assert recorded["grad_mean"][0, 0] == pytest.approx(np.mean([np.abs(grads[0]).mean(), np.abs(grads[2]).mean()]))


def test_remove_detaches_every_hook_and_step_still_steps():
    model = sigmoid_model()
    stats = GradientStats(model)
    stats.remove()
    weight = model[0].weight.data.copy()
    z = model[0](Tensor(np.ones((1, 2), dtype=np.float32)))
    model[1](z)
    train_steps(model, stats, 1)
    stats.end_epoch()
    assert all(not m._forward_hooks for m in model.modules())
    assert not z._hooks
    assert stats.arrays()["steps"].tolist() == [0] and (model[0].weight.data != weight).any()


def test_a_periods_record_has_the_same_size_whatever_its_number_of_steps():
    model = sigmoid_model()
    stats = GradientStats(model)
    for steps in (1, 50):
        train_steps(model, stats, steps)
        stats.end_epoch()
    one, fifty = ({key: value[i].nbytes for key, value in stats.arrays().items()} for i in (0, 1))
    assert one == fifty


def live(kind):
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_after_warm_up_3000_recorded_steps_leave_no_tensors_ops_or_memory_behind():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn, optimizer = nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    stats = GradientStats(model)
    rng = np.random.default_rng(0)
    x, y = Tensor(rng.standard_normal((8, 2)).astype(np.float32)), rng.integers(0, 2, 8)

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        stats.step(optimizer)

    for _ in range(2_000):
        step()
    tensors, ops, blocks = live(Tensor), live(Op), sys.getallocatedblocks()
    tracemalloc.start()
    for _ in range(3_000):     # one long period: the running sums do not grow
        step()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert (live(Tensor), live(Op)) == (tensors, ops)
    assert sys.getallocatedblocks() - blocks < 100
    assert grown < 6 * 1024                                    # 2 bytes a step at most
