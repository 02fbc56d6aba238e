"""What `minigrad explain` writes, and its explorable page: move the neuron, watch σ′.

`write_explanation` writes the pictures, the table, index.html and replay.html.

One self-contained HTML file (inline SVG, CSS and JavaScript; no network).
Sliders set x, w, b and the target y; as they move, both graphs' numbers,
the highlighted σ′ edge with its chain-rule product, how much of
cross-entropy's ∂L/∂z MSE passes back, a plot of ∂L/∂z against z (linear, or
log |∂L/∂z| where MSE's collapse reads as orders of magnitude) and a strip of
gradient descent from the current start all follow. "Try this" presets move
all four sliders at once to a neuron worth looking at (PRESETS). Each graph is
its own SVG, so on a phone they stack, each at a size whose text stays
readable.

Every number on the page comes from minigrad. The neuron and both losses are
built once on tensors that hold every point of the slider grid at once (the
ops are elementwise, so each element is one neuron), and
`graph_picture.numbers` reads each node's value, gradient and local
derivative off that graph by the same keys the drawn picture uses. The
JavaScript only looks numbers up and draws them.
"""

from __future__ import annotations

import base64
import csv
import html
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import optim, viz
from minigrad.core.tensor import Tensor
from minigrad.lessons import explain, explain_replay
from minigrad.pages.builder import build_page
from minigrad.viz import graph_picture
from minigrad.viz.dot import legend_text
from minigrad.viz.rendering import RenderError, image_bytes

# The slider grid: 7 × 9 × 9 × 5 = 2,835 neurons, 3,150 with the peak preset's w = ln 2 (the page stays under
# 2 MB even when explain's own x, w, b and y are added), each number stored once per slider it depends on (b's
# value depends on b alone).
GRID = {"x": np.array([-2, -1, -0.5, 0, 0.5, 1, 2]), "w": np.linspace(-4, 4, 9), "b": np.linspace(-4, 4, 9),
        "y": np.linspace(0, 1, 5)}
Z_AXIS = np.linspace(-12, 12, 241)   # the ∂L/∂z plot
DESCENT_STEPS, DESCENT_RATE = 20, 1.0
SIDE_BY_SIDE_PX, SMALLEST_PX, MAX_SCALE = 12, 11, 1.3  # the graphs' smallest text, in screen px; their largest scale
# The "Try this" neurons (the buttons' data-preset in explain.html), each with the plot's scale it is best seen on:
# saturated and wrong (z = 12: MSE's ∂L/∂z is σ′ = 6e-6 of cross-entropy's); the top of MSE's curve for y = 0
# (∂L/∂z = a²(1 − a) is largest at a = 2/3, z = ln 2, where w·x + b is ln 2 exactly); nearly right with y = 1.
PRESETS = {"saturate": ({"x": 2.0, "w": 4.0, "b": 4.0, "y": 0.0}, "log"),
           "peak": ({"x": 1.0, "w": float(np.log(2.0)), "b": 0.0, "y": 0.0}, "linear"),
           "right": ({"x": 1.0, "w": 2.0, "b": 2.0, "y": 1.0}, "log")}


def grid_with(start: dict[str, float]) -> dict[str, np.ndarray]:
    """The slider grid with the starting neuron's own values and every preset's added, so the page opens on
    exactly the neuron that `minigrad explain` printed and each preset lands exactly on its neuron.

    >>> grid_with({"x": 1.3, "w": 2.0, "b": 2.0, "y": 0.0})["x"].tolist()
    [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.3, 2.0]
    """
    neurons = [start, *(neuron for neuron, _ in PRESETS.values())]
    return {name: np.union1d(values, [neuron[name] for neuron in neurons]) for name, values in GRID.items()}


def compress(table: dict[str, np.ndarray], shape: tuple[int, ...]) -> tuple[dict[str, list[int]], str]:
    """Each array stored on the grid axes it varies along, identical ones once:
    ({key: [offset, axes...]}, base64 of float64s)."""
    blocks: dict[tuple[bytes, tuple[int, ...]], int] = {}  # (data, axes) -> offset
    chunks, index, offset = [], {}, 0
    for key, array in table.items():
        full = np.broadcast_to(np.asarray(array, dtype=np.float64), shape)
        axes = [i for i in range(len(shape)) if not np.array_equal(full, np.take(full, [0], axis=i)
                                                                   .repeat(shape[i], axis=i), equal_nan=True)]
        reduced = np.ascontiguousarray(full[tuple(slice(None) if i in axes else 0 for i in range(len(shape)))])
        data = reduced.tobytes()
        if (data, tuple(axes)) not in blocks:
            blocks[data, tuple(axes)] = offset
            chunks.append(data)
            offset += reduced.size
        index[key] = [blocks[data, tuple(axes)], *axes]
    return index, _base64(np.frombuffer(b"".join(chunks), dtype=np.float64))


def widest(number: graph_picture.Number, table: dict[str, np.ndarray]) -> graph_picture.Number:
    """The same Number holding its widest value over the grid, so boxes fit every value."""
    values = np.ravel(table[number.key])
    texts = [f"{v + 0:.4g}" for v in values]
    return graph_picture.Number(number.key, np.array(values[max(range(len(texts)), key=lambda i: len(texts[i]))]))


def templates(prefix: str, picture: graph_picture.Picture) -> dict[str, list[list[Any]]]:
    """For every node and edge that shows a number: its label lines, text and keys."""
    found = {}
    for item_id, lines in [(prefix + n.id, n.lines) for n in picture.nodes] + \
                          [(f"{prefix}{e.tail}->{prefix}{e.head}", e.lines) for e in picture.edges]:
        if any(isinstance(part, graph_picture.Number) for line in lines for part in line):
            found[item_id] = [[{"key": prefix + part.key} if isinstance(part, graph_picture.Number) else part
                               for part in line] for line in lines]
    return found


def descent_losses(grid: dict[str, np.ndarray], loss_of: Any) -> np.ndarray:
    """Loss over DESCENT_STEPS steps of gradient descent on w and b from every grid point."""
    x, w0, b0, y = np.meshgrid(*grid.values(), indexing="ij")
    w = Tensor(w0.copy(), requires_grad=True)
    b = Tensor(b0.copy(), requires_grad=True)
    optimizer = optim.SGD([w, b], lr=DESCENT_RATE)
    losses = []
    with np.errstate(over="ignore"):  # a huge start (explain --x 1e300) may step w·x past float64: z = ±inf
        for _ in range(DESCENT_STEPS + 1):
            optimizer.zero_grad()
            loss = loss_of((w * Tensor(x) + b).sigmoid(), y)
            losses.append(loss.data.copy())
            loss.sum().backward()  # the neurons are independent: each gets its own gradient
            optimizer.step()
    return np.stack(losses, axis=-1)


def page(start: dict[str, float]) -> str:
    """The whole page, opened on the neuron `start` (x, w, b and y, added to the grid).

    >>> text = page({"x": 1.0, "w": 2.0, "b": 2.0, "y": 0.0})
    >>> text.startswith("<!doctype html>") and "<script src" not in text
    True
    """
    grid = grid_with(start)
    shape = tuple(len(v) for v in grid.values())
    x, w, b, y = np.meshgrid(*grid.values(), indexing="ij")
    table, lines, keys, zero, pictures = {}, {}, {}, {}, []
    for prefix, loss_of in (("mse_", explain.mse_of), ("ce_", explain.cross_entropy_of)):
        numbers = graph_picture.numbers(loss_of(explain.neuron(x, w, b), y))  # every neuron of the grid at once
        one = explain.neuron(start["x"], start["w"], start["b"])                # the same graph on one neuron
        picture = graph_picture.describe(loss_of(one, start["y"]), highlight={one.a: "σ′"})
        table.update({prefix + key: value for key, value in numbers.items()})
        lines.update(templates(prefix, picture))
        keys[prefix] = _readout_keys(prefix, picture, one)
        zero.update(_zero_keys(prefix, picture))
        pictures.append((prefix, _with_widest(picture, numbers)))
    index, blob = compress(table, shape)
    curves = _gradient_curves(grid["y"])
    descent = {}
    for name, loss_of in LOSSES.items():
        losses = descent_losses(grid, loss_of)
        descent[name] = _base64(losses.astype(np.float16))  # the curve: only drawn
        descent[name + "_end"] = _base64(losses[..., -1])   # the last loss, printed
    data = {"grid": {name: values.tolist() for name, values in grid.items()},
            "start": _indices(grid, start),
            "index": index, "numbers": blob, "lines": lines, "keys": keys, "zero": zero,
            "curves": curves, "descent": descent, "descentSteps": DESCENT_STEPS, "descentRate": DESCENT_RATE,
            "presets": {name: {"at": _indices(grid, neuron), "scale": scale}
                        for name, (neuron, scale) in PRESETS.items()}}
    return build_page("explain", title="minigrad explain: σ′ under MSE and under cross-entropy", data=data,
                      figure=figure_html(pictures))


def figure_html(pictures: list[tuple[str, graph_picture.Picture]]) -> str:
    """The graphs of `pictures` (("mse_", picture), ("ce_", picture)) under one title, with the legend under
    them in HTML. Each graph is its own SVG: side by side where both fit with text of at least 12 px, stacked
    where not, and on a screen too narrow for text of 11 px, scrolling sideways in its own box. Without a
    renderer: a note saying so.

    >>> one = explain.neuron(1, 2, 2)
    >>> text = figure_html([("ce_", graph_picture.describe(explain.cross_entropy_of(one, 0)))])
    >>> text.count("<svg"), 'id="ce_graph0"' in text
    (1, True)
    """
    legend = "".join(f"<li>{html.escape(line)}</li>" for line in legend_text().split("\\l") if line)
    try:
        figures = []
        for prefix, picture in pictures:
            graph = viz.GradientGraph(graph_attr={"fontname": "Helvetica"})
            graph.subgraph(explain.loss_cluster(prefix, picture))
            svg = image_bytes(graph.source, "svg").decode()
            figures.append(_readable(re.sub(r' id="', f' id="{prefix}', svg[svg.index("<svg"):])))
    except RenderError as error:  # the sliders and plots still work; the DOT is beside the page
        return f'<p class="missing">The graphs could not be drawn ({html.escape(str(error))}). Their DOT ' \
               'source is mse_vs_ce.dot, beside this page.</p>'
    return f'<h2>{html.escape(explain.FIGURE_TITLE)}</h2>\n<div class="graph-pair">{"".join(figures)}</div>\n' \
           f'<ul class="legend">{legend}</ul>'


def _readable(svg: str) -> str:
    """One graph's SVG in its <figure>, sized by CSS so that its smallest text is shown at least
    SIDE_BY_SIDE_PX when beside the other graph, never below SMALLEST_PX, and at most MAX_SCALE × its size."""
    width = float(re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', svg).group(1))
    smallest = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg))
    return f'<figure class="graph" style="flex: {width:.0f} 1 {math.ceil(width * SIDE_BY_SIDE_PX / smallest)}px; ' \
           f'max-width: {width * MAX_SCALE:.0f}px"><div class="wide-figure">' + \
           svg.replace("<svg ", f'<svg style="min-width: {math.ceil(width * SMALLEST_PX / smallest)}px" ', 1) + \
           "</div></figure>"


def _indices(grid: dict[str, np.ndarray], neuron: dict[str, float]) -> dict[str, int]:
    """Where each of the neuron's values is on the grid (it is there: grid_with put it there)."""
    return {name: int(np.searchsorted(grid[name], value)) for name, value in neuron.items()}


def _readout_keys(prefix: str, picture: graph_picture.Picture, n: explain.Neuron) -> dict[str, str]:
    """The keys of the numbers the panel shows: z, a, σ′, the loss, ∂L/∂a and ∂L/∂z."""
    index = {id(t): i for i, t in enumerate(picture.tensors)}
    z, a = index[id(n.z)], index[id(n.a)]
    return {"z": f"{prefix}v{z}", "a": f"{prefix}v{a}", "dz": f"{prefix}g{z}", "da": f"{prefix}g{a}",
            "loss": f"{prefix}v0", "sigma_prime": f"{prefix}d{a}.0"}


def _zero_keys(prefix: str, picture: graph_picture.Picture) -> dict[str, str]:
    """For each node and edge that can turn grey: the number that is exactly 0 when it does.
    The highlighted σ′ edge stays coloured, as in the figure."""
    found = {prefix + node.id: prefix + node.zero_key for node in picture.nodes if node.zero_key}
    found.update({f"{prefix}{edge.tail}->{prefix}{edge.head}": prefix + edge.zero_key
                  for edge in picture.edges if edge.zero_key and not edge.highlighted})
    return found


def _base64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def _with_widest(picture: graph_picture.Picture, numbers: dict[str, np.ndarray]) -> graph_picture.Picture:
    def line(parts: graph_picture.Line) -> graph_picture.Line:
        return tuple(widest(p, numbers) if isinstance(p, graph_picture.Number) else p for p in parts)

    # Grey is left to the page: which branch passes nothing back depends on the sliders.
    nodes = [graph_picture.Node(n.id, [line(parts) for parts in n.lines], n.kind) for n in picture.nodes]
    edges = [graph_picture.Edge(e.tail, e.head, [line(parts) for parts in e.lines], highlighted=e.highlighted)
             for e in picture.edges]
    return graph_picture.Picture(nodes, edges, picture.tensors, picture.node_id, picture.root_label,
                                 picture.hidden, picture.labels)


LOSSES = {"mse": explain.half_squared_error, "ce": explain.expanded_cross_entropy}


def _gradient_curves(targets: np.ndarray) -> dict[str, list[list[float]]]:
    """∂L/∂z over Z_AXIS for every target, under MSE and CE, by backward."""
    z, y = np.meshgrid(Z_AXIS, targets)
    curves = {"z": Z_AXIS.tolist()}
    for name, loss_of in LOSSES.items():
        logits = Tensor(z, requires_grad=True)
        loss_of(logits.sigmoid(), y).sum().backward()
        curves[name] = logits.grad.tolist()
    return curves


def write_explanation(out: str | Path, x: float = 1.0, w: float = 2.0, b: float = 2.0, y: float = 0.0,
                      format: str = "svg") -> tuple[list[Path], list[str]]:
    """Write the two pictures (each with its DOT source), the gradient table
    (CSV), the explorable page index.html (sliders for x, w, b and y) and
    replay.html (backward, step by step, under cross-entropy and MSE). Returns
    the paths written and the rendering problems: a picture that could not
    be rendered still has its DOT source."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    problems = []
    pictures = {"mse_vs_ce": explain.side_by_side_graph(x, w, b, y), "fused_ce": explain.fused_graph(x, w, b, y)}
    for name, graph in pictures.items():
        try:
            written.append(viz.render(graph, out / f"{name}.{format}", format=format))
        except RenderError as error:
            problems.append(str(error))
        written.append(out / f"{name}.dot")
    table_path = out / "gradient_table.csv"
    with table_path.open("w", newline="") as file:
        csv.writer(file).writerows([explain.TABLE_COLUMNS, *explain.gradient_table(y)])
    written.append(table_path)
    index = out / "index.html"  # without a renderer it says so in place of the graphs
    index.write_text(page({"x": x, "w": w, "b": b, "y": y}), encoding="utf-8")
    written.append(index)
    try:
        written.append(explain_replay.replay(x, w, b, y, out / "replay.html").path)
    except RenderError as error:
        problems.append(f"replay.html was not written: {error}")
    return written, problems
