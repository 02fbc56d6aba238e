"""Memory stays flat over long training, and evaluation under no_grad builds no graph."""

import gc
import sys
import tracemalloc

import numpy as np

import minigrad as mg
from minigrad import Tensor, nn, optim
from minigrad.core.op import Op


def live(kind):
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def w3_training_step():
    """The W3 workload of benchmarks/run.py: 2-16-16-2 MLP, batch 8, cross-entropy, SGD."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    loss_fn, optimizer = nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x, y = Tensor(rng.standard_normal((8, 2)).astype(np.float32)), rng.integers(0, 2, 8)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def test_after_warm_up_3000_more_training_steps_leave_no_tensors_ops_or_memory_behind():
    step = w3_training_step()
    for _ in range(2_000):  # warm-up: Python's and NumPy's caches fill to their working size (how far varies by version)
        step()
    tensors, ops, blocks = live(Tensor), live(Op), sys.getallocatedblocks()
    tracemalloc.start()
    for _ in range(3_000):     # a leak of one small object a step would hold 48 kB or more
        step()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0]    # bytes allocated since the warm-up and still held
    tracemalloc.stop()
    assert (live(Tensor), live(Op)) == (tensors, ops)        # graph nodes: none left over
    assert sys.getallocatedblocks() - blocks < 100            # Python objects, arrays included: flat
    assert grown < 6 * 1024                                    # bytes, array data included: 2 bytes a step at most


def test_evaluation_under_no_grad_records_no_graph():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    ops_before = live(Op)
    with mg.no_grad():
        logits = model(Tensor(np.ones((1797, 64), dtype=np.float32)))   # all of digits in one forward pass
    assert logits.grad_fn is None and not logits.requires_grad
    assert live(Op) == ops_before


def test_the_same_evaluation_with_recording_does_build_a_graph():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    ops_before = live(Op)
    logits = model(Tensor(np.ones((1797, 64), dtype=np.float32)))
    assert logits.grad_fn is not None and live(Op) == ops_before + 3
