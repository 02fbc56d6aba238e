"""Code excerpts in the README and docs/ are verbatim copies of the source they name.

An excerpt is a fenced block preceded by `<!-- excerpt: path/to/file.py -->`.
(The `>>>` examples in docs/ run as doctests: see pyproject's pytest options.)"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXCERPT = re.compile(r"<!-- excerpt: (\S+) -->\n```python\n(.*?)```", re.S)

excerpts = [(page.name, path, code) for page in PAGES for path, code in EXCERPT.findall(page.read_text())]


def test_the_docs_have_excerpts():
    assert len(excerpts) >= 4


@pytest.mark.parametrize("page, path, code", excerpts, ids=[f"{p}:{s}#{i}" for i, (p, s, _) in enumerate(excerpts)])
def test_excerpt_is_verbatim_source(page, path, code):
    assert code in (ROOT / path).read_text(), f"{page} quotes {path}, but the source has changed"
