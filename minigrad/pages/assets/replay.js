"use strict";
const data = JSON.parse(document.getElementById("replay-data").textContent);
const svg = document.querySelector("#graph svg"), pane = document.getElementById("graph");
const slider = document.getElementById("slider"), last = data.frames.length - 1;
const drawn = {};  // node or edge title ("t3", "t3->op1") -> its <g> elements
for (const g of svg.querySelectorAll("g.node, g.edge")) (drawn[g.querySelector("title").textContent] ??= []).push(g);
const gradientText = {};  // node id -> [the <text> of its gradient line, that line as drawn]
for (const [id, [shown]] of Object.entries(data.gradLines))
  for (const g of drawn[id] || []) for (const text of g.querySelectorAll("text"))
    if (text.textContent.replace(/\u00a0/g, " ") === shown) {  // Graphviz writes "  " as " &#160;"
      gradientText[id] = [text, text.textContent];
      text.classList.add("gradient");
    }
slider.max = last;
document.getElementById("tensor-gradient").textContent = `∂${data.root}/∂tensor`;
let current = 0;

function fit() {  // as large as fits, up to 4/3 px per point, but never a text under 13 px: wider scrolls
  const box = svg.viewBox.baseVal, room = Math.min(pane.clientWidth / box.width, pane.clientHeight / box.height);
  const smallest = Math.min(...Array.from(svg.querySelectorAll("text"), text => Number(text.getAttribute("font-size"))));
  const scale = Math.min(4 / 3, Math.max(13 / smallest, 0.97 * room));
  svg.setAttribute("width", box.width * scale);
  svg.setAttribute("height", box.height * scale);
}

function show(step) {
  current = Math.max(0, Math.min(last, step));
  const frame = data.frames[current];
  const done = new Set(data.frames.slice(0, current + 1).map(f => f.node));
  for (const [id, [text, shown]] of Object.entries(gradientText)) {
    text.textContent = done.has(id) ? shown : data.gradLines[id][1];
    text.classList.toggle("pending", !done.has(id));
  }
  svg.querySelectorAll("g.node, g.edge").forEach(g => g.classList.remove("current", "active", "source", "upstream"));
  (drawn[frame.node] || []).forEach(g => g.classList.add("current"));
  for (const edge of frame.edges) {
    (drawn[edge] || []).forEach(g => g.classList.add("active"));
    const op = edge.split("->")[1];  // the op that used this tensor, and the tensor it made (op3 made t3)
    (drawn[op] || []).forEach(g => g.classList.add("source"));
    (drawn[op.replace("op", "t")] || []).forEach(g => g.classList.add("upstream"));
  }
  document.getElementById("heading").textContent = frame.heading;
  document.getElementById("lines").replaceChildren(
    ...frame.lines.map(line => Object.assign(document.createElement("li"), {textContent: line})));
  document.getElementById("sum-text").textContent = frame.sum;
  document.getElementById("total").textContent = frame.total;
  document.getElementById("counter").textContent = `step ${current} of ${last}`;
  slider.value = current;
  document.getElementById("previous").disabled = current === 0;
  document.getElementById("next").disabled = current === last;
  const target = (drawn[frame.node] || [])[0];
  if (target) {  // scroll the graph, not the page around it (in Jupyter, the notebook)
    const box = target.getBoundingClientRect(), view = pane.getBoundingClientRect();  // centre it if out of view
    if (box.top < view.top || box.bottom > view.bottom) pane.scrollTop += (box.y - view.y + (box.height - view.height) / 2);
    if (box.left < view.left || box.right > view.right) pane.scrollLeft += (box.x - view.x + (box.width - view.width) / 2);
  }
}

document.getElementById("previous").addEventListener("click", () => show(current - 1));
document.getElementById("next").addEventListener("click", () => show(current + 1));
slider.addEventListener("input", () => show(Number(slider.value)));
document.addEventListener("keydown", event => {
  if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
  event.preventDefault();  // the slider, when focused, would move a second time
  show(current + (event.key === "ArrowRight" ? 1 : -1));
});
window.addEventListener("resize", fit);
fit();
show(0);
