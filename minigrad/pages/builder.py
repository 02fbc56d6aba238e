"""One builder for every HTML page minigrad writes: `build_page(name, title=..., data=...)`.

A page is the shared skeleton, assets/skeleton.html (doctype, language,
charset, viewport, title, style, body, data, script), with one page's own
assets in it: assets/<name>.html (its body), <name>.css and <name>.js. Its
style starts with the shared colour code (colours.py) as CSS variables and
the shared base.css (type, the "Try this" presets, wide figures). The
page's data goes in as one JSON element, <script id="<name>-data"
type="application/json">, which its script reads with JSON.parse; an inline
SVG figure goes into the body's {{figure}} slot. The page needs no network
and opens from file://.

Slots are written {{slot}} and are filled in one pass over the template, so
nothing inserted (the title, the CSS, the figure, the data) is ever read
again as a slot.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import Any

from minigrad.pages.colours import css_variables

__all__ = ["PAGES", "build_page"]

PAGES = ("compare", "explain", "replay", "report")  # each has assets/<name>.html, <name>.css and <name>.js
SLOT = re.compile(r"\{\{(\w+)\}\}")


def build_page(name: str, *, title: str, data: dict[str, Any], figure: str = "") -> str:
    r"""The page `name` as one self-contained HTML string: `title` (plain text,
    escaped here), `data` as JSON for its script, and `figure` (HTML, an inline
    SVG, inserted as it is) in its body's figure slot.

    >>> page = build_page("replay", title="x < y", data={"note": "</script>"}, figure="<svg></svg>")
    >>> print(page[page.index("<title>"):page.index("</title>") + 8])
    <title>x &lt; y</title>
    >>> print(re.search(r'<script id="replay-data" type="application/json">(.*)</script>', page).group(1))
    {"note":"\u003c/script>"}
    """
    if name not in PAGES:
        raise ValueError(f"build_page: no page named {name!r}; expected one of {', '.join(PAGES)}")
    # The body is part of the template, not content: its own slots (title, figure) are filled in the one pass.
    template = _asset("skeleton.html").replace("{{body}}", _asset(f"{name}.html"))
    if figure and "{{figure}}" not in template:
        raise ValueError(f"build_page: the page {name!r} has no figure slot; expected figure='' for it")
    style = "\n".join([css_variables(), _asset("base.css"), _asset(f"{name}.css")])
    values = {"name": name, "title": html.escape(title), "style": style, "figure": figure,
              "data": _json(name, data), "script": _asset(f"{name}.js")}
    return SLOT.sub(lambda slot: values[slot.group(1)], template)


def _json(name: str, data: dict[str, Any]) -> str:
    """`data` as JSON that cannot end its script element early: every "<" is
    written \\u003c, so neither "</script>" nor "<!--" can occur in it."""
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as error:  # JSON.parse would refuse NaN and Infinity: the page would show nothing
        raise ValueError(f"build_page: the data of the page {name!r} cannot be written as JSON ({error}); "
                         "expected None (null) in place of each NaN or infinite number") from error
    return text.replace("<", "\\u003c")


def _asset(file: str) -> str:
    return (resources.files(__package__) / "assets" / file).read_text(encoding="utf-8")
