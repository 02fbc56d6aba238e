"""report.html and gradient_flow.png of `minigrad train`: written after a short
run, one self-contained page, opened in headless Chromium: no errors, no
outside requests, the epoch slider moves every figure, every number shown is
the run's own (history and GradientStats' records) for that epoch, and all
text is readable at 1366×768."""

import base64
import re

import numpy as np
import pytest
from browser import needs_browser, open_page

from minigrad import Tensor, cli, no_grad, training
from minigrad.training import report as training_report

CONFIG = training.TrainConfig(dataset="moons", hidden=(8, 8), activation="tanh", epochs=12)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A short 2-D run and its report, written as `minigrad train` writes them."""
    out = tmp_path_factory.mktemp("report")
    result = training.fit(CONFIG)
    training.write_outputs(result, out)
    return result, out / "report.html"


def move_slider(page, position):
    page.eval_on_selector("#slider-epoch", "(s, i) => { s.value = i; s.dispatchEvent(new Event('input')); }",
                          position)


def test_minigrad_train_writes_the_report_and_the_gradient_flow_picture(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "xor", "--epochs", "3", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in ("report.html", "gradient_flow.png"):
        assert (tmp_path / name).stat().st_size > 0 and str(tmp_path / name) in printed
    assert (tmp_path / "gradient_flow.png").read_bytes().startswith(b"\x89PNG")


def test_fit_records_one_gradient_record_per_epoch_and_a_few_snapshots():
    result = training.fit(training.TrainConfig(dataset="moons", hidden=(8,), epochs=25))
    stats, snapshots = result.stats, result.snapshots
    assert stats["grad_mean"].shape == (25, 4) and stats["saturated"].shape == (25, 1)
    assert stats["parameter_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(stats["steps"] > 0) and stats["record_every"] == training.RECORD_EVERY
    assert list(snapshots["epochs"]) == training.snapshot_epochs_of(25) and snapshots["epochs"][-1] == 25
    assert snapshots["predicted"].shape == (10, training.SNAPSHOT_GRID, training.SNAPSHOT_GRID)
    # the recorder is detached after training: no hook left on the model
    assert all(not m._forward_hooks for m in result.model.modules())


def test_the_last_snapshot_is_the_trained_models_prediction():
    result = training.fit(training.TrainConfig(dataset="moons", hidden=(8,), epochs=4))
    xs, ys = result.snapshots["xs"], result.snapshots["ys"]
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        predicted = result.model(Tensor(np.c_[gx.ravel(), gy.ravel()].astype(np.float32))).data.argmax(axis=1)
    assert np.array_equal(result.snapshots["predicted"][-1].ravel(), predicted)


def test_a_run_without_2_d_data_has_a_report_without_a_boundary():
    result = training.fit(training.TrainConfig(dataset="digits", hidden=(16,), epochs=2))
    assert not result.snapshots and "boundary" not in training_report.page_data(result)


def test_the_page_is_one_self_contained_file_under_5_mb(run):
    text = run[1].read_text(encoding="utf-8")
    assert len(text.encode()) < 5_000_000
    assert not re.search(r"<script[^>]+src=|<link|<img|@import|url\(|<iframe", text)
    assert "http://" not in text and "https://" not in text


def test_the_default_run_gives_a_page_under_5_mb():
    result = training.fit(training.TrainConfig(epochs=3))
    result.history *= 50  # a default run's 150 epochs of history and records: the page's size grows with them
    result.stats = {k: np.concatenate([v] * 50) if isinstance(v, np.ndarray) and k != "histogram_edges" else v
                    for k, v in result.stats.items()}
    assert len(training_report.page(result).encode()) < 5_000_000


def test_the_heat_maps_are_the_first_hidden_layers_activations_over_the_plane(run):
    result = run[0]
    maps = training_report.page_data(result)["heatmaps"]
    assert (maps["kind"], maps["lo"], maps["hi"]) == ("Tanh", -1.0, 1.0)
    levels = np.frombuffer(base64.b64decode(maps["levels"]), np.uint8).reshape(maps["shape"])
    hidden = result.snapshots["hidden"]  # (snapshots, units, rows, columns)
    assert hidden.shape[:2] == (len(result.snapshots["epochs"]), CONFIG.hidden[0])
    step = training_report.HEATMAP_STEP
    np.testing.assert_allclose(levels / 255 * 2 - 1, hidden[:, :, ::step, ::step], atol=1 / 255)
    # the last snapshot is the trained model's first layer at the grid's points
    xs, ys = result.snapshots["xs"], result.snapshots["ys"]
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        first = result.model[1](result.model[0](Tensor(np.c_[gx.ravel(), gy.ravel()].astype(np.float32)))).data
    np.testing.assert_allclose(hidden[-1], first.T.reshape(hidden.shape[1:]), atol=1e-6)


@needs_browser
def test_the_page_runs_without_errors_or_outside_requests(run):
    with open_page(run[1]) as visit:
        move_slider(visit.page, 0)
        assert visit.page.text_content("#value-epoch").startswith("1 of")
    assert visit.problems() == []


@needs_browser
def test_the_epoch_slider_changes_every_figure(run):
    figures = ["#boundary", "#grad-bars", "#histograms", "#curves", "#layers"]
    heat_maps = "els => els.map(c => c.toDataURL())"
    with open_page(run[1]) as visit:
        page = visit.page
        last = [page.inner_html(selector) for selector in figures] + [page.eval_on_selector_all("#heatmaps canvas",
                                                                                                heat_maps)]
        move_slider(page, 0)
        first = [page.inner_html(selector) for selector in figures] + [page.eval_on_selector_all("#heatmaps canvas",
                                                                                                 heat_maps)]
    assert len(first[-1]) == CONFIG.hidden[0]
    for selector, before, after in zip(figures + ["#heatmaps"], last, first):
        assert before != after, f"{selector} did not change with the epoch"


@needs_browser
def test_every_number_shown_is_the_runs_own_for_that_epoch(run):
    result, path = run
    stats, snapshots = result.stats, result.snapshots
    weights = [i for i, name in enumerate(stats["parameter_names"]) if name.endswith("weight")]
    with open_page(path) as visit:
        page = visit.page
        for position, epoch in enumerate(snapshots["epochs"]):
            move_slider(page, position)
            row = result.history[epoch - 1]
            assert page.text_content("#value-epoch") == f"{epoch} of {CONFIG.epochs}"
            assert page.get_attribute("#epoch-marker", "data-epoch") == str(epoch)
            for key in ("train_loss", "train_accuracy", "test_accuracy"):
                assert float(page.text_content(f"#out-{key}")) == pytest.approx(row[key], rel=5e-4)
            for column, i in enumerate(weights):
                for key in ("grad_mean", "grad_max", "update_ratio"):
                    assert float(page.text_content(f"#{key}-{column}")) == \
                        pytest.approx(stats[key][epoch - 1, i], rel=5e-4), (epoch, key, column)
            for a in range(len(stats["activation_names"])):
                assert float(page.text_content(f"#saturated-{a}")) == \
                    pytest.approx(stats["saturated"][epoch - 1, a], rel=5e-4, abs=1e-12)
                bars = page.eval_on_selector_all(f"#histograms figure:nth-child({a + 1}) rect",
                                                 "rs => rs.map(r => r.textContent)")
                assert [int(text.rpartition(": ")[2]) for text in bars] == \
                    stats["histogram"][epoch - 1, a].tolist()
            # the boundary: one shaded cell per grid point, in the class predicted after this epoch
            fills = page.eval_on_selector_all("#boundary rect", "rs => rs.map(r => r.getAttribute('fill'))")
            shades = page.evaluate("SHADES")
            assert [shades.index(f) for f in fills] == snapshots["predicted"][position].ravel().tolist()
    assert visit.problems() == []


@needs_browser
def test_all_text_is_at_least_10_px_at_1366_by_768(run):
    with open_page(run[1]) as visit:
        svg = visit.page.eval_on_selector_all(
            "svg text", "els => els.map(e => [e.textContent, "
                        "parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a])")
        html = visit.page.eval_on_selector_all(
            "h1, h2, p, label, output, th, td, figcaption, span",
            "els => els.filter(e => e.textContent.trim()).map(e => [e.textContent.trim().slice(0, 30), "
            "parseFloat(getComputedStyle(e).fontSize)])")
    assert svg and html
    smallest = min(svg + html, key=lambda pair: pair[1])
    assert smallest[1] >= 10, smallest
