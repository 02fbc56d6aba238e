"""The exercises in the tutorial's order, and `start`, which writes them into a folder for the learner.

Each exercise is a text resource, stubs/NAME.txt, written out as DIR/NAME.py: a docstring with the maths to
derive and a hint, and a stub that raises NotImplementedError. (Text, not modules of the package: a learner's
file is not minigrad's code.)
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

# (name, what the learner writes), in the order of the tutorial: ops (autodiff.md §2), the walk (§3),
# broadcasting (§4), reductions and products, the activations, the losses, a layer and an optimizer.
EXERCISES: tuple[tuple[str, str], ...] = (
    ("mul", "Mul.backward, with broadcasting"),
    ("div", "Div.backward, with broadcasting"),
    ("pow", "Pow.backward, in base and exponent"),
    ("exp_log", "Exp.backward and Log.backward"),
    ("walk", "the backward walk: order and accumulation"),
    ("unbroadcast", "unbroadcast: summing a gradient back"),
    ("sum_mean", "Sum.backward and Mean.backward over axes"),
    ("matmul", "MatMul.backward"),
    ("sigmoid", "SigmoidOp.backward: σ′ = σ(1 − σ)"),
    ("tanh", "TanhOp.backward: 1 − tanh²"),
    ("relu", "ReLUOp.backward"),
    ("softmax", "SoftmaxOp.backward"),
    ("log_softmax", "LogSoftmaxOp.backward"),
    ("mse", "MSE built from primitive ops"),
    ("bce", "binary cross-entropy, fused"),
    ("cross_entropy", "cross-entropy's (softmax − y)/N"),
    ("linear", "a Linear module: x Wᵀ + b"),
    ("sgd", "SGD with momentum"),
)
NAMES = tuple(name for name, _ in EXERCISES)


def stub(name: str) -> str:
    """The text of exercise `name` as the learner first gets it.

    >>> "raise NotImplementedError" in stub("mul")
    True
    """
    if name not in NAMES:
        raise ValueError(f"stub: no exercise named {name!r}; expected one of {', '.join(NAMES)}")
    return resources.files(__package__).joinpath("stubs", f"{name}.txt").read_text(encoding="utf-8")


def start(folder: str | os.PathLike[str], overwrite: bool = False) -> list[Path]:
    """Write every exercise into `folder` as NAME.py, and return their paths.

    A file that is already there is left alone when it is the untouched stub; when the learner edited it,
    start refuses (FileExistsError) unless `overwrite` is True: a learner's work is never lost by accident.

    >>> import tempfile
    >>> paths = start(tempfile.mkdtemp())
    >>> [p.name for p in paths[:3]], len(paths)
    (['mul.py', 'div.py', 'pow.py'], 18)
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"start: {folder} is a file; expected a folder for the exercises")
    paths = [folder / f"{name}.py" for name in NAMES]
    edited = [p for p, name in zip(paths, NAMES) if p.exists() and p.read_text(encoding="utf-8") != stub(name)]
    if edited and not overwrite:
        raise FileExistsError(f"start: {folder} already holds your work in {', '.join(p.name for p in edited)}; "
                              "refusing to overwrite it (to start afresh: overwrite=True; on the command line, "
                              "--overwrite)")
    folder.mkdir(parents=True, exist_ok=True)
    for path, name in zip(paths, NAMES):
        path.write_text(stub(name), encoding="utf-8")
    return paths
