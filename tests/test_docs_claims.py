"""docs/claims.md states the claims minigrad demonstrates, each with an example
that exists, its table links each claim's section, and everything in the
repository cites the claims there.

(The numbers and figures it quotes are compared with the examples' runs in
test_examples.py.)"""

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = (ROOT / "docs" / "claims.md").read_text(encoding="utf-8")


def sections():
    return re.split(r"^## ", CLAIMS, flags=re.M)[1:]


def test_the_claims_are_numbered_1_to_10():
    assert [int(re.match(r"(\d+)\. ", section).group(1)) for section in sections()] == list(range(1, 11))


def test_every_claim_names_an_example_script_that_exists():
    for section in sections():
        scripts = re.findall(r"`examples/(\w+\.py)`", section)
        assert scripts, f"claim {section.splitlines()[0]!r} names no example"
        assert all((ROOT / "examples" / script).exists() for script in scripts), scripts


def slug(heading):
    """A heading's anchor, as the site (Python-Markdown's toc) makes it."""
    ascii_text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", ascii_text).strip().lower())


def test_the_table_links_every_claim_to_its_section():
    table = CLAIMS.split("\n## ")[0]
    links = re.findall(r"\[(\d+)\]\(#([^)]+)\)", table)
    anchors = {int(re.match(r"(\d+)\. ", section).group(1)): slug(section.splitlines()[0]) for section in sections()}
    assert sorted({int(number) for number, _ in links}) == list(range(1, 11))
    assert all(anchors[int(number)] == anchor for number, anchor in links), links


def test_nothing_cites_a_seeds_file_that_the_repository_does_not_have():
    cites_seeds = re.compile(r"\bSEEDS\b")
    files = [path for pattern in ("*.py", "*.md", "*.ipynb", "*.toml") for path in ROOT.rglob(pattern)
             if ".git" not in path.parts and path != Path(__file__).resolve()]
    citing = [str(path.relative_to(ROOT)) for path in files if cites_seeds.search(path.read_text(encoding="utf-8"))]
    assert citing == [], "cite docs/claims.md instead (e.g. 'claim 4 in docs/claims.md')"
