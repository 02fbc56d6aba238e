"""Drawing a graph or its backward replay runs no user hook and changes no state."""

import numpy as np
import pytest

from minigrad import Tensor, viz

pytest.importorskip("graphviz")


def hooked_graph():
    """A small graph whose tensors count the calls of their hooks."""
    calls = []
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = (x * 3).sigmoid()
    x.register_hook(lambda g: calls.append("x"))
    h.register_hook(lambda g: calls.append("h"))
    return (h * h).sum(), calls


def test_draw_graph_runs_no_hook():
    loss, calls = hooked_graph()
    viz.draw_graph(loss)
    assert calls == []


def test_replay_runs_no_hook():
    loss, calls = hooked_graph()
    viz.replay(loss)
    assert calls == []


def test_a_hook_that_replaces_the_gradient_does_not_change_the_picture():
    loss, _ = hooked_graph()
    plain = [frame.total for frame in viz.replay(loss).frames]
    loss.grad_fn.inputs[0].register_hook(lambda g: g * 100)
    assert [frame.total for frame in viz.replay(loss).frames] == plain


def test_drawing_leaves_grads_untouched():
    loss, _ = hooked_graph()
    viz.replay(loss)
    viz.draw_graph(loss)
    assert loss.grad_fn.inputs[0].grad is None
