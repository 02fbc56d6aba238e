"""Regenerate the figures of docs/ from the library itself:

    python docs/make_figures.py

Graph pictures are written with their DOT source beside them; a test checks
that the committed DOT sources are what this script makes today. The plots
(PNG) are drawn with matplotlib from numbers that minigrad computes, including
the derivatives, which come from backward; they need matplotlib, and are
skipped with a warning without it.
"""

from __future__ import annotations

import doctest
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor, information, nn, training, viz
from minigrad.lessons import explain
from minigrad.pages.colours import LOSS_COLOURS
from minigrad.training import data
from minigrad.viz import graph_picture

DOCS = Path(__file__).resolve().parent
FIGURES = DOCS / "figures"


def make_figures(folder: Path = FIGURES) -> list[Path]:
    """Write every figure into `folder`; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    pictures = {
        "mse_vs_ce": explain.side_by_side_graph(x=1.0, w=2.0, b=2.0, y=0.0),
        "fused_ce": explain.fused_graph(x=1.0, w=2.0, b=2.0, y=0.0),
        "expression": expression_graph(),
        "mlp_loss": mlp_graph(),
        "sigmoid_mlp": sigmoid_mlp_graph(),
        "cross_entropy_fused_and_expanded": cross_entropy_graphs(),
        "own_op": own_op_graph(),
        "blame": blame_graph(),
        "sigmoid_second_derivative": sigmoid_derivatives_graph(),
    }
    written = []
    for name, graph in pictures.items():
        written += [viz.render(graph, folder / f"{name}.svg"), folder / f"{name}.dot"]
    if importlib.util.find_spec("matplotlib") is None:
        warnings.warn("matplotlib is not installed, so the plots (the PNG files) were "
                      "not redrawn: pip install matplotlib", stacklevel=2)
        return written
    written.append(activations_plot(folder / "activations.png"))
    written.append(information_plot(folder / "information.png"))
    written += training_plots(folder)
    written.append(vanishing_gradients_plot(folder / "vanishing_gradients.png"))
    return written


# ------------------------------------------------------------ graph pictures --

def expression_graph() -> viz.GradientGraph:
    """L = exp(x·y) + x at x = 2, y = −1: x reaches L along two paths."""
    x = Tensor(np.array(2.0), requires_grad=True, name="x")
    y = Tensor(np.array(-1.0), requires_grad=True, name="y")
    u = x * y
    u.name = "u"
    e = u.exp()
    e.name = "e"
    L = e + x
    L.name = "L"
    return viz.draw_graph(L, title="L = exp(x·y) + x")


def mlp_graph() -> viz.GradientGraph:
    """The loss of a 2-3-2 MLP on the four XOR points, before any training step."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    x = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32), name="x")
    labels = np.array([0, 1, 1, 0])                  # XOR: class 1 when exactly one input is on
    logits = model(x)
    logits.name = "logits"                           # unnamed, it would be named by its op: affine(…, …, …)
    loss = nn.CrossEntropyLoss()(logits, labels)
    loss.name = "loss"
    # values left out: of a weight matrix they are only a mean, min and max, and the figure is narrower
    return viz.draw_graph(loss, title="cross-entropy of a 2-3-2 MLP on XOR", show_values=False)


def sigmoid_mlp_graph() -> viz.GradientGraph:
    """A 2-8-8-2 sigmoid MLP on 64 points of the two moons, measured ten times
    too large: σ′ on the edges into the σ nodes, saturated in the first layer."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8, bias=False), nn.Sigmoid(), nn.Linear(8, 8, bias=False), nn.Sigmoid(),
                          nn.Linear(8, 2, bias=False))  # no biases: two boxes side by side, not three
    for k, layer in enumerate(model[::2], start=1):
        layer.weight.name = f"W{k}"
    points, labels = data.make_moons(64)
    h = x = Tensor(10 * points, name="x")            # not standardised: the coordinates reach 20
    path = [x]
    for layer, name in zip(model, ("z1", "h1", "z2", "h2", "logits")):
        h = layer(h)
        h.name = name
        path.append(h)
    loss = nn.CrossEntropyLoss()(h, labels)
    loss.name = "L"
    graph = viz.draw_graph(loss, title="cross-entropy of a 2-8-8-2 sigmoid MLP, inputs × 10", show_values=False,
                           legend=True)
    node = graph_picture.describe(loss, show_grads=False).node_id  # id(tensor) -> its box "t3"; its op is "op3"
    boxes = [node[id(t)] for t in path + [loss]]     # x, z1, h1, z2, h2, logits, L
    for name in boxes + ["op" + box[1:] for box in boxes[1:]]:  # and the ops that made all but x
        graph.node(name, group="path")               # one Graphviz group: drawn in a straight line
    graph.graph_attr["size"] = "9.3,30"              # inches: at most 670 pt (893 px) wide
    return graph


def cross_entropy_graphs() -> viz.GradientGraph:
    """Cross-entropy of the logits z = [2, −1, 0.5] against class 0, built from
    primitive ops (left) and as one fused node (right): the same ∂L/∂z."""
    figure = viz.GradientGraph(graph_attr={"fontname": "Helvetica", "labelloc": "t", "fontsize": "16",
                                           "label": "cross-entropy of z = [2, −1, 0.5] against class 0",
                                           "size": "9.3,30"})  # inches: at most 670 pt (893 px) wide
    for fused, title in ((False, "expanded (fused=False)"), (True, "fused: one node")):
        z = Tensor(np.array([[2.0, -1.0, 0.5]]), requires_grad=True, name="z")
        loss = F.cross_entropy(z, Tensor(np.array([0]), name="y"), fused=fused)
        loss.name = "L"
        part = viz.draw_graph(loss, title=title, id_prefix="fused_" if fused else "expanded_")
        part.name = f"cluster_{'fused' if fused else 'expanded'}"  # a subgraph cluster_* is drawn in its own box
        figure.subgraph(part)
    return figure


def page_op(page: str, name: str) -> type:
    """The op class `name` as docs/`page` defines it in its `>>>` code: a figure
    of it draws the page's own op, so the two cannot drift apart."""
    namespace: dict = {}
    for example in doctest.DocTestParser().get_examples((DOCS / page).read_text(encoding="utf-8")):
        if example.exc_msg is None:  # an example that shows an error is not run
            exec(example.source, namespace)  # the page's code in order, up to the class
        if name in namespace:
            return namespace[name]
    raise LookupError(f"docs/{page} defines no {name}")


def own_op_graph() -> viz.GradientGraph:
    """A softplus neuron a = softplus(w·x + b) at x = 1, w = 2, b = −1, with the op of docs/own_op.md."""
    Softplus = page_op("own_op.md", "Softplus")
    x = Tensor(np.array(1.0), name="x")
    w = Tensor(np.array(2.0), requires_grad=True, name="w")
    b = Tensor(np.array(-1.0), requires_grad=True, name="b")
    z = w * x + b
    z.name = "z"
    a = Softplus.apply(z)
    a.name = "a"
    return viz.draw_graph(a, title="a = softplus(w·x + b), with the Softplus op of this page")


def blame_graph() -> viz.GradientGraph:
    """The softplus neuron of own_op_graph with the page's WrongSlope op, whose backward multiplies by σ′(z)
    instead of σ(z), drawn with what mg.blame found: the edge z -> WrongSlope in red."""
    WrongSlope = page_op("own_op.md", "WrongSlope")
    x = Tensor(np.array(1.0), name="x")
    w = Tensor(np.array(2.0), requires_grad=True, name="w")
    b = Tensor(np.array(-1.0), requires_grad=True, name="b")
    z = w * x + b
    z.name = "z"
    a = WrongSlope.apply(z)
    a.name = "a"
    return viz.draw_graph(a, blame=mg.blame(a), legend=True,
                          title="a = softplus(w·x + b), with the WrongSlope op of this page")


def sigmoid_derivatives_graph() -> viz.GradientGraph:
    """σ′(z) and σ″(z) at z = 1, each drawn from the Tensor that mg.grad(…, create_graph=True)
    returns: the graph the engine recorded while it ran Sigmoid's backward rule."""
    figure = viz.GradientGraph(graph_attr={"fontname": "Helvetica", "labelloc": "t", "fontsize": "16",
                                           "label": "σ′(z) and σ″(z) at z = 1, drawn from the gradients",
                                           "size": "9.3,30"})  # inches: at most 670 pt (893 px) wide
    z = Tensor(np.array(1.0), requires_grad=True, name="z")
    s = z.sigmoid()
    s.name = "s"
    (first,) = mg.grad(s, z, create_graph=True)       # σ′(z), a Tensor with a graph of its own
    first.name = "σ′"
    (second,) = mg.grad(first, z, create_graph=True)  # σ″(z): backward through the graph of σ′
    second.name = "σ″"
    for root, title, prefix in ((first, "σ′ = mg.grad(s, z, create_graph=True)", "first_"),
                                (second, "σ″ = mg.grad(σ′, z, create_graph=True)", "second_")):
        part = viz.draw_graph(root, title=title, id_prefix=prefix)
        part.name = f"cluster_{prefix}"  # a subgraph cluster_* is drawn in its own box
        figure.subgraph(part)
    return figure


# --------------------------------------------------------------------- plots --

def _pyplot():
    """matplotlib's pyplot, drawing to files only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(figure, path: Path) -> Path:
    from minigrad.training.plots import save_png

    save_png(figure, path, dpi=100)
    _pyplot().close(figure)
    return path


def derivative(function, z: np.ndarray) -> np.ndarray:
    """d function(z) / dz elementwise, by minigrad's backward (function is elementwise)."""
    z = Tensor(z, requires_grad=True)
    function(z).sum().backward()
    return z.grad


def activations_plot(path: Path) -> Path:
    """sigmoid, tanh and relu (left) and their derivatives from backward (right)."""
    plt = _pyplot()
    z = np.linspace(-5, 5, 1001)  # float64; contains 0
    curves = [(r"$\sigma(z)$", r"$\sigma'(z)$", Tensor.sigmoid), (r"$\tanh(z)$", r"$\tanh'(z)$", Tensor.tanh),
              (r"relu$(z)$", r"relu$'(z)$", Tensor.relu)]
    figure, (values, slopes) = plt.subplots(1, 2, figsize=(8.8, 3.6))
    for label, slope_label, function in curves:
        values.plot(z, function(Tensor(z)).data, label=label)
        slopes.plot(z, derivative(function, z), label=slope_label)
    slopes.axhline(0.25, color="gray", linestyle=":", linewidth=1)
    slopes.annotate(r"$\sigma' \leq 1/4$, at $z = 0$", xy=(0, 0.25), xytext=(1.2, 0.42),
                    arrowprops={"arrowstyle": "->", "color": "gray"})
    values.set(title="activations", xlabel="z", ylim=(-1.2, 2.2))
    slopes.set(title="their derivatives (from backward)", xlabel="z", ylim=(-0.05, 1.1))
    for axes in (values, slopes):
        axes.axhline(0, color="black", linewidth=0.5)
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
    return _save(figure, path)


def information_plot(path: Path) -> Path:
    """H(p, q), H(p) and D(p ‖ q) in bits against q, for a soft and a one-hot binary p."""
    plt = _pyplot()
    q1 = np.linspace(0.01, 0.99, 197)
    figure, panels = plt.subplots(1, 2, figsize=(8.8, 3.8), sharey=True)
    titles = ("soft p = (0.7, 0.3)", "one-hot p = (1, 0): H(p) = 0,\nso H(p, q) = D(p ‖ q)")
    for axes, p, title in zip(panels, ([0.7, 0.3], [1.0, 0.0]), titles):
        qs = [[q, 1 - q] for q in q1]
        axes.plot(q1, [information.cross_entropy(p, q, base=2) for q in qs], linewidth=3, alpha=0.6,
                  label="H(p, q)")
        axes.plot(q1, [information.kl_divergence(p, q, base=2) for q in qs], linestyle="--", label="D(p ‖ q)")
        axes.axhline(information.entropy(p, base=2), color="gray", linewidth=1, label="H(p)")
        axes.axvline(p[0], color="gray", linestyle=":", linewidth=1)
        axes.set(title=title, xlabel="q₁, in q = (q₁, 1 − q₁)", ylim=(0, 4))
        axes.grid(alpha=0.3)
        axes.legend(loc="upper right")
    soft = [0.7, 0.3]
    gap_at = [0.3, 0.7]
    top, bottom = information.cross_entropy(soft, gap_at, base=2), information.entropy(soft, base=2)
    panels[0].annotate("", xy=(0.3, bottom), xytext=(0.3, top), arrowprops={"arrowstyle": "<->", "color": "black"})
    panels[0].text(0.32, (top + bottom) / 2, "D(p ‖ q)", va="center")
    panels[0].set_ylabel("bits")
    return _save(figure, path)


def training_plots(folder: Path) -> list[Path]:
    """What `minigrad train` draws for its default run (spirals, cross-entropy)."""
    from minigrad.training import plots

    result = training.fit(training.TrainConfig())
    return [plots.learning_curves(result.history, folder / "spirals_curves.png"),
            training.decision_boundary_picture(result, folder / "spirals_boundary.png")]


VANISHING_DEPTHS = ((16,), (16, 16), (16, 16, 16, 16))  # docs/vanishing_gradients.md: 1, 2 and 4 sigmoid layers


def vanishing_gradients_plot(path: Path) -> Path:
    """`minigrad compare` at depth 1, 2 and 4 (16 sigmoid units a layer, the moons): per
    Linear layer, its weight's gradient norm in the first epoch under MSE and CE (top), and
    the train accuracy over the epochs (bottom)."""
    from minigrad.lessons import compare

    plt = _pyplot()
    figure, axes = plt.subplots(2, len(VANISHING_DEPTHS), figsize=(8.8, 6.4), sharey="row")
    for column, hidden in enumerate(VANISHING_DEPTHS):
        config = compare.CompareConfig(hidden=hidden)
        runs = compare.compare(config)
        rows = compare.csv_rows(runs)
        gradients, accuracy = axes[0][column], axes[1][column]
        for run in runs:
            norms = [r["grad_norm"] for r in rows if r["loss"] == run.loss and r["epoch"] == 1]
            positions = np.arange(1, len(norms) + 1)
            gradients.plot(positions, norms, "o-", color=LOSS_COLOURS[run.loss], label=training.LOSS_NAMES[run.loss])
            accuracy.plot([h["epoch"] for h in run.history], [h["train_accuracy"] for h in run.history],
                          color=LOSS_COLOURS[run.loss], label=training.LOSS_NAMES[run.loss])
        gradients.set(yscale="log", title=f"{len(hidden)} sigmoid layer{'s' * (len(hidden) > 1)}:\n"
                                          "‖∂L/∂W‖ in epoch 1",
                      xlabel="Linear layer\n(1: input side)", xticks=positions)
        accuracy.axhline(compare.TARGET_ACCURACY, color="gray", linestyle=":", linewidth=1)
        accuracy.set(title="train accuracy", xlabel="epoch", ylim=(0.4, 1.02))
        for axes_ in (gradients, accuracy):
            axes_.grid(alpha=0.3)
    axes[0][0].legend(loc="lower right")
    return _save(figure, path)


if __name__ == "__main__":
    for path in make_figures(Path(sys.argv[1]) if len(sys.argv) > 1 else FIGURES):
        print(path)

