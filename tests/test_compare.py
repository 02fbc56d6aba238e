"""minigrad compare: the default run end to end (it takes about a second), what
compare.csv shows about MSE against cross-entropy, the gradient at the logits per
unit of output error against NumPy, the story epochs, the same initial weights for
both runs, the printed table against the CSV, one-line errors for bad options, and
compare.html opened in headless Chromium at 1366×768 and as a 390×844 phone."""

import csv
import re

import numpy as np
import pytest
from browser import PHONE, WINDOW, needs_browser, open_page, page_width, shown_text

from minigrad import cli, training
from minigrad.core.creation import manual_seed
from minigrad.lessons import compare
from minigrad.training import data

FILES = ["compare.csv", "compare.html", "compare.png"]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`minigrad compare` with every default, into a fresh folder: (folder, printed text, CSV rows)."""
    out = tmp_path_factory.mktemp("compare")
    capture = pytest.MonkeyPatch()
    import io
    import sys
    printed = io.StringIO()
    capture.setattr(sys, "stdout", printed)
    try:
        code = cli.main(["compare", "--out", str(out)])
    finally:
        capture.undo()
    assert code == 0
    with (out / "compare.csv").open() as file:
        rows = list(csv.DictReader(file))
    return out, printed.getvalue(), rows


def cell(rows, loss, epoch, layer, column="grad_norm"):
    [row] = [r for r in rows if r["loss"] == loss and r["epoch"] == str(epoch) and r["layer"] == layer]
    return float(row[column])


def test_the_files_are_written_and_listed(default_run):
    out, printed, rows = default_run
    assert sorted(p.name for p in out.iterdir()) == FILES
    assert all(str(out / name) in printed for name in FILES)


def test_the_csv_has_one_row_per_loss_epoch_and_layer(default_run):
    out, _, rows = default_run
    config = compare.CompareConfig()
    assert list(rows[0])[:4] == ["loss", "epoch", "layer", "grad_norm"]
    assert len(rows) == 2 * config.epochs * (len(config.hidden) + 1)
    assert {r["loss"] for r in rows} == {"mse", "ce"} and {r["layer"] for r in rows} == {"0", "2", "4"}


def test_the_csv_ends_with_each_epochs_output_error_and_logit_gain(default_run):
    _, _, rows = default_run
    assert list(rows[0])[-2:] == ["output_error", "logit_gain"]
    for epoch in ("1", "150"):   # one value per loss and epoch, on each layer's row
        assert len({r["logit_gain"] for r in rows if r["loss"] == "ce" and r["epoch"] == epoch}) == 1


def numpy_measures(initial, X, y, loss):
    """Output error and logit gain of one step, from the weights `initial` of a one-hidden-layer sigmoid
    MLP, in NumPy with the gradient at the logits written out: (softmax − y)/N under cross-entropy,
    J·2(softmax − y)/(N·C) under MSE, J = diag(p) − p pᵀ the softmax's Jacobian."""
    hidden = 1 / (1 + np.exp(-(X @ initial["0.weight"].T + initial["0.bias"])))
    z = (hidden @ initial["2.weight"].T + initial["2.bias"]).astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n, classes = p.shape
    error = p - np.eye(classes)[y]
    if loss == "ce":
        grad = error / n
    else:
        grad = 2 / (n * classes) * (p * error - p * (p * error).sum(axis=1, keepdims=True))
    return np.linalg.norm(error) / np.sqrt(n), n * np.linalg.norm(grad) / np.linalg.norm(error)


def test_the_output_error_and_logit_gain_are_what_numpy_computes_from_the_same_weights():
    config = compare.CompareConfig(hidden=(4,), epochs=1, batch_size=1000)  # one step: the initial weights'
    runs = compare.compare(config)
    X, y = data.load_dataset(config.dataset, seed=config.seed)
    X_train, _, y_train, _ = data.train_test_split(X, y, test_size=0.25, seed=config.seed)
    for run in runs:
        error, gain = numpy_measures(run.initial, X_train, y_train, run.loss)
        assert run.history[0]["output_error"] == pytest.approx(error, rel=1e-5)
        assert run.history[0]["logit_gain"] == pytest.approx(gain, rel=1e-4)
    assert runs[1].history[0]["logit_gain"] == pytest.approx(1.0, rel=1e-5)  # cross-entropy: 1 by its definition
    assert 0 < runs[0].history[0]["logit_gain"] < 0.5                       # MSE, two classes: 2·p₀p₁ <= ½


def test_under_cross_entropy_the_logit_gain_is_1_at_every_epoch_and_under_mse_at_most_one_half(default_run):
    _, _, rows = default_run
    gains = {loss: [float(r["logit_gain"]) for r in rows if r["loss"] == loss and r["layer"] == "0"]
             for loss in ("mse", "ce")}
    assert len(gains["ce"]) == 150 and gains["ce"] == pytest.approx([1.0] * 150, rel=1e-4)
    assert max(gains["mse"]) <= 0.5


def test_at_epoch_150_mse_has_the_larger_raw_gradient_only_because_its_error_is_larger(default_run):
    _, _, rows = default_run
    mse, ce = ({q: cell(rows, loss, 150, "0", q) for q in ("grad_norm", "output_error", "logit_gain")}
               for loss in ("mse", "ce"))
    assert mse["grad_norm"] > ce["grad_norm"]             # raw: MSE's is the larger
    assert mse["output_error"] > 10 * ce["output_error"]  # because its error is
    assert mse["logit_gain"] < 0.25 < ce["logit_gain"]    # per unit of error, cross-entropy's is


def test_the_story_epochs_run_from_1_until_cross_entropy_first_reaches_90_percent():
    history = [{"epoch": e, "train_accuracy": a} for e, a in enumerate([0.5, 0.92, 0.88, 0.95], start=1)]
    slow = [{"epoch": e, "train_accuracy": 0.5} for e in range(1, 5)]
    assert compare.story_epochs([compare.Run("mse", {}, [], [], slow), compare.Run("ce", {}, [], [], history)]) == (1, 2)
    assert compare.story_epochs([compare.Run("mse", {}, [], [], history), compare.Run("ce", {}, [], [], slow)]) == (1, 4)


def test_the_output_layer_gradient_is_smaller_under_mse_than_under_ce_in_the_first_epoch(default_run):
    _, _, rows = default_run
    output = max({r["layer"] for r in rows}, key=int)
    assert cell(rows, "mse", 1, output) < cell(rows, "ce", 1, output)


def test_both_runs_start_from_the_same_initial_weights():
    runs = compare.compare(compare.CompareConfig(epochs=1))
    mse, ce = runs
    assert mse.initial.keys() == ce.initial.keys() == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    for key in mse.initial:
        assert np.array_equal(mse.initial[key], ce.initial[key]), key
    # and those are the weights the seed gives, not weights changed by the first run's training
    manual_seed(0)
    fresh = training.build_model(2, 2, (16, 16), "sigmoid").state_dict()
    assert all(np.array_equal(fresh[key], mse.initial[key]) for key in fresh)


def test_the_printed_table_equals_the_csv(default_run):
    _, printed, rows = default_run
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["layer", "MSE", "CE", "CE/MSE"])
    layers = sorted({r["layer"] for r in rows}, key=int)
    for layer, line in zip(layers, lines[start + 1:]):
        name, mse, ce, ratio = line.split()
        assert name == layer
        for loss, shown in (("mse", mse), ("ce", ce)):
            expected = np.mean([cell(rows, loss, e, layer) for e in range(1, compare.FIRST_EPOCHS + 1)])
            assert float(shown) == pytest.approx(expected, rel=1e-3), (layer, loss)
        assert float(ratio) == pytest.approx(float(ce) / float(mse), rel=5e-3)
    reached = re.search(r"train accuracy at epoch: MSE (\w+), CE (\w+)", printed).groups()
    for loss, shown in zip(("mse", "ce"), reached):
        epochs = [int(r["epoch"]) for r in rows if r["loss"] == loss and float(r["train_accuracy"]) >= 0.9]
        assert shown == (str(min(epochs)) if epochs else "never")


def test_on_the_default_run_ce_reaches_90_percent_first(default_run):
    _, printed, _ = default_run
    mse, ce = re.search(r"train accuracy at epoch: MSE (\w+), CE (\w+)", printed).groups()
    assert ce != "never" and (mse == "never" or int(ce) < int(mse))


@pytest.mark.parametrize("options", [["--hidden", "0"], ["--hidden", "a,b"], ["--epochs", "0"], ["--seed", "-1"],
                                     ["--activation", "gelu"], ["--dataset", "nope"], ["--epohcs", "3"],
                                     ["--hiden", "8"]])
def test_bad_options_exit_2_with_one_line(options, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["compare", *options])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("minigrad compare: error:") or "did you mean" in captured.err


def test_an_out_that_is_a_file_exits_2_with_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert cli.main(["compare", "--epochs", "1", "--out", str(tmp_path / "file")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad compare: error: cannot write into") and len(err.strip().splitlines()) == 1


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["compare", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert all(option in text for option in ("--activation", "--dataset", "--hidden", "--epochs", "--seed", "--out"))


def test_the_page_is_self_contained_and_under_5_mb(default_run):
    out, _, _ = default_run
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert len(text.encode()) < 5_000_000
    assert not re.search(r"<script[^>]+src=|<link|<img|@import|url\(", text)
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")


def set_epoch(page, epoch):
    page.eval_on_selector("#epoch", "(s, e) => { s.value = e; s.dispatchEvent(new Event('input')); }", epoch)


CHARTS = ["train_accuracy", "logit_gain", "output_error", "layer-0", "layer-2", "layer-4"]


@needs_browser
def test_on_a_390_by_844_phone_text_is_at_least_11_px_the_page_fits_and_nothing_goes_wrong(default_run):
    # (before the module's 1366×768 page is opened: one Playwright at a time)
    out, _, _ = default_run
    with open_page(out / "compare.html", viewport=PHONE) as phone:
        set_epoch(phone.page, 100)
        phone.page.click("[data-preset=story]")
        texts = shown_text(phone.page)
        assert texts[0][0] >= 11, texts[:3]
        width = page_width(phone.page)
        assert width["page"] <= width["screen"] and width["zoom"] == 1, width
        assert phone.problems() == []


@pytest.fixture(scope="module")
def window(default_run):
    """The default run's page at 1366×768, opened once for this module's tests; each reloads it."""
    out, _, _ = default_run
    with open_page(out / "compare.html", viewport=WINDOW) as visit:
        yield visit


@pytest.fixture
def page(window):
    window.page.reload()
    return window.page


def markers(page):
    """Per chart: the marker's x and each run's readout text."""
    return page.eval_on_selector_all(".chart", """charts => charts.map(c => [c.dataset.chart,
        Number(c.querySelector('line.marker').getAttribute('x1')),
        c.querySelector('.value.mse').textContent, c.querySelector('.value.ce').textContent])""")


def number(text):
    return float(re.search(r"([\d.]+)%?$", text).group(1))


@needs_browser
def test_each_chart_draws_both_runs_on_one_pair_of_axes(page):
    charts = page.eval_on_selector_all(".chart", """charts => charts.map(c => [c.dataset.chart,
        c.querySelectorAll('svg').length, c.querySelectorAll('polyline.curve.mse').length,
        c.querySelectorAll('polyline.curve.ce').length, c.querySelectorAll('line.marker').length])""")
    assert [c[0] for c in charts] == CHARTS
    assert all(counts == [1, 1, 1, 1] for _, *counts in charts), charts


@needs_browser
def test_the_slider_moves_the_marker_of_every_chart_and_the_readouts_are_the_csvs(page, default_run):
    _, _, rows = default_run
    before = markers(page)
    set_epoch(page, 60)
    after = markers(page)
    assert page.text_content("#epoch-value") == "60 / 150" and [chart[0] for chart in after] == CHARTS
    for (name, x0, *_), (_, x1, mse, ce) in zip(before, after):
        assert x1 > x0, name
        column, layer = (("grad_norm", name[len("layer-"):]) if name.startswith("layer-") else (name, "0"))
        for loss, shown in (("mse", mse), ("ce", ce)):
            expected = cell(rows, loss, 60, layer, column) * (100 if name == "train_accuracy" else 1)
            assert number(shown) == pytest.approx(expected, rel=6e-3), (name, loss, shown)


@needs_browser
def test_the_shaded_band_covers_the_epochs_until_cross_entropy_reaches_90_percent(page, default_run):
    _, _, rows = default_run
    reached = min(int(r["epoch"]) for r in rows if r["loss"] == "ce" and float(r["train_accuracy"]) >= 0.9)
    assert reached == 40
    assert page.text_content("#story-label") == "epochs 1–40: until cross-entropy reaches 90% train accuracy"
    edges = {}
    for epoch in (1, 40, 41):
        set_epoch(page, epoch)
        edges[epoch] = markers(page)[0][1]
    band = page.eval_on_selector_all(".chart rect.band", "rs => rs.map(r => [Number(r.getAttribute('x')), "
                                                         "Number(r.getAttribute('x')) + Number(r.getAttribute('width'))])")
    assert len(band) == len(CHARTS)
    left, right = band[0]
    assert left <= edges[1] and edges[40] < right < edges[41]


@needs_browser
def test_the_first_40_epochs_preset_zooms_in_on_the_band_and_says_its_numbers(page, default_run):
    _, _, rows = default_run
    button = page.locator("[data-preset=story]")
    assert button.text_content() == "The first 40 epochs"
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    slider = page.eval_on_selector("#epoch", "s => [s.min, s.max, s.value]")
    assert slider == ["1", "50", "40"]
    ticks = page.eval_on_selector_all(".chart[data-chart=logit_gain] text", "ts => ts.map(t => t.textContent)")
    assert ticks[-1] == "50"
    said = page.text_content(".said")
    assert "cross-entropy's Linear 1 gradient is the larger in 40 of these 40 epochs" in said
    gains = re.search(r"the logits get ([\d.]+) and ([\d.]+)\.", said).groups()
    assert [float(g) for g in gains] == pytest.approx([cell(rows, loss, 40, "0", "logit_gain") for loss in ("mse", "ce")],
                                                      rel=6e-3)
    button.click()   # pressed again: back to every epoch
    assert page.eval_on_selector("#epoch", "s => s.max") == "150" and page.text_content(".said") == ""


@needs_browser
def test_the_last_epoch_preset_puts_the_raw_gradients_beside_the_error_they_carry(page, default_run):
    _, _, rows = default_run
    page.click("[data-preset=late]")
    assert page.eval_on_selector("#epoch", "s => [s.min, s.max, s.value]") == ["1", "150", "150"]
    said = page.text_content(".said")
    shown = [float(v) for v in re.search(r"gradient is ([\d.]+) under MSE and ([\d.]+) under cross-entropy, with output "
                                         r"errors of ([\d.]+) and ([\d.]+): per unit of error the logits get ([\d.]+) "
                                         r"under MSE and ([\d.]+) under", said).groups()]
    expected = [cell(rows, loss, 150, "0", q) for q in ("grad_norm", "output_error", "logit_gain")
                for loss in ("mse", "ce")]
    assert shown == pytest.approx(expected, rel=6e-3), said


@needs_browser
def test_text_is_at_least_12_px_and_the_page_fits_at_1366_by_768(page):
    page.click("[data-preset=story]")
    texts = shown_text(page)
    assert texts[0][0] >= 12, texts[:3]
    width = page_width(page)
    assert width["page"] <= width["screen"], width




@needs_browser
def test_no_chart_label_reaches_past_the_edges_of_its_chart(page):
    page.click("[data-preset=story]")
    labels = page.evaluate("""() => [...document.querySelectorAll('.chart svg text')].map(t => {
        const box = t.getBoundingClientRect(), chart = t.ownerSVGElement.getBoundingClientRect();
        return [t.textContent, box.left >= chart.left - 0.5 && box.right <= chart.right + 0.5]; })""")
    assert len(labels) > 6 * len(CHARTS) and [text for text, inside in labels if not inside] == []


@needs_browser
def test_at_1366_by_768_the_page_runs_without_errors_or_requests(page, window):
    set_epoch(page, 75)
    page.click("[data-preset=story]")
    page.click("[data-preset=late]")
    assert window.problems() == []   # nor in this module's other tests, on the same page


def test_the_layer_charts_name_the_layers_as_the_training_report_does(default_run):
    from minigrad import nn
    from minigrad.lessons import compare_page
    from minigrad.training.report import layer_names

    _, _, rows = default_run
    data = compare_page.page_data(rows, title="t", story=(1, 40), target=0.9)
    names = [chart["name"] for chart in data["charts"] if chart["id"].startswith("layer-")]
    model = nn.Sequential(nn.Linear(2, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 2))
    assert names == layer_names(model, ["0", "2", "4"], [])[0] == ["Linear 1", "Linear 2", "Linear 3"]
