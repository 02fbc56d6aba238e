"""docs/install.md, the install page: its table of extras is pyproject.toml's,
row for row, and it tells readers who edit the source to install editable."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev extra brings tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
PAGE = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")


def test_the_install_page_says_what_each_extra_is_for():
    rows = re.findall(r"^\| `(\w+)` \|", PAGE, re.M)
    assert sorted(rows) == sorted(EXTRAS)


def test_the_install_page_recommends_an_editable_install_to_readers_who_edit_the_source():
    assert 'python -m pip install -e ".[dev]"' in PAGE


def test_the_notebook_extra_brings_jupyter_a_kernel_and_the_packages_the_notebook_draws_with():
    names = {re.match(r"[\w-]+", requirement).group() for requirement in EXTRAS["notebook"]}
    assert {"jupyterlab", "ipykernel", "matplotlib", "graphviz", "graphviz-pure"} <= names
