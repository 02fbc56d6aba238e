"""The version counter: backward refuses to use a saved value that was changed in place (as PyTorch)."""

import gc

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor, nn, optim

CHANGED = "changed in place since"


def leaf(values=(1.0, 2.0, 3.0)):
    return Tensor(np.array(values), requires_grad=True)


# ------------------------------------------------------ the programs --

def test_a_leaf_scaled_under_no_grad_after_its_product_was_recorded_makes_backward_raise_naming_mul():
    w = leaf()
    y = (w * w).sum()
    with mg.no_grad():
        w *= 10
    with pytest.raises(RuntimeError, match=r"mul saved input 0 .* it is at version 1, and mul saved version 0"):
        y.backward()


def test_a_constant_zeroed_in_place_after_its_product_was_recorded_makes_backward_raise_naming_mul():
    w, c = leaf(), Tensor(np.array([3.0, 4.0, 5.0]))
    y = (w * c).sum()
    c *= 0
    with pytest.raises(RuntimeError, match=r"mul saved input 1 \(a tensor of shape \(3,\)\)"):
        y.backward()


def test_an_output_changed_in_place_after_it_was_saved_makes_backward_raise():
    w = leaf()
    e = w.exp()
    y = (e * 2.0).sum()
    with mg.no_grad():
        e += 100.0
    with pytest.raises(RuntimeError, match=CHANGED):
        y.backward()


def test_exp_names_its_output_when_only_its_output_was_saved_and_changed():
    w = leaf()
    e = w.exp()
    with mg.no_grad():
        e += 100.0
    with pytest.raises(RuntimeError, match=r"exp saved its output \(a tensor of shape \(3,\)\).*version 1.*version 0"):
        e.sum().backward()


def test_the_error_leaves_every_grad_untouched():
    w = leaf()
    y = (w * w).sum()
    with mg.no_grad():
        w *= 10
    with pytest.raises(RuntimeError):
        y.backward()
    assert w.grad is None


def test_the_message_names_a_named_tensor():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    y = (w * w).sum()
    with mg.no_grad():
        w -= 1
    with pytest.raises(RuntimeError, match=r"input 0 \('w'\)"):
        y.backward()


# ------------------------------------------------------------- what counts --

@pytest.mark.parametrize("change", ["+=", "-=", "*=", "/=", "[]="])
def test_each_in_place_operator_counts_one_version(change):
    x = Tensor(np.array([1.0, 2.0]))
    for expected in (1, 2):
        if change == "[]=":
            x[0] = 5.0
        else:
            exec(f"x {change} 2.0", {}, {"x": x})
        assert x._version == expected


def test_versions_count_as_pytorchs_do():
    torch = pytest.importorskip("torch")
    ours, theirs = Tensor(np.zeros(3)), torch.zeros(3, dtype=torch.float64)
    for tensor in (ours, theirs):
        tensor += 1
        tensor *= 2
        tensor[1] = 7.0
    assert ours._version == theirs._version == 3


def test_a_recorded_op_does_not_count_a_version():
    x = leaf()
    (x * 2).exp()
    assert x._version == 0


def test_an_in_place_change_of_an_input_that_was_not_saved_is_allowed_as_in_pytorch():
    w, c = leaf(), Tensor(np.array([3.0, 4.0, 5.0]))
    y = (w + c).sum()          # add saves nothing: its gradient does not depend on c
    c *= 0
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_a_change_made_before_the_op_was_recorded_is_fine():
    w = leaf()
    with mg.no_grad():
        w *= 10
    (w * w).sum().backward()
    assert w.grad.tolist() == [20.0, 40.0, 60.0]


def test_a_change_elsewhere_does_not_stop_backward():
    w, other = leaf(), Tensor(np.ones(3))
    y = (w * w).sum()
    other *= 3
    y.backward()
    assert w.grad.tolist() == [2.0, 4.0, 6.0]


# ------------------------------------------------------ views share a version --

def test_a_detached_alias_shares_the_version():
    w = leaf()
    y = (w * w).sum()
    alias = w.detach()
    alias *= 10
    assert w._version == alias._version == 1
    with pytest.raises(RuntimeError, match=CHANGED):
        y.backward()


def test_a_slice_taken_under_no_grad_changes_the_memory_it_views():
    w = leaf()
    y = (w * w).sum()
    with mg.no_grad():
        part = w[1:]
        part[0] = 0.0
    with pytest.raises(RuntimeError, match=CHANGED):
        y.backward()


def test_a_transposed_weight_saved_by_matmul_is_caught_when_the_weight_is_stepped():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    x = Tensor(np.ones((4, 3)))
    loss = (x @ w.T).sum()             # matmul saves w.T, a view of w's memory
    optimizer = optim.SGD([w], lr=0.1)
    loss.backward()
    optimizer.step()
    with pytest.raises(RuntimeError, match=r"matmul saved input 1 .* version 1, and matmul saved version 0"):
        loss.backward()


# ------------------------------------------------------------- optimizers --

@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1), lambda p: optim.Adam(p, lr=0.01)],
                         ids=["SGD", "Adam"])
def test_a_graph_recorded_before_a_step_cannot_backpropagate_after_it(make):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    optimizer = make(model.parameters())
    loss = model(Tensor(np.ones((2, 3), dtype=np.float32))).sum()
    loss.backward()
    optimizer.step()
    with pytest.raises(RuntimeError, match=r"saved input 1 \('2.weight'\).* version 1, and affine saved version 0"):
        loss.backward()


def test_the_usual_training_loop_never_raises_and_each_step_counts_one_version():
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, y = Tensor(np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32)), np.arange(16) % 2
    for _ in range(100):
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        optimizer.step()
    assert {p._version for p in model.parameters()} == {100}


def test_a_parameter_without_a_gradient_is_skipped_and_keeps_its_version():
    used, unused = leaf(), leaf()
    optimizer = optim.SGD([used, unused], lr=0.1)
    (used * used).sum().backward()
    optimizer.step()
    assert (used._version, unused._version) == (1, 0)


def test_versions_outlive_the_optimizer_that_counted_them():
    w = leaf()
    optimizer = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    y.backward()
    optimizer.step()
    del optimizer
    gc.collect()
    assert w._version == 1
    with pytest.raises(RuntimeError, match=CHANGED):
        y.backward()


def test_load_state_dict_counts_a_version_of_each_parameter():
    model = nn.Linear(2, 2)
    loss = model(Tensor(np.ones((1, 2), dtype=np.float32))).sum()
    model.load_state_dict({"weight": np.zeros((2, 2), dtype=np.float32), "bias": np.zeros(2, dtype=np.float32)})
    assert model.weight._version == model.bias._version == 1
    with pytest.raises(RuntimeError, match=CHANGED):
        loss.backward()


def product_saved_between(changes_before: int, changes_after: int) -> Tensor:
    """(w * w).sum(), recorded after `changes_before` in-place changes of w and followed by `changes_after`."""
    w = leaf()
    with mg.no_grad():
        for _ in range(changes_before):
            w += 1
    y = (w * w).sum()
    with mg.no_grad():
        for _ in range(changes_after):
            w += 1
    return y


def test_many_changes_after_recording_report_the_saved_version_as_a_bound():
    with pytest.raises(RuntimeError, match=r"it is at version 105, and mul saved version \d+ or less"):
        product_saved_between(5, 100).backward()


def test_a_few_changes_after_recording_report_the_exact_saved_version():
    with pytest.raises(RuntimeError, match=r"it is at version 8, and mul saved version 5\."):
        product_saved_between(5, 3).backward()


# ----------------------------------------------------- grad, create_graph --

def test_grad_raises_like_backward():
    w = leaf()
    y = (w * w).sum()
    with mg.no_grad():
        w *= 2
    with pytest.raises(RuntimeError, match=CHANGED):
        mg.grad(y, [w])


def test_a_recorded_gradient_cannot_be_differentiated_after_its_input_changed():
    w = leaf()
    (g,) = mg.grad((w ** 3).sum(), [w], create_graph=True)
    with mg.no_grad():
        w *= 2
    with pytest.raises(RuntimeError, match=CHANGED):
        mg.grad(g.sum(), [w])


def test_hessian_vector_products_in_a_training_loop_keep_working():
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    params = list(model.parameters())
    optimizer = optim.SGD(params, lr=0.01)
    x = Tensor(np.ones((3, 2), dtype=np.float32))
    for _ in range(3):
        optimizer.zero_grad()
        loss = (model(x) ** 2).mean()
        gradients = mg.grad(loss, params, create_graph=True)
        penalty = sum((g * g).sum() for g in gradients)
        (loss + penalty).backward()
        optimizer.step()
    assert all(p._version == 3 for p in params)


def test_hooks_still_see_and_replace_gradients():
    w = leaf()
    w.register_hook(lambda g: g * 2)
    (w * w).sum().backward()
    assert w.grad.tolist() == [4.0, 8.0, 12.0]
