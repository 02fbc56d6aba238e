"""gradcheck accepts correct gradients and names the place of a wrong one."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor
from minigrad.core.op import Op


class _SquareWithWrongGradient(Op):
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        return (grad * 3 * self.a,)  # wrong: should be 2a


def test_a_correct_gradient_passes():
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t).sum(), [x]) is True


def test_a_wrong_gradient_raises_naming_input_index_and_both_values():
    a = Tensor(np.array([1.0]))
    x = Tensor(np.array([[0.5, 2.0]]), requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"input 1, index \(0, 0\): analytic gradient -?[\d.]+, numeric -?[\d.]+"):
        mg.gradcheck(lambda c, t: _SquareWithWrongGradient.apply(t) * c, [a, x])


def test_gradcheck_leaves_the_inputs_untouched():
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    x.grad = np.array([5.0, 5.0])
    mg.gradcheck(lambda t: t.exp().sum(), [x])
    assert x.grad.tolist() == [5.0, 5.0] and x.data.tolist() == [0.3, -1.2]


def test_gradcheck_checks_every_output_element():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    wrong_in_last_output = lambda t: mg.concatenate([t[:2] * 2, _SquareWithWrongGradient.apply(t[2:])])
    with pytest.raises(mg.GradcheckError, match=r"index \(2,\)"):
        mg.gradcheck(wrong_in_last_output, [x])


def test_gradcheck_refuses_float32_inputs():
    with pytest.raises(TypeError, match="input 0 has dtype float32; expected float64"):
        mg.gradcheck(lambda t: t.sum(), [Tensor([1.0], requires_grad=True)])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        mg.gradcheck(lambda t: t.sum(), [Tensor(np.ones(2))])


def test_gradcheck_needs_fn_to_return_a_tensor():
    with pytest.raises(TypeError, match="fn must return a Tensor, got float"):
        mg.gradcheck(lambda t: 1.0, [Tensor(np.ones(2), requires_grad=True)])


def test_on_a_one_element_output_the_message_reports_the_derivative_itself():
    x = Tensor(np.array([1.25]), requires_grad=True)   # d(x²)/dx = 2.5; the wrong backward says 3.75
    with pytest.raises(mg.GradcheckError, match=r"analytic gradient 3\.75, numeric 2\.5\d*\. To blame: step 2: the backward of _squarewith"):
        mg.gradcheck(lambda t: _SquareWithWrongGradient.apply(t).sum(), [x])


def test_on_a_larger_output_the_message_says_it_reports_the_projected_gradient():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"numeric [\d.-]+ \(both are d\(sum\(v·f\)\)/dx.*fixed random v\)\. To blame: "):
        mg.gradcheck(lambda t: _SquareWithWrongGradient.apply(t), [x])
