// juanji serve: the page only draws. Every number comes from the server (juanji).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, analysis: null, trainSince: 0, trainPoints: [], polling: null };

// ------------------------------------------------------------------ helpers
async function api(path, options = {}) {
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
  if (!response.ok) throw new Error(data && data.error ? data.error : response.statusText);
  return data;
}

function postJSON(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) });
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function fmt(value) {
  if (value === null || value === undefined) return "–";
  if (Number.isInteger(value)) return String(value);
  const text = Math.abs(value) >= 1000 || (Math.abs(value) < 0.001 && value !== 0)
    ? value.toExponential(2) : value.toFixed(3);
  return text.replace(/\.?0+$/, "") || "0";
}

// Paint a 2-D array on a canvas. mode "signed": blue-white-red around 0; "gray": white ink on
// black from lo..hi; "heat": white to orange.
function paint(canvas, grid, mode = "signed", scale = null) {
  const h = grid.length, w = grid[0].length;
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  let lo = Infinity, hi = -Infinity;
  for (const row of grid) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const big = scale || Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    const v = grid[i][j], k = 4 * (i * w + j);
    let r, g, b;
    if (mode === "signed") {
      const t = Math.max(-1, Math.min(1, v / big));
      if (t >= 0) { r = 255; g = 255 - 190 * t; b = 255 - 215 * t; }
      else { r = 255 + 230 * t; g = 255 + 150 * t; b = 255 + 40 * t; }
    } else if (mode === "heat") {
      const t = Math.max(0, Math.min(1, v / big));
      r = 255 - 38 * t; g = 255 - 183 * t; b = 255 - 240 * t;
    } else {
      const t = hi > lo ? (v - lo) / (hi - lo) : 0;
      r = g = b = 255 * t;
    }
    image.data[k] = r; image.data[k + 1] = g; image.data[k + 2] = b; image.data[k + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function table(grid, options = {}) {
  const t = el("table", { class: "grid" });
  grid.forEach((row, i) => {
    const tr = el("tr");
    row.forEach((v, j) => {
      const td = el("td", { text: fmt(v), "data-value": String(v) });
      if (options.pad && options.pad(i, j)) td.classList.add("pad");
      tr.append(td);
    });
    t.append(tr);
  });
  return t;
}

// A grid as a table when small enough to read, else as a picture.
function gridOrPicture(grid, options = {}) {
  const big = grid.length > 12 || grid[0].length > 12;
  if (!big) return table(grid, options);
  const canvas = el("canvas");
  paint(canvas, grid, options.mode || "gray");
  const zoom = Math.max(2, Math.floor(220 / Math.max(grid.length, grid[0].length)));
  canvas.style.width = grid[0].length * zoom + "px";
  canvas.style.height = grid.length * zoom + "px";
  return el("div", {}, [canvas, el("div", { class: "small muted",
    text: `${grid.length}×${grid[0].length}: too many numbers to print, shown as a picture` })]);
}

// ------------------------------------------------------------------ 1. drawing
const pad = $("draw");
const pen = pad.getContext("2d");
let drawing = false, inked = false;

function clearPad() {
  pen.fillStyle = "#ffffff"; pen.fillRect(0, 0, pad.width, pad.height);
  inked = false;
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width,
          (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true; pad.setPointerCapture && pad.setPointerCapture(event.pointerId);
  const [x, y] = point(event);
  pen.strokeStyle = "#111111"; pen.fillStyle = "#111111";
  pen.lineWidth = 20; pen.lineCap = "round"; pen.lineJoin = "round";
  pen.beginPath(); pen.arc(x, y, 10, 0, 2 * Math.PI); pen.fill();
  pen.beginPath(); pen.moveTo(x, y); inked = true;
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = point(event);
  pen.lineTo(x, y); pen.stroke(); pen.beginPath(); pen.moveTo(x, y);
});
function endStroke() {
  if (!drawing) return;
  drawing = false;
  if (inked) predict();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointerleave", endStroke);
pad.addEventListener("pointercancel", endStroke);

$("clear").addEventListener("click", () => {
  clearPad();
  state.analysis = null;
  $("prediction").textContent = "?";
  renderProbabilities(null);
  $("feature-maps").replaceChildren();
  for (const id of ["seen", "seen-overlay", "saliency"]) {
    const c = $(id); c.getContext("2d").clearRect(0, 0, c.width, c.height);
  }
  $("zero-grad").textContent = "Draw a digit to see the numbers.";
  $("unit-body").textContent = "Hover a feature map.";
});

let predicting = null;
async function predict() {
  if (!state.info || !state.info.model) return;
  const blob = await new Promise((resolve) => pad.toBlob(resolve, "image/png"));
  const request = api("/api/predict", { method: "POST", headers: { "Content-Type": "image/png" },
    body: blob });
  predicting = request;
  try {
    const result = await request;
    if (predicting !== request) return;  // a newer stroke answered first
    state.analysis = result;
    renderAnalysis(result);
  } catch (error) {
    $("prediction").textContent = "?";
    $("zero-grad").textContent = error.message;
  }
}

function renderProbabilities(result) {
  const box = $("probabilities");
  box.replaceChildren();
  const classes = state.info && state.info.model ? state.info.model.classes : [];
  classes.forEach((name, i) => {
    const p = result ? result.probabilities[i] : 0;
    const fill = el("div", { class: "fill" }); fill.style.width = (100 * p).toFixed(1) + "%";
    const bar = el("div", { class: "bar" + (result && i === result.index ? " top" : ""),
      "data-class": name, "data-probability": String(p) },
      [el("span", { text: name }), el("div", { class: "track" }, [fill]),
       el("span", { class: "num", text: (100 * p).toFixed(1) + "%" })]);
    box.append(bar);
  });
}

function renderAnalysis(result) {
  $("prediction").textContent = result.label;
  renderProbabilities(result);
  const seen = $("seen"); paint(seen, result.model_input, "gray");
  seen.style.width = seen.style.height = "196px";
  const overlay = $("seen-overlay"); overlay.getContext("2d").clearRect(0, 0, 196, 196);
  const sal = $("saliency"); paint(sal, result.saliency, "heat", 1);
  sal.style.width = sal.style.height = "196px";
  renderZeroGrad(result.zero_grad);
  const box = $("feature-maps");
  box.replaceChildren();
  for (const layer of result.layers) box.append(renderLayer(layer));
}

function renderZeroGrad(z) {
  $("zero-grad").replaceChildren(
    el("p", { text: `‖${z.parameter}.grad‖ after one backward: ${fmt(z.after_one_backward)}` }),
    el("p", { text: `after a second backward, no zero_grad: ${fmt(z.after_two_backwards)}` +
      ` (× ${fmt(z.ratio)}: gradients add up)` }),
    el("p", { text: `after model.zero_grad(): ${z.after_zero_grad === null ? "None" : fmt(z.after_zero_grad)}` }),
    el("p", { class: "muted", text: "zero_grad clears the weights' .grad; the saliency map is " +
      "the input's own .grad, there because of input.requires_grad_()." }));
}

function renderLayer(layer) {
  const [channels, h, w] = layer.shape;
  const title = el("h4", { text: `${layer.name} ` },
    [el("span", { text: `${layer.type} · ${channels}×${h}×${w}` +
      (layer.field ? ` · receptive field ${layer.field.size[0]}×${layer.field.size[1]}` : "") })]);
  const maps = el("div", { class: "maps" });
  const zoom = Math.max(2, Math.min(8, Math.floor(84 / Math.max(h, w))));
  const scale = Math.max(Math.abs(layer.range[0]), Math.abs(layer.range[1])) || 1;
  layer.maps.forEach((grid, c) => {
    const canvas = el("canvas", { "data-channel": String(c), title: `map ${c}` });
    paint(canvas, grid, "signed", scale);
    canvas.style.width = w * zoom + "px"; canvas.style.height = h * zoom + "px";
    canvas.addEventListener("mousemove", (event) => hoverUnit(event, layer, c, canvas));
    maps.append(canvas);
  });
  return el("div", { class: "layer", "data-layer": layer.name }, [title, maps]);
}

let hoverKey = null;
async function hoverUnit(event, layer, channel, canvas) {
  const box = canvas.getBoundingClientRect();
  const [, h, w] = layer.shape;
  const x = Math.min(w - 1, Math.floor((event.clientX - box.left) / box.width * w));
  const y = Math.min(h - 1, Math.floor((event.clientY - box.top) / box.height * h));
  const key = `${state.analysis.id}/${layer.name}/${channel}/${y}/${x}`;
  if (key === hoverKey) return;
  hoverKey = key;
  const query = new URLSearchParams({ id: state.analysis.id, layer: layer.name, channel, y, x });
  try {
    const unit = await api("/api/unit?" + query);
    if (hoverKey === key) renderUnit(unit, channel, y, x);
  } catch (error) { $("unit-body").textContent = error.message; }
}

function renderUnit(unit, channel, y, x) {
  const body = $("unit-body");
  body.classList.remove("muted");
  const parts = [el("p", { text: `${unit.layer}, map ${channel}, row ${y}, column ${x}: ${fmt(unit.value)}` })];
  const [[top, bottom], [left, right]] = unit.window;
  parts.push(el("p", { class: "muted", text: `sees input rows ${fmt(top)}…${fmt(bottom)}, ` +
    `columns ${fmt(left)}…${fmt(right)} (${fmt(bottom - top)}×${fmt(right - left)} pixels)` }));
  if (unit.kernel) {
    parts.push(el("div", { class: "label", text: `kernel (weight[${channel}])` }));
    if (unit.kernel.length === 1) parts.push(table(unit.kernel[0]));
    else {
      const row = el("div", { class: "maps" });
      unit.kernel.forEach((k) => { const c = el("canvas"); paint(c, k, "signed");
        c.style.width = c.style.height = "40px"; row.append(c); });
      parts.push(row, el("div", { class: "small muted",
        text: `${unit.kernel.length} input channels, one 5×5 slice each` }));
    }
  }
  if (unit.window_values) {
    parts.push(el("div", { class: "label", text: "input window (padded)" }), table(unit.window_values));
    parts.push(el("p", { text: `Σ window × kernel + bias (${fmt(unit.bias)}) = ${fmt(unit.multiply_add)}` }));
  } else if (unit.patch.length) {
    const c = el("canvas"); paint(c, unit.patch, "gray");
    c.style.width = c.style.height = "84px";
    parts.push(el("div", { class: "label", text: "input patch it sees" }), c);
  }
  body.replaceChildren(...parts);
  drawField(unit.window);
}

function drawField(window) {
  const overlay = $("seen-overlay");
  const ctx = overlay.getContext("2d");
  const size = state.analysis.model_input.length, s = 196 / size;
  ctx.clearRect(0, 0, 196, 196);
  const [[top, bottom], [left, right]] = window;
  ctx.strokeStyle = "#ff7a1a"; ctx.lineWidth = 2.5;
  ctx.strokeRect(left * s, top * s, (right - left) * s, (bottom - top) * s);
}

// ------------------------------------------------------------------ 2. playground
function numbers(text) {
  return text.trim().split(/\n+/).map((line) => line.trim().split(/[\s,;]+/).map(Number));
}

function playgroundSettings() {
  const input = $("pg-input").value;
  const settings = { input, stride: +$("pg-stride").value, dilation: +$("pg-dilation").value };
  if (input === "grid") settings.grid = numbers($("pg-grid").value);
  if (input === "digit") settings.digit = state.analysis ? state.analysis.id : null;
  const kernel = $("pg-kernel").value;
  settings.kernel = kernel === "custom" ? numbers($("pg-custom").value) : kernel;
  const padding = $("pg-padding").value;
  if (padding === "pairs") {
    const [t, b, l, r] = $("pg-pairs").value.split(/[\s,]+/).map(Number);
    settings.padding = [[t, b], [l, r]];
  } else settings.padding = /^\d+$/.test(padding) ? +padding : padding;
  const pool = $("pg-pool").value;
  settings.pool = pool === "none" ? null
    : { mode: pool, kernel_size: +$("pg-pool-size").value, stride: +$("pg-pool-stride").value };
  return settings;
}

let convRequest = 0;
function showPlaygroundFields() {
  $("pg-grid-label").hidden = $("pg-input").value !== "grid";
  $("pg-custom-label").hidden = $("pg-kernel").value !== "custom";
  $("pg-pairs-label").hidden = $("pg-padding").value !== "pairs";
}

async function runPlayground() {
  showPlaygroundFields();
  const mine = ++convRequest;
  try {
    const result = await postJSON("/api/conv", playgroundSettings());
    if (mine !== convRequest) return;
    $("pg-error").hidden = true;
    $("pg-results").style.opacity = 1;
    renderPlayground(result);
  } catch (error) {
    if (mine !== convRequest) return;
    $("pg-error").textContent = error.message; $("pg-error").hidden = false;
    $("pg-results").style.opacity = 0.4;
  }
}

function renderPlayground(r) {
  const [[pt, pb], [pl, pr]] = r.padding;
  const H = r.padded.length, W = r.padded[0].length;
  const isPad = (i, j) => i < pt || i >= H - pb || j < pl || j >= W - pr;
  $("pg-pad-note").textContent = `(${r.input.length}×${r.input[0].length} → ${H}×${W}; ` +
    `top ${pt}, bottom ${pb}, left ${pl}, right ${pr})`;
  $("pg-padded").replaceChildren(gridOrPicture(r.padded, { pad: isPad }));
  $("pg-kernel-note").textContent = `(${r.kernel.length}×${r.kernel[0].length}: ${r.kernel_caption})`;
  $("pg-kernel-grid").replaceChildren(table(r.kernel));
  $("pg-output").replaceChildren(gridOrPicture(r.output, { mode: "signed" }));
  $("pg-formulas").replaceChildren(...Object.entries(r.formulas).map(([axis, text]) =>
    el("div", { text: `${axis}_out = ${text}` })),
    el("div", { class: "muted", text: `stride ${r.stride.join("×")}, dilation ${r.dilation.join("×")}` }));
  if (r.pool) {
    $("pg-pooled").replaceChildren(gridOrPicture(r.pool.output, { mode: "signed" }));
    $("pg-pool-formulas").replaceChildren(
      el("div", { class: "muted", text: `${r.pool.mode} over ${r.pool.kernel_size.join("×")}, stride ${r.pool.stride.join("×")}` }),
      ...Object.entries(r.pool.formulas).map(([axis, text]) => el("div", { text: `${axis}_out = ${text}` })));
  } else {
    $("pg-pooled").replaceChildren(el("span", { class: "muted", text: "no pooling" }));
    $("pg-pool-formulas").replaceChildren();
  }
  const [rows, cols] = r.im2col_shape;
  $("pg-im2col-note").textContent = `(${rows} × ${cols}` +
    (cols > r.im2col[0].length ? `, first ${r.im2col[0].length} columns shown)` : ")");
  $("pg-im2col").replaceChildren(table(r.im2col));
  $("pg-gemm").replaceChildren(
    el("div", { class: "small", text: `kernel row (1 × ${r.kernel_row.length}): ${r.kernel_row.map(fmt).join(" ")}` }),
    gridOrPicture(r.gemm, { mode: "signed" }));
  linkWindows(r);
  const note = $("pg-gemm-note");
  note.className = "small " + (r.gemm_matches ? "ok" : "bad");
  note.textContent = r.gemm_matches
    ? `same as F.conv2d (largest difference ${r.gemm_max_difference.toExponential(1)})`
    : `differs from F.conv2d by ${r.gemm_max_difference}`;
}

// Hover an output number: the padded-input cells its window covers and its im2col column.
function linkWindows(r) {
  const padded = $("pg-padded").querySelector("table"), output = $("pg-output").querySelector("table");
  const columns = $("pg-im2col").querySelector("table");
  if (!padded || !output) return;
  const [kh, kw] = [r.kernel.length, r.kernel[0].length];
  const [sh, sw] = r.stride, [dh, dw] = r.dilation, outW = r.output[0].length;
  const mark = (i, j, on) => {
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
      const cell = padded.rows[i * sh + a * dh] && padded.rows[i * sh + a * dh].cells[j * sw + b * dw];
      if (cell) cell.classList.toggle("hot", on);
    }
    const l = i * outW + j;
    if (columns) for (const row of columns.rows) if (row.cells[l]) row.cells[l].classList.toggle("hot", on);
    output.rows[i].cells[j].classList.toggle("hot", on);
  };
  Array.from(output.rows).forEach((row, i) => Array.from(row.cells).forEach((cell, j) => {
    cell.addEventListener("mouseenter", () => mark(i, j, true));
    cell.addEventListener("mouseleave", () => mark(i, j, false));
  }));
}

function setUpPlayground(info) {
  $("pg-grid").value = info.default_grid.map((row) => row.join(" ")).join("\n");
  const select = $("pg-kernel");
  for (const name of info.kernels) select.append(el("option", { value: name, text: name }));
  select.append(el("option", { value: "custom", text: "your own numbers…" }));
  select.value = "sobel-x";
  let timer = null;
  const later = () => { showPlaygroundFields(); clearTimeout(timer); timer = setTimeout(runPlayground, 150); };
  $("pg-form").addEventListener("input", later);
  $("pg-form").addEventListener("change", later);
  runPlayground();
}

// ------------------------------------------------------------------ 3. training
function trainSettings() {
  return { images: +$("tr-images").value, epochs: +$("tr-epochs").value,
    batch_size: +$("tr-batch").value, test_images: +$("tr-test").value };
}

$("train-start").addEventListener("click", async () => {
  try {
    state.trainSince = 0; state.trainPoints = [];
    const status = await postJSON("/api/train", trainSettings());
    renderTraining(status);
    poll();
  } catch (error) { $("train-state").textContent = error.message; }
});
$("train-stop").addEventListener("click", async () => renderTraining(await postJSON("/api/train/stop", {})));
$("train-use").addEventListener("click", async () => {
  try {
    state.info = await postJSON("/api/train/use", {});
    renderInfo(state.info);
    $("train-state").textContent += " · now serving this model: draw a digit above";
  } catch (error) { $("train-state").textContent = error.message; }
});

function poll() {
  clearTimeout(state.polling);
  state.polling = setTimeout(async () => {
    try {
      const status = await api(`/api/train/status?since=${state.trainSince}`);
      renderTraining(status);
      if (["starting", "running", "stopping"].includes(status.state)) poll();
    } catch (error) { $("train-state").textContent = error.message; }
  }, 400);
}

function renderTraining(s) {
  state.trainPoints.push(...s.points.slice(Math.max(0, state.trainSince - s.since)));
  state.trainSince = state.trainPoints.length;
  const running = ["starting", "running", "stopping"].includes(s.state);
  $("train-start").disabled = running;
  $("train-stop").disabled = !running || s.state === "stopping";
  $("train-use").disabled = running || !s.epochs.length;
  const last = s.epochs[s.epochs.length - 1];
  let text = `${s.state}: step ${s.step} of ${s.steps_total}, ${fmt(s.seconds)} s`;
  if (last) text += ` · epoch ${last.epoch}: test accuracy ${(100 * last.test_accuracy).toFixed(1)}%`;
  if (s.message) text += ` · ${s.message}`;
  $("train-state").textContent = text;
  $("train-state").dataset.state = s.state;
  $("train-run").textContent = s.run_dir || "–";
  $("train-run-link").hidden = !s.run_dir;
  drawCurves(state.trainPoints, s.steps_total);
  if (s.kernels) {
    const box = $("train-kernels");
    if (box.children.length !== s.kernels.length) {
      box.replaceChildren(...s.kernels.map(() => el("canvas")));
    }
    s.kernels.forEach((k, i) => paint(box.children[i], k, "signed"));
  }
}

// Raw steps drawn faint, a running mean over 10 steps drawn bold.
function drawCurves(points, total) {
  const canvas = $("curves"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, left = 44, right = 44, top = 26, bottom = 24;
  const plotH = H - top - bottom;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px system-ui"; ctx.strokeStyle = "#dde1e8"; ctx.lineWidth = 1;
  ctx.strokeRect(left, top, W - left - right, plotH);
  const n = Math.max(total, points.length, 1);
  const maxLoss = Math.max(2.5, ...points.map((p) => p.loss));
  const X = (i) => left + (W - left - right) * i / n;
  ctx.fillStyle = "#d9480f"; ctx.fillText("— loss (left axis)", left, 14);
  ctx.fillStyle = "#1c64c8"; ctx.fillText("— training accuracy (right axis)", left + 120, 14);
  ctx.fillStyle = "#687083";
  ctx.fillText(fmt(maxLoss), 8, top + 8); ctx.fillText("0", 30, H - bottom);
  ctx.fillText("100%", W - right + 6, top + 8); ctx.fillText("0%", W - right + 6, H - bottom);
  ctx.fillText(`step (of ${n})`, W / 2 - 24, H - 6);
  const line = (values, colour, width, y) => {
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.beginPath();
    values.forEach((v, i) => { const yy = y(v); i ? ctx.lineTo(X(i + 1), yy) : ctx.moveTo(X(1), yy); });
    ctx.stroke();
  };
  const mean = (values) => values.map((_, i) => {
    const part = values.slice(Math.max(0, i - 9), i + 1);
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
  const lossY = (v) => top + plotH * (1 - v / maxLoss), accY = (v) => top + plotH * (1 - v);
  const losses = points.map((p) => p.loss), accs = points.map((p) => p.accuracy);
  line(losses, "rgba(217,72,15,0.25)", 1, lossY); line(accs, "rgba(28,100,200,0.25)", 1, accY);
  line(mean(losses), "#d9480f", 2, lossY); line(mean(accs), "#1c64c8", 2, accY);
}

// ------------------------------------------------------------------ 4. questions
const QUESTION_TITLES = {
  "zero-grad": "Why optimizer.zero_grad()?", detach: "What does loss.detach().item() free?",
  resolution: "Stride or pooling: how resolution drops", "first-layer": "Learned kernels vs edge detectors",
  "multi-scale": "One 3×3 kernel, several resolutions",
  conv: "How a convolution computes", pad: "Why padding", stride: "What stride does",
  pool: "Why pooling", channels: "Several channels", im2col: "im2col + GEMM",
  batchnorm: "Batch normalisation", residual: "Residual connections",
};

function setUpQuestions(topics) {
  const box = $("topics");
  const order = [...topics.filter((t) => t in QUESTION_TITLES), ...topics.filter((t) => !(t in QUESTION_TITLES))];
  for (const topic of order) {
    const button = el("button", { type: "button", "data-topic": topic, text: QUESTION_TITLES[topic] || topic });
    button.addEventListener("click", async () => {
      for (const b of box.children) b.classList.toggle("active", b === button);
      $("topic-text").textContent = "computing…";
      try { $("topic-text").textContent = (await api(`/api/explain/${topic}`)).text; }
      catch (error) { $("topic-text").textContent = error.message; }
    });
    box.append(button);
  }
}

// ------------------------------------------------------------------ start
function renderInfo(info) {
  $("version").textContent = info.version;
  const m = info.model;
  $("no-model").hidden = Boolean(m);
  $("model-info").textContent = m
    ? `model: ${m.model} from ${m.run_dir}` + (m.test_accuracy != null
      ? ` · test accuracy ${(100 * m.test_accuracy).toFixed(2)}% after ${m.epochs} epoch(s)` : "")
    : `no trained model in ${info.runs_root}: train one in “Live training”`;
  renderProbabilities(null);
}

async function start() {
  clearPad();
  try {
    state.info = await api("/api/info");
  } catch (error) { $("model-info").textContent = "the server did not answer: " + error.message; return; }
  renderInfo(state.info);
  setUpPlayground(state.info);
  setUpQuestions(state.info.topics);
  drawCurves([], 0);
  if (state.info.training && state.info.training.state !== "idle") { renderTraining(state.info.training); poll(); }
  document.body.dataset.ready = "1";
}
start();
