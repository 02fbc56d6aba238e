"""Every op: its value equals NumPy's, its gradient passes gradcheck in float64,
and float32 stays float32 through the op and its gradient."""

import numpy as np
import pytest
from op_cases import CASES

import minigrad as mg

case_ids = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=case_ids)
def test_value_equals_numpy(case):
    arrays = case.inputs()
    out = case.minigrad(*[mg.Tensor(a) for a in arrays])
    np.testing.assert_allclose(out.data, case.numpy(*arrays), rtol=1e-12, atol=1e-12)
    assert out.shape == np.shape(case.numpy(*arrays))


@pytest.mark.parametrize("case", CASES, ids=case_ids)
def test_gradient_passes_gradcheck_in_float64(case):
    tensors = [mg.Tensor(a, requires_grad=True) for a in case.inputs()]
    assert mg.gradcheck(case.minigrad, tensors)


@pytest.mark.parametrize("case", CASES, ids=case_ids)
def test_float32_stays_float32_in_value_and_gradient(case):
    tensors = [mg.Tensor(a, requires_grad=True) for a in case.inputs(dtype=np.float32)]
    out = case.minigrad(*tensors)
    assert out.dtype == np.float32
    vjps = out.grad_fn.backward(np.ones(out.shape, dtype=np.float32))  # the op's own output, before the engine casts
    assert all(g is None or g.dtype == np.float32 for g in vjps)
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in tensors:
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape

