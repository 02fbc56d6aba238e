"use strict";
// The explorable page of `minigrad explain`. Every number comes from minigrad,
// precomputed over the slider grid (see explain_page.py); this script only
// looks numbers up, writes them with Python's "{:.4g}" format, and draws.

const DATA = JSON.parse(document.getElementById("explain-data").textContent);
const AXES = ["x", "w", "b", "y"];
const SHAPE = AXES.map((axis) => DATA.grid[axis].length);
const state = Object.assign({}, DATA.start);  // the slider positions, as grid indices

function floats(base64, Type) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Type(bytes.buffer);
}
const NUMBERS = floats(DATA.numbers, Float64Array);
const DESCENT = { mse: halves(DATA.descent.mse), ce: halves(DATA.descent.ce),
  mse_end: floats(DATA.descent.mse_end, Float64Array), ce_end: floats(DATA.descent.ce_end, Float64Array) };

// float16 (the descent curves, which are only drawn) to numbers.
function halves(base64) {
  return Array.from(floats(base64, Uint16Array), (h) => {
    const exponent = (h >> 10) & 31, fraction = h & 1023, sign = h >> 15 ? -1 : 1;
    if (exponent === 0) return sign * fraction * 2 ** -24;
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  });
}

// The number `key` at the current sliders: stored on the grid axes it depends on.
function lookup(key) {
  const [offset, ...axes] = DATA.index[key];
  let flat = 0;
  for (const axis of axes) flat = flat * SHAPE[axis] + state[AXES[axis]];
  return NUMBERS[offset + flat];
}

// Python's format(v + 0, ".4g"): 4 significant digits, exponent form outside [1e-4, 1e4).
function g4(v) {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const [mantissa, exponentText] = v.toExponential(3).split("e");
  const exponent = parseInt(exponentText, 10);
  if (exponent < -4 || exponent >= 4) {
    const digits = mantissa.replace(/\.?0+$/, "");
    return `${digits}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fixed = v.toFixed(3 - exponent);
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

// ------------------------------------------------------------------ graphs --
const items = new Map();  // "mse_t3" or "mse_t3->mse_op2" -> its <g> in the figure
for (const g of document.querySelectorAll("#graphs g.node, #graphs g.edge")) {
  items.set(g.querySelector("title").textContent, g);
}

function updateGraphs() {
  for (const [id, lines] of Object.entries(DATA.lines)) {
    const texts = items.get(id)?.querySelectorAll("text") ?? [];
    lines.forEach((parts, i) => {
      if (texts[i]) texts[i].textContent = parts.map((p) => (typeof p === "string" ? p : g4(lookup(p.key)))).join("");
    });
  }
  for (const [id, key] of Object.entries(DATA.zero)) items.get(id)?.classList.toggle("zero", lookup(key) === 0);
}

// ------------------------------------------------------------------- panel --
function updateReadout() {
  const keys = DATA.keys;
  const set = (id, value) => { document.getElementById(id).textContent = g4(value); };
  set("out-z", lookup(keys.mse_.z));
  set("out-a", lookup(keys.mse_.a));
  set("out-sigma-prime", lookup(keys.mse_.sigma_prime));
  const a = lookup(keys.mse_.a);
  document.getElementById("clamp-note").hidden = !((a === 0 || a === 1) && a !== DATA.grid.y[state.y]);
  for (const loss of ["mse", "ce"]) {
    set(`out-${loss}-loss`, lookup(keys[`${loss}_`].loss));
    set(`out-${loss}-da`, lookup(keys[`${loss}_`].da));
    set(`out-${loss}-dz`, lookup(keys[`${loss}_`].dz));
  }
}

const SVG = "http://www.w3.org/2000/svg";
function draw(svg, tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  svg.appendChild(element);
  return element;
}

function polyline(xs, ys, toX, toY) {  // points that are not finite numbers are left out
  const points = [];
  xs.forEach((x, i) => { if (Number.isFinite(ys[i])) points.push(`${toX(x).toFixed(1)},${toY(ys[i]).toFixed(1)}`); });
  return points.join(" ");
}

function drawGradientPlot() {
  const svg = document.getElementById("gradient-plot");
  svg.replaceChildren();
  const z = DATA.curves.z;
  const left = 34, right = 392, top = 8, bottom = 118;
  const toX = (v) => left + (v - z[0]) / (z[z.length - 1] - z[0]) * (right - left);
  const toY = (v) => top + (1 - (v + 1) / 2) * (bottom - top);  // ∂L/∂z from -1 to 1
  draw(svg, "line", { x1: left, x2: right, y1: toY(0), y2: toY(0), class: "axis" });
  draw(svg, "line", { x1: toX(0), x2: toX(0), y1: top, y2: bottom, class: "axis" });
  for (const tick of [-1, 0, 1]) draw(svg, "text", { x: left - 6, y: toY(tick) + 4, "text-anchor": "end", class: "plot-text" }, tick);
  for (const tick of [-8, -4, 4, 8]) draw(svg, "text", { x: toX(tick), y: bottom + 14, "text-anchor": "middle", class: "plot-text" }, tick);
  draw(svg, "text", { x: right, y: bottom + 28, "text-anchor": "end", class: "plot-text" }, "z, from −12 to 12");
  for (const loss of ["mse", "ce"]) {
    const curve = DATA.curves[loss][state.y];
    draw(svg, "polyline", { points: polyline(z, curve, toX, toY), class: `curve ${loss}` });
    const here = lookup(DATA.keys[`${loss}_`].dz), z0 = lookup(DATA.keys.mse_.z);
    const shown = Math.min(Math.max(z0, z[0]), z[z.length - 1]);  // past the plot's z: a hollow dot at its edge
    draw(svg, "circle", { cx: toX(shown), cy: toY(here), r: 5, class: `marker ${loss}${shown === z0 ? "" : " off-scale"}` });
  }
  draw(svg, "text", { x: left + 6, y: top + 12, class: "plot-text ce" }, "cross-entropy: a − y");
  draw(svg, "text", { x: left + 6, y: top + 27, class: "plot-text mse" }, "MSE: (a − y)·σ′(z)");
}

function drawDescentPlot() {
  const svg = document.getElementById("descent-plot");
  svg.replaceChildren();
  const steps = DATA.descentSteps;
  const flat = ((state.x * SHAPE[1] + state.w) * SHAPE[2] + state.b) * SHAPE[3] + state.y;
  const curves = {};
  for (const loss of ["mse", "ce"]) curves[loss] = DESCENT[loss].slice(flat * (steps + 1), (flat + 1) * (steps + 1));
  const left = 34, right = 392, rowHeight = 60;
  const toX = (step) => left + step / steps * (right - left);
  ["mse", "ce"].forEach((loss, row) => {
    const top = 20 + row * rowHeight, bottom = top + rowHeight - 22;
    const highest = Math.max(...curves[loss]) || 1;
    const toY = (v) => bottom - v / highest * (bottom - top);
    draw(svg, "line", { x1: left, x2: right, y1: bottom, y2: bottom, class: "axis" });
    draw(svg, "polyline", { points: polyline(curves[loss].map((_, i) => i), curves[loss], toX, toY), class: `curve ${loss}` });
    const name = loss === "mse" ? "MSE" : "cross-entropy";
    draw(svg, "text", { x: left, y: top - 6, class: `plot-text ${loss}` },
      `${name}: loss ${g4(lookup(DATA.keys[`${loss}_`].loss))} → ${g4(DESCENT[`${loss}_end`][flat])}`);
  });
  draw(svg, "text", { x: right, y: 2 * rowHeight + 14, "text-anchor": "end", class: "plot-text" }, `step (0 to ${steps})`);
  document.getElementById("descent-note").textContent = `(${steps} steps, lr ${DATA.descentRate}, on w and b)`;
}

// ----------------------------------------------------------------- sliders --
function update() {
  for (const axis of AXES) document.getElementById(`value-${axis}`).textContent = g4(DATA.grid[axis][state[axis]]);
  updateGraphs();
  updateReadout();
  drawGradientPlot();
  drawDescentPlot();
}

for (const axis of AXES) {
  const slider = document.getElementById(`slider-${axis}`);
  Object.assign(slider, { min: 0, max: DATA.grid[axis].length - 1, step: 1, value: state[axis] });
  slider.addEventListener("input", () => { state[axis] = Number(slider.value); update(); });
}
update();
