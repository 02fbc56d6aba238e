"""The `minigrad` command. `minigrad explain` draws and tabulates why
cross-entropy learns where MSE stalls; `minigrad train` trains a classifier on
a toy dataset and saves its curves, pictures and checkpoint; `minigrad
compare` trains one network under MSE and under cross-entropy and compares
their gradients layer by layer; `minigrad exercises` writes a workbook of
backward rules to write yourself, and checks them. Each subcommand
has --help."""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from minigrad import __version__
from minigrad.training import data

DATASETS = (*data.DATASETS, "digits")


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (--help has the rest) and a
    suggestion for a mistyped option."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        namespace, unknown = super().parse_known_args(args, namespace)
        for argument in (text for text in unknown if text.startswith("-")):
            guess = difflib.get_close_matches(argument.split("=")[0], self._option_string_actions, n=1)
            if guess:
                self.error(f"unrecognized argument {argument}: did you mean {guess[0]}?")
        return namespace, unknown


def finite_float(text: str) -> float:
    """An argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def neuron_number(text: str) -> float:
    """An argparse type for explain's x, w and b: a number in [-1e300, 1e300]. The page multiplies each by
    slider values up to 4, and float64 ends near 1.8e308: every product stays finite."""
    value = finite_float(text)
    if abs(value) > 1e300:
        raise argparse.ArgumentTypeError(f"expected a number in [-1e300, 1e300] (the page multiplies it by slider "
                                         f"values, in float64), got {text!r}")
    return value


def layer_widths(text: str) -> tuple[int, ...]:
    """An argparse type: hidden layer widths such as "64,64"."""
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers like 64,64, got {text!r}")
    return widths


def integer_from(least: int) -> Callable[[str], int]:
    """An argparse type: an integer >= least."""
    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = least - 1
        if value < least:
            raise argparse.ArgumentTypeError(f"expected an integer >= {least}, got {text!r}")
        return value
    return integer


positive_int, seed = integer_from(1), integer_from(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = Parser(prog="minigrad", description="minigrad: autodiff on NumPy, written to be read.")
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    explain = commands.add_parser(
        "explain", help="show why σ′(z) slows MSE and cancels under cross-entropy, for one sigmoid neuron",
        description="For one sigmoid neuron a = σ(w·x + b): draw the MSE and cross-entropy graphs side by "
                    "side with the local derivatives on the edges, draw the fused cross-entropy node, and "
                    "print (and write as CSV) ∂L/∂z over z from -6 to 6.")
    explain.add_argument("--x", type=neuron_number, default=1.0, help="the input x, in [-1e300, 1e300] (default 1)")
    explain.add_argument("--w", type=neuron_number, default=2.0, help="the weight w, in [-1e300, 1e300] (default 2)")
    explain.add_argument("--b", type=neuron_number, default=2.0, help="the bias b, in [-1e300, 1e300] (default 2)")
    explain.add_argument("--target", type=finite_float, default=0.0, help="the target y, in [0, 1] (default 0)")
    explain.add_argument("--out", type=Path, default=Path("minigrad-out"),
                         help="the folder to write into (default ./minigrad-out)")
    explain.add_argument("--format", choices=("svg", "png", "pdf"), default="svg",
                         help="picture format (default svg; pdf needs the system Graphviz)")
    explain.set_defaults(run=run_explain)

    from minigrad.training import RECOMMENDED, TrainConfig  # the defaults live with the training code
    defaults, digits, digits_cnn = TrainConfig(), RECOMMENDED["digits"], RECOMMENDED["digits-cnn"]
    train = commands.add_parser(
        "train", help="train an MLP classifier on a toy dataset and save curves, pictures and the checkpoint",
        description="Train an MLP on a toy dataset with cross-entropy or MSE, print train and test accuracy and "
                    "the test classification error (wrong / total), and write into --out: the checkpoint "
                    "(model.npz, config.json), the learning curves (history.csv, learning_curves.png), the "
                    "decision boundary of 2-D datasets, the graph of one training step, and the health of "
                    "the gradients (gradient_flow.png, report.html with an epoch slider).")
    train.add_argument("--dataset", choices=DATASETS, default=defaults.dataset,
                       help=f"the data (default {defaults.dataset}; digits needs scikit-learn)")
    train.add_argument("--model", choices=("mlp", "cnn"), default=defaults.model,
                       help=f"mlp, or cnn: Conv2d-ReLU-MaxPool2d x{len(defaults.channels)}, Flatten, Linear, for image "
                            f"data (digits; with {digits_cnn['optimizer']} lr {digits_cnn['lr']}, "
                            f"{digits_cnn['epochs']} epochs, batch size {digits_cnn['batch_size']} unless given) "
                            f"(default {defaults.model})")
    train.add_argument("--loss", choices=("ce", "mse"), default=defaults.loss,
                       help="ce: softmax cross-entropy; mse: MSE between softmax and one-hot (default ce)")
    train.add_argument("--hidden", type=layer_widths, default=defaults.hidden,
                       help="hidden layer widths (default 64,64)")
    train.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default=defaults.activation,
                       help=f"hidden activation (default {defaults.activation})")
    train.add_argument("--optimizer", choices=("sgd", "adam"),
                       help=f"(default {defaults.optimizer}; {digits['optimizer']} for digits)")
    train.add_argument("--lr", type=finite_float,
                       help=f"learning rate (default {defaults.lr}; {digits['lr']} for digits with sgd)")
    train.add_argument("--momentum", type=finite_float,
                       help=f"SGD momentum, in [0, 1) (default {defaults.momentum})")
    train.add_argument("--epochs", type=positive_int,
                       help=f"(default {defaults.epochs}; {digits['epochs']} for digits)")
    train.add_argument("--batch-size", type=positive_int,
                       help=f"(default {defaults.batch_size}; {digits_cnn['batch_size']} for --model cnn on digits)")
    train.add_argument("--seed", type=seed, default=defaults.seed, help="seeds data, initialisation and batches")
    train.add_argument("--compile", action="store_true",
                       help="run the training steps as mg.compile's straight-line NumPy: the same numbers, faster")
    train.add_argument("--out", type=Path, default=Path("minigrad-out"),
                       help="the folder to write into (default ./minigrad-out)")
    train.set_defaults(run=run_train)

    from minigrad.lessons.compare import CompareConfig
    together = CompareConfig()
    compare = commands.add_parser(
        "compare", help="train one MLP twice, under MSE and under cross-entropy, and compare the gradients",
        description="Train the same MLP from the same initial weights on the same minibatches twice, under MSE "
                    "(softmax against one-hot) and under cross-entropy, recording each layer's gradients; print "
                    "per layer the mean weight-gradient norm over the first epochs and the epoch each run "
                    "reaches 90%% train accuracy, and write into --out compare.csv, compare.png and "
                    "compare.html (both runs on shared axes, one epoch slider).")
    compare.add_argument("--dataset", choices=DATASETS, default=together.dataset,
                         help=f"the data (default {together.dataset}; digits needs scikit-learn)")
    compare.add_argument("--hidden", type=layer_widths, default=together.hidden,
                         help=f"hidden layer widths (default {','.join(map(str, together.hidden))})")
    compare.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default=together.activation,
                         help=f"hidden activation (default {together.activation})")
    compare.add_argument("--epochs", type=positive_int, default=together.epochs,
                         help=f"(default {together.epochs})")
    compare.add_argument("--seed", type=seed, default=together.seed,
                         help="seeds data, initialisation and batches")
    compare.add_argument("--out", type=Path, default=Path("minigrad-out"),
                         help="the folder to write into (default ./minigrad-out)")
    compare.set_defaults(run=run_compare)

    exercises = commands.add_parser(
        "exercises", help="a workbook: write the backward rules yourself, and check them",
        description="`start DIR` writes the exercises (one .py each, a stub to fill in, the maths and a hint); "
                    "`check [DIR] [NAME ...]` checks them on random shapes and prints a progress table and one "
                    "paragraph per failure, with a picture of the blamed edge in DIR/feedback. Exit code: 0 all "
                    "done, 1 some not done, 2 bad usage.")
    actions = exercises.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=Parser)
    start = actions.add_parser("start", help="write the exercises into a folder")
    start.add_argument("folder", type=Path, metavar="DIR")
    start.add_argument("--overwrite", action="store_true", help="replace exercises you have already edited")
    start.set_defaults(run=run_exercises_start)
    check = actions.add_parser("check", help="check the exercises of a folder (default: the current one)",
                               usage="minigrad exercises check [-h] [--examples N] [DIR] [NAME ...]")
    check.add_argument("words", nargs="*", metavar="DIR NAME",
                       help="the folder, then the exercises to check (default: all, in the tutorial's order)")
    check.add_argument("--examples", type=integer_from(1), default=20, metavar="N",
                       help="random cases per exercise (default 20)")
    check.set_defaults(run=run_exercises_check)
    return parser


def run_explain(args: argparse.Namespace) -> int:
    """minigrad explain: print the story in numbers, write the pictures, list the files."""
    if not 0 <= args.target <= 1:
        return fail("explain", f"--target must be in [0, 1], got {args.target:g}")
    if not math.isfinite(args.w * args.x + args.b):  # float64, as the neuron computes it
        return fail("explain", f"z = w·x + b = {args.w:g}·{args.x:g} + {args.b:g} is not finite in float64; "
                               "choose smaller --x, --w or --b")
    if args.out.exists() and not args.out.is_dir():
        return fail("explain", f"--out {args.out} is a file; expected a folder (it is created if missing)")
    try:
        from minigrad.lessons import explain, explain_page
    except ImportError as missing:
        return fail("explain", f"{missing}")
    print(explain.summary(args.x, args.w, args.b, args.target), end="\n\n")
    print(explain.table_text(explain.gradient_table(args.target)), end="\n\n")
    try:
        written, problems = explain_page.write_explanation(args.out, args.x, args.w, args.b, args.target, args.format)
    except OSError as error:
        return fail("explain", f"cannot write into {args.out}: {error}")
    report_written(written)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def run_train(args: argparse.Namespace) -> int:
    """minigrad train: train with a progress bar, report accuracy and error, save everything."""
    from minigrad import training

    if args.model == "cnn" and args.dataset != "digits":
        return fail("train", f"--model cnn needs image data (--dataset digits); {args.dataset} has 2-D points")
    settings = training.settings_for(args.dataset, args.optimizer, args.lr, args.epochs, args.model, args.batch_size)
    settings.setdefault("batch_size", training.TrainConfig().batch_size)
    if not settings["lr"] > 0:
        return fail("train", f"--lr must be positive, got {settings['lr']:g}")
    if args.momentum is not None and settings["optimizer"] != "sgd":
        return fail("train", f"--momentum applies to --optimizer sgd, not {settings['optimizer']}")
    if args.momentum is not None and not 0 <= args.momentum < 1:
        return fail("train", f"--momentum must be in [0, 1), got {args.momentum:g}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)  # a bad folder fails now, not after training
    except OSError as error:
        return fail("train", f"cannot write into {args.out}: {error}")
    momentum = {} if args.momentum is None else {"momentum": args.momentum}
    config = training.TrainConfig(dataset=args.dataset, loss=args.loss, hidden=args.hidden,
                                  activation=args.activation, seed=args.seed, model=args.model,
                                  **settings, **momentum)
    network = (f"{'-'.join(map(str, config.channels))}-channel CNN" if config.model == "cnn" else
               f"{'-'.join(map(str, config.hidden))} {config.activation} MLP")
    print(f"training a {network} on {config.dataset} with "
          f"{config.loss} loss, {config.optimizer} lr {config.lr:g}, {config.epochs} epoch(s)")
    try:
        with ProgressDisplay(config.epochs) as show:
            result = training.fit(config, on_epoch=show, compiled=args.compile)
    except ImportError as missing:  # digits without scikit-learn
        return fail("train", f"{missing}")
    except training.TrainingDiverged as diverged:
        return fail("train", f"stopped in epoch {diverged.epoch}: the loss became {diverged.loss}; --lr {config.lr:g} "
                             f"is too large here, try a smaller --lr (e.g. {config.lr / 10:g})", code=1)
    last = result.history[-1]
    print(f"train accuracy {last['train_accuracy']:.2%}   test accuracy {last['test_accuracy']:.2%}   "
          f"test classification error {last['test_wrong']}/{len(result.splits[3])} = {last['test_error']:.2%}")
    try:
        written, notes = training.write_outputs(result, args.out)
    except OSError as error:
        return fail("train", f"cannot write into {args.out}: {error}")
    report_written(written)
    for note in notes:
        print(f"note: {note}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """minigrad compare: both runs, the table, the CSV, picture and page."""
    from minigrad import training
    from minigrad.lessons import compare

    try:
        args.out.mkdir(parents=True, exist_ok=True)  # a bad folder fails now, not after training
    except OSError as error:
        return fail("compare", f"cannot write into {args.out}: {error}")
    config = compare.CompareConfig(dataset=args.dataset, hidden=args.hidden, activation=args.activation,
                                   epochs=args.epochs, seed=args.seed)
    print(f"training a {'-'.join(map(str, config.hidden))} {config.activation} MLP on {config.dataset} twice, "
          f"under MSE and cross-entropy, from the same weights: sgd lr {config.lr:g}, {config.epochs} epoch(s)")
    try:
        runs = compare.compare(config)
    except ImportError as missing:  # digits without scikit-learn
        return fail("compare", f"{missing}")
    except training.TrainingDiverged as diverged:
        return fail("compare", f"stopped in epoch {diverged.epoch}: the loss became {diverged.loss}", code=1)
    print(compare.table_text(compare.csv_rows(runs)), end="\n\n")
    try:
        written, notes = compare.write_outputs(runs, config, args.out)
    except OSError as error:
        return fail("compare", f"cannot write into {args.out}: {error}")
    report_written(written)
    for note in notes:
        print(f"note: {note}")
    return 0


class ProgressDisplay:
    """A few plain lines of numbers, every fifth of the epochs; on a terminal
    with tqdm installed, also a progress bar below them (erased at the end,
    the lines stay), so that no bar redraws end up in a log file."""

    def __init__(self, epochs: int) -> None:
        self.epochs, self.bar = epochs, None

    def __enter__(self) -> Callable[[dict[str, Any]], None]:
        if sys.stdout.isatty():
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=self.epochs, unit="epoch", leave=False, file=sys.stdout)
            except ImportError:
                pass
        return self.show

    def show(self, row: dict[str, Any]) -> None:
        """Report one epoch's row of numbers."""
        if row["epoch"] % max(1, self.epochs // 5) == 0:
            line = (f"  epoch {row['epoch']:>4}   loss {row['train_loss']:.4f}   "
                    f"test accuracy {row['test_accuracy']:.2%}")
            if self.bar is None:
                print(line)
            else:
                self.bar.write(line, file=sys.stdout)  # above the bar, which redraws below it
        if self.bar is not None:
            self.bar.update()
            self.bar.set_postfix(loss=f"{row['train_loss']:.4f}", test=f"{row['test_accuracy']:.1%}")

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.close()


def run_exercises_start(args: argparse.Namespace) -> int:
    """minigrad exercises start DIR: write the workbook, never over a learner's edits unless --overwrite."""
    from minigrad.lessons.exercises import start
    try:
        paths = start(args.folder, overwrite=args.overwrite)
    except (FileExistsError, NotADirectoryError) as error:
        return fail("exercises start", str(error).removeprefix("start: "))
    print(f"Wrote {len(paths)} exercises into {args.folder}, in the tutorial's order: "
          f"{', '.join(p.stem for p in paths)}.\nOpen {paths[0]}, fill in the stub, then run: "
          f"minigrad exercises check {args.folder}")
    return 0


def run_exercises_check(args: argparse.Namespace) -> int:
    """minigrad exercises check [DIR] [NAME ...]: the progress table and a paragraph per failure."""
    from minigrad.lessons.exercises import NAMES, check
    words = list(args.words)
    if len(words) == 1 and not Path(words[0]).is_dir() and words[0] not in NAMES:
        return fail("exercises check", f"no folder or exercise named {words[0]}; the exercises: {', '.join(NAMES)}")
    folder = Path(words.pop(0)) if words and (Path(words[0]).is_dir() or words[0] not in NAMES) else Path(".")
    try:
        import hypothesis  # noqa: F401  (the random cases are hypothesis's)
    except ImportError:
        return fail("exercises check", "checking needs hypothesis: pip install 'minigrad[exercises]'")
    try:
        progress = check(folder, words)
    except (ValueError, FileNotFoundError) as error:
        return fail("exercises check", str(error).removeprefix("check: "))
    print(progress, end="")
    return 0 if progress.done == len(progress.outcomes) else 1


def report_written(paths: list[Path]) -> None:
    """List every file a command wrote."""
    print("wrote:")
    for path in paths:
        print(f"  {path}")


def fail(command: str, message: str, code: int = 2) -> int:
    """Print a one-line error in argparse's style; returns the exit code (2: bad usage)."""
    print(f"minigrad {command}: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `minigrad explain | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
