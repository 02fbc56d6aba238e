"""`check`: run each exercise of a folder on random cases, and say what is done and what is wrong.

Each exercise is checked by hypothesis on random shapes in float64 (cases.py). An op's backward is checked
by blame: every op of a small graph against central differences of that op alone, with the gradient that
actually arrived; the first of the learner's ops it finds wrong is the one the feedback names, with the
diagnosis and advice, a CS231n-style relative error |got − expected| / (|got| + |expected|), and, when
minigrad.viz can draw it, a picture of the graph with the blamed edge red (DIR/feedback/NAME.svg) and a
replay page (DIR/feedback/NAME.html). hypothesis shrinks a failing case first, so the picture is small.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from minigrad.core.blame import blame
from minigrad.core.op import Op
from minigrad.lessons.exercises.catalogue import EXERCISES, NAMES


@dataclass
class Outcome:
    """How one exercise fared: "done", "not started" or "failing", and for a failure, what was found."""

    name: str
    status: str
    paragraph: str = ""
    blamed: str | None = None       # the learner's op (or function) the failure is pinned on
    diagnosis: str | None = None    # blame's: "sign", "factor", "shape", … (None: no simple pattern)
    picture: Path | None = None


@dataclass
class Progress:
    """The outcomes of a check, in the tutorial's order; str() is the table and one paragraph per failure."""

    folder: Path
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def done(self) -> int:
        """How many of the exercises checked are done."""
        return sum(outcome.status == "done" for outcome in self.outcomes)

    def __str__(self) -> str:
        titles = dict(EXERCISES)
        lines = [f"Exercises in {self.folder}: {self.done} of {len(self.outcomes)} done", ""]
        for outcome in self.outcomes:
            status = outcome.status + (f" ({outcome.diagnosis})" if outcome.diagnosis else "")
            number = NAMES.index(outcome.name) + 1
            lines.append(f"{number:>3}  {outcome.name:<14} {status:<24} {titles[outcome.name]}")
        paragraphs = [outcome.paragraph for outcome in self.outcomes if outcome.status == "failing"]
        return "\n".join(lines + [""] + [p + "\n" for p in paragraphs]).rstrip() + "\n"


class _NotStarted(Exception):
    """The learner's code raised NotImplementedError: the stub is still there."""


class _Failed(Exception):
    def __init__(self, paragraph: str, blamed: str | None = None, diagnosis: str | None = None,
                 root: Any = None, report: Any = None) -> None:
        super().__init__(paragraph)
        self.paragraph, self.blamed, self.diagnosis, self.root, self.report = paragraph, blamed, diagnosis, root, report


def check(folder: str | os.PathLike[str] = ".", names: list[str] | None = None, examples: int = 20) -> Progress:
    """Check the exercises `names` (all, by default) in `folder`, each on `examples` random cases.

    Needs hypothesis (pip install 'minigrad[exercises]').

    >>> import tempfile
    >>> from minigrad.lessons.exercises import start
    >>> folder = tempfile.mkdtemp()
    >>> paths = start(folder)
    >>> progress = check(folder, ["mul"], examples=2)
    >>> progress.done, progress.outcomes[0].status
    (0, 'not started')
    """
    names = list(NAMES) if not names else names
    unknown = [name for name in names if name not in NAMES]
    if unknown:
        raise ValueError(f"check: no exercise named {', '.join(map(repr, unknown))}; expected some of "
                         f"{', '.join(NAMES)}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"check: no folder {folder}; write the exercises first: minigrad exercises start "
                                f"{folder}")
    order = sorted(set(names), key=NAMES.index)
    return Progress(folder, [_check_one(folder, name, examples) for name in order])


def _check_one(folder: Path, name: str, examples: int) -> Outcome:
    """The outcome of exercise `name` in `folder`."""
    path = folder / f"{name}.py"
    if not path.exists():
        return Outcome(name, "not started", f"{name}: {path} is missing; `minigrad exercises start {folder}` "
                                            "writes the exercises you have not got yet.")
    try:
        module = _load(path, name)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            _run(module, name, 1, shrink=False)  # the stub fails at once: no need to shrink it
            _run(module, name, examples, shrink=True)
    except _NotStarted:
        return Outcome(name, "not started")
    except _Failed as failure:
        picture = _pictures(failure, folder, name)
        paragraph = failure.paragraph + (f" Picture: {picture} (replay: {picture.with_suffix('.html')})."
                                         if picture else "")
        return Outcome(name, "failing", paragraph, failure.blamed, failure.diagnosis, picture)
    return Outcome(name, "done")


def _load(path: Path, name: str) -> ModuleType:
    """The learner's file as a fresh module (a file that does not even import fails with its error)."""
    spec = importlib.util.spec_from_file_location(f"minigrad_exercise_{name}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except NotImplementedError:
        raise _NotStarted() from None
    except Exception as error:  # a learner's file may fail in any way: say how, and where
        raise _Failed(f"{name}: {path} does not run: {type(error).__name__}: {error}.") from None
    return module


def _run(module: ModuleType, name: str, examples: int, shrink: bool) -> None:
    """Run exercise `name`'s random cases; raise _NotStarted or _Failed (shrunk to the smallest case found)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
              phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,))
    @given(st.data())
    def random_cases(data: Any) -> None:
        _trial(module, name, data.draw)

    random_cases()


def _trial(module: ModuleType, name: str, draw: Any) -> None:
    """One random case of exercise `name`."""
    from minigrad.lessons.exercises.cases import CASES, Mismatch, Raised

    try:
        case = CASES[name](module, draw)
        if case.root is None:
            return
        report = blame(case.root)
    except NotImplementedError:
        raise _NotStarted() from None
    except Mismatch as mismatch:
        raise _Failed(_mismatch_paragraph(name, mismatch), name, mismatch.diagnosis, mismatch.root) from None
    except Raised as raised:  # the learner's code raised: say what, on which inputs
        error = raised.error
        diagnosis = "shape" if "shape" in str(error) or "dimension" in str(error) else None
        advice = f" {ADVICE[diagnosis]}" if diagnosis else ""
        raise _Failed(f"{name}: failing. Checked on {raised.inputs} (float64): your code raised "
                      f"{type(error).__name__}: {error}.{advice}", _raised_in(error, module) or name, diagnosis) \
            from None
    wrong = [entry for entry in report.wrong if isinstance(entry.op, case.learner_ops)]
    if any(isinstance(entry.error, NotImplementedError) for entry in wrong):
        raise _NotStarted()  # blame reports a stub's backward as raising
    if wrong:
        raise _Failed(_blame_paragraph(name, case, wrong[0]), type(wrong[0].op).__name__, wrong[0].diagnosis,
                      case.root, report)


def _raised_in(error: Exception, module: ModuleType) -> str | None:
    """The class of the learner's op whose method raised `error`, if one did (the innermost)."""
    found, trace = None, error.__traceback__
    while trace is not None:
        self = trace.tb_frame.f_locals.get("self")
        if trace.tb_frame.f_code.co_filename == module.__file__ and isinstance(self, Op):
            found = type(self).__name__
        trace = trace.tb_next
    return found


def relative_error(expected: Any, got: Any) -> float:
    """CS231n's max |got − expected| / max(|got| + |expected|): 1e-7 or less is right, 1e-2 or more is wrong.

    >>> f"{relative_error(1.0, -1.0):.1e}"
    '1.0e+00'
    """
    expected, got = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    return float(np.max(np.abs(got - expected)) / max(float(np.max(np.abs(got) + np.abs(expected))), 1e-300))


def _blame_paragraph(name: str, case: Any, entry: Any) -> str:
    op = type(entry.op).__name__
    inputs = entry.op.inputs
    input_name = inputs[entry.input].name or f"input {entry.input}"
    method = "loss_and_gradient" if "Fused" in op else "backward"
    diagnosis = f" Diagnosis: {entry.diagnosis}." if entry.diagnosis else ""
    if entry.diagnosis == "raises":
        found = f"its backward fails for {input_name} (input {entry.input})"
    elif entry.got is None:
        found = f"the gradient of {input_name} (input {entry.input}) cannot be summed back to its shape"
    else:
        found = (f"the gradient of {input_name} (input {entry.input}) at index {entry.index}: expected "
                 f"{entry.expected:.6g}, got {entry.got:.6g} (relative error "
                 f"{relative_error(entry.expected, entry.got):.1e})")
    return (f"{name}: failing. Checked {op}.{method} on {case.inputs} (float64; each op against central "
            f"differences of that op alone, given the gradient that reached it). Blamed: {op}, {found}."
            f"{diagnosis} {entry.advice}")


def _mismatch_paragraph(name: str, mismatch: Any) -> str:
    expected, got = mismatch.expected, mismatch.got
    if expected.shape != got.shape:
        found = f"expected shape {expected.shape}, got shape {got.shape}"
    else:
        found = (f"expected {_short(expected)}, got {_short(got)} (relative error "
                 f"{relative_error(expected, got):.1e})")
    diagnosis = f" Diagnosis: {mismatch.diagnosis}." if mismatch.diagnosis else ""
    return (f"{name}: failing. Checked {mismatch.what} on {mismatch.inputs} (float64), against minigrad's own: "
            f"{found}.{diagnosis} {ADVICE.get(mismatch.diagnosis, ADVICE[None])}")


ADVICE = {
    "broadcast": "Sum the gradient back to the input's shape: the leading axes broadcasting added, and the "
                 "size-1 axes it stretched (keepdims=True).",
    "shape": "The result has the wrong shape: compare it with the shape the docstring's contract asks for.",
    "sign": "Right size, opposite sign: check the minus signs.",
    "transpose": "It is x W + b: with W of shape (out_features, in_features), the layer is x Wᵀ + b.",
    "factor": "Off by a constant factor: a factor missing, or one applied twice (averaging twice?).",
    "accumulation": "This tensor feeds several ops: its gradient is the SUM of what arrives along each path; "
                    "add to what is there instead of overwriting it.",
    "order": "Some gradient never arrived: visit tensors in reverse topological order, each after every op "
             "that used it has passed its share back.",
    None: "Compare your code with the maths in the exercise's docstring, term by term.",
}


def _short(values: np.ndarray) -> str:
    return np.array2string(np.asarray(values).ravel()[:4], precision=4, suppress_small=True) + \
        (" …" if np.size(values) > 4 else "")


def _pictures(failure: _Failed, folder: Path, name: str) -> Path | None:
    """DIR/feedback/NAME.svg and NAME.html, the graph with the blamed edge red, when minigrad.viz can draw them."""
    if failure.report is None or failure.root is None:
        return None
    try:
        from minigrad import viz
    except ImportError:  # no graphviz
        return None
    try:
        graph = viz.draw_graph(failure.root, blame=failure.report)
        (folder / "feedback").mkdir(exist_ok=True)
        picture = viz.render(graph, folder / "feedback" / f"{name}.svg")
        viz.replay(failure.root, folder / "feedback" / f"{name}.html", blame=failure.report)
    except Exception:  # no renderer, or the learner's backward fails as the picture runs it: the paragraph says why
        return None
    return Path(picture)
