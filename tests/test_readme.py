"""The README's examples are the example files and print what the README
says; it fits in 160 lines, with one row per part of the package, and links
every docs page and each section that moved out of it into the docs.
(Its extras moved to docs/install.md: test_install_page.py.)"""

import contextlib
import io
import re
from pathlib import Path

from test_docs_claims import slug

ROOT = Path(__file__).resolve().parent.parent


def readme_section(title):
    text = (ROOT / "README.md").read_text()
    return text[text.index(f"## {title}"):].split("\n## ", 1)[0]


def test_readme_example_is_the_example_file():
    code = re.search(r"```python\n(.*?)```", readme_section("A first gradient"), re.S).group(1)
    assert code == (ROOT / "examples" / "first_gradient.py").read_text()


def test_readme_example_prints_what_the_readme_shows():
    section = readme_section("A first gradient")
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README example", "exec"), {})
    assert printed.getvalue() == shown


def test_readme_quickstart_starts_with_the_two_commands():
    block = re.search(r"```bash\n(.*?)```", readme_section("Quickstart"), re.S).group(1).splitlines()
    assert block[:2] == ['python -m pip install ".[viz]" && minigrad explain',
                         'python -m pip install ".[dev]" && python -m pytest']


def test_readme_training_example_is_the_example_file():
    code = re.search(r"```python\n(.*?)```", readme_section("Train a classifier"), re.S).group(1)
    assert code == (ROOT / "examples" / "xor.py").read_text()


def test_readme_training_example_learns_xor_and_saves_a_checkpoint(tmp_path, monkeypatch):
    section = readme_section("Train a classifier")
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README training example", "exec"), {})
    assert printed.getvalue() == shown
    assert (tmp_path / "xor.npz").exists()


# ---------------------------------------------- the README's shape and links --

README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def test_the_readme_fits_in_160_lines():
    assert len(README.splitlines()) <= 160, "move the detail into docs/ and link it from 'Read next'"


def test_the_readme_links_every_docs_page_and_the_benchmarks_page():
    linked = {target.split("#", 1)[0] for target in LINK.findall(README)}
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")} | {"benchmarks/README.md"}
    assert pages <= linked, f"README.md does not link {sorted(pages - linked)}"


def test_the_readme_links_each_section_it_moved_into_the_docs():
    sections = {"docs/autodiff.md#8-conventions-worth-knowing", "docs/own_op.md#7-checking-gradients",
                "docs/losses.md#8-what-a-loss-accepts", "docs/training.md#a-training-step-by-hand",
                "docs/training.md#saving-and-loading-a-model", "docs/README.md#building-these-pages",
                "docs/drawing_graphs.md#10-in-a-script-a-picture-a-file-and-the-replay"}
    assert sections <= set(LINK.findall(README))


def test_every_readme_link_leads_to_a_file_and_every_anchor_to_a_heading():
    for target in LINK.findall(README):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), f"README.md links to {path}, which does not exist"
        if anchor:
            headings = re.findall(r"^#{1,6} (.+)$", (ROOT / path).read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(heading) for heading in headings}, f"{path} has no heading #{anchor}"


def test_the_captions_numbers_are_those_of_the_figure_it_shows():
    caption = readme_section("See the gradient").split("\n\n", 2)[2]
    figure = (ROOT / "docs" / "figures" / "mse_vs_ce.svg").read_text(encoding="utf-8")
    numbers = re.findall(r"\d+\.\d+", caption)
    assert {"0.982", "0.01766", "0.01735", "55.6"} <= set(numbers)
    assert [number for number in numbers if number not in figure] == []
    products = re.findall(r"\d+\.\d+ × \d+\.\d+ = \d+\.\d+", caption)
    assert len(products) == 2 and all(product in figure for product in products)


def test_the_layout_table_has_a_row_per_part_in_the_packages_reading_order():
    """The rows name the parts as minigrad/__init__.py's docstring lists them, and every folder and
    module of the package is in a row."""
    docstring = (ROOT / "minigrad" / "__init__.py").read_text(encoding="utf-8").split('"""')[1]
    listed = [re.findall(r"\w+/|\w+\.py", line.strip().split("   ")[0])
              for line in docstring.splitlines() if re.match(r"    \w+(/|\.py)", line)]
    table = readme_section("How minigrad is laid out")
    rows = [re.findall(r"`(?:minigrad/)?(\w+/|\w+\.py)`", line.split(" | ")[0])
            for line in table.splitlines() if line.startswith("| `minigrad/")]
    assert rows == listed
    package = ROOT / "minigrad"
    parts = {f"{path.name}/" for path in package.iterdir() if (path / "__init__.py").exists()}
    parts |= {path.name for path in package.glob("*.py") if path.name not in ("__init__.py", "__main__.py")}
    assert parts == {name for row in rows for name in row}


def test_the_readme_shows_the_site_command_that_ci_runs():
    assert 'python -m pip install ".[docs]" && mkdocs build --strict' in README


def test_the_readme_quotes_no_op_source():
    assert "<!-- excerpt:" not in README and "def backward" not in README and "def forward" not in README
