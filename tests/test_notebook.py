"""The notebook examples/why_cross_entropy.ipynb runs from top to bottom, shows
its graphs inline, and prints the numbers its text promises."""

import re
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "why_cross_entropy.ipynb"


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3").execute()
    return notebook


def outputs(notebook, kind):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
            if kind in output.get("data", {}) or output.get("name") == kind]


def test_the_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_the_notebook_runs_and_draws_three_graphs_and_two_plots_inline(executed):
    assert len(outputs(executed, "image/svg+xml")) == 3
    assert len(outputs(executed, "image/png")) == 2


def test_the_notebook_shows_the_backward_replay_inline(executed):
    pages = [output["data"]["text/html"] for output in outputs(executed, "text/html")]
    assert any(page.startswith("<iframe srcdoc=") and "step" in page for page in pages)


def test_the_notebook_prints_the_numbers_its_text_promises(executed):
    printed = "".join(output["text"] for output in outputs(executed, "stdout"))
    assert "MSE: loss 0.4822, ∂L/∂z = 0.0173" in printed
    assert "∂L/∂z = 0.9820 = a − y" in printed
    assert "cross-entropy: a < 0.2 first at epoch 31" in printed and "MSE: a < 0.2 first at epoch never" in printed


def test_no_graph_in_the_notebook_is_wider_than_an_880_px_output_area(executed):
    for output in outputs(executed, "image/svg+xml"):
        width_pt = float(re.search(r'<svg width="([\d.]+)pt"', output["data"]["image/svg+xml"]).group(1))
        assert width_pt * 4 / 3 <= 880, width_pt
