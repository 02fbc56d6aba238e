// report.html of `minigrad train`: looks up the run's numbers in DATA and draws them; computes nothing.
"use strict";
const DATA = JSON.parse(document.getElementById("report-data").textContent);
// The classes (boundary) and the layers (update:data) in colours that are neither loss's (green, purple).
const CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#d62728", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#ad494a", "#8c6d31"];
const SHADES = ["#c7dbee", "#ffdcbd", "#f4c3c3", "#ddcbc7", "#f8d6ef", "#dcdcdc", "#ededc1", "#c0eef3", "#eccaca",
  "#e7dcc0"];
const LAYER_COLOURS = ["#1f77b4", "#ff7f0e", "#d62728", "#8c564b", "#17becf", "#7f7f7f", "#bcbd22", "#e377c2"];
const EPOCHS = DATA.history.train_loss.length, LAST = DATA.epochs.length - 1;

// One number format for the page: a fraction (an accuracy, a share of units) as a percentage with one decimal,
// "43.8%"; any other number with at most three significant digits, as a power of ten below 0.01 (and from
// 10,000 on): "0.0236", "1.5", "1.23e-3", "1e-5".
function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
function num(v) {
  if (v === null || v === undefined) return "–";
  const size = Math.abs(v);
  if (size === 0 || (size >= 0.01 && size < 1e4)) return String(+v.toPrecision(3));
  const [mantissa, power] = v.toExponential(2).split("e");
  return `${+mantissa}e${+power}`;
}
function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;"); }
const $ = id => document.getElementById(id);

// The snapshots come deflated and base64-coded (training/report.py's packed): bytes again, once, at the start.
async function unpack(box) {
  const bytes = Uint8Array.from(atob(box.deflated), c => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
let PREDICTED = null, LEVELS = null, CELLS = [];

function setUpBoundary() {
  const b = DATA.boundary, n = b.xs.length, m = b.ys.length, size = 300;
  const x0 = b.xs[0], x1 = b.xs[n - 1], y0 = b.ys[0], y1 = b.ys[m - 1];
  const sx = v => (v - x0) / (x1 - x0) * size, sy = v => size - (v - y0) / (y1 - y0) * size;
  const w = size / (n - 1), h = size / (m - 1);
  let out = "";
  for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) {
    out += `<rect x="${(sx(b.xs[i]) - w / 2).toFixed(1)}" y="${(sy(b.ys[j]) - h / 2).toFixed(1)}" width="${(w + 0.5).toFixed(1)}" height="${(h + 0.5).toFixed(1)}" fill="#fff"/>`;
  }
  b.points.forEach((p, t) => {
    out += `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.6" fill="${CLASS_COLOURS[b.labels[t] % 10]}" stroke="#000" stroke-width="0.4"/>`;
  });
  $("boundary").innerHTML = out;
  CELLS = [...$("boundary").querySelectorAll("rect")];
}

function drawBoundary(k) {
  if (!PREDICTED) return;
  const offset = k * CELLS.length;
  CELLS.forEach((cell, i) => cell.setAttribute("fill", SHADES[PREDICTED[offset + i] % 10]));
  $("boundary").dataset.epoch = DATA.epochs[k];
}

// A log axis: whole powers of ten around every positive value of the arrays (and of `also`).
function logRange(arrays, also = []) {
  let lo = Infinity, hi = -Infinity;
  const take = v => { if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } };
  arrays.forEach(rows => rows.forEach(row => row.forEach(take)));
  also.forEach(take);
  if (!isFinite(lo)) { lo = 1e-6; hi = 1; }
  const top = Math.ceil(Math.log10(hi)), bottom = Math.floor(Math.log10(lo));
  return [bottom, top > bottom ? top : bottom + 1];
}
// An SVG path through (x(i), y(v)) for each value v = values[i], broken where a value is missing (null, or 0
// on a log scale).
function line(values, x, y, log = false) {
  let out = "", drawing = false;
  values.forEach((v, i) => {
    const missing = v === null || (log && !(v > 0));
    if (!missing) out += `${drawing ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    drawing = !missing;
  });
  return out;
}
function powers(lo, hi) {
  const step = Math.ceil((hi - lo) / 6), out = [];
  for (let p = lo; p <= hi; p += step) out.push(p);
  return out;
}

function drawBars(row) {
  const [lo, hi] = logRange([DATA.grad_mean, DATA.grad_max]);
  const left = 76, right = 348, top = 4, band = 30, axis = top + DATA.layers.length * band, H = axis + 22;
  const x = v => left + (Math.log10(v) - lo) / (hi - lo) * (right - left);
  let out = "";
  powers(lo, hi).forEach(p => {
    out += `<line x1="${x(10 ** p)}" x2="${x(10 ** p)}" y1="${top}" y2="${axis}" stroke="#ddd"/>`;
    out += `<text x="${x(10 ** p)}" y="${axis + 16}" text-anchor="middle">${num(10 ** p)}</text>`;
  });
  DATA.layers.forEach((name, i) => {
    const y = top + i * band + 5;
    [["grad_max", 0.3, "max"], ["grad_mean", 1, "mean"]].forEach(([key, opacity, word]) => {
      const v = DATA[key][row][i];
      if (v > 0) out += `<rect class="${key}" x="${left}" y="${y}" width="${(x(v) - left).toFixed(1)}" height="20" fill="#1f77b4" fill-opacity="${opacity}"><title>${esc(name)}: ${word} |∂L/∂W| ${num(v)}</title></rect>`;
    });
    out += `<text class="layer" x="${left - 6}" y="${y + 15}" text-anchor="end">${esc(name)}</text>`;
  });
  const svg = $("grad-bars");
  svg.setAttribute("viewBox", `0 0 360 ${H}`);
  svg.innerHTML = out;
}

function fillLayers(row) {
  const { low, high } = DATA.update_rule;
  $("layers").tBodies[0].innerHTML = DATA.layers.map((name, i) => {
    const ratio = DATA.update_ratio[row][i], far = ratio !== null && (ratio < low || ratio > high);
    return `<tr><th>${esc(name)}</th><td id="grad_mean-${i}">${num(DATA.grad_mean[row][i])}</td>` +
      `<td id="grad_max-${i}">${num(DATA.grad_max[row][i])}</td>` +
      `<td id="update_ratio-${i}"${far ? ' class="far"' : ""}>${num(ratio)}</td></tr>`;
  }).join("");
}

function drawUpdates(row) {
  const { healthy, low, high } = DATA.update_rule, [lo, hi] = logRange([DATA.update_ratio], [low, high]);
  const W = 360, left = 46, right = 8, top = 8, bottom = 26, H = 200, plotW = W - left - right;
  const plotH = H - top - bottom, x = e => left + (EPOCHS > 1 ? e / (EPOCHS - 1) : 0.5) * plotW;
  const y = v => top + plotH - (Math.log10(v) - lo) / (hi - lo) * plotH;
  let out = `<rect x="${left}" y="${y(high)}" width="${plotW}" height="${y(low) - y(high)}" fill="#f1f3f5"/>`;
  powers(lo, hi).forEach(p => {
    out += `<line x1="${left}" x2="${W - right}" y1="${y(10 ** p)}" y2="${y(10 ** p)}" stroke="#ddd"/>`;
    out += `<text x="${left - 4}" y="${y(10 ** p) + 4}" text-anchor="end">${num(10 ** p)}</text>`;
  });
  out += `<line x1="${left}" x2="${W - right}" y1="${y(healthy)}" y2="${y(healthy)}" stroke="#333" stroke-dasharray="5 4"/>`;
  DATA.layers.forEach((name, i) => {
    const d = line(DATA.update_ratio.map(r => r[i]), x, y, true);
    out += `<path d="${d}" fill="none" stroke="${LAYER_COLOURS[i % 8]}" stroke-width="1.3"/>`;
  });
  out += `<line x1="${x(row)}" x2="${x(row)}" y1="${top}" y2="${top + plotH}" stroke="#333" stroke-width="1.2"/>`;
  DATA.layers.forEach((name, i) => {
    const v = DATA.update_ratio[row][i];
    if (v > 0) out += `<circle cx="${x(row)}" cy="${y(v)}" r="3.5" fill="${LAYER_COLOURS[i % 8]}" stroke="#fff"><title>${esc(name)}: ${num(v)}</title></circle>`;
  });
  out += `<text x="${left}" y="${H - 8}">epoch 1</text><text x="${W - right}" y="${H - 8}" text-anchor="end">${EPOCHS}</text>`;
  $("update-ratio").innerHTML = out;
}

function drawHistograms(row) {
  const box = $("histograms");
  if (!DATA.activations.length) { box.textContent = "No activation layers."; return; }
  box.innerHTML = DATA.activations.map((name, a) => {
    const counts = DATA.histogram[row][a], total = counts.reduce((s, c) => s + c, 0) || 1;
    const edges = DATA.edges[a], W = 360, H = 78, bottom = 18, plotH = H - bottom - 4;
    const peak = Math.max(...counts.map(c => c / total), 1e-9), bw = W / counts.length;
    let bars = counts.map((c, i) => `<rect x="${(i * bw).toFixed(1)}" y="${(4 + plotH * (1 - c / total / peak)).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(plotH * c / total / peak).toFixed(1)}" fill="#3b7ea1" data-count="${c}"><title>${num(edges[i])} to ${num(edges[i + 1])}: ${pct(c / total)} of the outputs</title></rect>`).join("");
    bars += `<text x="0" y="${H - 3}">${num(edges[0])}</text><text x="${W}" y="${H - 3}" text-anchor="end">${num(edges[edges.length - 1])}${DATA.kinds[a] === "ReLU" ? " or more" : ""}</text>`;
    const word = DATA.kinds[a] === "ReLU" ? "dead" : "saturated";
    return `<figure><figcaption><span class="layer">${esc(name)}</span>: <span id="saturated-${a}">${pct(DATA.saturated[row][a])}</span> ${word}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="histogram of the outputs ${esc(name)}">${bars}</svg></figure>`;
  }).join("");
}

function drawCurves(k) {
  const h = DATA.history, W = 360, H = 224, left = 44, right = 50, top = 22, bottom = 26;
  const plotW = W - left - right, plotH = H - top - bottom;
  const maxLoss = Math.max(...h.train_loss.filter(v => v !== null), 1e-9);
  const x = i => left + (EPOCHS > 1 ? i / (EPOCHS - 1) : 0.5) * plotW;
  const yl = v => top + plotH * (1 - v / maxLoss), ya = v => top + plotH * (1 - v);
  let out = `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`;
  out += `<path class="loss ${DATA.loss}" d="${line(h.train_loss, x, yl)}" fill="none" stroke-width="1.6"/>`;
  out += `<path class="train" d="${line(h.train_accuracy, x, ya)}" fill="none" stroke-width="1.2" stroke-dasharray="4 2"/>`;
  out += `<path class="test" d="${line(h.test_accuracy, x, ya)}" fill="none" stroke-width="1.6"/>`;
  out += `<text x="${left - 4}" y="${top + 4}" text-anchor="end">${num(maxLoss)}</text><text x="${left - 4}" y="${top + plotH}" text-anchor="end">0</text>`;
  out += `<text x="${W - right + 4}" y="${top + 4}">${pct(1)}</text><text x="${W - right + 4}" y="${top + plotH}">${pct(0)}</text>`;
  out += `<text x="${left}" y="${H - 8}">epoch 1</text><text x="${left + plotW}" y="${H - 8}" text-anchor="end">${EPOCHS}</text>`;
  const epoch = DATA.epochs[k], xe = x(epoch - 1), before = xe < left + plotW / 2;
  out += `<line id="epoch-marker" x1="${xe}" x2="${xe}" y1="${top}" y2="${top + plotH}" stroke="#333" stroke-width="1.5" data-epoch="${epoch}"/>`;
  out += `<text x="${before ? xe - 4 : xe + 4}" y="${top - 8}" text-anchor="${before ? "start" : "end"}">epoch ${epoch}</text>`;
  $("curves").innerHTML = out;
}

function fillSummary(row) {
  $("out-train_loss").textContent = num(DATA.history.train_loss[row]);
  ["train_accuracy", "test_accuracy"].forEach(key => { $("out-" + key).textContent = pct(DATA.history[key][row]); });
}

// Playground's colours: orange at the bottom of the activation's range, white in the middle, blue at the top.
function colour(t) {
  const low = [245, 147, 34], mid = [255, 255, 255], high = [8, 119, 189];
  const [a, b, u] = t < 0.5 ? [low, mid, t * 2] : [mid, high, t * 2 - 1];
  return a.map((c, i) => Math.round(c + (b[i] - c) * u));
}

function setUpHeatmaps() {
  const h = DATA.heatmaps, [, units, rows, cols] = h.levels.shape, box = $("heatmaps");
  for (let u = 0; u < units; u++) {
    const canvas = document.createElement("canvas");
    canvas.width = cols; canvas.height = rows; canvas.title = `unit ${u + 1}`;
    box.appendChild(canvas);
  }
  $("heatmap-layer").textContent = h.layer;
  $("heatmap-note").textContent = `Each square is the input plane (as the decision boundary); colour: the unit's
    ${h.kind} output there, ` + (h.kind === "ReLU" ? `from white at 0 to blue at ${num(h.hi)} (the largest output
    over the slider's epochs).` : `orange at ${num(h.lo)}, white at ${num(h.mid)}, blue at ${num(h.hi)}.`) +
    (h.units > units ? ` The first ${units} of ${h.units} units.` : "");
}

function drawHeatmaps(k) {
  if (!LEVELS) return;
  const [, units, rows, cols] = DATA.heatmaps.levels.shape, cell = rows * cols, relu = DATA.heatmaps.kind === "ReLU";
  [...$("heatmaps").children].forEach((canvas, u) => {
    const context = canvas.getContext("2d"), image = context.createImageData(cols, rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const t = LEVELS[(k * units + u) * cell + r * cols + c] / 255, rgb = colour(relu ? 0.5 + t / 2 : t);
      const p = ((rows - 1 - r) * cols + c) * 4;   // row 0 is the lowest y: drawn at the bottom
      image.data[p] = rgb[0]; image.data[p + 1] = rgb[1]; image.data[p + 2] = rgb[2]; image.data[p + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  });
  $("heatmaps").dataset.epoch = DATA.epochs[k];
}

function show(k) {
  const epoch = DATA.epochs[k], row = epoch - 1;
  $("value-epoch").textContent = `${epoch} of ${EPOCHS}`;
  drawBoundary(k);
  drawCurves(k);
  fillSummary(row);
  drawHeatmaps(k);
  drawBars(row);
  fillLayers(row);
  drawUpdates(row);
  drawHistograms(row);
}

// ------------------------------------------------------------------ controls: the slider, play, "Try this" --
const slider = $("slider-epoch"), play = $("play"), said = document.querySelector(".try .said");
const REDUCED_MOTION = window.matchMedia("(prefers-reduced-motion: reduce)");
let timer = null;

function go(k) { slider.value = k; show(k); }
// Milliseconds per epoch while playing: about 12 s for the whole run, 80 to 250 ms an epoch; at least 400 ms
// for a reader who asked for less motion; or what data-interval on the button says (the tests' fast play).
function pace() {
  if (Number(play.dataset.interval) > 0) return Number(play.dataset.interval);
  const pace = Math.min(250, Math.max(80, 12000 / DATA.epochs.length));
  return REDUCED_MOTION.matches ? Math.max(pace, 400) : pace;
}
function stop() {
  clearTimeout(timer);
  timer = null;
  play.textContent = "▶ Play";
  play.setAttribute("aria-pressed", "false");
}
function start() {
  if (+slider.value >= LAST) go(0);
  play.textContent = "❚❚ Pause";
  play.setAttribute("aria-pressed", "true");
  const step = () => {
    go(+slider.value + 1);
    if (+slider.value >= LAST) stop(); else timer = setTimeout(step, pace());
  };
  timer = setTimeout(step, pace());
}
function press(button) {
  document.querySelectorAll("[data-preset]").forEach(b => b.setAttribute("aria-pressed", String(b === button)));
  said.textContent = "";
}

const PRESETS = {
  learn() {
    stop(); go(0); start();
    return `Playing from epoch ${DATA.epochs[0]} to ${DATA.epochs[LAST]}; Pause stops it at any epoch.`;
  },
  best() {
    stop(); go(DATA.best);
    const h = DATA.history, best = DATA.epochs[DATA.best] - 1;
    return `Epoch ${best + 1}: test accuracy ${pct(h.test_accuracy[best])}, the run's highest; training loss ` +
      `${num(h.train_loss[best])}. Epoch ${EPOCHS}: test accuracy ${pct(h.test_accuracy[EPOCHS - 1])}, training ` +
      `loss ${num(h.train_loss[EPOCHS - 1])}.`;
  },
};

slider.max = LAST;
slider.value = 0;
$("run").textContent = DATA.title;
$("record-every").textContent = DATA.record_every;
$("kept").textContent = DATA.epochs.length === EPOCHS ? "every epoch"
  : `${DATA.epochs.length} of the ${EPOCHS} epochs, evenly spread`;
$("loss-name").textContent = DATA.loss_name;
document.querySelector(".key.loss").classList.add(DATA.loss);
document.querySelectorAll(".update-healthy").forEach(e => { e.textContent = num(DATA.update_rule.healthy); });
document.querySelectorAll(".update-low").forEach(e => { e.textContent = num(DATA.update_rule.low); });
document.querySelectorAll(".update-high").forEach(e => { e.textContent = num(DATA.update_rule.high); });
$("saturated-below").textContent = num(DATA.saturated_below);
$("explain-saturated").hidden = !DATA.kinds.some(kind => kind !== "ReLU");
$("explain-dead").hidden = !DATA.kinds.includes("ReLU");
$("update-legend").innerHTML = DATA.layers.map((name, i) =>
  `<span><span class="key" style="border-color: ${LAYER_COLOURS[i % 8]}"></span><span class="layer">${esc(name)}</span></span>`).join(" ");
slider.addEventListener("input", () => { stop(); press(null); show(+slider.value); });
play.addEventListener("click", () => { press(null); if (timer) stop(); else start(); });
document.querySelectorAll("[data-preset]").forEach(button => button.addEventListener("click", () => {
  press(button);
  said.textContent = PRESETS[button.dataset.preset]();
}));

const unpacking = [];
if (DATA.boundary) {
  setUpBoundary();
  unpacking.push(unpack(DATA.boundary.predicted).then(bytes => { PREDICTED = bytes; }));
} else {
  $("boundary-panel").hidden = true;
  document.querySelectorAll(".needs-boundary").forEach(e => { e.hidden = true; });
}
if (DATA.heatmaps) {
  setUpHeatmaps();
  unpacking.push(unpack(DATA.heatmaps.levels).then(bytes => {
    const stride = bytes.length / DATA.heatmaps.levels.shape[0];
    for (let p = stride; p < bytes.length; p++) bytes[p] += bytes[p - stride];  // each epoch's change, mod 256
    LEVELS = bytes;
  }));
} else {
  $("heatmap-panel").hidden = true;
}
show(0);
Promise.all(unpacking).then(() => {
  show(+slider.value);
  document.body.dataset.ready = "true";
}, () => {  // a browser without DecompressionStream: every panel but the boundary and the heat maps
  ["boundary-panel", "heatmap-panel"].forEach(id => {
    $(id).querySelector(".note").textContent = "This browser cannot unpack the snapshots (no DecompressionStream).";
  });
});
