"""report.html and gradient_flow.png of `minigrad train`: written after a short
run, one self-contained page under 5 MB with a stop per epoch, opened in
headless Chromium: it opens at epoch 1, its slider and play button move every
figure, every number shown is the run's own for that epoch and in the page's
one format, every panel names a layer alike, update:data and saturation are
explained, "Try this" plays the run and finds the best epoch, and all text is
readable, on a page no wider than the screen, at 1366×768 and on a phone."""

import base64
import re
import zlib

import numpy as np
import pytest
from browser import PHONE, needs_browser, open_page, page_width, shown_text

from minigrad import Tensor, cli, no_grad, training
from minigrad.training import report as training_report

CONFIG = training.TrainConfig(dataset="moons", hidden=(8, 8), activation="tanh", epochs=12)
LAYERS = ["Linear 1", "Linear 2", "Linear 3"]
ACTIVATIONS = ["after Linear 1 (Tanh)", "after Linear 2 (Tanh)"]
# The page's one number format: a share as a percentage with one decimal; any other number with at most three
# significant digits, written as a power of ten below 0.01 (or from 10,000 on).
PERCENT = re.compile(r"\d{1,3}\.\d%")
NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\d(?:\.\d{1,2})?e-?\d+)")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A short 2-D run and its report, written as `minigrad train` writes them."""
    out = tmp_path_factory.mktemp("report")
    result = training.fit(CONFIG)
    training.write_outputs(result, out)
    return result, out / "report.html"


def unpacked(box):
    """The bytes of a packed array (report.packed), in its shape."""
    return np.frombuffer(zlib.decompress(base64.b64decode(box["deflated"])), np.uint8).reshape(box["shape"])


def value(text):
    """A number as the page shows it: "43.8%" is 0.438, "1.23e-3" is 0.00123."""
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def well_formatted(token):
    """Whether `token` (a number the page shows) follows the page's number format."""
    if token.endswith("%"):
        return PERCENT.fullmatch(token) is not None
    if not NUMBER.fullmatch(token):
        return False
    mantissa, _, power = token.lstrip("-").partition("e")
    digits = re.sub(r"\D", "", mantissa).strip("0")
    size = abs(float(token))
    in_decimals = size == 0 or 0.01 <= size < 1e4
    return len(digits) <= 3 and (in_decimals if not power else not in_decimals)


def test_minigrad_train_writes_the_report_and_the_gradient_flow_picture(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "xor", "--epochs", "3", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in ("report.html", "gradient_flow.png"):
        assert (tmp_path / name).stat().st_size > 0 and str(tmp_path / name) in printed
    assert (tmp_path / "gradient_flow.png").read_bytes().startswith(b"\x89PNG")


def test_fit_keeps_a_gradient_record_and_a_snapshot_after_every_epoch():
    result = training.fit(training.TrainConfig(dataset="moons", hidden=(8,), epochs=25))
    stats, snapshots = result.stats, result.snapshots
    assert stats["grad_mean"].shape == (25, 4) and stats["saturated"].shape == (25, 1)
    assert stats["parameter_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(stats["steps"] > 0) and stats["record_every"] == training.RECORD_EVERY
    assert list(snapshots["epochs"]) == list(range(1, 26))
    assert snapshots["predicted"].shape == (25, training.SNAPSHOT_GRID, training.SNAPSHOT_GRID)
    # the recorder is detached after training: no hook left on the model
    assert all(not m._forward_hooks for m in result.model.modules())


def test_a_long_run_keeps_at_least_50_snapshots_evenly_spread_from_first_to_last_epoch():
    epochs = training.snapshot_epochs_of(1000)
    assert len(epochs) >= 50 and (epochs[0], epochs[-1]) == (1, 1000)
    assert np.ptp(np.diff(epochs)) <= 1


def test_the_last_snapshot_is_the_trained_models_prediction():
    result = training.fit(training.TrainConfig(dataset="moons", hidden=(8,), epochs=4))
    xs, ys = result.snapshots["xs"], result.snapshots["ys"]
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        predicted = result.model(Tensor(np.c_[gx.ravel(), gy.ravel()].astype(np.float32))).data.argmax(axis=1)
    assert np.array_equal(result.snapshots["predicted"][-1].ravel(), predicted)


def test_a_run_without_2_d_data_has_a_report_without_a_boundary_and_a_stop_per_epoch():
    result = training.fit(training.TrainConfig(dataset="digits", hidden=(16,), epochs=2))
    data = training_report.page_data(result)
    assert not result.snapshots and "boundary" not in data and data["epochs"] == [1, 2]


def test_the_page_is_one_self_contained_file_under_5_mb(run):
    text = run[1].read_text(encoding="utf-8")
    assert len(text.encode()) < 5_000_000
    assert not re.search(r"<script[^>]+src=|<link|<img|@import|url\(|<iframe", text)
    assert "http://" not in text and "https://" not in text


@pytest.fixture(scope="module")
def default_run():
    """The run `minigrad train` makes with no options: 150 epochs of spirals."""
    return training.fit(training.TrainConfig())


def test_the_default_run_has_a_stop_per_epoch(default_run):
    assert training_report.page_data(default_run)["epochs"] == list(range(1, 151))


def test_the_default_run_gives_a_page_under_5_mb(default_run):
    assert len(training_report.page(default_run).encode()) < 5_000_000


def test_the_heat_maps_are_the_first_hidden_layers_activations_over_the_plane(run):
    result = run[0]
    maps = training_report.page_data(result)["heatmaps"]
    assert (maps["kind"], maps["lo"], maps["hi"], maps["layer"]) == ("Tanh", -1.0, 1.0, ACTIVATIONS[0])
    levels = np.cumsum(unpacked(maps["levels"]), axis=0, dtype=np.uint8)  # each epoch stored as its change
    hidden = result.snapshots["hidden"]  # (snapshots, units, rows, columns)
    assert hidden.shape[:2] == (CONFIG.epochs, CONFIG.hidden[0])
    np.testing.assert_allclose(levels / 255 * 2 - 1, hidden, atol=1.01 / 255)
    # the last snapshot is the trained model's first layer at every other point of the grid
    step = training.loop.HIDDEN_STEP
    gx, gy = np.meshgrid(result.snapshots["xs"][::step], result.snapshots["ys"][::step])
    with no_grad():
        first = result.model[1](result.model[0](Tensor(np.c_[gx.ravel(), gy.ravel()].astype(np.float32)))).data
    np.testing.assert_allclose(hidden[-1], first.T.reshape(hidden.shape[1:]), atol=1e-6)


def test_layers_are_named_by_type_and_place_and_activations_by_the_layer_they_follow():
    model = training.build_cnn((8, 8), 10, (4, 8))
    weights = [name for name, module in model.named_modules() if hasattr(module, "weight")]
    activations = [name for name, module in model.named_modules() if type(module).__name__ == "ReLU"]
    assert training_report.layer_names(model, weights, activations) == (
        ["Conv2d 1", "Conv2d 2", "Linear 3"], ["after Conv2d 1 (ReLU)", "after Conv2d 2 (ReLU)"])


def test_the_best_epoch_is_the_first_with_the_highest_test_accuracy(run):
    result = run[0]
    accuracy = [row["test_accuracy"] for row in result.history]
    assert training_report.page_data(result)["best"] == accuracy.index(max(accuracy))


def move_slider(page, position):
    page.eval_on_selector("#slider-epoch", "(s, i) => { s.value = i; s.dispatchEvent(new Event('input')); }",
                          position)


# The whole of every visible text (tests/browser.py's shown_text keeps the first 50 characters of each).
VISIBLE_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), found = [];
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
    if (text && !element.closest("script, style, title") && element.checkVisibility()) found.push(text);
  }
  return found;
}"""
# Every number the page shows for the epoch (by the id of its element), the histograms' counts and the
# boundary's shades.
SHOWN_NUMBERS = """() => {
  const shown = {epoch: document.getElementById('value-epoch').textContent,
                 marked: document.getElementById('epoch-marker').dataset.epoch};
  document.querySelectorAll('#summary td, #layers td, [id^=saturated-]').forEach(e => { shown[e.id] = e.textContent; });
  shown.counts = [...document.querySelectorAll('#histograms figure')].map(
    f => [...f.querySelectorAll('rect')].map(r => +r.dataset.count));
  shown.fills = [...document.querySelectorAll('#boundary rect')].map(r => r.getAttribute('fill'));
  return shown;
}"""
# Collects, into window.seen, every epoch the page shows from now on.
WATCH_EPOCHS = """() => {
  window.seen = [];
  const shown = document.getElementById('value-epoch');
  window.watching?.disconnect();
  window.watching = new MutationObserver(() => seen.push(shown.textContent));
  window.watching.observe(shown, {childList: true, characterData: true, subtree: true});
}"""
FIGURES = ["#boundary", "#curves", "#grad-bars", "#layers", "#update-ratio", "#histograms"]
HEAT_MAPS = "els => els.map(c => c.toDataURL())"


@pytest.fixture(scope="class")  # one browser at a time: the page in a window, then on a phone
def window(run):
    """The report at 1366×768, once ready (its snapshots unpacked), with its state as it opened."""
    with open_page(run[1]) as visit:
        page = visit.page
        try:
            page.wait_for_function("document.body.dataset.ready === 'true'", timeout=10_000)
        except Exception:  # noqa: BLE001 (a page that never gets ready fails test_the_page_gets_ready...)
            pass
        visit.opened = {"slider": page.eval_on_selector("#slider-epoch", "s => [+s.value, +s.min, +s.max]"),
                        "shown": page.text_content("#value-epoch"),
                        "marked": page.get_attribute("#epoch-marker", "data-epoch"),
                        "boundary": page.get_attribute("#boundary", "data-epoch"),
                        "heat maps": page.get_attribute("#heatmaps", "data-epoch")}
        yield visit


@pytest.fixture(scope="class")
def phone(run):
    """The report on a 390×844 phone (mobile emulation)."""
    with open_page(run[1], viewport=PHONE) as visit:
        yield visit


@needs_browser
class TestInAWindow:
    """The page at 1366×768, opened once; each test moves it to the state it needs."""

    def test_the_page_opens_at_epoch_1(self, window):
        assert window.opened["slider"][0] == 0
        assert (window.opened["shown"], window.opened["marked"]) == ("1 of 12", "1")
        assert window.opened["boundary"] == window.opened["heat maps"] == "1"

    def test_the_slider_has_a_stop_per_epoch(self, window):
        assert window.opened["slider"][1:] == [0, CONFIG.epochs - 1]

    def test_the_epoch_slider_changes_every_figure(self, window):
        page = window.page
        move_slider(page, CONFIG.epochs - 1)
        last = [page.inner_html(selector) for selector in FIGURES] + [page.eval_on_selector_all("#heatmaps canvas",
                                                                                                HEAT_MAPS)]
        move_slider(page, 0)
        first = [page.inner_html(selector) for selector in FIGURES] + [page.eval_on_selector_all("#heatmaps canvas",
                                                                                                 HEAT_MAPS)]
        assert len(first[-1]) == CONFIG.hidden[0]
        for selector, before, after in zip(FIGURES + ["#heatmaps"], last, first):
            assert before != after, f"{selector} did not change with the epoch"

    def test_every_number_shown_is_the_runs_own_for_that_epoch(self, window, run):
        result, page = run[0], window.page
        stats, snapshots = result.stats, result.snapshots
        weights = [i for i, name in enumerate(stats["parameter_names"]) if name.endswith("weight")]
        shades = page.evaluate("SHADES")
        for position, epoch in enumerate(snapshots["epochs"]):
            move_slider(page, position)
            shown = page.evaluate(SHOWN_NUMBERS)
            row = result.history[epoch - 1]
            assert (shown["epoch"], shown["marked"]) == (f"{epoch} of {CONFIG.epochs}", str(epoch))
            assert value(shown["out-train_loss"]) == pytest.approx(row["train_loss"], rel=5e-3)
            for key in ("train_accuracy", "test_accuracy"):
                assert value(shown[f"out-{key}"]) == pytest.approx(row[key], abs=5e-4)
            for column, i in enumerate(weights):
                for key in ("grad_mean", "grad_max", "update_ratio"):
                    assert value(shown[f"{key}-{column}"]) == \
                        pytest.approx(stats[key][epoch - 1, i], rel=5e-3), (epoch, key, column)
            for a in range(len(stats["activation_names"])):
                assert value(shown[f"saturated-{a}"]) == pytest.approx(stats["saturated"][epoch - 1, a], abs=5e-4)
                assert shown["counts"][a] == stats["histogram"][epoch - 1, a].tolist()
            # the boundary: one shaded cell per grid point, in the class predicted after this epoch
            assert [shades.index(f) for f in shown["fills"]] == snapshots["predicted"][position].ravel().tolist()

    def test_every_number_shown_has_the_pages_one_format(self, window):
        page = window.page
        page.click("[data-preset=best]")  # its sentence has numbers too
        shown = []
        for position in (0, CONFIG.epochs // 2, CONFIG.epochs - 1):
            move_slider(page, position)
            shown += page.evaluate(VISIBLE_TEXT)
        tokens = {token for text in shown for token in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?%?", text)}
        assert tokens and [token for token in tokens if not well_formatted(token)] == []
        # the shares of the run: percentages in the tables and in the histograms' captions alike
        for selector in ("#out-train_accuracy", "#out-test_accuracy", "#saturated-0", "#saturated-1"):
            assert PERCENT.fullmatch(page.text_content(selector)), selector

    def test_every_panel_names_the_layers_alike(self, window):
        page = window.page
        texts = {selector: page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")
                 for selector in ("#grad-bars text.layer", "#layers tbody th", "#update-legend .layer",
                                  "#histograms .layer", "#heatmap-layer")}
        for selector in ("#grad-bars text.layer", "#layers tbody th", "#update-legend .layer"):
            assert texts[selector] == LAYERS, selector
        assert texts["#histograms .layer"] == ACTIVATIONS and texts["#heatmap-layer"] == ACTIVATIONS[:1]

    def test_update_data_and_saturation_are_explained_beside_their_numbers(self, window):
        page = window.page
        update = " ".join(page.text_content("#explain-update").split())
        assert "‖ΔW‖ / ‖W‖" in update and "about 1e-3" in update and "below 1e-4 or above 0.01" in update
        assert page.is_visible("#explain-update") and page.is_visible("#explain-saturated")
        assert "derivative is below 0.01" in " ".join(page.text_content("#explain-saturated").split())
        assert not page.is_visible("#explain-dead")  # a tanh run has no ReLU to die

    def test_an_update_data_far_from_1e_3_is_marked(self, window, run):
        page, ratios = window.page, run[0].stats["update_ratio"]
        marked = []
        for position in range(CONFIG.epochs):
            move_slider(page, position)
            marked += page.eval_on_selector_all("#layers td[id^=update_ratio]",
                                                "tds => tds.map(td => td.classList.contains('far'))")
        weights = [i for i, name in enumerate(run[0].stats["parameter_names"]) if name.endswith("weight")]
        far = [(r < 1e-4 or r > 1e-2) for r in ratios[:, weights].ravel()]
        assert marked == far and any(far)

    def test_play_steps_through_every_epoch_and_stops_at_the_last(self, window):
        page = window.page
        move_slider(page, 0)
        page.eval_on_selector("#play", "b => { b.dataset.interval = '10'; }")
        page.evaluate(WATCH_EPOCHS)
        page.click("#play")
        page.wait_for_function("document.getElementById('play').getAttribute('aria-pressed') === 'false'",
                               timeout=5_000)
        assert page.evaluate("seen") == [f"{e} of 12" for e in range(2, 13)]
        assert page.text_content("#play").endswith("Play")

    def test_pause_stops_the_play(self, window):
        page = window.page
        move_slider(page, 0)
        page.eval_on_selector("#play", "b => { b.dataset.interval = '100'; }")
        page.click("#play")
        page.wait_for_function("document.getElementById('value-epoch').textContent !== '1 of 12'", timeout=5_000)
        page.click("#play")
        shown = page.text_content("#value-epoch")
        page.wait_for_timeout(300)
        assert page.text_content("#value-epoch") == shown and shown != "12 of 12"
        assert page.get_attribute("#play", "aria-pressed") == "false"

    def test_watch_it_learn_goes_to_epoch_1_and_plays(self, window):
        page = window.page
        move_slider(page, CONFIG.epochs - 1)
        page.eval_on_selector("#play", "b => { b.dataset.interval = '10'; }")
        page.evaluate(WATCH_EPOCHS)
        page.click("[data-preset=learn]")
        assert page.get_attribute("[data-preset=learn]", "aria-pressed") == "true"
        page.wait_for_function("document.getElementById('play').getAttribute('aria-pressed') === 'false'",
                               timeout=5_000)
        assert page.evaluate("seen") == [f"{e} of 12" for e in range(1, 13)]

    def test_best_test_accuracy_goes_to_the_epoch_of_the_highest_test_accuracy(self, window, run):
        page, history = window.page, run[0].history
        best = max(range(len(history)), key=lambda e: (history[e]["test_accuracy"], -e))
        page.click("[data-preset=best]")
        assert page.text_content("#value-epoch") == f"{best + 1} of 12"
        said = page.text_content(".try .said")
        assert said.startswith(f"Epoch {best + 1}: test accuracy {history[best]['test_accuracy']:.1%}")

    def test_all_text_is_at_least_12_px_and_the_page_no_wider_than_the_window(self, window):
        smallest = shown_text(window.page)[0]
        assert smallest[0] >= 12, smallest
        width = page_width(window.page)
        assert width["page"] <= width["screen"], width

    def test_the_page_gets_ready_without_errors_or_outside_requests(self, window):
        assert window.page.evaluate("document.body.dataset.ready") == "true"
        assert window.problems() == []


@needs_browser
class TestOnAPhone:
    """The page on a 390×844 phone (mobile emulation), opened once."""

    def test_the_panels_stack_in_one_column_under_a_slider_as_wide_as_the_screen(self, phone):
        page = phone.page
        lefts = page.eval_on_selector_all("main > section:not([hidden])", "s => s.map(e => e.offsetLeft)")
        assert len(lefts) == 6 and len(set(lefts)) == 1
        slider = page.eval_on_selector("#slider-epoch", "s => s.getBoundingClientRect().width")
        assert slider >= 0.8 * page_width(page)["screen"]

    def test_all_text_is_at_least_11_px_and_the_page_no_wider_than_the_screen(self, phone):
        smallest = shown_text(phone.page)[0]
        assert smallest[0] >= 11, smallest
        width = page_width(phone.page)
        assert width["page"] <= width["screen"] and width["zoom"] == 1, width
        assert phone.problems() == []


def test_the_gradient_flow_picture_names_the_layers_as_the_page_does(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from minigrad.training import plots

    labels = []
    drawn = plots.gradient_flow

    def recording(stats, path, epochs=None, layers=None):
        labels.append(layers)
        return drawn(stats, path, epochs, layers)

    monkeypatch.setattr(plots, "gradient_flow", recording)
    result = training.fit(training.TrainConfig(dataset="xor", hidden=(4, 4), epochs=2))
    training.write_outputs(result, tmp_path)
    assert labels == [["Linear 1", "Linear 2", "Linear 3"]]
    assert labels[0] == training_report.run_layer_names(result)[0]


def test_gradient_flow_refuses_as_many_names_as_it_has_no_layers_for(tmp_path):
    pytest.importorskip("matplotlib")
    from minigrad.training import plots

    stats = {"grad_mean": np.ones((1, 2)), "grad_max": np.ones((1, 2)), "parameter_names": ["0.weight", "0.bias"]}
    with pytest.raises(ValueError, match="gradient_flow: got 2 layer names for 1 layers with weights"):
        plots.gradient_flow(stats, tmp_path / "flow.png", layers=["Linear 1", "Linear 2"])
