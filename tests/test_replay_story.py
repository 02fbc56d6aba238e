"""The replay `minigrad explain` writes: backward through the cross-entropy and the MSE graph of one neuron.
The loss's own ops fold into one step so σ′ comes at step 3, where a caption gives both losses' numbers
(minigrad's own); a switch shows either graph at the same step, a preset jumps to σ′, the last step sums
up ∂L/∂z under each loss, and the page reads on a phone and on a laptop."""

import json
import re

import pytest
from browser import PHONE, needs_browser, open_page, page_width, shown_text

from minigrad import Tensor, viz
from minigrad.lessons import explain, explain_page, explain_replay
from minigrad.pages.colours import LOSS_COLOURS

NEURON = (1.0, 2.0, 2.0, 0.0)  # x, w, b, y: z = 4, a = 0.982, the neuron `minigrad explain` starts on
CE, MSE = "cross-entropy", "MSE"


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return explain_replay.replay(*NEURON, tmp_path_factory.mktemp("story") / "replay.html")


def page_data(page):
    return json.loads(re.search(r'<script id="replay-data" type="application/json">(.*?)</script>', page.html,
                                re.S).group(1))


NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"


def numbers_in(text):
    return [float(n) for n in re.findall(NUMBER, text)]


def number_after(label, text):
    """The number written right after `label` in `text` ("= 56.62" after "1/σ′ ")."""
    return float(re.search(re.escape(label) + "(" + NUMBER + ")", text).group(1))


def text_of(line):
    return line[1] if isinstance(line, tuple | list) else line


def by_backward(x, w, b, y, loss_of):
    """∂L/∂a, ∂L/∂z and σ′ = a(1 − a) of a fresh neuron, by loss.backward() and .grad."""
    n = explain.neuron(x, w, b)
    n.a.retain_grad()
    n.z.retain_grad()
    loss_of(n, y).backward()
    a = n.a.item()
    return {"da": n.a.grad.item(), "dz": n.z.grad.item(), "sigma_prime": a * (1 - a), "a": a}


def test_both_graphs_reach_sigma_prime_at_step_3_after_folding_the_losss_own_ops(story):
    for name in (CE, MSE):
        assert [frame.heading for frame in story.tracks[name]] == \
               ["∂L/∂L", "∂L/∂a", "∂L/∂z", "∂L/∂(w·x)", "∂L/∂w", "∂L/∂b"]
    assert [track["jumps"]["σ′"][0] for track in page_data(story)["tracks"]] == [2, 2]  # step 3, 1-based


def test_the_folded_step_completes_every_gradient_it_folds_and_lists_their_sums(story):
    n = explain.neuron(*NEURON[:3])
    unfolded = viz.replay(explain.cross_entropy_of(n, NEURON[3])).frames  # seed, 8 steps, then ∂L/∂a
    folded = story.tracks[CE][1]
    assert folded.folded == [frame.sum + frame.total for frame in unfolded[1:9]]
    assert folded.completes == [frame.node for frame in unfolded[1:10]]
    assert folded.sum + folded.total == unfolded[9].sum + unfolded[9].total == "∂L/∂a = 0 + 55.6 = 55.6"


@pytest.mark.parametrize("neuron", [NEURON, (1.0, -3.0, 1.0, 1.0)])
def test_the_sigma_prime_caption_quotes_sigma_prime_and_both_losses_gradients_from_backward(neuron):
    caption = explain_replay.replay(*neuron).tracks[CE][2].caption
    mse, ce = by_backward(*neuron, explain.mse_of), by_backward(*neuron, explain.cross_entropy_of)
    (sigma_prime,), by_mse, by_ce = numbers_in(caption[0]), numbers_in(caption[1][1]), numbers_in(caption[2][1])
    assert caption[1][0] == MSE and caption[2][0] == CE
    assert sigma_prime == pytest.approx(mse["sigma_prime"], rel=5e-4)
    assert by_mse == pytest.approx([mse["da"], mse["sigma_prime"], mse["dz"]], rel=5e-4)
    assert by_ce == pytest.approx([ce["da"], ce["sigma_prime"], ce["dz"]], rel=5e-4)


def test_the_caption_says_cross_entropys_dL_da_was_1_over_sigma_prime_times_bigger_so_it_cancels(story):
    last = story.tracks[CE][2].caption[-1]
    sigma_prime = by_backward(*NEURON, explain.mse_of)["sigma_prime"]
    assert "σ′ cancels" in last and number_after("1/σ′ = ", last) == pytest.approx(1 / sigma_prime, rel=5e-4)
    assert number_after("a − y = ", last) == pytest.approx(by_backward(*NEURON, explain.cross_entropy_of)["dz"],
                                                           rel=5e-4)
    assert story.tracks[MSE][2].caption == story.tracks[CE][2].caption  # the same caption under either graph


def test_the_caption_at_sigma_prime_reads_as_the_issue_asks(story):
    assert story.tracks[CE][2].caption == [
        "σ′(z) = 0.01766 multiplies both losses' ∂L/∂a:",
        (MSE, "under MSE ∂L/∂z = 0.982 × 0.01766 = 0.01735"),
        (CE, "under cross-entropy ∂L/∂z = 55.6 × 0.01766 = 0.982"),
        "Cross-entropy's ∂L/∂a was 1/σ′ = 56.62 times MSE's, so σ′ cancels: ∂L/∂z = a − y = 0.982."]


def test_the_last_step_gives_dL_dz_under_each_loss_and_the_factor_between_them(story):
    summary = page_data(story)["summary"]
    mse, ce = by_backward(*NEURON, explain.mse_of), by_backward(*NEURON, explain.cross_entropy_of)
    (by, mse_line), (by_ce, ce_line), why = summary["lines"]
    assert summary["heading"] == "∂L/∂z under each loss" and (by, by_ce) == (MSE, CE)
    assert "(a − y)·σ′(z)" in mse_line and numbers_in(mse_line) == pytest.approx(
        [mse["da"], mse["sigma_prime"], mse["dz"]], rel=5e-4)
    assert "a − y" in ce_line and numbers_in(ce_line) == pytest.approx([ce["dz"]], rel=5e-4)
    shown = number_after("σ′(z) = ", why), number_after("a = ", why), number_after("is ", why)  # "is 56.62 times"
    assert shown == pytest.approx((mse["sigma_prime"], mse["a"], ce["dz"] / mse["dz"]), rel=5e-4)


def test_where_a_rounds_to_1_the_caption_says_nothing_cancels():
    caption = explain_replay.replay(1.0, 2.0, 40.0, 0.0).tracks[CE][2].caption  # z = 42: a is 1.0 in float64
    assert caption[-1].startswith("Here a rounds to 1 in float64, σ′ = 0,") and "cancels" not in caption[-1]


def test_minigrad_explain_writes_the_replay_of_both_losses(tmp_path):
    written, _ = explain_page.write_explanation(tmp_path)
    data = json.loads(re.search(r'<script id="replay-data" type="application/json">(.*?)</script>',
                                (tmp_path / "replay.html").read_text(encoding="utf-8"), re.S).group(1))
    assert tmp_path / "replay.html" in written
    assert [(track["name"], track["colour"]) for track in data["tracks"]] == [(CE, "ce"), (MSE, "mse")]


# ------------------------------------------------------ viz.replay's options --

def shared_pair():
    x = Tensor(3.0, requires_grad=True, name="x")
    h = x * 2
    h.name = "h"
    return x, h, {"square": h * h, "exp": h.exp()}


def test_named_roots_give_a_tensor_they_share_one_key_on_the_page():
    _, _, roots = shared_pair()
    square, exp = (track["frames"] for track in page_data(viz.replay(roots))["tracks"])
    assert [f["heading"] for f in square] == ["∂out/∂out", "∂out/∂h", "∂out/∂x"]
    assert [f["key"] for f in square][1:] == [f["key"] for f in exp][1:] and square[0]["key"] != exp[0]["key"]


def test_colours_name_a_root_and_a_loss_colour_or_replay_refuses_them():
    with pytest.raises(ValueError, match=r"^replay: colours maps a root's name to one of mse, ce; got 'exp': 'red'"):
        viz.replay(shared_pair()[2], colours={"exp": "red"})


def test_fold_to_outside_the_graph_is_a_value_error_naming_replay():
    with pytest.raises(ValueError, match=r"^replay: fold_to names a tensor that is not in the graph of 'square'"):
        viz.replay(shared_pair()[2], fold_to=Tensor(1.0, requires_grad=True))


def test_a_highlight_that_is_not_a_dict_is_a_type_error_naming_replay():
    _, h, roots = shared_pair()
    with pytest.raises(TypeError, match=r"^replay: highlight takes a dict"):
        viz.replay(roots, highlight=[h])


# ------------------------------------------------------------- in a browser --

def go(visit, step):
    """Show step `step` (1-based) with the slider."""
    visit.page.eval_on_selector("#slider", f"s => {{ s.value = {step - 1}; s.dispatchEvent(new Event('input')); }}")


def choose(visit, name):
    visit.page.click(f"#tracks button[data-track='{name}']")


def shown_graph(visit):
    return visit.page.eval_on_selector_all(".track", "boxes => boxes.filter(b => !b.hidden).map(b => b.dataset.track)")


@pytest.fixture(scope="class")
def laptop(story):
    """The page at 1366×768, opened once for a class of tests (one browser at a time)."""
    with open_page(story.path) as visit:
        yield visit


@pytest.fixture(scope="class")
def phone(story):
    """The page on a 390×844 phone (mobile emulation), opened once for a class of tests."""
    with open_page(story.path, viewport=PHONE) as visit:
        yield visit


@needs_browser
class TestOnALaptop:
    """Each test sets the step and the graph it reads."""

    def test_the_counter_reads_step_1_of_7_then_step_7_of_7(self, laptop):
        choose(laptop, CE)
        go(laptop, 1)
        assert laptop.page.text_content("#counter") == "step 1 of 7"
        for _ in range(6):
            laptop.page.keyboard.press("ArrowRight")
        assert laptop.page.text_content("#counter") == "step 7 of 7"

    def test_jump_to_sigma_prime_shows_step_3_with_its_caption(self, laptop, story):
        choose(laptop, CE)
        go(laptop, 6)
        laptop.page.click(".try button[data-preset='σ′']")
        assert laptop.page.text_content("#counter") == "step 3 of 7" and laptop.page.text_content("#heading") == "∂L/∂z"
        assert laptop.page.eval_on_selector_all("#caption p", "ps => ps.map(p => p.textContent)") == \
            [text_of(line) for line in story.tracks[CE][2].caption]
        assert laptop.page.get_attribute(".try button", "aria-pressed") == "true"
        assert laptop.page.text_content(".try .said") == "Step 3 of 7: backward multiplies by σ′ = ∂a/∂z = 0.01766."

    def test_the_switch_shows_the_other_graph_at_the_same_step(self, laptop):
        choose(laptop, CE)
        go(laptop, 3)
        assert shown_graph(laptop) == [CE] and laptop.page.text_content("#total") == "0.982"
        choose(laptop, MSE)
        assert shown_graph(laptop) == [MSE] and laptop.page.text_content("#counter") == "step 3 of 7"
        assert laptop.page.text_content("#total") == "0.01735"
        assert "∂L/∂z = 0.01735" in laptop.page.text_content(".track:not([hidden]) svg")

    def test_each_graph_button_wears_its_losss_colour(self, laptop):
        colour = "(name) => getComputedStyle(document.querySelector(`#tracks button[data-track='${name}']`)).borderColor"
        rgb = {key: "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (1, 3, 5)))
               for key, value in LOSS_COLOURS.items()}
        assert [laptop.page.evaluate(colour, name) for name in (CE, MSE)] == [rgb["ce"], rgb["mse"]]

    def test_the_last_step_sums_up_both_losses(self, laptop, story):
        go(laptop, 7)
        summary = page_data(story)["summary"]
        assert laptop.page.text_content("#heading") == summary["heading"]
        assert laptop.page.eval_on_selector_all("#caption p", "ps => ps.map(p => p.textContent)") == \
            [text_of(line) for line in summary["lines"]]

    def test_at_1366_by_768_every_text_is_at_least_12_px_and_the_page_fits(self, laptop):
        for name in (CE, MSE):
            choose(laptop, name)
            for step in (3, 7):
                go(laptop, step)
                assert shown_text(laptop.page)[0][0] >= 12, (name, step, shown_text(laptop.page)[:3])
                width = page_width(laptop.page)
                assert width["page"] <= width["screen"], (name, step)
        assert laptop.problems() == []


@needs_browser
class TestOnAPhone:
    def test_on_a_phone_every_text_is_at_least_11_px_and_the_page_is_never_wider_than_the_screen(self, phone):
        for name in (CE, MSE):
            choose(phone, name)
            for step in (1, 2, 3, 7):
                go(phone, step)
                assert shown_text(phone.page)[0][0] >= 11, (name, step, shown_text(phone.page)[:3])
                assert page_width(phone.page) == {"page": 390, "screen": 390, "zoom": 1}, (name, step)

    def test_on_a_phone_the_controls_answer_a_tap_and_the_sigma_prime_step_is_scrolled_into_view(self, phone):
        go(phone, 1)
        phone.page.tap("#next")
        assert phone.page.text_content("#counter") == "step 2 of 7"
        phone.page.tap(".try button")
        phone.page.tap(f"#tracks button[data-track='{MSE}']")
        assert phone.page.text_content("#counter") == "step 3 of 7" and shown_graph(phone) == [MSE]
        z = phone.page.locator(".track:not([hidden]) g.node.current").bounding_box()
        graph = phone.page.locator("#graph").bounding_box()
        assert graph["y"] <= z["y"] and z["y"] + z["height"] <= graph["y"] + graph["height"]
        assert graph["x"] <= z["x"] and z["x"] + z["width"] <= graph["x"] + graph["width"]
        assert phone.problems() == []
