// minigrad compare: the page only looks numbers up in DATA and draws them.
"use strict";
const DATA = JSON.parse(document.getElementById("compare-data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const W = 600, LEFT = 70, RIGHT = 70;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function fmt(v) { return v === null ? "–" : (Math.abs(v) >= 0.01 ? v.toPrecision(3) : v.toExponential(2)); }
function pct(v) { return v === null ? "–" : (100 * v).toFixed(1) + "%"; }

// One shared log scale for every gradient bar of both runs, so lengths compare across runs.
const allNorms = [];
for (const loss in DATA.runs) for (const epoch of DATA.runs[loss].grad_norm)
  for (const v of epoch) if (v !== null && v > 0) allNorms.push(v);
const LOG_LO = Math.floor(Math.log10(Math.min(...allNorms))), LOG_HI = Math.ceil(Math.log10(Math.max(...allNorms)));
const barX = v => LEFT + (W - LEFT - RIGHT) * (v > 0 ? (Math.log10(v) - LOG_LO) / (LOG_HI - LOG_LO) : 0);
const lossMax = Math.max(...Object.values(DATA.runs).flatMap(r => r.train_loss));
const figures = {};

function layerName(i) {
  return "layer " + DATA.layers[i] + (i === DATA.layers.length - 1 ? " (output)" : " (hidden " + (i + 1) + ")");
}

function build(section) {
  const loss = section.dataset.loss, run = DATA.runs[loss], n = DATA.layers.length;
  section.append(Object.assign(document.createElement("h2"), {textContent: run.name}));
  const summary = Object.assign(document.createElement("p"), {className: "summary"});
  section.append(summary);
  // Gradient bars
  section.append(Object.assign(document.createElement("h3"), {textContent: "‖∂L/∂W‖ per layer, mean over the epoch's steps (log scale)"}));
  const rowH = 26, gh = 24 + n * rowH;
  const grads = el("svg", {viewBox: `0 0 ${W} ${gh}`, class: "grads"});
  for (let p = LOG_LO; p <= LOG_HI; p++) {
    grads.append(el("line", {x1: barX(10 ** p), x2: barX(10 ** p), y1: 2, y2: gh - 20, class: "axis", "stroke-opacity": 0.3}));
    grads.append(el("text", {x: barX(10 ** p), y: gh - 6, "text-anchor": "middle"}, "1e" + p));
  }
  const bars = [], values = [];
  for (let i = 0; i < n; i++) {
    const y = 4 + i * rowH;
    grads.append(el("text", {x: 0, y: y + 15}, "layer " + DATA.layers[i] + (i === n - 1 ? " out" : "")));
    const bar = el("rect", {x: LEFT, y: y, height: rowH - 8, width: 0, class: "bar " + loss});
    const value = el("text", {x: LEFT, y: y + 14, class: "value"});
    grads.append(bar, value); bars.push(bar); values.push(value);
  }
  section.append(grads);
  // Saturation bars
  section.append(Object.assign(document.createElement("h3"), {textContent: "saturated units after each hidden layer (σ′ < 0.01)"}));
  const sh = 8 + (n - 1) * rowH;
  const sats = el("svg", {viewBox: `0 0 ${W} ${sh}`, class: "sats"});
  const satBars = [], satValues = [];
  for (let i = 0; i < n - 1; i++) {
    const y = 4 + i * rowH;
    sats.append(el("text", {x: 0, y: y + 15}, "layer " + DATA.layers[i]));
    sats.append(el("rect", {x: LEFT, y: y, height: rowH - 8, width: W - LEFT - RIGHT, fill: "#f2f2f2"}));
    const bar = el("rect", {x: LEFT, y: y, height: rowH - 8, width: 0, class: "bar sat"});
    const value = el("text", {x: W - RIGHT + 6, y: y + 14, class: "value"});
    sats.append(bar, value); satBars.push(bar); satValues.push(value);
  }
  section.append(sats);
  // Curves
  section.append(Object.assign(document.createElement("h3"), {textContent: "train loss (left) and accuracy, train solid, test dashed (right)"}));
  const ch = 150, cw = (W - 20) / 2, E = DATA.epochs;
  const curves = el("svg", {viewBox: `0 0 ${W} ${ch}`, class: "curves"});
  const px = (x0, e) => x0 + 34 + (cw - 44) * (E > 1 ? (e - 1) / (E - 1) : 0.5);
  const py = v => 10 + (ch - 40) * (1 - v);
  const line = (x0, vals, scale, cls) => el("polyline", {class: "curve " + cls,
    points: vals.map((v, i) => `${px(x0, i + 1).toFixed(1)},${py(v / scale).toFixed(1)}`).join(" ")});
  for (const x0 of [0, cw + 20]) {
    curves.append(el("line", {x1: x0 + 34, x2: x0 + cw - 10, y1: py(0), y2: py(0), class: "axis"}));
    curves.append(el("line", {x1: x0 + 34, x2: x0 + 34, y1: py(0), y2: py(1), class: "axis"}));
    curves.append(el("text", {x: x0 + 34, y: ch - 8}, "1"), el("text", {x: x0 + cw - 10, y: ch - 8, "text-anchor": "end"}, String(E)));
  }
  curves.append(el("text", {x: 30, y: py(1) + 4, "text-anchor": "end"}, lossMax.toPrecision(2)));
  curves.append(el("text", {x: 30, y: py(0) + 4, "text-anchor": "end"}, "0"));
  curves.append(el("text", {x: cw + 50, y: py(1) + 4, "text-anchor": "end"}, "1"));
  curves.append(el("text", {x: cw + 50, y: py(DATA.target) + 4, "text-anchor": "end"}, String(DATA.target)));
  curves.append(el("line", {x1: cw + 54, x2: W - 10, y1: py(DATA.target), y2: py(DATA.target), class: "target"}));
  curves.append(line(0, run.train_loss, lossMax, loss));
  curves.append(line(cw + 20, run.train_accuracy, 1, loss));
  curves.append(line(cw + 20, run.test_accuracy, 1, loss + " test"));
  const markers = [0, cw + 20].map(x0 => { const m = el("line", {y1: py(0), y2: py(1), class: "marker"}); curves.append(m); return [x0, m]; });
  const dots = [[0, run.train_loss, lossMax], [cw + 20, run.train_accuracy, 1]].map(([x0, vals, s]) => {
    const d = el("circle", {r: 4, fill: "#222"}); curves.append(d); return [x0, vals, s, d]; });
  section.append(curves);
  figures[loss] = {summary, bars, values, satBars, satValues, markers, dots, px, py, run};
}

function show(epoch) {
  document.getElementById("epoch-value").textContent = epoch + " / " + DATA.epochs;
  for (const loss in figures) {
    const f = figures[loss], r = f.run, i = epoch - 1;
    f.summary.textContent = `epoch ${epoch}: train loss ${fmt(r.train_loss[i])}, train accuracy ${pct(r.train_accuracy[i])}, ` +
      `test accuracy ${pct(r.test_accuracy[i])}; ${pct(DATA.target)} train accuracy first at epoch ` +
      (r.reached === null ? "never" : r.reached);
    r.grad_norm[i].forEach((v, j) => {
      const x = barX(v);
      f.bars[j].setAttribute("width", Math.max(0, x - LEFT).toFixed(1));
      f.values[j].setAttribute("x", (x + 5).toFixed(1));
      f.values[j].textContent = fmt(v);
    });
    r.saturated[i].slice(0, DATA.layers.length - 1).forEach((v, j) => {
      f.satBars[j].setAttribute("width", ((W - LEFT - RIGHT) * (v || 0)).toFixed(1));
      f.satValues[j].textContent = pct(v);
    });
    for (const [x0, m] of f.markers) { const x = f.px(x0, epoch).toFixed(1); m.setAttribute("x1", x); m.setAttribute("x2", x); }
    for (const [x0, vals, s, d] of f.dots) { d.setAttribute("cx", f.px(x0, epoch).toFixed(1)); d.setAttribute("cy", f.py(vals[i] / s).toFixed(1)); }
  }
}

document.getElementById("setup").textContent = DATA.title + ", " + DATA.epochs + " epochs";
document.querySelectorAll(".run").forEach(build);
const slider = document.getElementById("epoch");
slider.max = DATA.epochs;
slider.addEventListener("input", () => show(Number(slider.value)));
show(1);
