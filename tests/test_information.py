"""Entropy, cross-entropy and KL divergence: the numbers of claim 4 in docs/claims.md
(ASCII costs 8 bits a symbol, 32 teams need 5 bits), Gibbs' inequality, the
0·log 0 and q = 0 conventions, units, and the refusal of non-distributions."""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad import Tensor
from minigrad.information import cross_entropy, entropy, kl_divergence

HELLO = np.bincount(np.frombuffer(b"HELLO", dtype=np.uint8), minlength=256) / 5  # H, E, O: 1/5 each; L: 2/5
ASCII = np.full(256, 1 / 256)  # every byte equally likely: a fixed-length 8-bit code


def test_coding_hello_in_ascii_costs_8_bits_per_symbol():
    assert cross_entropy(HELLO, ASCII, base=2) == pytest.approx(8)


def test_a_code_fit_to_hello_saves_the_kl_divergence_from_ascii():
    own_code = entropy(HELLO, base=2)  # 3·(1/5)·log2 5 + (2/5)·log2(5/2) ≈ 1.922 bits
    assert own_code == pytest.approx(3 / 5 * math.log2(5) + 2 / 5 * math.log2(5 / 2))
    assert kl_divergence(HELLO, ASCII, base=2) == pytest.approx(8 - own_code)


def test_32_equally_likely_teams_need_5_bits():
    assert entropy(np.full(32, 1 / 32), base=2) == pytest.approx(5)


@pytest.mark.parametrize("base, expected", [(None, math.log(2)), (2, 1.0), (math.e, math.log(2)), (4, 0.5)],
                         ids=["nats", "bits", "base-e", "base-4"])
def test_a_fair_coin_has_entropy_ln_2_nats_that_is_one_bit(base, expected):
    assert entropy([0.5, 0.5], base=base) == pytest.approx(expected)


def test_a_certain_outcome_has_entropy_positive_zero():
    result = entropy([0.0, 1.0, 0.0])
    assert result == 0.0 and math.copysign(1, result) == 1


@pytest.mark.parametrize("function", [entropy, lambda p: cross_entropy(p, p), lambda p: kl_divergence(p, p) + entropy(p)],
                         ids=["entropy", "cross_entropy", "kl_divergence"])
def test_outcomes_with_probability_zero_cost_nothing(function):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert function([0.5, 0.0, 0.5]) == pytest.approx(math.log(2))


@pytest.mark.parametrize("function", [cross_entropy, kl_divergence])
@pytest.mark.parametrize("base", [None, 2])
def test_an_outcome_that_q_rules_out_costs_infinitely_much_without_warnings(function, base):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert function([0.5, 0.5], [1.0, 0.0], base=base) == math.inf


@pytest.mark.parametrize("function", [cross_entropy, kl_divergence])
def test_q_may_rule_out_what_p_never_does(function):
    assert math.isfinite(function([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]))


@pytest.mark.parametrize("convert", [list, np.array, lambda p: np.array(p, dtype=np.float32), Tensor],
                         ids=["list", "float64-array", "float32-array", "tensor"])
def test_lists_arrays_and_tensors_give_the_same_python_float(convert):
    p, q = [0.25, 0.25, 0.5], [0.5, 0.25, 0.25]
    result = cross_entropy(convert(p), convert(q))
    assert type(result) is float
    assert result == pytest.approx(cross_entropy(p, q))


def test_a_float32_softmax_output_is_a_distribution_despite_rounding():
    q = Tensor(np.linspace(-3, 3, 100, dtype=np.float32)).softmax()
    probabilities = q.data.astype(np.float64)
    assert probabilities.sum() != 1  # float32 rounding
    assert entropy(q) == pytest.approx(-np.sum(probabilities * np.log(probabilities)))


def test_a_two_dimensional_table_is_a_joint_distribution():
    independent_coins = np.full((2, 2), 1 / 4)
    assert entropy(independent_coins, base=2) == pytest.approx(2)


@st.composite
def distribution_pairs(draw, positive_q=False):
    """Two distributions over the same 1 to 8 outcomes; p may rule outcomes out."""
    size = draw(st.integers(1, 8))
    p = draw(hnp.arrays(np.float64, size, elements=st.floats(0, 1)).filter(lambda w: w.sum() > 1e-3))
    q = draw(hnp.arrays(np.float64, size, elements=st.floats(0.01 if positive_q else 0, 1))
             .filter(lambda w: w.sum() > 1e-3))
    return p / p.sum(), q / q.sum()


@given(distribution_pairs())
def test_kl_divergence_is_never_negative(pair):
    assert kl_divergence(*pair) >= 0  # Gibbs' inequality


def test_rounding_never_makes_kl_divergence_negative():
    p, q = np.ones(3) / 3, np.full(3, 0.7) / (3 * 0.7)  # one ulp apart, where the sum of terms comes out −2e-16
    assert not np.array_equal(p, q)
    assert kl_divergence(p, q) == 0.0


@given(distribution_pairs(positive_q=True))
def test_kl_divergence_is_cross_entropy_minus_entropy(pair):
    p, q = pair
    assert kl_divergence(p, q) == pytest.approx(cross_entropy(p, q) - entropy(p), abs=1e-12)


@given(distribution_pairs())
def test_kl_divergence_is_exactly_zero_when_q_is_p(pair):
    p, _ = pair
    assert kl_divergence(p, p) == 0.0


@given(distribution_pairs())
def test_kl_divergence_is_positive_when_q_differs_from_p(pair):
    p, q = pair
    assume(np.abs(p - q).max() > 1e-3)
    assert kl_divergence(p, q) > 0


def test_cross_entropy_is_smallest_when_q_is_p():
    p = np.array([0.1, 0.5, 0.1, 0.1, 0.2])  # claim 5's prediction (docs/claims.md), as a label distribution
    best = cross_entropy(p, p)
    assert best == pytest.approx(entropy(p))
    for i in range(5):
        for j in range(5):
            for shift in (1e-3, 0.05):
                if i != j:
                    q = p.copy()
                    q[i], q[j] = q[i] + shift, q[j] - shift  # move some probability from outcome j to i
                    assert cross_entropy(p, q) > best, (i, j, shift)


@pytest.mark.parametrize("call, message", [
    (lambda: entropy([0.5, 0.6]), "entropy: p sums to 1.1; expected 1 (within 1e-06)"),
    (lambda: entropy([np.nan, 1.0]), "entropy: p sums to nan; expected 1"),
    (lambda: cross_entropy([1.0, 0.0], [0.5, 0.4]), "cross_entropy: q sums to 0.9; expected 1"),
    (lambda: kl_divergence([1.25, -0.25], [0.5, 0.5]), "kl_divergence: p has negative entries [-0.25]; expected probabilities >= 0"),
    (lambda: cross_entropy([0.5, 0.5], [1.5, -0.5]), "cross_entropy: q has negative entries [-0.5]"),
    (lambda: kl_divergence([1.0, 0.0], [1.0, 0.0, 0.0]), "kl_divergence: p has shape (2,) and q has shape (3,); expected the same shape"),
    (lambda: cross_entropy(np.full((2, 2), 0.25), np.full(4, 0.25)), "cross_entropy: p has shape (2, 2) and q has shape (4,)"),
], ids=["sum-too-large", "nan", "q-sum-too-small", "negative-p", "negative-q", "length-mismatch", "shape-mismatch"])
def test_a_non_distribution_is_a_value_error_naming_the_function_and_the_values(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("function, args", [(entropy, ([1.0],)), (cross_entropy, ([1.0], [1.0])),
                                            (kl_divergence, ([1.0], [1.0]))], ids=["entropy", "cross_entropy", "kl_divergence"])
@pytest.mark.parametrize("base", [0, 1, -2, math.inf, math.nan])
def test_a_base_that_is_not_positive_or_is_one_is_refused(function, args, base):
    message = f"{function.__name__}: invalid base={base!r}; expected a number > 0 other than 1"
    with pytest.raises(ValueError, match=re.escape(message)):
        function(*args, base=base)
