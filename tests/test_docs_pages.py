"""The docs pages: the API reference (docs/api/, rendered by mkdocstrings) has a
page for every module a user imports, every public name has a docstring that
starts with a sentence, and the pages link to files that exist.

(The `>>>` examples of docs/*.md run as doctests, the code excerpts and the
figures are checked in test_docs.py, the built site in test_site.py.)"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
API_PAGES = sorted((DOCS / "api").glob("*.md"))
API_PAGE_OF = {module: page for page in API_PAGES  # each module the reference documents -> its page
               for module in re.findall(r"^::: (\S+)$", page.read_text(encoding="utf-8"), flags=re.M)}
API_MODULES = list(API_PAGE_OF)


def public_names(module: Any) -> list[str]:
    """`__all__`, or the functions and classes defined in the module: what mkdocstrings documents."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__]


def introduced_members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties `cls` defines that no base class has."""
    inherited = {name for base in cls.__mro__[1:] for name in vars(base)}
    for name, value in vars(cls).items():
        if name.startswith("_") or name in inherited:
            continue
        function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        if isinstance(value, property) or (inspect.isfunction(function)
                                           and function.__qualname__ == f"{cls.__qualname__}.{name}"):
            yield name, value


def documented_names(module_name: str) -> Iterator[tuple[str, Any]]:
    """(the name as the reference shows it, the object) for a module's functions and classes and
    the methods and properties its classes introduce."""
    module = importlib.import_module(module_name)
    for name in public_names(module):
        value = getattr(module, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            yield f"{module_name}.{name}", value
        if inspect.isclass(value):
            for member_name, member in introduced_members(value):
                yield f"{module_name}.{name}.{member_name}", member


def summary(obj: Any) -> str:
    """The first sentence of obj's own docstring (not one inherited), on one line; "" if it has none."""
    doc = obj.__doc__ if isinstance(obj, property) or not inspect.isclass(obj) else vars(obj).get("__doc__")
    if not doc or not doc.strip():
        return ""
    paragraph = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    return re.split(r"(?<=[.!?])\s+", paragraph, maxsplit=1)[0]


def test_the_reference_has_a_page_for_every_module_a_user_imports():
    assert API_MODULES == sorted(set(API_MODULES), key=API_MODULES.index)  # one page each
    assert {"minigrad", "minigrad.functional", "minigrad.nn", "minigrad.optim", "minigrad.information",
            "minigrad.viz", "minigrad.training.data", "minigrad.training", "minigrad.training.plots",
            "minigrad.lessons.explain", "minigrad.training.gradient_stats", "minigrad.lessons.compare",
            "minigrad.interop"} <= set(API_MODULES)


def test_the_reference_pages_are_in_the_sites_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert all(f"api/{page.name}" in nav for page in API_PAGES)


documented = [pair for module in API_MODULES for pair in documented_names(module)]


@pytest.mark.parametrize("name, obj", documented, ids=[name for name, _ in documented])
def test_public_name_has_a_docstring_that_starts_with_a_sentence(name, obj):
    function = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
    first = summary(function)
    assert first, f"{name} has no docstring"
    assert first.rstrip(")\"'").endswith((".", "!", "?")), f"the docstring of {name} does not start with a sentence: {first!r}"


PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)")
BUILT_WITH_THE_SITE = "pages/"  # the explorable pages, which minigrad writes when the site is built


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_relative_link_leads_to_a_file(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith(BUILT_WITH_THE_SITE):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_the_tutorial_index_links_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(LINK.findall(index))
    assert {page.name for page in PAGES if page.name != "README.md"} <= linked


def test_the_home_pages_numbers_are_those_of_the_figure_it_shows():
    home = (DOCS / "README.md").read_text(encoding="utf-8")
    figure = (DOCS / "figures" / "mse_vs_ce.svg").read_text(encoding="utf-8")
    assert "(a = 0.982, target 0)" in home and "σ′(z) = 0.01766" in home
    assert "a = 0.982" in figure and "σ′ = ∂a/∂z = 0.01766" in figure and "∂L/∂z = 0.982" in figure
    assert "passes ∂L/∂z = 0.01735 back" in home and "= 0.982 × 0.01766 = 0.01735" in figure
    assert "passes\n∂L/∂z = a − y = 0.982" in home
    assert "∂L/∂a = 55.6" in home and "= 55.6 × 0.01766 = 0.982" in figure
    assert f"about {round(0.982 / 0.01735)} times more gradient" in home


def test_the_home_page_shows_the_picture_and_the_pages_before_the_install_commands():
    home = (DOCS / "README.md").read_text(encoding="utf-8")
    commands = home.index("```bash")
    assert home.index("![MSE and cross-entropy graphs") < commands
    for page in ("pages/explain/index.html", "pages/explain/replay.html", "pages/compare/compare.html",
                 "pages/train/report.html"):
        assert home.index(f"]({page})") < commands, page
