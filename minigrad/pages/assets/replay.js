"use strict";
const data = JSON.parse(document.getElementById("replay-data").textContent);
const pane = document.getElementById("graph"), slider = document.getElementById("slider");
const $ = id => document.getElementById(id);
const make = (tag, properties = {}) => Object.assign(document.createElement(tag), properties);
const colourOf = name => {  // a root's colour, as a CSS variable of the page's colour code
  const track = data.tracks.find(t => t.name === name);
  return track && track.colour ? `var(--${track.colour})` : "";
};

const tracks = Array.from(pane.querySelectorAll(".track"), (box, i) => {
  const track = data.tracks[i], svg = box.querySelector("svg"), drawn = {}, gradientText = {};
  for (const g of svg.querySelectorAll("g.node, g.edge")) (drawn[g.querySelector("title").textContent] ??= []).push(g);
  for (const [id, [shown]] of Object.entries(track.gradLines))  // node id -> [its gradient line's <text>, as drawn]
    for (const g of drawn[id] || []) for (const text of g.querySelectorAll("text"))
      if (text.textContent.replace(/\u00a0/g, " ") === shown) {  // Graphviz writes "  " as " &#160;"
        gradientText[id] = [text, text.textContent];
        text.classList.add("gradient");
      }
  for (const id of track.wrong) for (const g of drawn[id] || []) g.classList.add("wrong");  // blame: stays red
  return {...track, box, svg, drawn, gradientText, steps: track.frames.length + (data.summary ? 1 : 0)};
});
let track = tracks[0], current = track.start;  // 0, or with blame= the step where the gradient goes wrong

function fit() {  // as large as fits, up to 4/3 px per point, but never a text under 13 px: wider scrolls
  const svg = track.svg, box = svg.viewBox.baseVal;
  const room = Math.min(pane.clientWidth / box.width, pane.clientHeight / box.height);
  const smallest = Math.min(...Array.from(svg.querySelectorAll("text"), text => Number(text.getAttribute("font-size"))));
  const scale = Math.min(4 / 3, Math.max(13 / smallest, 0.97 * room));
  svg.setAttribute("width", box.width * scale);
  svg.setAttribute("height", box.height * scale);
}

function lineElement(line) {  // a caption line: text, or [a root's name, text] in that root's colour
  const [by, text] = Array.isArray(line) ? line : ["", line];
  const element = make("p", {textContent: text});
  if (by) {
    element.classList.add("by");
    element.style.setProperty("--by", colourOf(by));
  }
  return element;
}

function mark(frames, done) {  // gradients shown once done; the steps' tensors and edges in colour
  for (const [id, [text, shown]] of Object.entries(track.gradientText)) {
    text.textContent = done.has(id) ? shown : track.gradLines[id][1];
    text.classList.toggle("pending", !done.has(id));
  }
  track.svg.querySelectorAll("g.node, g.edge").forEach(g => g.classList.remove("current", "active", "source", "upstream"));
  for (const frame of frames) {
    (track.drawn[frame.node] || []).forEach(g => g.classList.add("current"));
    for (const edge of frame.edges) {
      (track.drawn[edge] || []).forEach(g => g.classList.add("active"));
      const op = edge.split("->")[1];  // the op that used this tensor, and the tensor it made (op3 made t3)
      (track.drawn[op] || []).forEach(g => g.classList.add("source"));
      (track.drawn[op.replace("op", "t")] || []).forEach(g => g.classList.add("upstream"));
    }
  }
}

function show(step) {
  const next = Math.max(0, Math.min(track.steps - 1, step));
  if (next !== current) $("panel").scrollTop = 0;  // a new step is read from its heading
  current = next;
  const frame = track.frames[current], atSummary = !frame;  // the summary comes after the last frame
  const done = new Set(track.frames.slice(0, current + 1).flatMap(f => f.completes));
  const jumpedTo = Object.values(track.jumps).map(([step]) => track.frames[step]);  // the summary marks them
  mark(atSummary ? jumpedTo : [frame], done);
  $("heading").textContent = atSummary ? data.summary.heading : frame.heading;
  $("lines").replaceChildren(...(atSummary ? [] : frame.lines).map(line => make("li", {textContent: line})));
  $("sum").hidden = atSummary;
  $("sum-text").textContent = atSummary ? "" : frame.sum;
  $("total").textContent = atSummary ? "" : frame.total;
  const folded = atSummary ? [] : frame.folded;
  $("folded").hidden = !folded.length;
  $("folded").querySelector("ol").replaceChildren(...folded.map(text => make("li", {textContent: text})));
  const caption = atSummary ? data.summary.lines : frame.caption;
  $("caption").hidden = !caption.length;
  $("caption").classList.toggle("wrong", !atSummary && frame.wrong);
  $("caption").replaceChildren(...caption.map(lineElement));
  $("counter").textContent = `step ${current + 1} of ${track.steps}`;
  slider.max = track.steps - 1;
  slider.value = current;
  $("previous").disabled = current === 0;
  $("next").disabled = current === track.steps - 1;
  let said = "";  // a preset is pressed while its step shows, and says what that step computes
  for (const button of document.querySelectorAll(".try button")) {
    const [step, edge] = track.jumps[button.dataset.preset] || [-1, ""];  // -1: not in this graph
    button.disabled = step < 0;
    button.setAttribute("aria-pressed", String(step === current));
    if (step === current) said = `Step ${current + 1} of ${track.steps}: backward multiplies by ${edge}.`;
  }
  document.querySelector(".try .said").textContent = said;
  for (const button of $("tracks").querySelectorAll("button"))
    button.setAttribute("aria-pressed", String(button.dataset.track === track.name));
  const target = (track.drawn[(atSummary ? jumpedTo[0] || {} : frame).node] || [])[0];
  if (target) {  // scroll the graph, not the page around it (in Jupyter, the notebook)
    const box = target.getBoundingClientRect(), view = pane.getBoundingClientRect();  // centre it if out of view
    if (box.top < view.top || box.bottom > view.bottom) pane.scrollTop += (box.y - view.y + (box.height - view.height) / 2);
    if (box.left < view.left || box.right > view.right) pane.scrollLeft += (box.x - view.x + (box.width - view.width) / 2);
  }
}

function showTrack(next) {  // the same tensor's step in the other graph (else the same step number)
  const frame = track.frames[current], key = frame ? frame.key : null;
  const same = next.frames.findIndex(f => f.key === key);
  const step = frame ? (same >= 0 ? same : current) : next.steps - 1;
  track.box.hidden = true;
  track = next;
  track.box.hidden = false;
  $("tensor-gradient").textContent = `∂${track.root}/∂tensor`;
  $("fold-note").textContent = track.foldNote;
  $("wrong-note").textContent = track.wrong.length ? " In red: an edge whose gradient mg.blame found wrong, and its op." : "";
  fit();
  show(step);
}

if (tracks.length > 1) {
  $("tracks").hidden = false;
  for (const t of tracks) {
    const button = make("button", {type: "button", textContent: t.name});
    button.dataset.track = t.name;
    button.style.setProperty("--by", colourOf(t.name));
    button.addEventListener("click", () => showTrack(t));
    $("tracks").append(button);
  }
}
const presets = [...new Set(tracks.flatMap(t => Object.keys(t.jumps)))];
if (presets.length) {  // "Jump to σ′": the step whose gradient comes back through the coloured edge
  const box = document.querySelector(".try");
  box.hidden = false;
  box.querySelector("ul").replaceChildren(...presets.map(name => {
    const button = make("button", {type: "button", textContent: `Jump to ${name}`});
    button.dataset.preset = name;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => track.jumps[name] && show(track.jumps[name][0]));
    const sentence = `the step where backward multiplies by ${name}, on the coloured edge` +
      (tracks.length > 1 ? "; switch the graph to see the same step under each." : ".");
    const item = make("li");
    item.append(button, " ", make("span", {textContent: sentence}));
    return item;
  }));
}
for (const t of tracks) t.box.hidden = t !== track;

$("previous").addEventListener("click", () => show(current - 1));
$("next").addEventListener("click", () => show(current + 1));
slider.addEventListener("input", () => show(Number(slider.value)));
document.addEventListener("keydown", event => {
  if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
  event.preventDefault();  // the slider, when focused, would move a second time
  show(current + (event.key === "ArrowRight" ? 1 : -1));
});
window.addEventListener("resize", fit);
showTrack(track);
