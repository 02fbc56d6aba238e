"""no_grad() as a decorator: a fresh context for every call, as in PyTorch, so
that threads sharing one decorated function, and generators, get it right."""

import threading

import minigrad as mg
from minigrad import Tensor


def recording() -> bool:
    """Whether this thread records ops now (read through an op, not the switch itself)."""
    return (Tensor(1.0, requires_grad=True) * 2).requires_grad


def test_one_no_grad_decorator_shared_by_two_threads_restores_each_threads_own_mode():
    first_inside, both_inside, first_left = threading.Event(), threading.Barrier(2), threading.Event()
    results = {}

    @mg.no_grad()
    def decorated(first):
        if first:
            first_inside.set()
        both_inside.wait()                     # both threads are inside the one decorated function
        if not first:
            first_left.wait()

    def recording_thread():                    # enters first and leaves first
        decorated(first=True)
        first_left.set()
        results["recording thread"] = recording()

    def thread_under_no_grad():                # enters second and leaves last
        first_inside.wait()
        with mg.no_grad():
            decorated(first=False)
            results["no_grad thread, inside its block"] = recording()
        results["no_grad thread, after its block"] = recording()

    threads = [threading.Thread(target=recording_thread), threading.Thread(target=thread_under_no_grad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"recording thread": True, "no_grad thread, inside its block": False,
                       "no_grad thread, after its block": True}


def test_no_grad_on_a_generator_function_applies_to_each_step_of_its_body():
    x = Tensor(1.0, requires_grad=True)

    @mg.no_grad()
    def doubles():
        while True:
            yield (x * 2).requires_grad

    steps = doubles()
    assert next(steps) is False
    assert (x * 2).requires_grad           # the caller, between steps, records as usual
    assert next(steps) is False


def test_no_grad_on_a_generator_passes_sent_values_and_the_return_value_through():
    @mg.no_grad()
    def echo():
        received = yield "ready"
        while received != "stop":
            received = yield (received, recording())
        return "done"

    steps = echo()
    assert next(steps) == "ready"
    assert steps.send("a") == ("a", False)
    try:
        steps.send("stop")
    except StopIteration as stop:
        assert stop.value == "done"
    assert recording()


def test_no_grad_on_a_generator_closes_it_with_grad_off_and_restores_the_mode():
    seen = []

    @mg.no_grad()
    def numbers():
        try:
            yield 1
            yield 2
        finally:
            seen.append(recording())

    steps = numbers()
    next(steps)
    steps.close()
    assert seen == [False] and recording()


def test_no_grad_works_as_a_decorator_without_parentheses():
    @mg.no_grad
    def predict(t):
        return t * 2

    assert not predict(Tensor(1.0, requires_grad=True)).requires_grad
    assert (Tensor(1.0, requires_grad=True) * 2).requires_grad


def test_a_decorated_function_keeps_its_name_and_docstring():
    @mg.no_grad()
    def predict(t):
        """Predict without recording."""
        return t

    assert predict.__name__ == "predict" and predict.__doc__ == "Predict without recording."
