"""The one colour code of every page, picture and plot minigrad draws (and of docs/make_figures.py and
the notebook): one colour for MSE, one for cross-entropy, each unlike the fills that mean "parameter"
and "op" in a graph picture and unlike the magenta of the σ′ edge.

A page's CSS reads them as var(--mse), var(--ce), var(--sigma), var(--zero), var(--wrong): the builder writes them into
every page's :root. A matplotlib figure passes LOSS_COLOURS["mse"] or LOSS_COLOURS["ce"] as color=.

>>> LOSS_COLOURS["mse"], LOSS_COLOURS["ce"]
('#9c36b5', '#2b8a3e')
"""

from __future__ import annotations

__all__ = ["FILL", "HIGHLIGHT", "LOSS_COLOURS", "WRONG", "ZERO", "css_variables"]

LOSS_COLOURS = {"mse": "#9c36b5",   # purple: MSE
                "ce": "#2b8a3e"}    # green: cross-entropy
# The fills of a graph picture's boxes: the loss (root), a parameter, a constant, any other tensor, an op.
FILL = {"root": "#fff2b3", "parameter": "#dbe8fb", "constant": "#eeeeee", "intermediate": "#ffffff",
        "op": "#fde0c5"}
HIGHLIGHT = "#c2255c"    # magenta: the σ′ edge, or any edge drawn with the chain rule written out
ZERO = "#a0a0a0"         # grey: a branch whose gradient is exactly 0
WRONG = "#e03131"        # red: an edge whose gradient mg.blame found wrong (a true red, not the σ′ magenta)


def css_variables() -> str:
    """The colours as CSS custom properties on :root, as every page's stylesheet reads them.

    >>> for declaration in css_variables().split("; "):
    ...     print(declaration)
    :root { --mse: #9c36b5
    --ce: #2b8a3e
    --sigma: #c2255c
    --zero: #a0a0a0
    --wrong: #e03131
    --parameter: #dbe8fb
    --op: #fde0c5
    }
    """
    return (f":root {{ --mse: {LOSS_COLOURS['mse']}; --ce: {LOSS_COLOURS['ce']}; --sigma: {HIGHLIGHT}; "
            f"--zero: {ZERO}; --wrong: {WRONG}; --parameter: {FILL['parameter']}; --op: {FILL['op']}; }}")
