"""pages.build_page, the one builder of every HTML page minigrad writes: the
page's data goes in as one JSON element that nothing in it can break out of,
every slot is filled once, and what it cannot write (an unknown page, NaN in
the data) it refuses by name. The four pages minigrad writes all come from
it: each has the viewport tag, one JSON data element and no slot left."""

import json
import math
import re

import pytest
from browser import needs_browser, open_page

from minigrad import Tensor, training, viz
from minigrad.lessons import compare, explain_page
from minigrad.pages.builder import PAGES, build_page
from minigrad.training import report

# Text that would end a script element early, or open a comment inside one, if written as it is.
TRICKY = {"end": "</script><script>alert(1)</script>", "comment": "<!--<script>",
          "mixed": "a < b && c > d, ∂L/∂z", "nested": [{"</SCRIPT>": ["<!--", "<script"]}]}


def data_element(page: str, name: str) -> str:
    return re.search(rf'<script id="{name}-data" type="application/json">(.*?)</script>', page, re.S).group(1)


@pytest.fixture(scope="module")
def written():
    """Every page minigrad writes (one per name in PAGES), built by the function that writes it, on small inputs."""
    x = Tensor(3.0, requires_grad=True, name="x")
    runs = compare.compare(compare.CompareConfig(epochs=1))
    return {"replay": viz.replay(x * x + x).html,
            "explain": explain_page.page({"x": 1.0, "w": 2.0, "b": 2.0, "y": 0.0}),
            "report": report.page(training.fit(training.TrainConfig(dataset="xor", hidden=(4,), epochs=1))),
            "compare": compare.page_html(runs, compare.CompareConfig(epochs=1))}


def test_the_data_element_holds_no_less_than_sign_however_the_data_reads():
    text = data_element(build_page("report", title="t", data=TRICKY), "report")
    assert "<" not in text and json.loads(text) == TRICKY


@needs_browser
def test_a_browser_reads_data_holding_script_ends_and_comments_back_intact(tmp_path):
    path = tmp_path / "tricky.html"
    path.write_text(build_page("replay", title="t", data=TRICKY), encoding="utf-8")
    with open_page(path) as visit:
        read = visit.page.evaluate("JSON.parse(document.getElementById('replay-data').textContent)")
        scripts = visit.page.evaluate("document.scripts.length")
    assert read == TRICKY and scripts == 2   # the data element, then the page's own script


def test_the_title_is_html_escaped():
    page = build_page("compare", title="<b>MSE</b> & CE", data={})
    assert "<title>&lt;b&gt;MSE&lt;/b&gt; &amp; CE</title>" in page


def test_inserted_content_is_never_read_as_a_slot():
    page = build_page("replay", title="{{script}}", data={"note": "{{title}}"}, figure="{{data}}")
    assert "<title>{{script}}</title>" in page and '<div id="graph">{{data}}</div>' in page
    assert json.loads(data_element(page, "replay")) == {"note": "{{title}}"}


def test_an_unknown_page_name_is_a_value_error_naming_the_pages():
    with pytest.raises(ValueError, match=r"^build_page: no page named 'index'; expected one of compare, explain"):
        build_page("index", title="t", data={})


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_data_holding_a_number_json_cannot_carry_is_a_value_error(number):
    with pytest.raises(ValueError, match=r"^build_page: the data of the page 'report' cannot be written as JSON"):
        build_page("report", title="t", data={"loss": [0.5, number]})


def test_a_figure_for_a_page_without_a_figure_slot_is_a_value_error():
    with pytest.raises(ValueError, match=r"^build_page: the page 'compare' has no figure slot"):
        build_page("compare", title="t", data={}, figure="<svg></svg>")


@pytest.mark.parametrize("name", PAGES)
def test_no_slot_is_left_in_a_written_page(written, name):
    assert not re.search(r"\{\{\s*\w+\s*\}\}", written[name])


@pytest.mark.parametrize("name", PAGES)
def test_every_written_page_has_the_viewport_tag(written, name):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in written[name]


@pytest.mark.parametrize("name", PAGES)
def test_every_written_page_has_one_json_data_element_that_parses(written, name):
    assert len(re.findall(r'<script\b[^>]*type="application/json"', written[name])) == 1
    assert isinstance(json.loads(data_element(written[name], name)), dict)
