"""The README's examples are the example files and print what the README
says. (Its extras moved to docs/install.md: test_install_page.py.)"""

import contextlib
import io
import re
from pathlib import Path

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
