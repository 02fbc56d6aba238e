"""Hooks as PyTorch's: Tensor.register_hook sees a gradient once it is complete
and may replace it; Module.register_forward_hook sees each forward's inputs
and output and may replace the output; both fire in registration order and
are removed by their handles."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor, nn

# ------------------------------------------------------------ tensor hooks --

def test_a_tensor_hook_gets_the_gradient_summed_over_every_path_as_a_tensor_without_graph():
    x = Tensor(3.0, requires_grad=True)
    h = x * 2                                  # h = 6, used by two paths
    seen = []
    h.register_hook(seen.append)
    (h * h + h).backward()                     # dL/dh = 2h + 1 = 13
    assert len(seen) == 1 and isinstance(seen[0], Tensor)
    assert seen[0].item() == 13.0 and not seen[0].requires_grad


def test_tensor_hooks_fire_outputs_first_each_once_its_gradient_is_complete():
    x = Tensor(1.0, requires_grad=True, name="x")
    a = x * 2
    long = a.exp().exp()                       # one long path from a ...
    y = long + a                               # ... and one short: a's gradient is complete after both
    order = []
    for tensor, name in ((x, "x"), (a, "a"), (long, "long"), (y, "y")):
        tensor.register_hook(lambda grad, name=name: order.append((name, grad.item())))
    y.backward()
    e2 = np.exp(2.0)
    assert [name for name, _ in order] == ["y", "long", "a", "x"]
    assert dict(order)["a"] == pytest.approx(np.exp(e2) * e2 + 1, rel=1e-6)   # both paths, in one call


def test_a_leaf_hook_fires_before_grad_is_written_and_what_it_returns_becomes_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    grad_when_called = []
    x.register_hook(lambda grad: grad_when_called.append(x.grad) or grad * 10)
    (x * x).sum().backward()
    assert grad_when_called == [None]
    assert x.grad.tolist() == [20.0, 40.0]


def test_a_gradient_replaced_by_an_intermediate_hook_is_what_flows_upstream():
    x = Tensor(2.0, requires_grad=True)
    h = x * 3
    h.register_hook(lambda grad: np.zeros_like(grad.data))
    (h * h).backward()
    assert x.grad.item() == 0.0


def test_hooks_on_one_tensor_run_in_registration_order_each_given_the_previous_replacement():
    x = Tensor(1.0, requires_grad=True)
    calls = []
    x.register_hook(lambda grad: calls.append(("first", grad.item())) or grad + 1)
    x.register_hook(lambda grad: calls.append(("second", grad.item())) or grad * 10)
    (x * 5).backward()
    assert calls == [("first", 5.0), ("second", 6.0)]
    assert x.grad.item() == 60.0


def test_a_removed_tensor_hook_does_not_fire_and_removing_twice_is_harmless():
    x = Tensor(1.0, requires_grad=True)
    calls = []
    handle = x.register_hook(calls.append)
    handle.remove()
    handle.remove()
    (x * 2).backward()
    assert calls == [] and x.grad.item() == 2.0


def test_a_hook_handle_used_as_a_context_manager_removes_the_hook_on_leaving():
    x = Tensor(1.0, requires_grad=True)
    calls = []
    with x.register_hook(calls.append):
        (x * 2).backward()
    (x * 2).backward()
    assert len(calls) == 1


def test_tensor_hooks_fire_in_grad_and_a_replacement_is_returned_without_touching_grad():
    x = Tensor(2.0, requires_grad=True)
    h = x * x
    seen = []
    h.register_hook(lambda grad: seen.append(grad.item()) or grad * 0.5)
    (dx,) = mg.grad(h * 3, x)
    assert seen == [3.0]
    assert dx.item() == 3 * 0.5 * 2 * 2.0 and x.grad is None


def test_with_create_graph_a_hook_gets_the_recorded_gradient_and_its_replacement_is_differentiated():
    x = Tensor(2.0, requires_grad=True)
    h = x * x                                  # h = x²
    recorded = []
    handle = h.register_hook(lambda grad: recorded.append(grad.requires_grad) or grad * h)  # 2h becomes 2h²
    (dx,) = mg.grad(h ** 2, x, create_graph=True)                                  # 2h² · 2x = 4x⁵
    handle.remove()                            # (the second pass goes through h too, and would call it again)
    (d2x,) = mg.grad(dx, x)                                                         # 20x⁴
    assert recorded == [True]
    assert dx.item() == 4 * 2.0 ** 5 and d2x.item() == 20 * 2.0 ** 4


def test_a_hook_gets_a_read_only_gradient_so_it_cannot_change_arrays_ops_share():
    x = Tensor([1.0, 2.0], requires_grad=True)

    def scale_in_place(grad):
        grad.data *= 2

    x.register_hook(scale_in_place)
    with pytest.raises(ValueError, match="read-only"):
        (x * 3).sum().backward()
    assert x.grad is None


def test_a_hook_runs_without_recording_a_graph():
    x, w = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    made = []
    x.register_hook(lambda grad: made.append(grad * w))
    (x * 2).sum().backward()
    assert made[0].data.tolist() == [6.0, 8.0] and not made[0].requires_grad


def test_a_hook_returning_another_shape_is_an_error_naming_both_shapes():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda grad: np.ones(3))
    with pytest.raises(ValueError, match=r"returned shape \(3,\); expected .* shape \(2,\)"):
        (x * 2).sum().backward()


def test_a_hook_on_a_tensor_that_does_not_require_grad_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(print)


def test_tensors_without_hooks_keep_none_so_backward_checks_one_attribute():
    x = Tensor(1.0, requires_grad=True)
    y = x * 2
    assert x._hooks is None and y._hooks is None


# ----------------------------------------------------------- forward hooks --

def test_a_forward_hook_gets_the_module_the_tuple_of_inputs_and_the_output():
    layer = nn.Linear(2, 3)
    x = Tensor(np.ones((4, 2), dtype=np.float32))
    calls = []
    layer.register_forward_hook(lambda module, inputs, output: calls.append((module, inputs, output)))
    out = layer(x)
    (module, inputs, output), = calls
    assert module is layer and inputs == (x,) and output is out


def test_forward_hooks_fire_in_registration_order_inner_modules_first():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    order = []
    model.register_forward_hook(lambda *_: order.append("model, first"))
    model[1].register_forward_hook(lambda *_: order.append("relu"))
    model.register_forward_hook(lambda *_: order.append("model, second"))
    model[0].register_forward_hook(lambda *_: order.append("linear"))
    model(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert order == ["linear", "relu", "model, first", "model, second"]


def test_what_a_forward_hook_returns_replaces_the_output_for_later_hooks_and_the_caller():
    relu = nn.ReLU()
    seen = []
    relu.register_forward_hook(lambda module, inputs, output: output * 10)
    relu.register_forward_hook(lambda module, inputs, output: seen.append(output.data.tolist()))
    out = relu(Tensor([-1.0, 2.0]))
    assert seen == [[0.0, 20.0]] and out.data.tolist() == [0.0, 20.0]


def test_a_removed_forward_hook_does_not_fire():
    relu = nn.ReLU()
    calls = []
    handle = relu.register_forward_hook(lambda *args: calls.append(args))
    handle.remove()
    relu(Tensor([1.0]))
    assert calls == []


def test_forward_hooks_are_neither_parameters_nor_submodules_nor_saved():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    before = (list(model.state_dict()), [name for name, _ in model.named_modules()], repr(model))
    model[0].register_forward_hook(nn.Tanh())         # even a Module as the hook
    after = (list(model.state_dict()), [name for name, _ in model.named_modules()], repr(model))
    assert after == before
