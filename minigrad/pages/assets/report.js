// report.html of `minigrad train`: looks up the run's numbers in DATA and draws them; computes nothing.
"use strict";
const DATA = JSON.parse(document.getElementById("report-data").textContent);
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const SHADES = ["#c7dbee", "#ffdcbd", "#c9ecc9", "#f4c3c3", "#e1d6ec", "#ddcbc7", "#f8d6ef", "#dcdcdc", "#ededc1", "#c0eef3"];

function fmt(v) { return v === null || v === undefined ? "–" : Number(v).toPrecision(4); }
function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;"); }

function drawBoundary(k) {
  const svg = document.getElementById("boundary");
  const b = DATA.boundary;
  if (!b) { document.getElementById("boundary-panel").hidden = true; return; }
  const n = b.xs.length, m = b.ys.length, size = 300;
  const x0 = b.xs[0], x1 = b.xs[n - 1], y0 = b.ys[0], y1 = b.ys[m - 1];
  const sx = v => (v - x0) / (x1 - x0) * size, sy = v => size - (v - y0) / (y1 - y0) * size;
  const w = size / (n - 1), h = size / (m - 1), grid = b.predicted[k];
  let out = "";
  for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) {
    out += `<rect x="${(sx(b.xs[i]) - w / 2).toFixed(1)}" y="${(sy(b.ys[j]) - h / 2).toFixed(1)}" width="${(w + 0.5).toFixed(1)}" height="${(h + 0.5).toFixed(1)}" fill="${SHADES[+grid[j * n + i]]}"/>`;
  }
  b.points.forEach((p, t) => {
    out += `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.6" fill="${COLOURS[b.labels[t]]}" stroke="#000" stroke-width="0.4"/>`;
  });
  svg.innerHTML = out;
  svg.dataset.epoch = DATA.epochs[k];
}

function logRange(arrays) {
  let lo = Infinity, hi = -Infinity;
  arrays.forEach(rows => rows.forEach(row => row.forEach(v => { if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } })));
  if (!isFinite(lo)) { lo = 1e-6; hi = 1; }
  return [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi)) + (Math.log10(hi) % 1 === 0 ? 1 : 0)];
}

function drawBars(e) {
  const svg = document.getElementById("grad-bars");
  const [lo, hi] = logRange([DATA.grad_mean, DATA.grad_max]);
  const W = 360, H = 240, left = 48, bottom = 28, top = 8, plotH = H - bottom - top;
  const y = v => top + plotH - (Math.log10(v) - lo) / (hi - lo) * plotH;
  let out = "";
  for (let p = lo; p <= hi; p++) {
    out += `<line x1="${left}" x2="${W - 4}" y1="${y(10 ** p)}" y2="${y(10 ** p)}" stroke="#ddd"/>`;
    out += `<text x="${left - 4}" y="${y(10 ** p) + 4}" text-anchor="end">1e${p}</text>`;
  }
  const L = DATA.layers.length, slot = (W - left - 8) / L;
  DATA.layers.forEach((name, i) => {
    const x = left + 4 + i * slot, bw = slot * 0.6;
    [["grad_max", 0.3], ["grad_mean", 1]].forEach(([key, opacity]) => {
      const v = DATA[key][e][i];
      if (v > 0) out += `<rect class="${key}" x="${x + slot * 0.2}" y="${y(v)}" width="${bw}" height="${top + plotH - y(v)}" fill="${COLOURS[0]}" fill-opacity="${opacity}"><title>${key === "grad_mean" ? "mean" : "max"} |grad| ${fmt(v)}</title></rect>`;
    });
    out += `<text x="${x + slot / 2}" y="${H - 10}" text-anchor="middle">layer ${esc(name)}</text>`;
  });
  svg.innerHTML = out;
}

function drawHistograms(e) {
  const box = document.getElementById("histograms");
  if (!DATA.activations.length) { box.textContent = "No activation layers."; return; }
  box.innerHTML = DATA.activations.map((name, a) => {
    const counts = DATA.histogram[e][a], total = counts.reduce((s, c) => s + c, 0) || 1;
    const edges = DATA.edges[a], W = 400, H = 86, bottom = 16, plotH = H - bottom - 4;
    const peak = Math.max(...counts.map(c => c / total), 1e-9), bw = W / counts.length;
    let bars = counts.map((c, i) => `<rect x="${(i * bw).toFixed(1)}" y="${(4 + plotH * (1 - c / total / peak)).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(plotH * c / total / peak).toFixed(1)}" fill="${COLOURS[4]}"><title>${fmt(edges[i])} to ${fmt(edges[i + 1])}: ${c}</title></rect>`).join("");
    bars += `<text x="0" y="${H - 2}">${+edges[0].toFixed(2)}</text><text x="${W}" y="${H - 2}" text-anchor="end">${+edges[edges.length - 1].toFixed(2)}${DATA.kinds[a] === "ReLU" ? " or more" : ""}</text>`;
    const word = DATA.kinds[a] === "ReLU" ? "dead" : "saturated";
    return `<figure><figcaption>layer ${esc(name)} (${DATA.kinds[a]}): <span id="sat-${a}">${pct(DATA.saturated[e][a])}</span> ${word}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="histogram of layer ${esc(name)}">${bars}</svg></figure>`;
  }).join("");
}

function drawCurves(e) {
  const svg = document.getElementById("curves");
  const h = DATA.history, E = h.train_loss.length, W = 360, H = 240, left = 52, right = 34, top = 8, bottom = 28;
  const plotW = W - left - right, plotH = H - top - bottom;
  const maxLoss = Math.max(...h.train_loss.filter(v => v !== null), 1e-9);
  const x = i => left + (E > 1 ? i / (E - 1) : 0.5) * plotW;
  const yl = v => top + plotH * (1 - v / maxLoss), ya = v => top + plotH * (1 - v);
  const path = (values, y) => values.map((v, i) => v === null ? "" : `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("");
  let out = `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`;
  out += `<path d="${path(h.train_loss, yl)}" fill="none" stroke="${COLOURS[0]}" stroke-width="1.5"/>`;
  out += `<path d="${path(h.train_accuracy, ya)}" fill="none" stroke="${COLOURS[2]}" stroke-width="1.2"/>`;
  out += `<path d="${path(h.test_accuracy, ya)}" fill="none" stroke="${COLOURS[1]}" stroke-width="1.5"/>`;
  out += `<text x="${left - 4}" y="${top + 10}" text-anchor="end">${+maxLoss.toPrecision(3)}</text><text x="${left - 4}" y="${top + plotH}" text-anchor="end">0</text>`;
  out += `<text x="${W - right + 4}" y="${top + 10}">1</text><text x="${W - right + 4}" y="${top + plotH}">0</text>`;
  out += `<text x="${left}" y="${H - 8}">epoch 1</text><text x="${left + plotW}" y="${H - 8}" text-anchor="end">${E}</text>`;
  const epoch = DATA.epochs[e === undefined ? 0 : e], xe = x(epoch - 1);
  out += `<line id="epoch-marker" x1="${xe}" x2="${xe}" y1="${top}" y2="${top + plotH}" stroke="#d62728" stroke-width="1.5" data-epoch="${epoch}"/>`;
  out += `<text x="${xe < left + plotW / 2 ? xe + 4 : xe - 4}" y="${top + plotH / 2}" text-anchor="${xe < left + plotW / 2 ? "start" : "end"}" fill="#d62728" stroke="#fff" stroke-width="3" paint-order="stroke">epoch ${epoch}</text>`;
  svg.innerHTML = out;
}

function fillTables(e) {
  const row = DATA.epochs[e] - 1;
  ["train_loss", "train_accuracy", "test_accuracy"].forEach(key => {
    document.getElementById("out-" + key).textContent = fmt(DATA.history[key][row]);
  });
  document.querySelector("#layers tbody").innerHTML = DATA.layers.map((name, i) =>
    `<tr><th>layer ${esc(name)}</th><td id="grad_mean-${i}">${fmt(DATA.grad_mean[row][i])}</td><td id="grad_max-${i}">${fmt(DATA.grad_max[row][i])}</td><td id="update_ratio-${i}">${fmt(DATA.update_ratio[row][i])}</td></tr>`).join("");
  document.querySelector("#activations tbody").innerHTML = DATA.activations.map((name, a) =>
    `<tr><th>layer ${esc(name)} (${DATA.kinds[a]})</th><td id="saturated-${a}">${fmt(DATA.saturated[row][a])}</td></tr>`).join("");
}

// Playground's colours: orange at the bottom of the activation's range, white in the middle, blue at the top.
function colour(t) {
  const low = [245, 147, 34], mid = [255, 255, 255], high = [8, 119, 189];
  const [a, b, u] = t < 0.5 ? [low, mid, t * 2] : [mid, high, t * 2 - 1];
  return a.map((c, i) => Math.round(c + (b[i] - c) * u));
}

let LEVELS = null;
function drawHeatmaps(k) {
  const h = DATA.heatmaps, box = document.getElementById("heatmaps");
  if (!h) { document.getElementById("heatmap-panel").hidden = true; return; }
  if (!LEVELS) LEVELS = Uint8Array.from(atob(h.levels), c => c.charCodeAt(0));
  const [, units, rows, cols] = h.shape;
  if (!box.children.length) {
    for (let u = 0; u < units; u++) {
      const canvas = document.createElement("canvas");
      canvas.width = cols; canvas.height = rows; canvas.title = `unit ${u + 1}`;
      box.appendChild(canvas);
    }
    document.getElementById("heatmap-note").textContent = `Each square is the input plane (as the decision boundary);
      colour: the unit's ${h.kind} output there, ` + (h.kind === "ReLU" ? `from white at 0 to blue at ${+h.hi.toFixed(3)}
      (the largest output over the kept epochs).` : `orange ${h.lo}, white ${(h.lo + h.hi) / 2}, blue ${h.hi}.`) +
      (h.units > units ? ` The first ${units} of ${h.units} units.` : "");
  }
  const cell = rows * cols, relu = h.kind === "ReLU";   // ReLU: white at 0, blue at the top
  [...box.children].forEach((canvas, u) => {
    const context = canvas.getContext("2d"), image = context.createImageData(cols, rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const t = LEVELS[(k * units + u) * cell + r * cols + c] / 255, rgb = colour(relu ? 0.5 + t / 2 : t);
      const p = ((rows - 1 - r) * cols + c) * 4;   // row 0 is the lowest y: drawn at the bottom
      image.data[p] = rgb[0]; image.data[p + 1] = rgb[1]; image.data[p + 2] = rgb[2]; image.data[p + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  });
  box.dataset.epoch = DATA.epochs[k];
}

function show(k) {
  const epoch = DATA.epochs[k], row = epoch - 1;
  document.getElementById("value-epoch").textContent = `${epoch} of ${DATA.history.train_loss.length}`;
  drawBoundary(k);
  drawBars(row);
  drawHistograms(row);
  drawCurves(k);
  fillTables(k);
  drawHeatmaps(k);
}

const slider = document.getElementById("slider-epoch");
slider.max = DATA.epochs.length - 1;
slider.value = DATA.epochs.length - 1;
document.getElementById("run").textContent = DATA.title;
document.getElementById("record-every").textContent = DATA.record_every;
slider.addEventListener("input", () => show(+slider.value));
show(+slider.value);
