"""minigrad explain: its table equals the closed forms, and the command writes
every file it promises, from a fresh folder, through the command line."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigrad import cli, viz
from minigrad.lessons import explain
from minigrad.pages.colours import LOSS_COLOURS
from minigrad.viz.dot import ZERO

FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_table_matches_the_closed_forms(y):
    for z, a, sigma_prime, mse, ce in explain.gradient_table(y):
        expected_a = 1 / (1 + np.exp(-z))
        assert a == pytest.approx(expected_a, rel=1e-12)
        assert sigma_prime == pytest.approx(a * (1 - a), rel=1e-12)
        assert mse == pytest.approx((a - y) * a * (1 - a), rel=1e-9, abs=1e-15)
        assert ce == pytest.approx(a - y, rel=1e-9, abs=1e-15)


def test_the_mse_column_collapses_at_both_ends_while_ce_stays_the_error():
    rows = {z: (mse, ce) for z, _, _, mse, ce in explain.gradient_table(y=0.0)}
    assert abs(rows[6.0][0]) < 0.003 and rows[6.0][1] > 0.99        # confidently wrong: MSE barely moves
    assert abs(rows[-6.0][0]) < 0.0001 and rows[-6.0][1] < 0.003    # right: both small
    assert max(abs(mse) for mse, _ in rows.values()) < 0.15         # σ′ ≤ ¼ caps the MSE gradient


def test_a_neuron_saturated_to_exactly_1_still_gets_its_ce_gradient_and_a_note():
    text = explain.summary(1.0, 40.0, 2.0, 0.0)
    assert "a − y          = 1   (loss 42)" in text and "a rounds to exactly 1" in text and "-0" not in text


def test_the_seed_neuron_summary_shows_the_numbers_of_the_picture():
    text = explain.summary(1.0, 2.0, 2.0, 0.0)
    assert "a = σ(z) = 0.982" in text and "σ′(z) = a(1 − a) = 0.01766" in text
    assert "(a − y)·σ′(z) = 0.01735" in text and "a − y          = 0.982" in text


def test_the_summary_gives_4_significant_digits_however_small_the_gradient():
    text = explain.summary(1.0, 20.0, 2.0, 0.0)                 # z = 22: σ′ = 2.79e-10, not 0.0000
    assert "σ′(z) = a(1 − a) = 2.789e-10" in text and "(a − y)·σ′(z) = 2.789e-10" in text


def test_the_summary_of_a_huge_weight_prints_short_numbers():
    text = explain.summary(1.0, 1e300, 2.0, 0.0)
    assert "(loss 1e+300)" in text and max(map(len, text.splitlines())) < 160


def test_the_side_by_side_figure_writes_the_chain_rule_on_the_sigma_prime_edge_of_both_graphs(tmp_path):
    figure = explain.side_by_side_graph(1.0, 2.0, 2.0, 0.0)
    shown = viz.render(figure, tmp_path / "figure.svg").read_text()   # what the reader sees, after layout
    assert shown.count("σ′ = ∂a/∂z = 0.01766") == 2 and shown.count(">σ<") == 2
    assert "= 0.982 × 0.01766 = 0.01735" in shown                       # MSE: σ′ throttles the error
    assert "= 55.6 × 0.01766 = 0.982" in shown                          # CE: ∂L/∂a cancels σ′
    assert "∂L/∂z = 0.01735" in shown and "∂L/∂z = 0.982" in shown
    assert "∂L/∂a = 0.982" in shown and "∂L/∂a = 55.6" in shown


def test_the_sigma_prime_edges_are_bold_and_coloured():
    source = explain.side_by_side_graph(1.0, 2.0, 2.0, 0.0).source
    highlighted = re.findall(r"^\s+(\w+) -> (\w+) \[.*penwidth=3.*$", source, re.M)
    assert len(highlighted) == 2 and {tail.split("_")[0] for tail, _ in highlighted} == {"mse", "ce"}


def test_each_graphs_title_is_in_its_losss_colour():
    source = explain.side_by_side_graph(1.0, 2.0, 2.0, 0.0).source
    for loss, title in (("mse", "MSE: L"), ("ce", "cross-entropy: L")):
        assert re.search(rf'fontcolor="{LOSS_COLOURS[loss]}"[^\]]*label="{title}', source), loss


def test_the_cross_entropy_branch_that_passes_no_gradient_is_grey():
    source = explain.side_by_side_graph(1.0, 2.0, 2.0, 0.0).source  # y = 0: the y·ln a branch passes 0 back
    grey = [line for line in source.splitlines() if f"fontcolor=\"{ZERO}\"" in line and "label=" in line]
    assert any("ln(clip(a)) = " in line for line in grey)
    assert not any("1 − a = " in line for line in grey)


def test_at_the_readmes_880_px_every_number_of_the_figure_is_at_least_9_px():
    svg = (FIGURES / "mse_vs_ce.svg").read_text(encoding="utf-8")  # the picture the README shows
    width_px = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3
    scale = min(1.0, 880 / width_px)                                # a wider image is shrunk to 880 px
    texts = re.findall(r'font-size="([\d.]+)"[^>]*>([^<]*\d[^<]*)<', svg)
    assert any("σ′ = ∂a/∂z" in text for _, text in texts) and any("∂L/∂z = " in text for _, text in texts)
    smallest = min(float(size) * 4 / 3 * scale for size, _ in texts)
    assert smallest >= 9, smallest


def test_the_fused_figure_has_no_sigmoid_and_gives_a_minus_y_directly():
    source = explain.fused_graph(1.0, 2.0, 2.0, 0.0).source
    assert 'label="σ"' not in source and 'label="BCE on logits  (y = 0)"' in source
    assert "∂L/∂z = 0.982" in source


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "minigrad", *args], capture_output=True, text=True, timeout=120)


def test_explain_end_to_end_writes_the_promised_files(tmp_path):
    out = tmp_path / "explained"
    result = run_cli("explain", "--out", str(out))
    assert result.returncode == 0, result.stderr
    expected = ["gradient_table.csv", "index.html", "replay.html", "mse_vs_ce.svg", "mse_vs_ce.dot", "fused_ce.svg",
                "fused_ce.dot"]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    assert all(str(out / name) in result.stdout for name in expected)
    assert "<svg" in (out / "mse_vs_ce.svg").read_text()


def test_explain_csv_holds_the_table_for_the_given_target(tmp_path):
    assert cli.main(["explain", "--target", "1", "--out", str(tmp_path)]) == 0
    with (tmp_path / "gradient_table.csv").open() as file:
        header, *rows = list(csv.reader(file))
    assert header == list(explain.TABLE_COLUMNS) and len(rows) == 13
    for _z, a, _sigma_prime, mse, ce in (map(float, row) for row in rows):
        assert ce == pytest.approx(a - 1) and mse == pytest.approx((a - 1) * a * (1 - a))


def test_explain_prints_the_table(tmp_path, capsys):
    cli.main(["explain", "--out", str(tmp_path)])
    assert explain.table_text(explain.gradient_table(0.0)) in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--help"], ["explain", "--help"]])
def test_every_command_has_help(args):
    result = run_cli(*args)
    assert result.returncode == 0 and "usage: minigrad" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["explain", "--target", "2"], "--target must be in [0, 1]"),
    (["explain", "--x", "one"], "argument --x: expected a finite number, got 'one'"),
    (["explain", "--w", "nan"], "expected a finite number, got 'nan'"),
    (["explain", "--x", "1e200", "--w", "1e200"], "z = w·x + b = 1e+200·1e+200 + 2 is not finite"),
    (["explain", "--w", "1.7e308", "--x", "1", "--b", "0"],
     "argument --w: expected a number in [-1e300, 1e300] (the page multiplies it by slider values"),
    (["explain", "--x", "1e301"], "argument --x: expected a number in [-1e300, 1e300]"),
    (["explain", "--b=-1e308"], "argument --b: expected a number in [-1e300, 1e300]"),
    (["explain", "--taget", "1"], "unrecognized argument --taget: did you mean --target?"),
    (["fly"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_a_one_line_reason(args, message):
    result = run_cli(*args)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_a_target_of_minus_0_prints_y_equals_0(tmp_path, capsys):
    assert cli.main(["explain", "--target", "-0.0", "--out", str(tmp_path)]) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert "target y = 0  ->" in first_line and "-0" not in first_line


def test_the_summary_prints_a_z_of_minus_0_as_0():
    first_line = explain.summary(1.0, -0.0, -0.0, 0.0).splitlines()[0]   # z = -0·1 + -0 = -0
    assert first_line.startswith("neuron: x = 1, w = 0, b = 0, target y = 0  ->  z = 0, a = σ(z) = 0.5")


def test_the_table_prints_a_tiny_negative_gradient_as_0_not_minus_0():
    table = explain.table_text(explain.gradient_table(y=0.731059))      # a − y = -4.2e-7 at z = 1
    row = next(line for line in table.splitlines() if line.startswith("  1.0"))
    assert row.split()[-2:] == ["0.000000", "0.00000"]


def test_an_out_path_that_is_a_file_is_refused_before_anything_is_printed(tmp_path):
    (tmp_path / "taken").write_text("keep me")
    result = run_cli("explain", "--out", str(tmp_path / "taken"))
    assert result.returncode == 2 and "is a file; expected a folder" in result.stderr and result.stdout == ""
    assert (tmp_path / "taken").read_text() == "keep me"


def test_explain_without_any_renderer_still_writes_table_page_and_dot_and_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz.rendering, "renderers", lambda format: [])
    assert cli.main(["explain", "--out", str(tmp_path)]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fused_ce.dot", "gradient_table.csv", "index.html",
                                                          "mse_vs_ce.dot"]
    assert "Install Graphviz" in capsys.readouterr().err
    page = (tmp_path / "index.html").read_text()
    assert "could not be drawn" in page and "mse_vs_ce.dot" in page and 'id="slider-w"' in page


def test_explain_as_pdf_without_a_system_graphviz_exits_1_naming_the_missing_pictures(tmp_path, monkeypatch, capsys):
    installed = viz.rendering.renderers  # graphviz-pure, found even in a virtual environment that is not activated
    monkeypatch.setattr(viz.rendering, "renderers",
                        lambda format: [] if format == "pdf" else [p for p in installed(format) if Path(p).name != "dot"])
    assert cli.main(["explain", "--format", "pdf", "--out", str(tmp_path)]) == 1
    assert not list(tmp_path.glob("*.pdf")) and "no installed program makes PDF" in capsys.readouterr().err
