"""In-place operators -= += *= /= change a tensor's array itself, as in PyTorch;
on a tensor that requires grad they are allowed only under no_grad()."""

import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor, nn

ROOT = Path(__file__).resolve().parent.parent

IN_PLACE = {
    "-=": lambda t, other: t.__isub__(other),
    "+=": lambda t, other: t.__iadd__(other),
    "*=": lambda t, other: t.__imul__(other),
    "/=": lambda t, other: t.__itruediv__(other),
}
EXPECTED = {"-=": [-1.0, 0.0], "+=": [3.0, 4.0], "*=": [2.0, 4.0], "/=": [0.5, 1.0]}


@pytest.mark.parametrize("symbol", IN_PLACE)
def test_in_place_operators_change_the_array_itself(symbol):
    t = Tensor([1.0, 2.0])
    array = t.data
    result = IN_PLACE[symbol](t, 2.0)
    assert result is t and t.data is array
    assert array.tolist() == EXPECTED[symbol]


def test_in_place_operators_keep_the_dtype():
    t = Tensor(np.ones(2, dtype=np.float32))
    t -= np.array([0.5, 0.25])                   # a float64 array: float32 stays float32, as in PyTorch
    t *= Tensor(np.float64(2.0))
    assert t.dtype == np.float32 and t.data.tolist() == [1.0, 1.5]


def test_in_place_operators_broadcast_the_other_side():
    t = Tensor(np.zeros((2, 3)))
    t += Tensor([1.0, 2.0, 3.0])
    assert t.data.tolist() == [[1.0, 2.0, 3.0]] * 2


def test_in_place_on_a_tensor_sharing_its_array_changes_the_array():
    a = np.ones(2)
    t = Tensor(a)                                 # shares a, like torch.from_numpy
    t += 1
    assert a.tolist() == [2.0, 2.0]


def test_in_place_that_would_change_the_shape_names_the_operator_and_shapes():
    t = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"\+=: cannot apply to shapes \(3,\) and \(2, 3\)"):
        t += Tensor(np.ones((2, 3)))


def test_in_place_that_would_change_the_dtype_is_a_type_error_naming_the_operator():
    labels = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"\*=: .*int64"):
        labels *= 0.5


@pytest.mark.parametrize("symbol", IN_PLACE)
def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad(symbol):
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(symbol) + r": a leaf Tensor that requires grad is being used "
                                           r"in an in-place operation.*no_grad"):
        IN_PLACE[symbol](w, 2.0)
    assert w.data.tolist() == [1.0, 2.0]


def test_in_place_on_a_recorded_result_is_refused_outside_no_grad():
    h = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"-=: this tensor requires grad.*records no in-place.*write x = x - y"):
        h -= 1
    assert h.data.tolist() == [2.0, 4.0]


def test_in_place_with_an_operand_that_requires_grad_is_refused_outside_no_grad():
    total = Tensor([0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"\+=: the right-hand side requires grad.*write x = x \+ y"):
        total += Tensor([1.0, 2.0], requires_grad=True)
    assert total.data.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("symbol", IN_PLACE)
def test_in_place_on_a_leaf_that_requires_grad_works_under_no_grad(symbol):
    w = Tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        IN_PLACE[symbol](w, 2.0)
    assert w.data.tolist() == EXPECTED[symbol] and w.requires_grad and w.is_leaf


def test_the_hand_written_sgd_step_updates_the_model():
    mg.manual_seed(0)
    model = nn.Linear(2, 1)
    x, y = Tensor(np.ones((4, 2), dtype=np.float32)), Tensor(np.zeros((4, 1), dtype=np.float32))
    before = [p.data.copy() for p in model.parameters()]
    ((model(x) - y) ** 2).mean().backward()
    with mg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.data, old - 0.1 * p.grad)
        assert p.dtype == np.float32


def test_the_docs_step_by_hand_recovers_the_weights():
    page = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    section = page.split("## A training step by hand", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/training.md's training step by hand", "exec"), namespace)
    np.testing.assert_allclose(namespace["model"].weight.data, [[1.0, -2.0, 0.5]], atol=1e-3)


def test_item_assignment_changes_the_array_in_place():
    t = Tensor([1.0, 2.0, 3.0])
    array = t.data
    t[1] = 5
    t[[0, 2]] = Tensor([7.0, 8.0])
    assert t.data is array and array.tolist() == [7.0, 5.0, 8.0]


def test_an_in_place_operator_on_an_element_changes_the_tensor():
    t = Tensor([1.0, 2.0])
    t[0] += 10                                    # t.__getitem__, then __iadd__, then t.__setitem__
    assert t.data.tolist() == [11.0, 2.0]


def test_item_assignment_on_a_leaf_that_requires_grad_is_refused_outside_no_grad_and_works_under_it():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[\]=: a leaf Tensor that requires grad is being used in an in-place"):
        w[0] = 0.0
    with mg.no_grad():
        w[0] = 0.0
    assert w.data.tolist() == [0.0, 2.0]
