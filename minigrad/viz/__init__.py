"""Pictures of the graph: what a picture shows, how it reads, its DOT, its rendering, and the backward replay.

    graph_picture.py  what a picture of a graph shows: its nodes, edges and every number, from the engine
    notation.py       how a picture writes ops and names tensors, as in mathematics ("a − y", σ′)
    marks.py          what a picture marks: the edges of highlight=, and what mg.blame found (blame=)
    dot.py            draw_graph: the picture as a graphviz.Digraph
    rendering.py      render: the picture as SVG, PNG, PDF or JPEG
    replay_page.py    replay: a page that steps through backward, one gradient at a time

>>> from minigrad import Tensor, viz
>>> x = Tensor(2.0, requires_grad=True, name="x")
>>> "∂out/∂x = 4" in viz.draw_graph(x * x).source
True
"""

try:
    import graphviz  # noqa: F401
except ImportError as missing:  # the viz extra is not installed
    raise ImportError("minigrad.viz needs the graphviz package: pip install 'minigrad[viz]'") from missing

from minigrad.viz.dot import GradientGraph, draw_graph
from minigrad.viz.rendering import RenderError, render
from minigrad.viz.replay_page import Replay, replay

__all__ = ["GradientGraph", "RenderError", "Replay", "draw_graph", "render", "replay"]
