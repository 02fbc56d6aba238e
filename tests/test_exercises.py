"""The workbook (minigrad exercises): every stub fails as not implemented; minigrad's own rule, pasted into the
stub, passes; typical mistakes, written as small edits of that rule, fail with the right op blamed and, where
it applies, the right diagnosis; and the start/check command line: its table, exit codes, and never
overwriting a learner's work.

One rule per op: the reference solutions are minigrad's own source (inspect.getsource of the op's backward),
pasted in; for the walk, mse and the layer, minigrad's own functions called."""

from __future__ import annotations

import ast
import re
import sys
import inspect
import json
import textwrap
from pathlib import Path

import pytest
from browser import needs_browser, open_page, page_width, shown_text

from minigrad import cli, nn, ops, optim
from minigrad.core import backward as core_backward
from minigrad.lessons.exercises import NAMES, check, start, stub
from minigrad.pages.colours import WRONG

EXAMPLES = 3  # random cases per exercise in these tests (the command line runs 20)

# exercise -> [(the stub's class or function, its method or None, minigrad's own code to paste in)]
OWN = {
    "mul": [("Mul", "backward", ops.Mul.backward)],
    "div": [("Div", "backward", ops.Div.backward)],
    "pow": [("Pow", "backward", ops.Pow.backward)],
    "exp_log": [("Exp", "backward", ops.Exp.backward), ("Log", "backward", ops.Log.backward)],
    "walk": [("backward", None, "def backward(root):\n    return dict(backward_pass(root, np.ones_like(root.data)))\n")],
    "unbroadcast": [("unbroadcast", None, core_backward.unbroadcast)],
    "sum_mean": [("Sum", "backward", ops.Sum.backward), ("Mean", "backward", ops.Mean.backward)],
    "matmul": [("MatMul", "backward", ops.MatMul.backward)],
    "sigmoid": [("SigmoidOp", "backward", ops.SigmoidOp.backward)],
    "tanh": [("TanhOp", "backward", ops.TanhOp.backward)],
    "relu": [("ReLUOp", "backward", ops.ReLUOp.backward)],
    "softmax": [("SoftmaxOp", "backward", ops.SoftmaxOp.backward)],
    "log_softmax": [("LogSoftmaxOp", "backward", ops.LogSoftmaxOp.backward)],
    "mse": [("mse", None, "def mse(x, y):\n    return F.mse_loss(x, y, fused=False)\n")],
    "bce": [("FusedBCE", "loss_and_gradient", ops.FusedBCE.loss_and_gradient)],
    "cross_entropy": [("FusedCrossEntropy", "loss_and_gradient", ops.FusedCrossEntropy.loss_and_gradient)],
    "linear": [("Linear", "forward", nn.Linear.forward)],
    "sgd": [("SGD", "update", optim.SGD.update)],
}
# where minigrad's own code finds the names it uses (rule_math's where, expand_reduced, backward_pass, …)
HOME = {"walk": "minigrad.core.backward", "unbroadcast": "minigrad.core.backward", "mse": None, "linear": None,
        "sgd": None}


def pasted(name: str) -> str:
    """The exercise's stub with minigrad's own code in place of each stub method or function."""
    text = stub(name)
    for owner, method, code in OWN[name]:
        source = textwrap.dedent(code if isinstance(code, str) else inspect.getsource(code))
        tree = ast.parse(text)
        node = next(n for n in tree.body if getattr(n, "name", None) == owner)
        if method:
            node = next(n for n in node.body if getattr(n, "name", None) == method)
            source = textwrap.indent(source, "    ")
        lines = text.splitlines(keepends=True)
        text = "".join(lines[:node.lineno - 1]) + source + "".join(lines[node.end_lineno:])
        home = HOME.get(name, code.__module__ if not isinstance(code, str) else None)
        imports = "from typing import Any  # noqa\n" + (f"from {home} import *  # noqa\n" if home else "")
        last_import = max(n.end_lineno for n in ast.parse(text).body if isinstance(n, (ast.Import, ast.ImportFrom)))
        lines = text.splitlines(keepends=True)
        text = "".join(lines[:last_import]) + imports + "".join(lines[last_import:])
    return text


# (exercise, what minigrad's own code says, the mistake, the op (or function) to blame, the diagnosis or None)
MISTAKES = [
    ("mul", "grad * b, grad * a", "-grad * b, grad * a", "Mul", "sign"),
    ("mul", "grad * b, grad * a", "grad * a, grad * b", "Mul", None),  # the two swapped
    ("mul", "grad * b, grad * a", "b, a", "Mul", "ignores grad"),  # the incoming gradient forgotten
    ("mul", "grad * b, grad * a", "(grad * b).sum(axis=0), grad * a", "Mul", "shape"),  # summed back by hand, wrongly
    ("div", "-grad_a * out", "grad_a * out", "Div", "sign"),
    ("div", "-grad_a * out", "-grad * out", "Div", None),  # 1/b missing from d/db
    ("div", "grad_a = grad / b", "grad_a = grad * b", "Div", None),
    ("div", "return grad_a, -grad_a * out", "return grad_a, (-grad_a * out).sum()", "Div", "shape"),  # summed too far
    ("pow", "b * a ** (b - 1)", "a ** (b - 1)", "Pow", None),  # the factor b missing
    ("pow", "grad * out * log_a", "grad * log_a", "Pow", None),  # a^b missing from d/db
    ("exp_log", "(grad * out,)", "(out,)", "Exp", "ignores grad"),
    ("exp_log", "(grad / a,)", "(grad * a,)", "Log", None),
    ("exp_log", "(grad / a,)", "(-grad / a,)", "Log", "sign"),
    ("walk", "return dict(backward_pass(root, np.ones_like(root.data)))", OVERWRITE := "OVERWRITE", "walk",
     "accumulation"),
    ("walk", "return dict(backward_pass(root, np.ones_like(root.data)))", PREORDER := "PREORDER", "walk", "order"),
    ("unbroadcast", "    if grad.shape == shape:", "    return grad\n    if grad.shape == shape:", "unbroadcast",
     "broadcast"),
    ("unbroadcast", "axis=stretched, keepdims=True", "axis=stretched", "unbroadcast", "shape"),
    ("sum_mean", "grad / self.count", "grad", "Mean", "factor"),
    ("sum_mean", "grad / self.count", "grad / self.count / self.count", "Mean", "factor"),  # averaging twice
    ("sum_mean", "(expand_reduced(grad, self.axis, self.keepdims, self.shape),)",
     "(expand_reduced(-grad, self.axis, self.keepdims, self.shape),)", "Sum", "sign"),
    ("matmul", "grad @ matrix_transpose(b)", "grad @ b", "MatMul", "raises"),  # bᵀ forgotten: shapes do not fit
    ("matmul", "matrix_transpose(a) @ grad", "matrix_transpose(grad) @ a", "MatMul", "transpose"),
    ("matmul", "matrix_transpose(a) @ grad", "-matrix_transpose(a) @ grad", "MatMul", "sign"),
    ("sigmoid", "grad * out * (1 - out)", "grad * out", "SigmoidOp", None),  # σ′ written as σ
    ("sigmoid", "grad * out * (1 - out)", "grad * (1 - out)", "SigmoidOp", None),
    ("sigmoid", "grad * out * (1 - out)", "-grad * out * (1 - out)", "SigmoidOp", "sign"),
    ("tanh", "1 - out * out", "1 - out", "TanhOp", None),
    ("tanh", "1 - out * out", "out * out - 1", "TanhOp", "sign"),
    ("relu", "grad * self.positive", "grad", "ReLUOp", "missing factor"),  # the gradient passed where the unit was off
    ("relu", "grad * self.positive", "1.0 * self.positive", "ReLUOp", "ignores grad"),  # the incoming gradient
    ("softmax", "(s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)", "(grad * s * (1 - s),)",
     "SoftmaxOp", None),  # only the diagonal of the Jacobian
    ("softmax", "(s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)",
     "(-s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)", "SoftmaxOp", "sign"),
    ("log_softmax", "exp(log_s) * grad.sum", "log_s * grad.sum", "LogSoftmaxOp", None),  # log s for s
    ("log_softmax", "grad - exp(log_s) * grad.sum(axis=self.axis, keepdims=True)", "grad - exp(log_s)",
     "LogSoftmaxOp", None),  # Σ grad missing
    ("mse", "F.mse_loss(x, y, fused=False)", "((x - y) ** 2).sum()", "mse", "factor"),  # no mean
    ("mse", "F.mse_loss(x, y, fused=False)", "((x - y) ** 2).mean() / x.size", "mse", "factor"),  # averaging twice
    ("bce", "weight * (p - y) / maximum", "weight * (y - p) / maximum", "FusedBCE", "sign"),
    ("bce", "weight * (p - y) / maximum(p * (1 - p), 1e-12)", "weight * (p - y)", "FusedBCE", None),
    ("cross_entropy", "grad = p - t if", "grad = t - p if", "FusedCrossEntropy", "sign"),
    ("cross_entropy", "grad = p - t if", "grad = (p - t) / len(z) if", "FusedCrossEntropy", "factor"),
    ("linear", "return F.linear(x, self.weight, self.bias)", "return x @ self.weight.T", "linear", None),  # no bias
    ("linear", "return F.linear(x, self.weight, self.bias)", "return x @ self.weight + self.bias", "linear",
     "transpose"),  # W not transposed
    ("sgd", "value -= self.lr * grad", "value += self.lr * grad", "sgd", "sign"),
    ("sgd", "                buffer *= self.momentum\n", "", "sgd", None),  # the buffer never decays
]
EDITS = {  # the walk's mistakes, written out: accumulation that overwrites, and inputs before outputs
    OVERWRITE: """grads = {root: np.ones_like(root.data)}
    for t in reversed(topological_order(root)):
        if t._op is not None and t in grads:
            for p, g in vjp(t, grads[t]):
                grads[p] = g
    return grads""",
    PREORDER: """grads = {root: np.ones_like(root.data)}
    for t in topological_order(root):
        if t._op is not None and t in grads:
            for p, g in vjp(t, grads[t]):
                grads[p] = grads[p] + g if p in grads else g
    return grads""",
}


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stubs")
    start(folder)
    return check(folder, examples=EXAMPLES)


@pytest.mark.parametrize("name", NAMES)
def test_a_stub_fails_as_not_implemented(stubs, name):
    outcome = next(o for o in stubs.outcomes if o.name == name)
    assert outcome.status == "not started"


def test_the_stubs_are_at_least_fourteen_and_each_has_its_maths_and_a_hint():
    assert len(NAMES) >= 14
    for name in NAMES:
        assert "Derive" in stub(name) or "Contract" in stub(name), name
        assert "Hint:" in stub(name) and "raise NotImplementedError" in stub(name), name


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("solved")
    for name in NAMES:
        (folder / f"{name}.py").write_text(pasted(name), encoding="utf-8")
    return folder, check(folder, examples=EXAMPLES)


@pytest.mark.parametrize("name", NAMES)
def test_minigrads_own_rule_pasted_in_passes(solved, name):
    outcome = next(o for o in solved[1].outcomes if o.name == name)
    assert outcome.status == "done", outcome.paragraph


@pytest.fixture(scope="module")
def mistaken(tmp_path_factory):
    """Each mistake in its own folder, checked."""
    outcomes = []
    for i, (name, own, wrong, _, _) in enumerate(MISTAKES):
        folder = tmp_path_factory.mktemp(f"mistake{i}")
        text = pasted(name)
        assert own in text, (name, own)
        text = text.replace(own, EDITS.get(wrong, wrong), 1)
        if name == "walk":
            text = text.replace("from minigrad.core.backward import *", "from minigrad.core.backward import "
                                "topological_order")
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
        outcomes.append(check(folder, [name], examples=EXAMPLES).outcomes[0])
    return outcomes


def test_there_are_at_least_thirty_mistakes_and_two_per_exercise():
    assert len(MISTAKES) >= 30
    assert all(sum(m[0] == name for m in MISTAKES) >= 2 for name in NAMES)


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=[f"{m[0]}:{m[2][:30]}" for m in MISTAKES])
def test_a_typical_mistake_fails_with_the_right_op_blamed_and_diagnosis(mistaken, i):
    name, _, _, blamed, diagnosis = MISTAKES[i]
    outcome = mistaken[i]
    assert outcome.status == "failing"
    assert outcome.blamed == blamed, outcome.paragraph
    if diagnosis:
        assert outcome.diagnosis == diagnosis, outcome.paragraph
    assert outcome.paragraph.startswith(f"{name}: failing. ")


# ------------------------------------------------------------------------------------------------ command line --

def test_start_writes_every_exercise_and_says_where_to_begin(tmp_path, capsys):
    assert cli.main(["exercises", "start", str(tmp_path / "book")]) == 0
    assert sorted(p.stem for p in (tmp_path / "book").iterdir()) == sorted(NAMES)
    assert f"Open {tmp_path / 'book' / 'mul.py'}" in capsys.readouterr().out


def test_start_again_over_untouched_stubs_is_fine(tmp_path):
    start(tmp_path)
    assert cli.main(["exercises", "start", str(tmp_path)]) == 0


def test_start_never_overwrites_an_edited_exercise_without_overwrite(tmp_path, capsys):
    start(tmp_path)
    (tmp_path / "mul.py").write_text("my work", encoding="utf-8")
    assert cli.main(["exercises", "start", str(tmp_path)]) == 2
    assert "already holds your work in mul.py" in capsys.readouterr().err
    assert (tmp_path / "mul.py").read_text(encoding="utf-8") == "my work"
    assert cli.main(["exercises", "start", str(tmp_path), "--overwrite"]) == 0
    assert (tmp_path / "mul.py").read_text(encoding="utf-8") == stub("mul")


@pytest.fixture(scope="module")
def half_done(tmp_path_factory):
    """A folder with mul solved (minigrad's own rule), sigmoid wrong (σ′ written as σ), the rest stubs."""
    folder = tmp_path_factory.mktemp("book")
    start(folder)
    (folder / "mul.py").write_text(pasted("mul"), encoding="utf-8")
    (folder / "sigmoid.py").write_text(pasted("sigmoid").replace("grad * out * (1 - out)", "grad * out"), "utf-8")
    return folder


def test_check_prints_the_progress_in_the_tutorials_order_and_exits_1(half_done, capsys):
    assert cli.main(["exercises", "check", str(half_done), "--examples", "3"]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith(f"Exercises in {half_done}: 1 of {len(NAMES)} done\n")
    rows = [line.split()[1] for line in printed.splitlines()[2:2 + len(NAMES)]]
    assert rows == list(NAMES)
    assert "  1  mul            done" in printed and "  9  sigmoid        failing" in printed


def test_check_gives_one_paragraph_per_failure_with_shapes_op_and_relative_error(half_done, capsys):
    cli.main(["exercises", "check", str(half_done), "sigmoid", "--examples", "3"])
    paragraph = capsys.readouterr().out.split("\n\n")[-1]
    assert re.match(r"sigmoid: failing\. Checked SigmoidOp\.backward on SigmoidOp of z \([\d, ]+\) \(float64", paragraph)
    assert "Blamed: SigmoidOp, the gradient of z (input 0)" in paragraph
    assert re.search(r"relative error \d\.\de[+-]\d\d", paragraph)


def test_check_of_named_exercises_all_done_exits_0(half_done, capsys):
    assert cli.main(["exercises", "check", str(half_done), "mul", "--examples", "3"]) == 0
    assert capsys.readouterr().out.startswith(f"Exercises in {half_done}: 1 of 1 done")


def test_check_reads_the_current_folder_when_given_only_names(half_done, capsys, monkeypatch):
    monkeypatch.chdir(half_done)
    assert cli.main(["exercises", "check", "mul", "--examples", "2"]) == 0
    assert capsys.readouterr().out.startswith("Exercises in .: 1 of 1 done")


@pytest.mark.parametrize("words, message", [
    (["nope"], "no folder or exercise named nope; the exercises: mul, div, pow"),
    (["DIR", "nope"], "no exercise named 'nope'"),
    (["missing-folder", "mul"], "no folder missing-folder"),
])
def test_check_with_bad_names_or_folder_exits_2_saying_why(half_done, capsys, monkeypatch, words, message):
    monkeypatch.chdir(half_done.parent)
    words = [half_done.name if w == "DIR" else w for w in words]
    assert cli.main(["exercises", "check", *words]) == 2
    assert message in capsys.readouterr().err


def test_the_docs_quote_what_check_prints_for_sigma_prime_written_as_sigma(tmp_path, monkeypatch, capsys):
    page = (Path(__file__).resolve().parent.parent / "docs" / "exercises.md").read_text(encoding="utf-8")
    command, quoted = re.search(r"```text\n\$ minigrad (exercises check [^\n]*)\n(.*?)```", page, re.S).groups()
    monkeypatch.chdir(tmp_path)
    start("workbook")
    for name in ("mul", "div"):
        Path("workbook", f"{name}.py").write_text(pasted(name), encoding="utf-8")
    Path("workbook", "sigmoid.py").write_text(pasted("sigmoid").replace("grad * out * (1 - out)", "grad * out"), "utf-8")
    assert cli.main(command.split()) == 1
    assert capsys.readouterr().out == quoted


@pytest.fixture(scope="module")
def sigma_as_sigma(tmp_path_factory):
    """The docs' example: σ′ written as σ, checked; the folder it was checked in."""
    folder = tmp_path_factory.mktemp("feedback") / "workbook"
    start(folder)
    (folder / "sigmoid.py").write_text(pasted("sigmoid").replace("grad * out * (1 - out)", "grad * out"), "utf-8")
    check(folder, ["sigmoid"])
    return folder


def test_a_wrong_backward_gets_a_picture_of_its_graph_with_the_blamed_edge_red(sigma_as_sigma):
    picture = (sigma_as_sigma / "feedback" / "sigmoid.svg").read_text(encoding="utf-8")
    assert f'stroke="{WRONG}"' in picture
    assert "expected 0.1595, got 0.3403" in picture  # the numbers of the paragraph, on the red edge


def test_a_wrong_backward_gets_a_replay_page_that_marks_the_blamed_edge(sigma_as_sigma):
    page = (sigma_as_sigma / "feedback" / "sigmoid.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="replay-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert data["tracks"][0]["wrong"]


@needs_browser
def test_in_a_browser_the_feedback_picture_shows_the_red_edge_with_text_of_at_least_12_px(sigma_as_sigma):
    with open_page(sigma_as_sigma / "feedback" / "sigmoid.svg") as visit:
        red = visit.page.locator(f'g.edge path[stroke="{WRONG}"]').count()
        sizes = visit.page.eval_on_selector_all(
            "text", "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)")
    assert red == 1 and min(sizes) >= 12, (red, min(sizes))
    assert not visit.problems()


@needs_browser
def test_in_a_browser_the_feedback_replay_opens_at_the_red_edge_with_text_of_at_least_12_px(sigma_as_sigma):
    with open_page(sigma_as_sigma / "feedback" / "sigmoid.html") as visit:
        page = visit.page
        assert page.locator(f'#graph g.edge path[stroke="{WRONG}"]').count() >= 1
        assert "Here the gradient goes wrong: the backward of sigmoid" in page.text_content("#panel")
        assert shown_text(page)[0][0] >= 12 and page_width(page)["page"] <= page_width(page)["screen"]
    assert not visit.problems()


def test_the_docs_show_the_picture_that_check_draws_today(sigma_as_sigma):
    committed = Path(__file__).resolve().parent.parent / "docs" / "figures" / "exercise_feedback.dot"
    assert (sigma_as_sigma / "feedback" / "sigmoid.dot").read_text(encoding="utf-8") == \
        committed.read_text(encoding="utf-8"), "docs/figures/exercise_feedback.* is stale: copy feedback/sigmoid.*"


def test_a_walk_written_from_its_docstring_depth_first_and_adding_up_passes(tmp_path):
    own = '''    order, seen = [], set()

    def visit(t):
        if t not in seen:
            seen.add(t)
            for p in inputs_of(t):
                visit(p)
            order.append(t)

    visit(root)
    grads = {root: np.ones_like(root.data)}
    for t in reversed(order):
        for p, g in vjp(t, grads[t]) if t._op is not None else []:
            grads[p] = grads[p] + g if p in grads else g
    return grads'''
    text = stub("walk").replace('    raise NotImplementedError("backward: order the graph, then walk it, adding up gradients")', own)
    (tmp_path / "walk.py").write_text(text, encoding="utf-8")
    assert check(tmp_path, ["walk"], examples=EXAMPLES).outcomes[0].status == "done"


def test_check_without_hypothesis_exits_2_naming_the_extra(half_done, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # import hypothesis now raises ImportError
    assert cli.main(["exercises", "check", str(half_done)]) == 2
    assert "checking needs hypothesis: pip install 'minigrad[exercises]'" in capsys.readouterr().err


def test_a_file_that_does_not_run_fails_saying_why_and_where(tmp_path):
    (tmp_path / "tanh.py").write_text(stub("tanh").replace("(out,) = self.saved", "(out,) = self.saved)"), "utf-8")
    outcome = check(tmp_path, ["tanh"], examples=EXAMPLES).outcomes[0]
    assert outcome.status == "failing"
    assert outcome.paragraph.startswith(f"tanh: {tmp_path / 'tanh.py'} does not run: SyntaxError")
