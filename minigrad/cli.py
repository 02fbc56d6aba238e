"""The `minigrad` command. `minigrad explain` draws and tabulates why
cross-entropy learns where MSE stalls; each subcommand has --help."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path


def finite_float(text: str) -> float:
    """An argparse type: a finite number."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="minigrad", description="minigrad: autodiff on NumPy, written to be read.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    explain = commands.add_parser(
        "explain", help="show why σ′(z) slows MSE and cancels under cross-entropy, for one sigmoid neuron",
        description="For one sigmoid neuron a = σ(w·x + b): draw the MSE and cross-entropy graphs side by "
                    "side with the local derivatives on the edges, draw the fused cross-entropy node, and "
                    "print (and write as CSV) ∂L/∂z over z from -6 to 6.")
    explain.add_argument("--x", type=finite_float, default=1.0, help="the input x (default 1)")
    explain.add_argument("--w", type=finite_float, default=2.0, help="the weight w (default 2)")
    explain.add_argument("--b", type=finite_float, default=2.0, help="the bias b (default 2)")
    explain.add_argument("--target", type=finite_float, default=0.0, help="the target y, in [0, 1] (default 0)")
    explain.add_argument("--out", type=Path, default=Path("minigrad-out"),
                         help="the folder to write into (default ./minigrad-out)")
    explain.add_argument("--format", choices=("svg", "png", "pdf"), default="svg",
                         help="picture format (default svg; pdf needs the system Graphviz)")
    explain.set_defaults(run=run_explain)
    return parser


def run_explain(args: argparse.Namespace) -> int:
    """minigrad explain: print the story in numbers, write the pictures, list the files."""
    if not 0 <= args.target <= 1:
        return fail(f"--target must be in [0, 1], got {args.target:g}")
    if args.out.exists() and not args.out.is_dir():
        return fail(f"--out {args.out} is a file; expected a folder (it is created if missing)")
    try:
        from minigrad import explain  # here, so that --help works without the viz extra
    except ImportError as missing:
        return fail(f"{missing}")
    print(explain.summary(args.x, args.w, args.b, args.target), end="\n\n")
    print(explain.table_text(explain.gradient_table(args.target)), end="\n\n")
    try:
        written, problems = explain.write_explanation(args.out, args.x, args.w, args.b, args.target, args.format)
    except OSError as error:
        return fail(f"cannot write into {args.out}: {error}")
    print("wrote:")
    for path in written:
        print(f"  {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def fail(message: str) -> int:
    """Print a one-line error in argparse's style; the exit code of bad usage."""
    print(f"minigrad explain: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `minigrad explain | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
