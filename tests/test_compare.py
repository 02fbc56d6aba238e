"""minigrad compare: the default run end to end (it takes about a second), what
compare.csv shows about MSE against cross-entropy, the same initial weights for
both runs, the printed table against the CSV, one-line errors for bad options,
and compare.html opened in headless Chromium."""

import csv
import re

import numpy as np
import pytest
from browser import needs_browser, open_page

from minigrad import cli, training
from minigrad.core.creation import manual_seed
from minigrad.lessons import compare

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


def figures(page):
    """What the slider moves: bar widths, bar labels, saturation, curve markers, summaries."""
    return page.eval_on_selector_all(
        ".run rect.bar, .run text.value, .run line.marker, .run circle, .run .summary",
        "els => els.map(e => e.tagName === 'P' ? e.textContent : e.outerHTML)")


@needs_browser
def test_the_page_runs_without_errors_or_requests_and_the_slider_moves_both_runs(default_run):
    out, _, rows = default_run
    with open_page(out / "compare.html") as visit:
        page = visit.page
        first = figures(page)
        set_epoch(page, 60)
        later = figures(page)
        assert first != later
        for loss in ("mse", "ce"):   # each run's own figures move
            summary = page.text_content(f".run[data-loss={loss}] .summary")
            assert summary.startswith("epoch 60:")
            bars = page.eval_on_selector_all(f".run[data-loss={loss}] .grads text.value", "els => els.map(e => e.textContent)")
            for layer, shown in zip(("0", "2", "4"), bars):   # the numbers are the CSV's
                assert float(shown) == pytest.approx(cell(rows, loss, 60, layer), rel=6e-3)
            accuracy = re.search(r"train accuracy ([\d.]+)%", summary).group(1)
            assert float(accuracy) == pytest.approx(100 * cell(rows, loss, 60, "0", "train_accuracy"), abs=0.06)
        assert visit.problems() == []


@needs_browser
def test_every_text_on_the_page_is_at_least_10_px_at_1366_by_768(default_run):
    out, _, _ = default_run
    with open_page(out / "compare.html") as visit:
        sizes = visit.page.eval_on_selector_all(
            "body *", "els => els.filter(e => e.childElementCount === 0 && e.textContent.trim())"
                      ".map(e => [e.textContent, parseFloat(getComputedStyle(e).fontSize) * "
                      "(e.getScreenCTM ? e.getScreenCTM().a : 1)])")
    assert sizes and min(size for _, size in sizes) >= 10, min(sizes, key=lambda pair: pair[1])
