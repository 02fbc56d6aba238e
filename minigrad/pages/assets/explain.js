"use strict";
// The explorable page of `minigrad explain`. Every number comes from minigrad,
// precomputed over the slider grid (see explain_page.py); this script only
// looks numbers up, writes them with Python's "{:.4g}" format, and draws.
// One number is derived here: the share of cross-entropy's ∂L/∂z that MSE
// passes back, the quotient of the two ∂L/∂z minigrad computed (in float64, as
// numpy would divide them), so the page need not carry it for every neuron.

const DATA = JSON.parse(document.getElementById("explain-data").textContent);
const AXES = ["x", "w", "b", "y"];
const SHAPE = AXES.map((axis) => DATA.grid[axis].length);
const state = Object.assign({}, DATA.start);  // the slider positions, as grid indices
let scale = "linear";                          // of the ∂L/∂z plot: "linear" or "log" (of |∂L/∂z|)

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
  say(document.getElementById("ratio"), ratioText());
}

// Write `text` into `element`, keeping each "∂L/∂z" on one line (a browser may break a line after a slash).
function say(element, text) {
  element.replaceChildren(...text.split(/(∂L\/∂z)/).map((part) => {
    if (part !== "∂L/∂z") return part;
    const span = document.createElement("span");
    span.className = "nobreak";
    span.textContent = part;
    return span;
  }));
}

// How much of cross-entropy's ∂L/∂z MSE passes back, in words. Where both are nonzero it is σ′ itself:
// (a − y)·σ′ over a − y.
function ratioText() {
  const mse = lookup(DATA.keys.mse_.dz), ce = lookup(DATA.keys.ce_.dz);
  if (mse === 0 && ce === 0) {
    const a = lookup(DATA.keys.mse_.a);
    return a === DATA.grid.y[state.y]
      ? "a = y exactly: neither loss has an error to pass back, both ∂L/∂z are 0."
      : `Both ∂L/∂z read 0 here: a rounds to exactly ${g4(a)} (see below).`;
  }
  if (mse === 0 || ce === 0) {
    return `Only ${mse === 0 ? "cross-entropy" : "MSE"} passes a gradient back here: MSE's ∂L/∂z is ${g4(mse)}, ` +
      `cross-entropy's ${g4(ce)}.`;
  }
  const ratio = mse / ce;
  return ratio >= 1e-4
    ? `MSE passes back 1/${g4(ce / mse)} of cross-entropy's ∂L/∂z: the factor σ′, which ` +
      "cross-entropy cancels."
    : `MSE passes back only ${g4(ratio)} × cross-entropy's ∂L/∂z (the factor σ′): ` +
      "less than a ten-thousandth of it.";
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

// ∂L/∂z against z for the current target: on a linear axis from -1 to 1, or as log10 |∂L/∂z| from 1e-12 up,
// where MSE's collapse reads as orders of magnitude (a value below 1e-12, or exactly 0, is drawn at the bottom).
const LOG_BOTTOM = -12;
function drawGradientPlot() {
  const svg = document.getElementById("gradient-plot");
  svg.replaceChildren();
  const z = DATA.curves.z;
  const left = 56, right = 392, top = 10, bottom = 146;
  const toX = (v) => left + (v - z[0]) / (z[z.length - 1] - z[0]) * (right - left);
  const log = scale === "log";
  const height = log ? (v) => Math.max(Math.log10(Math.abs(v)), LOG_BOTTOM) : (v) => v;
  const [low, high] = log ? [LOG_BOTTOM, 0] : [-1, 1];
  const toY = (v) => bottom - (height(v) - low) / (high - low) * (bottom - top);
  const ticks = log ? [0, -2, -4, -6, -8, -10, -12].map((k) => 10 ** k) : [-1, 0, 1];
  for (const tick of ticks) {
    draw(svg, "line", { x1: left, x2: right, y1: toY(tick), y2: toY(tick), class: log || tick ? "grid-line" : "axis" });
    draw(svg, "text", { x: left - 6, y: toY(tick) + 4, "text-anchor": "end", class: "plot-text" }, g4(tick));
  }
  draw(svg, "line", { x1: toX(0), x2: toX(0), y1: top, y2: bottom, class: "axis" });
  for (const tick of [-8, -4, 4, 8]) draw(svg, "text", { x: toX(tick), y: bottom + 16, "text-anchor": "middle", class: "plot-text" }, tick);
  draw(svg, "text", { x: right, y: bottom + 32, "text-anchor": "end", class: "plot-text" }, "z, from −12 to 12");
  const z0 = lookup(DATA.keys.mse_.z), shown = Math.min(Math.max(z0, z[0]), z[z.length - 1]);
  const dots = {};
  for (const loss of ["mse", "ce"]) {
    draw(svg, "polyline", { points: polyline(z, DATA.curves[loss][state.y], toX, toY), class: `curve ${loss}` });
    const here = lookup(DATA.keys[`${loss}_`].dz);
    // past the plot's z, or below its log scale: a hollow dot at its edge
    const onScale = shown === z0 && !(log && height(here) === LOG_BOTTOM);
    dots[loss] = { cy: toY(here), onScale };
    draw(svg, "circle", { cx: toX(shown), cy: toY(here), r: 5, class: `marker ${loss}${onScale ? "" : " off-scale"}` });
  }
  if (log && dots.mse.onScale && dots.ce.onScale) {  // on a log scale the gap between the dots is the ratio, σ′
    draw(svg, "line", { x1: toX(shown), x2: toX(shown), y1: dots.ce.cy, y2: dots.mse.cy, class: "gap" });
  }
}

function drawDescentPlot() {
  const svg = document.getElementById("descent-plot");
  svg.replaceChildren();
  const steps = DATA.descentSteps;
  const flat = ((state.x * SHAPE[1] + state.w) * SHAPE[2] + state.b) * SHAPE[3] + state.y;
  const curves = {};
  for (const loss of ["mse", "ce"]) curves[loss] = DESCENT[loss].slice(flat * (steps + 1), (flat + 1) * (steps + 1));
  const left = 56, right = 392, rowHeight = 60;
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
  for (const axis of AXES) {
    document.getElementById(`value-${axis}`).textContent = g4(DATA.grid[axis][state[axis]]);
    document.getElementById(`slider-${axis}`).value = state[axis];
  }
  for (const radio of document.querySelectorAll("#scale input")) radio.checked = radio.value === scale;
  updateGraphs();
  updateReadout();
  drawGradientPlot();
  drawDescentPlot();
}

const presetButtons = document.querySelectorAll("[data-preset]");
const said = document.querySelector(".try .said");
function leavePreset() {
  for (const button of presetButtons) button.setAttribute("aria-pressed", "false");
  said.textContent = "";
}

for (const axis of AXES) {
  const slider = document.getElementById(`slider-${axis}`);
  Object.assign(slider, { min: 0, max: DATA.grid[axis].length - 1, step: 1 });
  slider.addEventListener("input", () => { state[axis] = Number(slider.value); leavePreset(); update(); });
}
for (const radio of document.querySelectorAll("#scale input")) {
  radio.addEventListener("change", () => { scale = radio.value; update(); });
}

// ------------------------------------------------------------------ presets --
// What to look at once a preset has moved the sliders, in minigrad's numbers for its neuron.
const SAID = {
  saturate: (n) => `Now z = ${n.z}: σ′ = ${n.sigma} on both bold edges, so MSE's ∂L/∂z is ${n.mse} ` +
    `while cross-entropy's is ${n.ce}.`,
  peak: (n) => `Now z = ${n.z} and a = ${n.a}: MSE's ∂L/∂z is ${n.mse}, the top of its curve; ` +
    `cross-entropy's is ${n.ce}.`,
  right: (n) => `Now a = ${n.a} against y = 1: cross-entropy's ∂L/∂z = a − y = ${n.ce}, and its ` +
    "(1 − y) branch is grey: 1 − y = 0 passes nothing back.",
};
for (const button of presetButtons) {
  button.addEventListener("click", () => {
    const preset = DATA.presets[button.dataset.preset];
    Object.assign(state, preset.at);
    scale = preset.scale;
    update();
    leavePreset();
    button.setAttribute("aria-pressed", "true");
    const k = DATA.keys;
    say(said, SAID[button.dataset.preset]({ z: g4(lookup(k.mse_.z)), a: g4(lookup(k.mse_.a)),
      sigma: g4(lookup(k.mse_.sigma_prime)), mse: g4(lookup(k.mse_.dz)), ce: g4(lookup(k.ce_.dz)) }));
  });
}
update();
