// minigrad compare: the page only looks numbers up in DATA, formats them and draws them.
"use strict";
const DATA = JSON.parse(document.getElementById("compare-data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const LOSSES = ["mse", "ce"];
const HEIGHT = 170, TOP = 8, BOTTOM = 22, RIGHT = 12;   // a chart, in CSS pixels
const ALL = {first: 1, last: DATA.epochs, ticks: DATA.xticks.all};
const STORY = {first: DATA.story.first, last: DATA.story.last};   // the shaded epochs
const ZOOM = {first: DATA.story.view[0], last: DATA.story.view[1], ticks: DATA.xticks.story};
const state = {view: ALL, epoch: 1};

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function html(name, className, text) {
  const e = document.createElement(name);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
// The page's one number format: three significant digits, trailing zeros dropped; a fraction as a percentage.
function fmt(v) { return v === null || v === undefined ? "–" : String(Number(v.toPrecision(3))); }
function pct(v) { return v === null || v === undefined ? "–" : fmt(100 * v) + "%"; }
function shown(chart, v) { return chart.percent ? pct(v) : fmt(v); }
function epochs(first, last) { return first === last ? `epoch ${first}` : `epochs ${first}–${last}`; }
function value(id, loss, epoch) { return DATA.charts.find(c => c.id === id).values[loss][epoch - 1]; }

// One left margin for every chart, wide enough for the longest tick label (12 px digits are about 7 px wide).
const LEFT = 10 + 7 * Math.max(...DATA.charts.flatMap(chart => chart.ticks.map(v => shown(chart, v).length)));
const charts = DATA.charts.map(chart => {
  const figure = html("figure", "chart"), caption = html("figcaption");
  figure.dataset.chart = chart.id;
  const readout = html("span", "readout"), values = {};
  for (const loss of LOSSES) {
    values[loss] = html("span", "value " + loss);
    readout.append(values[loss], loss === "mse" ? " · " : "");
  }
  caption.append(html("span", "title", chart.title), readout);
  const svg = el("svg", {role: "img", "aria-label": chart.title});
  figure.append(caption, svg);
  document.getElementById("charts").append(figure);
  return {chart, figure, svg, values};
});

function draw(c) {
  const {chart, svg} = c, w = Math.max(240, Math.round(c.figure.clientWidth || 400)), h = HEIGHT;
  const {first, last, ticks} = state.view, [lo, hi] = chart.range;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const x = e => LEFT + (w - LEFT - RIGHT) * (last > first ? (e - first) / (last - first) : 0.5);
  const t = v => chart.log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
  const y = v => TOP + (h - TOP - BOTTOM) * (1 - t(v));
  const usable = v => v !== null && (!chart.log || v > 0);
  const left = x(Math.max(first, STORY.first - 0.5)), right = x(Math.min(last, STORY.last + 0.5));
  if (right > left) svg.append(el("rect", {class: "band", x: left, y: TOP, width: right - left, height: h - TOP - BOTTOM}));
  if (chart.id === DATA.charts[0].id && right - left > 76)
    svg.append(el("text", {x: left + 4, y: TOP + 14}, epochs(STORY.first, STORY.last)));
  for (const v of chart.ticks) {
    svg.append(el("line", {class: "grid", x1: LEFT, x2: w - RIGHT, y1: y(v), y2: y(v)}));
    svg.append(el("text", {x: LEFT - 4, y: y(v) + 4, "text-anchor": "end"}, shown(chart, v)));
  }
  if (chart.guide !== null) svg.append(el("line", {class: "guide", x1: LEFT, x2: w - RIGHT, y1: y(chart.guide), y2: y(chart.guide)}));
  svg.append(el("line", {class: "axis", x1: LEFT, x2: w - RIGHT, y1: h - BOTTOM, y2: h - BOTTOM}));
  for (const e of ticks)
    svg.append(el("text", {x: x(e), y: h - 6, "text-anchor": e === first ? "start" : e === last ? "end" : "middle"}, String(e)));
  for (const loss of LOSSES) {   // one polyline per stretch of numbers (a missing value breaks the curve)
    let points = [];
    const flush = () => { if (points.length) svg.append(el("polyline", {class: "curve " + loss, points: points.join(" ")})); points = []; };
    for (let e = first; e <= last; e++) {
      const v = chart.values[loss][e - 1];
      if (usable(v)) points.push(`${x(e).toFixed(1)},${y(v).toFixed(1)}`); else flush();
    }
    flush();
  }
  c.marker = el("line", {class: "marker", y1: TOP, y2: h - BOTTOM});
  svg.append(c.marker);
  c.dots = {};
  for (const loss of LOSSES) { c.dots[loss] = el("circle", {class: "dot " + loss, r: 4}); svg.append(c.dots[loss]); }
  c.x = x; c.y = y; c.usable = usable;
}

function show(epoch) {
  state.epoch = epoch;
  document.getElementById("epoch-value").textContent = `${epoch} / ${DATA.epochs}`;
  for (const c of charts) {
    c.marker.setAttribute("x1", c.x(epoch).toFixed(1));
    c.marker.setAttribute("x2", c.x(epoch).toFixed(1));
    for (const loss of LOSSES) {
      const v = c.chart.values[loss][epoch - 1], dot = c.dots[loss];
      c.values[loss].textContent = `${DATA.names[loss]} ${shown(c.chart, v)}`;
      dot.setAttribute("visibility", c.usable(v) ? "visible" : "hidden");
      if (c.usable(v)) { dot.setAttribute("cx", c.x(epoch).toFixed(1)); dot.setAttribute("cy", c.y(v).toFixed(1)); }
    }
  }
}

function redraw() { charts.forEach(draw); show(state.epoch); }

const slider = document.getElementById("epoch");
function setView(view, epoch) {
  Object.assign(state, {view, epoch});
  slider.min = view.first; slider.max = view.last; slider.value = epoch;
  redraw();
}
slider.addEventListener("input", () => show(Number(slider.value)));

const firstLayer = DATA.charts.find(c => c.id.startsWith("layer-")), first = firstLayer.id, layerName = firstLayer.name;
const reached = loss => DATA.story.reached[loss] === null ? `never reaches ${pct(DATA.target)}`
  : `reaches ${pct(DATA.target)} at epoch ${DATA.story.reached[loss]}`;
const PRESETS = {
  story: {view: ZOOM, epoch: STORY.last, said: () => {
    const e = STORY.last, count = STORY.last - STORY.first + 1, span = epochs(STORY.first, e);
    return `${span[0].toUpperCase() + span.slice(1)}: cross-entropy's ${layerName} gradient is the larger ` +
      `in ${DATA.story.larger} of ${count === 1 ? "this 1 epoch" : `these ${count} epochs`}. At epoch ${e} the ` +
      `output errors are ${fmt(value("output_error", "mse", e))} (MSE) and ${fmt(value("output_error", "ce", e))} ` +
      `(cross-entropy); per unit of error the logits get ${fmt(value("logit_gain", "mse", e))} and ` +
      `${fmt(value("logit_gain", "ce", e))}. Cross-entropy ${reached("ce")}, MSE ${reached("mse")}.`; }},
  late: {view: ALL, epoch: DATA.epochs, said: () => {
    const e = DATA.epochs;
    return `Epoch ${e}: ${layerName}'s gradient is ${fmt(value(first, "mse", e))} under MSE and ` +
      `${fmt(value(first, "ce", e))} under cross-entropy, with output errors of ${fmt(value("output_error", "mse", e))} ` +
      `and ${fmt(value("output_error", "ce", e))}: per unit of error the logits get ${fmt(value("logit_gain", "mse", e))} ` +
      `under MSE and ${fmt(value("logit_gain", "ce", e))} under cross-entropy.`; }},
};
const said = document.querySelector(".try .said");
for (const button of document.querySelectorAll("[data-preset]")) {
  const preset = PRESETS[button.dataset.preset];
  if (button.dataset.preset === "story") button.textContent = `The first ${STORY.last} epochs`;
  button.addEventListener("click", () => {
    const pressing = button.getAttribute("aria-pressed") !== "true";
    document.querySelectorAll("[data-preset]").forEach(b => b.setAttribute("aria-pressed", String(b === button && pressing)));
    said.textContent = pressing ? preset.said() : "";
    setView(pressing ? preset.view : ALL, pressing ? preset.epoch : state.epoch);
  });
}

document.getElementById("setup").textContent = `${DATA.title}, ${DATA.epochs} epochs`;
document.querySelectorAll(".target").forEach(e => { e.textContent = pct(DATA.target); });
document.getElementById("story-label").textContent = `${epochs(STORY.first, STORY.last)}: ` +
  (DATA.story.reached.ce === null ? `cross-entropy never reaches ${pct(DATA.target)} train accuracy`
    : `until cross-entropy reaches ${pct(DATA.target)} train accuracy`);
setView(ALL, 1);
let drawnWidth = 0;
new ResizeObserver(() => {   // the charts are drawn at the size they are shown, so their text stays 12 px
  const width = charts[0].figure.clientWidth;
  if (width !== drawnWidth) { drawnWidth = width; redraw(); }
}).observe(document.getElementById("charts"));
