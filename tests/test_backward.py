"""How backward walks the graph: shared subexpressions, accumulation, no_grad,
detach, deep chains, and what it keeps and releases."""

import gc
import threading
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor
from minigrad.core.op import Op


def test_a_tensor_used_twice_gets_both_gradients():
    x = Tensor(3.0, requires_grad=True)
    a = x * 2                      # a is used by both branches of the diamond
    y = a * a + a                  # dy/dx = (2a + 1) * 2 = 26
    y.backward()
    assert x.grad.item() == 26.0


def test_the_same_tensor_as_both_operands_gets_both_gradients():
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, -4.0]


def test_gradients_accumulate_over_two_backward_calls_on_one_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward()
    y.backward()
    assert x.grad.item() == 2 * 12.0


def test_gradients_accumulate_over_two_graphs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3 + 2, 3 + 4]


def test_zero_grad_starts_a_fresh_accumulation():
    x = Tensor(2.0, requires_grad=True)
    (x * 5).backward()
    x.zero_grad()
    assert x.grad is None
    (x * 7).backward()
    assert x.grad.item() == 7.0


def test_backward_seeds_with_the_given_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).backward(Tensor([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -2.0]


def test_leaf_grad_is_its_own_array_not_an_alias_of_a_sibling():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.ones(2))          # Add hands the same array to both inputs
    a.grad *= 10
    assert b.grad.tolist() == [1.0, 1.0]


def test_leaf_grad_does_not_alias_the_seed_array():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)   # same dtype as the seed: no cast copies it
    seed = np.ones(2)
    (x + 0).backward(seed)
    seed[:] = 5
    assert x.grad.tolist() == [1.0, 1.0]


def test_a_gradient_an_op_also_keeps_is_copied_into_grad():
    class KeepsItsGradient(Op):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            self.kept = grad * 2  # d/da 2a = 2, kept on the op as well
            return (self.kept,)

    x = Tensor(np.ones(2), requires_grad=True)
    y = KeepsItsGradient.apply(x)
    y.backward(np.ones(2))
    x.grad *= 10
    assert y.grad_fn.kept.tolist() == [2.0, 2.0] and x.grad.tolist() == [20.0, 20.0]


def test_a_gradient_an_op_keeps_by_weak_reference_is_copied_into_grad():
    class RemembersItsGradient(Op):  # a weak reference does not show in the array's reference count
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            out = grad * 2  # d/da 2a = 2
            self.remembered = weakref.ref(out)
            return (out,)

    x = Tensor(np.ones(2), requires_grad=True)
    y = RemembersItsGradient.apply(x)
    y.backward(np.ones(2))
    assert y.grad_fn.remembered() is None and x.grad.tolist() == [2.0, 2.0]  # the op's array is gone: .grad is a copy


def test_one_gradient_given_to_two_leaves_becomes_two_grads():
    class SumOfTwo(Op):
        def forward(self, a, b):
            return a + b

        def backward(self, grad):
            shared = grad * 1  # a new array, handed to both inputs
            return shared, shared  # d(a+b)/da = d(a+b)/db = 1

    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    SumOfTwo.apply(a, b).backward(np.ones(2))
    a.grad *= 10
    assert b.grad.tolist() == [1.0, 1.0]


def test_only_leaves_keep_grad_unless_retain_grad_is_called():
    x = Tensor(2.0, requires_grad=True)
    hidden = x * 3
    kept = hidden.exp()
    kept.retain_grad()
    (kept * 2).backward()
    assert hidden.grad is None
    assert kept.grad.item() == 2.0
    assert x.is_leaf and not hidden.is_leaf


def test_inputs_that_do_not_require_grad_get_no_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad.tolist() == [3.0, 4.0]


def test_result_requires_grad_only_if_an_input_does():
    assert not (Tensor(1.0) * Tensor(2.0)).requires_grad
    assert (Tensor(1.0) * Tensor(2.0, requires_grad=True)).requires_grad


def test_no_grad_records_no_graph():
    x = Tensor(1.0, requires_grad=True)
    with mg.no_grad():
        y = (x * 2).exp()
    assert not y.requires_grad and y.is_leaf


def test_no_grad_nests_and_restores_the_outer_mode():
    x = Tensor(1.0, requires_grad=True)
    with mg.no_grad():
        with mg.no_grad():
            pass
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_restores_recording_after_an_exception():
    x = Tensor(1.0, requires_grad=True)
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError("boom")
    assert (x * 2).requires_grad


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    x = Tensor(1.0, requires_grad=True)
    recorded = []
    with mg.no_grad():
        worker = threading.Thread(target=lambda: recorded.append((x * 2).requires_grad))
        worker.start()
        worker.join()
    assert recorded == [True]


def test_no_grad_works_as_a_decorator():
    @mg.no_grad()
    def predict(t):
        return t * 2

    assert not predict(Tensor(1.0, requires_grad=True)).requires_grad


def test_backward_under_no_grad_still_differentiates_a_recorded_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    with mg.no_grad():
        y.backward()
    assert x.grad.item() == 4.0


def test_detach_shares_data_and_stops_the_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    (x * d).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]      # d counted as a constant
    assert np.shares_memory(x.detach().data, x.data)


def test_a_chain_of_100000_ops_backpropagates():
    x = Tensor(np.float64(1.0), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + x * 1e-5                         # a chain 100,000 additions deep
    y.backward()
    assert x.grad.item() == pytest.approx(2.0, rel=1e-9)
    del y                                        # freeing the deep chain must not crash either


def test_topological_order_puts_inputs_before_outputs():
    x = Tensor(1.0, requires_grad=True)
    a = x * 2
    b = a + x
    c = b * a
    order = mg.topological_order(c)
    position = {id(t): i for i, t in enumerate(order)}
    assert len(order) == 4
    assert position[id(x)] < position[id(a)] < position[id(b)] < position[id(c)]


def test_a_dropped_graph_is_freed_at_once_without_the_garbage_collector():
    gc.disable()
    try:
        w = Tensor(np.ones((3, 3)), requires_grad=True)
        hidden = (w @ np.ones(3)).tanh()
        loss = hidden.sum()
        loss.backward()
        alive = weakref.ref(hidden)
        del hidden, loss
        assert alive() is None                   # no reference cycle kept it
    finally:
        gc.enable()


def test_training_steps_leave_no_tensors_behind():
    w = Tensor(np.full(4, 0.5), requires_grad=True)
    x = np.linspace(-1, 1, 4)

    def live_tensors():
        gc.collect()
        return sum(isinstance(o, Tensor) for o in gc.get_objects())

    def step():
        loss = ((w * x).sigmoid() - 1.0).abs().mean()
        loss.backward()
        w.data -= 0.1 * w.grad
        w.zero_grad()

    step()
    before = live_tensors()
    for _ in range(200):
        step()
    assert live_tensors() == before


class _BrokenBackward(Op):
    def forward(self, a):
        return a * 1

    def backward(self, grad):
        raise ArithmeticError("this backward fails on purpose")


def test_an_error_during_backward_leaves_every_grad_unchanged():
    x = Tensor([1.0, 2.0], requires_grad=True)
    other = Tensor([5.0], requires_grad=True)      # a leaf whose gradient is ready before the error
    (x * 3).sum().backward()
    y = (other * 2).sum() + _BrokenBackward.apply(x).sum()
    with pytest.raises(ArithmeticError):
        y.backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert other.grad is None


class _StopGradient(Op):
    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return (None,)  # "no gradient for this input"


def test_an_op_may_return_none_for_an_input_that_requires_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (_StopGradient.apply(x * 2) + x).sum()
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0]


class _Probe(Op):
    """Identity that records a weak reference to each gradient it receives, and
    how many of the gradients received before are still alive."""

    received: list = []
    alive_before: list = []

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        _Probe.alive_before.append(sum(ref() is not None for ref in _Probe.received))
        _Probe.received.append(weakref.ref(grad))
        return (grad * 1.0,)


def test_backward_releases_each_intermediate_gradient_once_passed_on():
    _Probe.received.clear()
    _Probe.alive_before.clear()
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(4):
        y = _Probe.apply(y)
    y.sum().backward()
    assert _Probe.alive_before == [0, 0, 0, 0]


def test_a_failed_backward_seed_leaves_grad_unchanged():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    with pytest.raises(ValueError):
        (x * 2).backward(np.ones(3))
    assert x.grad.tolist() == [3.0, 3.0]


def test_the_grad_of_a_zero_dimensional_tensor_is_an_array():
    t = Tensor(np.array(2.0), requires_grad=True)
    (t * t).backward()
    assert type(t.grad) is np.ndarray and t.grad.shape == ()
    t.grad[...] = 0                                   # an array can be written in place
    assert t.grad.item() == 0.0


class _ConstantJacobian(Op):
    """y = 2x, whose backward would be tempting to write as `return (self.jacobian,)`."""

    def forward(self, a):
        self.jacobian = np.full(a.shape, 2.0)
        return 2 * a

    def backward(self, grad):
        return (grad * self.jacobian,)


def test_a_second_backward_leaves_an_ops_saved_arrays_alone():
    x = Tensor(np.ones(2), requires_grad=True)
    y = _ConstantJacobian.apply(x)
    y.backward(np.ones(2))
    y.backward(np.ones(2))
    assert x.grad.tolist() == [4.0, 4.0] and y.grad_fn.jacobian.tolist() == [2.0, 2.0]


def test_a_read_only_gradient_is_copied_before_it_becomes_grad():
    class ReadOnly(Op):
        def forward(self, a):
            return a * 1

        def backward(self, grad):
            out = grad * 1
            out.flags.writeable = False
            return (out,)

    x = Tensor(np.ones(2), requires_grad=True)
    y = ReadOnly.apply(x)
    y.backward(np.ones(2))
    y.backward(np.ones(2))                            # adds into .grad: it must be writeable
    assert x.grad.tolist() == [2.0, 2.0]
