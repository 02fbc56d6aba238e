"""The examples in examples/ run and show what they claim: the claims of
docs/claims.md, each as the number the example reports, and the numbers that
docs/claims.md quotes, in its table and in its sections, are those the runs return.

Each example is a script with `main(argv) -> dict`; it is imported by path
(examples/ is not a package), run in full once per test session into a
temporary folder, and its returned numbers and figures are checked below.
"""

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WITH_FIGURES = ["learning_slowdown", "loss_surface", "newton", "gradient_vs_output", "softmax_ce_example",
                "class_imbalance", "mse_vs_ce_classifier", "train_digits", "information_theory",
                "softmax_stability", "loss_zoo"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """run(name): the dict returned by examples/<name>.py (each example runs once, in full)."""
    results = {}

    def run(name):
        if name not in results:
            spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            out = tmp_path_factory.mktemp(name)
            results[name] = module.main(["--out", str(out)]), out
        return results[name][0]

    run.out = lambda name: results[name][1]
    return run


# ------------------------------------------------------- learning_slowdown --

def test_saturated_neuron_under_cross_entropy_gets_below_0_2_within_50_epochs(run):
    epoch = run("learning_slowdown")["ce_epoch_below_threshold"]
    assert epoch is not None and epoch <= 50


def test_saturated_neuron_under_mse_is_still_above_0_2_after_300_epochs(run):
    result = run("learning_slowdown")
    assert result["mse_epoch_below_threshold"] is None
    assert result["mse_final_output"] > 0.2


# ------------------------------------------------------------ loss_surface --

def test_cross_entropy_hessian_has_no_negative_eigenvalue_at_any_sampled_point(run):
    result = run("loss_surface")
    assert result["points"] >= 1000
    assert result["ce_min_eigenvalue"] >= -1e-10
    assert result["ce_convex"]


def test_mse_hessian_has_a_clearly_negative_eigenvalue_somewhere(run):
    result = run("loss_surface")
    assert result["mse_min_eigenvalue"] < -0.01
    assert not result["mse_convex"]
    assert result["mse_negative_fraction"] > 0.5


def test_the_cross_entropy_hessian_of_mg_hessian_is_the_closed_form(run):
    assert run("loss_surface")["ce_closed_form_gap"] < 1e-12


# ------------------------------------------------------------------ newton --

def test_newton_converges_in_a_handful_of_iterations_and_gradient_descent_in_a_hundred_times_more(run):
    result = run("newton")
    assert result["newton_iterations"] <= 10
    assert result["gd_iterations"] is not None and result["gd_iterations"] >= 100 * result["newton_iterations"]


def test_newton_converges_quadratically_and_both_reach_the_same_minimum(run):
    result = run("newton")
    n0, n1, n2 = result["newton_gradient_norms"][-3:]   # the last three gradient norms
    assert n2 < 1e-8
    assert n1 <= 100 * n0 ** 2 and n2 <= 100 * n1 ** 2    # quadratic: each step about squares the norm ...
    assert n2 / n1 < (n1 / n0) / 10                       # ... so the rate itself shrinks (not linear)
    assert result["parameter_gap"] < 1e-5
    assert result["gd_final_loss"] == pytest.approx(result["final_loss"], abs=1e-12)


# ------------------------------------------------------ gradient_vs_output --

def test_mse_gradient_on_the_logit_is_at_most_4_over_27_at_a_two_thirds_from_the_target(run):
    result = run("gradient_vs_output")
    assert result["mse_max_gradient"] == pytest.approx(4 / 27, abs=1e-4)
    assert result["mse_argmax_output_target_0"] == pytest.approx(2 / 3, abs=0.01)
    assert result["mse_argmax_output_target_1"] == pytest.approx(1 / 3, abs=0.01)


def test_cross_entropy_gradient_on_the_logit_is_the_error_a_minus_y(run):
    assert run("gradient_vs_output")["ce_max_deviation_from_error"] < 1e-12


# ------------------------------------------------------ softmax_ce_example --

def test_both_predictions_have_loss_minus_ln_0_1(run):
    result = run("softmax_ce_example")
    assert result["loss_p1"] == pytest.approx(2.302585, abs=1e-6)
    assert result["loss_p2"] == pytest.approx(-math.log(0.1), abs=1e-12)


def test_the_two_gradients_are_softmax_minus_target_and_differ(run):
    result = run("softmax_ce_example")
    np.testing.assert_allclose(result["gradient_p1"], [-0.9, 0.5, 0.1, 0.1, 0.2], atol=1e-12)
    np.testing.assert_allclose(result["gradient_p2"], [-0.9, 0.6, 0.1, 0.1, 0.1], atol=1e-12)
    assert result["max_gradient_difference"] == pytest.approx(0.1, abs=1e-12)


# --------------------------------------------------------- class_imbalance --

def test_unweighted_model_predicts_almost_only_the_common_class(run):
    common, rare = run("class_imbalance")["unweighted_recall"]
    assert common >= 0.99
    assert rare <= 0.1


def test_class_weighted_cross_entropy_recovers_the_rare_class(run):
    result = run("class_imbalance")
    assert result["weighted_recall"][1] >= result["unweighted_recall"][1] + 0.5


def test_pos_weight_recovers_the_rare_class(run):
    result = run("class_imbalance")
    assert result["pos_weight_recall"][1] >= result["unweighted_recall"][1] + 0.5


# ---------------------------------------------------- mse_vs_ce_classifier --

def test_cross_entropy_has_lower_test_error_than_mse_on_spirals_after_the_same_epochs(run):
    spirals = run("mse_vs_ce_classifier")["spirals"]
    assert spirals["cross-entropy"]["test_error"] < spirals["MSE"]["test_error"] - 0.1


def test_cross_entropy_gets_below_10_percent_test_error_on_digits_in_fewer_epochs_than_mse(run):
    digits = run("mse_vs_ce_classifier")["digits"]
    ce, mse = digits["cross-entropy"]["epoch_reached"], digits["MSE"]["epoch_reached"]
    assert ce is not None and (mse is None or ce < mse)
    assert digits["cross-entropy"]["test_error"] < digits["MSE"]["test_error"]


# ------------------------------------------------------------ train_digits --

def test_digits_run_reaches_97_percent_test_accuracy(run):
    result = run("train_digits")
    assert result["test_accuracy"] >= 0.97
    assert result["test_error"] == pytest.approx(1 - result["test_accuracy"])


def test_digits_checkpoint_reloads_to_the_same_predictions(run):
    result = run("train_digits")
    checkpoint = mg.load(result["checkpoint"])
    model = mg.nn.Sequential(mg.nn.Linear(64, 128), mg.nn.ReLU(), mg.nn.Linear(128, 10))
    model.load_state_dict(checkpoint)
    with mg.no_grad():
        predictions = model(mg.Tensor(result["scaled_test_images"])).data.argmax(axis=1)
    assert np.array_equal(predictions, result["test_predictions"])


# ----------------------------------------------------------------- figures --

@pytest.mark.parametrize("name", WITH_FIGURES)
def test_example_writes_its_figures_as_png_files_into_out(run, name):
    figures = [Path(path) for path in run(name)["figures"]]
    assert figures
    for figure in figures:
        assert figure.parent == run.out(name)
        assert figure.read_bytes().startswith(PNG_SIGNATURE)
        assert figure.stat().st_size > 1000


# ------------------------------------------------------- information_theory --

def test_hello_in_ascii_costs_8_bits_per_letter_and_32_teams_need_5_bits(run):
    result = run("information_theory")
    assert result["ascii_bits"] == pytest.approx(8.0) and result["team_bits"] == pytest.approx(5.0)


def test_kl_divergence_is_never_negative_and_cross_entropy_is_least_at_q_equal_p(run):
    result = run("information_theory")
    assert result["min_kl"] >= 0
    np.testing.assert_allclose(result["best_q"], result["p"], atol=1e-9)


# -------------------------------------------------------- softmax_stability --

def test_two_class_softmax_equals_the_sigmoid(run):
    assert run("softmax_stability")["sigmoid_gap"] < 1e-12


def test_naive_softmax_of_123_456_789_is_nan_and_the_stable_one_is_finite(run):
    result = run("softmax_stability")
    assert np.isnan(result["naive"]).any() and np.isfinite(result["stable"]).all()
    assert result["stable"][2] == pytest.approx(1.0)


def test_extreme_logits_and_a_probability_of_zero_give_finite_losses(run):
    result = run("softmax_stability")
    assert result["extreme_loss"] == pytest.approx(2e4) and result["extreme_grad"].tolist() == [[1.0, -1.0]]
    assert result["clamped_bce"] == pytest.approx(100.0)


# ----------------------------------------------------------------- loss_zoo --

def test_l2_gradient_grows_with_the_error_while_l1_and_huber_stay_at_one(run):
    slopes = run("loss_zoo")["slopes_at_3"]
    assert slopes == pytest.approx({"L2 (MSE)": 6.0, "L1": 1.0, "Huber, delta 1": 1.0})


def test_hinge_is_zero_once_the_true_class_wins_by_the_margin(run):
    hinge = run("loss_zoo")["hinge"]
    assert hinge[0] == 0.0 and hinge[1] > 0


def test_log_softmax_then_nll_is_cross_entropy(run):
    result = run("loss_zoo")
    assert result["nll"] == pytest.approx(result["cross_entropy"], rel=1e-12)


# ------------------------------------------------------- optional packages --

def run_without(package, name, folder):
    """examples/<name>.py run as a script in `folder`, as if `package` were not installed."""
    code = (f"import runpy, sys; sys.modules[{package!r}] = None; "
            f"runpy.run_path({str(EXAMPLES / f'{name}.py')!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-c", code, "--fast"], capture_output=True, text=True, timeout=120,
                          cwd=folder)


@pytest.mark.parametrize("name", WITH_FIGURES)
def test_without_matplotlib_an_example_says_in_one_line_which_extra_to_install(name, tmp_path):
    result = run_without("matplotlib", name, tmp_path)
    assert result.returncode == 1 and result.stderr == f"{name}.py needs matplotlib: pip install 'minigrad[plots]'\n"


def test_without_scikit_learn_the_digits_example_says_in_one_line_which_extra_to_install(tmp_path):
    result = run_without("sklearn", "train_digits", tmp_path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("train_digits.py needs scikit-learn") and "minigrad[digits]" in result.stderr


# ------------------------------------------- the numbers the docs quote --

def quoted(name):
    """What docs/claims.md says about examples/<name>.py: the row of its table that
    names the script, and the sections (the claims) that cite it."""
    intro, *claims = (ROOT / "docs" / "claims.md").read_text(encoding="utf-8").split("\n## ")
    row = [line for line in intro.splitlines() if line.startswith("|") and f"`{name}.py`" in line]
    sections = [section for section in claims if f"examples/{name}.py" in section]
    assert len(row) == 1 and sections, f"docs/claims.md's table or its sections do not cite {name}.py"
    return {"docs/claims.md's table": row[0], "docs/claims.md": "\n".join(sections).replace("\n", " ")}


def assert_quoted(name, *numbers):
    for page, text in quoted(name).items():
        missing = [number for number in numbers if number not in text]
        assert not missing, f"{page} does not quote {missing} for {name}.py, as its run gives"


def minus(text):
    return text.replace("-", "−")


@pytest.mark.parametrize("name", WITH_FIGURES)
def test_docs_claims_names_the_figures_the_example_writes(run, name):
    cited = quoted(name)["docs/claims.md"]
    assert all(f"`{Path(figure).name}`" in cited for figure in run(name)["figures"])


def test_the_docs_quote_the_slowdown_epochs_of_the_run(run):
    result = run("learning_slowdown")
    assert result["mse_epoch_below_threshold"] is None
    assert_quoted("learning_slowdown", f"at epoch {result['ce_epoch_below_threshold']}", "300 epochs")


def test_the_docs_quote_the_largest_mse_gradient_of_the_run(run):
    assert run("gradient_vs_output")["mse_max_gradient"] == pytest.approx(4 / 27, abs=1e-4)
    assert_quoted("gradient_vs_output", "4/27")


def test_the_docs_quote_the_smallest_eigenvalue_of_the_run_and_where(run):
    result = run("loss_surface")
    point = ", ".join(minus(f"{value:.2f}") for value in result["mse_min_point"])
    assert_quoted("loss_surface", f"{result['points']:,} points", minus(f"{result['mse_min_eigenvalue']:.4f}"),
                  f"({point})", f"{result['mse_negative_fraction']:.0%}", f"{result['ce_min_eigenvalue']:.6f}")


def test_the_docs_quote_the_iterations_of_the_newton_run(run):
    result = run("newton")
    assert_quoted("newton", f"{result['newton_iterations']} iterations", f"{result['gd_iterations']:,}")


def test_the_docs_quote_the_bits_of_the_run(run):
    result = run("information_theory")
    assert_quoted("information_theory", f"{result['ascii_bits']:g} bits", f"{result['needed_bits']:.2f}",
                  f"{result['wasted_bits']:.2f}", f"{result['team_bits']:g} bits")


def test_the_docs_quote_the_loss_of_both_predictions_of_the_run(run):
    result = run("softmax_ce_example")
    assert f"{result['loss_p1']:.6f}" == f"{result['loss_p2']:.6f}"
    assert_quoted("softmax_ce_example", f"{result['loss_p1']:.6f}")


def test_the_docs_quote_the_stability_numbers_of_the_run(run):
    result = run("softmax_stability")
    assert result["sigmoid_gap"] == 0.0                                  # "exactly"
    assert_quoted("softmax_stability", "exactly", "NaN", f"{result['extreme_loss']:.0f}",
                  minus(f"[{result['extreme_grad'][0, 0]:g}, {result['extreme_grad'][0, 1]:g}]"))


def test_the_docs_quote_the_recalls_of_the_imbalanced_run(run):
    result = run("class_imbalance")
    assert_quoted("class_imbalance", f"{result['unweighted_recall'][1]:.2f}", f"{result['unweighted_accuracy']:.1%}",
                  f"{result['weighted_recall'][1]:.3f}", f"{result['pos_weight_recall'][1]:.3f}",
                  f"{result['weighted_recall'][0]:.2f}")


def test_the_docs_quote_the_slopes_of_the_run(run):
    slopes = run("loss_zoo")["slopes_at_3"]
    assert slopes["L1"] == slopes["Huber, delta 1"]
    assert_quoted("loss_zoo", f"slopes {slopes['L2 (MSE)']:g} (L2), {slopes['L1']:g} (L1, Huber)")


def test_the_docs_quote_the_test_errors_of_the_spirals_run_to_within_two_test_points(run):
    # float32 training rounds differently under different BLAS kernels (OpenBLAS picks them by CPU), which can
    # flip one or two of the 150 test points: the docs quote one run and say so
    spirals = run("mse_vs_ce_classifier")["spirals"]
    for page, text in quoted("mse_vs_ce_classifier").items():
        mse, ce = (float(number) / 100 for number in re.findall(r"(\d+\.\d)%", text)[:2])
        assert "one run" in text, f"{page} does not say that its spirals errors are one run's"
        assert abs(mse - spirals["MSE"]["test_error"]) <= 2 / 150 + 1e-9, (page, mse, spirals["MSE"]["test_error"])
        assert abs(ce - spirals["cross-entropy"]["test_error"]) <= 2 / 150 + 1e-9, (page, ce, spirals["cross-entropy"])


def test_the_docs_quote_the_test_accuracy_of_the_digits_run(run):
    assert_quoted("train_digits", f"{run('train_digits')['test_accuracy']:.1%}")
