"""The `minigrad` command. `minigrad explain` draws and tabulates why
cross-entropy learns where MSE stalls; each subcommand has --help."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="minigrad", description="minigrad: autodiff on NumPy, written to be read.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    explain = commands.add_parser(
        "explain", help="show why σ′(z) slows MSE and cancels under cross-entropy, for one sigmoid neuron",
        description="For one sigmoid neuron a = σ(w·x + b): draw the MSE and cross-entropy graphs side by "
                    "side with the local derivatives on the edges, draw the fused cross-entropy node, and "
                    "print (and write as CSV) ∂L/∂z over z from -6 to 6.")
    explain.add_argument("--x", type=float, default=1.0, help="the input x (default 1)")
    explain.add_argument("--w", type=float, default=2.0, help="the weight w (default 2)")
    explain.add_argument("--b", type=float, default=2.0, help="the bias b (default 2)")
    explain.add_argument("--target", type=float, default=0.0, help="the target y, in [0, 1] (default 0)")
    explain.add_argument("--out", default="minigrad-out", help="the folder to write into (default ./minigrad-out)")
    explain.add_argument("--format", choices=("svg", "png", "pdf"), default="svg",
                         help="picture format (default svg; pdf needs the system Graphviz)")
    explain.set_defaults(run=run_explain)
    return parser


def run_explain(args: argparse.Namespace) -> int:
    """minigrad explain: print the story in numbers, write the pictures, list the files."""
    if not 0 <= args.target <= 1:
        print(f"minigrad explain: error: --target must be in [0, 1], got {args.target}", file=sys.stderr)
        return 2
    from minigrad import explain  # here, so that --help works without the viz extra

    print(explain.summary(args.x, args.w, args.b, args.target), end="\n\n")
    print(explain.table_text(explain.gradient_table(args.target)), end="\n\n")
    written, problems = explain.write_explanation(args.out, args.x, args.w, args.b, args.target, args.format)
    print("wrote:")
    for path in written:
        print(f"  {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.run(args)
