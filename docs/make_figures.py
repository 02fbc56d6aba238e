"""Regenerate the figures of docs/ from the library itself:

    python docs/make_figures.py

Each picture is written with its DOT source beside it; a test checks that the
committed DOT sources are what this script makes today.
"""

from __future__ import annotations

import sys
from pathlib import Path

from minigrad import explain, viz

FIGURES = Path(__file__).resolve().parent / "figures"


def make_figures(folder: Path = FIGURES) -> list[Path]:
    """Write every figure into `folder`; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    pictures = {
        "mse_vs_ce": explain.side_by_side_graph(x=1.0, w=2.0, b=2.0, y=0.0),
        "fused_ce": explain.fused_graph(x=1.0, w=2.0, b=2.0, y=0.0),
    }
    written = []
    for name, graph in pictures.items():
        written += [viz.render(graph, folder / f"{name}.svg"), folder / f"{name}.dot"]
    return written


if __name__ == "__main__":
    for path in make_figures(Path(sys.argv[1]) if len(sys.argv) > 1 else FIGURES):
        print(path)
