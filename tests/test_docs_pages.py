"""The docs pages: the API reference is what docs/make_api_reference.py writes
today, every public name has a docstring that starts with a sentence, and the
pages link to files that exist.

(The `>>>` examples of docs/*.md run as doctests, the code excerpts and the
figures are checked in test_docs.py.)"""

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

spec = importlib.util.spec_from_file_location("make_api_reference", DOCS / "make_api_reference.py")
make_api_reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_api_reference)



def _documented_names():
    for name, obj in make_api_reference.public_objects():
        yield name, obj
        if inspect.isclass(obj):
            for member_name, member in make_api_reference.introduced_members(obj):
                yield f"{name}.{member_name}", member


documented = list(_documented_names())


def test_api_reference_is_what_the_generator_writes_today():
    _, left_out = make_api_reference.load_modules()
    broken = {name: str(error) for name, error in left_out.items() if error is not None}
    assert make_api_reference.api_reference() == (DOCS / "api.md").read_text(encoding="utf-8"), \
        f"docs/api.md is stale: run python docs/make_api_reference.py (modules that did not import: {broken})"


def test_the_reference_lists_the_core_modules():
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    for module in ("minigrad", "minigrad.functional", "minigrad.nn", "minigrad.optim", "minigrad.information"):
        assert f"\n## {module}\n" in page
    for name in ("`Tensor(data, requires_grad=False, name=None)`", "`cross_entropy(logits, target,", "`SGD(params,",
                 "`Adam(params,", "`draw_graph(root,", "`entropy(p, base=None)`"):
        assert name in page


@pytest.mark.parametrize("name, obj", documented, ids=[name for name, _ in documented])
def test_public_name_has_a_docstring_that_starts_with_a_sentence(name, obj):
    function = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
    first = make_api_reference.summary(function)
    assert first, f"{name} has no docstring"
    assert first.rstrip(")\"'").endswith((".", "!", "?")), f"the docstring of {name} does not start with a sentence: {first!r}"


PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_relative_link_leads_to_a_file(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_the_tutorial_index_links_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(LINK.findall(index))
    assert {page.name for page in PAGES if page.name != "README.md"} <= linked
