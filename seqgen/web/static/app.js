// seqgen's page: plain JavaScript, no build step, nothing loaded from elsewhere.
// The API is described in seqgen/web/app.py; every error is {"error": "<one line>"}.
"use strict";

const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";
const state = { style: "", ink: null, result: null, urls: [] };

// -- tabs and status lines ----------------------------------------------------

function showTab(name) {
  document.querySelectorAll("#tabs button").forEach((b) =>
    b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((s) => s.classList.toggle("active", s.id === `tab-${name}`));
}
document.querySelectorAll("#tabs button").forEach((b) =>
  b.addEventListener("click", () => showTab(b.dataset.tab)));

function status(id, text, isError) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", !!isError);
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

// -- drawing pads: strokes of [x, y, t] points, y down (pointer events) --------

class Pad {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
      canvas.addEventListener(type, () => { this.current = null; });
    }
    this.clear();
  }
  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [Math.round((e.clientX - r.left) * this.canvas.width / r.width * 10) / 10,
            Math.round((e.clientY - r.top) * this.canvas.height / r.height * 10) / 10,
            Math.round(e.timeStamp)];
  }
  down(e) {
    e.preventDefault();
    if (this.canvas.setPointerCapture) {
      try { this.canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic */ }
    }
    this.current = [this.point(e)];
    this.strokes.push(this.current);
    this.draw();
  }
  move(e) {
    if (!this.current) return;
    this.current.push(this.point(e));
    this.draw();
  }
  clear() {
    this.strokes = [];
    this.current = null;
    this.draw();
  }
  draw() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#e3e3e3";
    ctx.beginPath();
    ctx.moveTo(0, canvas.height * 0.65);
    ctx.lineTo(canvas.width, canvas.height * 0.65);
    ctx.stroke();
    ctx.strokeStyle = "#1a1a1a";
    ctx.lineWidth = 2.5;
    ctx.lineCap = ctx.lineJoin = "round";
    for (const s of this.strokes) {
      ctx.beginPath();
      ctx.moveTo(s[0][0], s[0][1]);
      for (const p of s.slice(1)) ctx.lineTo(p[0], p[1]);
      if (s.length === 1) ctx.lineTo(s[0][0] + 0.1, s[0][1]);
      ctx.stroke();
    }
  }
}
const stylePad = new Pad($("style-pad"));
const readPad = new Pad($("read-pad"));

// -- models and styles --------------------------------------------------------

async function loadModels() {
  const models = await (await api("/api/models")).json();
  const shown = [];
  for (const [role, tab] of [["write", "write"], ["write", "style"], ["read", "read"],
                             ["sample", "text"]]) {
    const m = models[role];
    if (!m) {
      document.querySelector(`#tabs button[data-tab=${tab}]`).disabled = true;
    } else if (tab !== "style") {
      shown.push(`${role}: ${m.workdir.split("/").filter(Boolean).pop()} (step ${m.step})`);
    }
  }
  $("models").textContent = shown.join(" · ");
  if (models.write) await loadStyles();
}

function styleButton(name, label, svg) {
  const b = document.createElement("button");
  b.dataset.style = name;
  if (svg) {
    b.innerHTML = svg;  // our server's SVG: escaped text, no scripts
    const el = b.querySelector("svg");
    el.setAttribute("viewBox", `0 0 ${el.getAttribute("width")} ${el.getAttribute("height")}`);
    el.removeAttribute("width");
    el.removeAttribute("height");
  }
  const caption = document.createElement("span");
  caption.textContent = label;
  b.appendChild(caption);
  b.addEventListener("click", () => chooseStyle(name));
  return b;
}

async function loadStyles() {
  const { styles } = await (await api("/api/styles")).json();
  const picker = $("style-picker");
  picker.replaceChildren(styleButton("", "the model's own", null));
  if (state.ink) picker.appendChild(styleButton("@ink", `your ink: “${state.ink.text}”`, null));
  for (const s of styles) picker.appendChild(styleButton(s.name, `${s.name}: “${s.text}”`, s.svg));
  chooseStyle(state.style);
}

function chooseStyle(name) {
  state.style = name;
  document.querySelectorAll("#style-picker button").forEach((b) =>
    b.classList.toggle("chosen", b.dataset.style === name));
}

// -- writing ------------------------------------------------------------------

function writeBody() {
  const body = { text: $("text").value, bias: Number($("bias").value),
                 stroke_width: Number($("width").value), color: $("color").value,
                 seed: Number($("seed").value) };
  if (state.style === "@ink" && state.ink) {
    body.strokes = state.ink.strokes;
    body.ink_text = state.ink.text;
  } else if (state.style) {
    body.style = state.style;
  }
  return body;
}

// Which lines were written again after reading back wrong, and which are
// still doubtful (seqgen/handwriting/verify.py).
function verifiedNote(result) {
  const v = result.verified;
  if (!v) return "; not verified";
  const again = v.attempts.filter((a) => a > 1).length;
  const doubtful = v.doubtful.map((i) => `line ${i + 1} reads "${v.reads[i]}"`);
  return `; verified: ${again} line(s) written again` +
    (doubtful.length ? `; still doubtful: ${doubtful.join("; ")}` : "; none doubtful");
}

async function write(statusId) {
  $("write-btn").disabled = true;
  status(statusId, "writing …");
  try {
    const result = await (await api("/api/write", writeBody())).json();
    state.result = result;
    show(result);
    const stops = result.stopped.filter(Boolean).length;
    status(statusId, `written in ${result.seconds} s`);
    $("write-info").textContent = `${result.texts.length} line(s), ${result.points.join("/")} ` +
      `points; stop rule fired on ${stops} of ${result.texts.length}` +
      (Object.keys(result.fallbacks).length ? `; fallbacks ${JSON.stringify(result.fallbacks)}` : "") +
      verifiedNote(result);
    return true;
  } catch (e) {
    status(statusId, e.message, true);
    return false;
  } finally {
    $("write-btn").disabled = false;
  }
}

function blobUrl(text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  state.urls.push(url);
  return url;
}

function show(result) {
  state.urls.forEach((u) => URL.revokeObjectURL(u));
  state.urls = [];
  $("dl-svg").href = blobUrl(result.svg, "image/svg+xml");
  $("dl-json").href = blobUrl(JSON.stringify(result.strokes), "application/json");
  $("result-tools").hidden = false;
  $("alignment").hidden = true;
  animate(result.page);
}

// One path per stroke in drawing order, each revealed along its length;
// the jump to the next stroke is a pen-up, never drawn.
function animate(page) {
  const box = $("result");
  box.dataset.done = "0";
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("width", page.width);
  svg.setAttribute("height", page.height);
  svg.setAttribute("viewBox", `0 0 ${page.width} ${page.height}`);
  const paths = [];
  for (const row of page.rows) {
    for (const stroke of row) {
      const pts = stroke.length > 1 ? stroke : [stroke[0], stroke[0]];
      const p = document.createElementNS(SVGNS, "path");
      p.setAttribute("d", "M" + pts.map((q) => `${q[0]} ${q[1]}`).join(" L"));
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", page.color);
      p.setAttribute("stroke-width", page.stroke_width);
      p.setAttribute("stroke-linecap", "round");
      p.setAttribute("stroke-linejoin", "round");
      svg.appendChild(p);
      paths.push(p);
    }
  }
  box.replaceChildren(svg);
  const lengths = paths.map((p) => Math.max(p.getTotalLength(), 0.01));
  paths.forEach((p, i) => {
    p.style.strokeDasharray = `${lengths[i]} ${lengths[i]}`;
    p.style.strokeDashoffset = `${lengths[i]}`;
  });
  const total = lengths.reduce((a, b) => a + b, 0);
  const speed = Math.max(0.4, total / 4000);  // px per ms: at most ~4 s a page
  const start = performance.now();
  let i = 0, before = 0;
  function frame(now) {
    const drawn = (now - start) * speed;
    while (i < paths.length && before + lengths[i] <= drawn) {
      paths[i].style.strokeDashoffset = "0";
      before += lengths[i++];
    }
    if (i < paths.length) {
      paths[i].style.strokeDashoffset = `${lengths[i] - (drawn - before)}`;
      requestAnimationFrame(frame);
    } else {
      box.dataset.done = "1";
    }
  }
  requestAnimationFrame(frame);
}

// The window weights phi(t, u): time across, characters down (Graves fig. 7).
function drawAlignment(result) {
  const box = $("alignment");
  box.replaceChildren();
  result.alignment.forEach((a, n) => {
    const steps = a.phi.length, chars = a.text.length + 1, cw = 3, ch = 12, left = 16;
    const c = document.createElement("canvas");
    c.width = left + steps * cw;
    c.height = chars * ch;
    const ctx = c.getContext("2d");
    ctx.font = "10px monospace";
    ctx.fillStyle = "#333";
    for (let u = 0; u < chars; u++) ctx.fillText(a.text[u] || "⏎", 3, u * ch + 10);
    a.phi.forEach((row, t) => row.forEach((v, u) => {
      const k = Math.round(255 * (1 - Math.min(1, v)));
      ctx.fillStyle = `rgb(${k},${k},255)`;
      ctx.fillRect(left + t * cw, u * ch, cw, ch);
    }));
    const caption = document.createElement("div");
    caption.className = "caption";
    caption.textContent = `line ${n + 1}: window weights, time → (the last row: past the end)`;
    box.append(caption, c);
  });
}

$("bias").addEventListener("input", () => { $("bias-out").textContent = $("bias").value; });
$("write-btn").addEventListener("click", () => write("write-status"));
$("replay-btn").addEventListener("click", () => state.result && animate(state.result.page));
$("align-btn").addEventListener("click", () => {
  const box = $("alignment");
  if (box.hidden && state.result) drawAlignment(state.result);
  box.hidden = !box.hidden;
});
$("dl-png").addEventListener("click", (e) => {
  e.preventDefault();
  if (!state.result) return;
  const img = new Image();
  img.onload = () => {
    const c = document.createElement("canvas");
    c.width = img.width;
    c.height = img.height;
    c.getContext("2d").drawImage(img, 0, 0);
    c.toBlob((blob) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "seqgen.png";
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    });
  };
  img.src = $("dl-svg").href;
});

// -- your style ---------------------------------------------------------------

$("style-clear").addEventListener("click", () => { stylePad.clear(); status("style-status", ""); });
$("style-use").addEventListener("click", async () => {
  state.ink = { strokes: stylePad.strokes, text: $("ink-text").value };
  state.style = "@ink";
  status("style-status", "writing with your style …");
  if (await write("style-status")) {
    await loadStyles();
    showTab("write");
    status("write-status", "written in your style");
  }
});
$("style-save").addEventListener("click", async () => {
  try {
    const body = { name: $("style-name").value, strokes: stylePad.strokes,
                   text: $("ink-text").value };
    const { saved } = await (await api("/api/styles", body)).json();
    state.style = saved;
    await loadStyles();
    status("style-status", `saved as ${saved}; it is in the Write tab's styles`);
  } catch (e) {
    status("style-status", e.message, true);
  }
});

// -- reading ------------------------------------------------------------------

$("read-clear").addEventListener("click", () => { readPad.clear(); $("read-out").textContent = ""; });
$("read-btn").addEventListener("click", async () => {
  status("read-status", "reading …");
  try {
    const { text } = await (await api("/api/read", { strokes: readPad.strokes })).json();
    $("read-out").textContent = text;
    status("read-status", "");
  } catch (e) {
    status("read-status", e.message, true);
  }
});

// -- text: the response is streamed as the model samples ------------------------

$("sample-btn").addEventListener("click", async () => {
  const out = $("sample-out");
  $("sample-btn").disabled = true;
  status("sample-status", "sampling …");
  try {
    const prime = $("prime").value;
    const response = await api("/api/sample", {
      prime, temperature: Number($("temperature").value), length: Number($("length").value) });
    out.textContent = prime;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.textContent += decoder.decode(value, { stream: true });
    }
    status("sample-status", "done");
  } catch (e) {
    status("sample-status", e.message, true);
  } finally {
    $("sample-btn").disabled = false;
  }
});

loadModels().catch((e) => status("write-status", e.message, true));
