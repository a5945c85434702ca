// msdunet web app: check photos (POST /api/detect) and review a detect output folder (GET /api/report).
// Verdicts are re-derived here at the page's blur limit with the rule of msdunet.focus.verdict_at.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { config: null, rule: {}, rows: [], picks: {}, bursts: {}, visible: [], current: 0, uploads: [] };

function verdictAt(row, limitPx) {
  // Same rule as msdunet.focus.verdict_at: blurred when shaken (the streak score, whatever the limit),
  // when the subject's blur at the judged size is over the limit or when the map rejects; sharp /
  // subject in focus as detect judged them; no texture: as judged.
  if (row.shaken) return "blurred";
  if (row.judged_blur_px == null) return row.verdict;
  if (row.judged_blur_px > limitPx || row.map_verdict === "blurred") return "blurred";
  return row.verdict === "blurred" ? "subject in focus" : row.verdict;
}

const pct = (x) => (x == null ? "–" : `${Math.round(x * 100)} %`);
const verdictOf = (row) => verdictAt(row, state.rule.limit_px);
const px = (x) => (x == null ? "–" : `${x.toFixed(2)} px`);
// The blur's kind, and a long shake the streak score found (its blur in px reads short: it is blurred at any limit).
const kindOf = (row) => (row.shaken ? " (motion: shaken, edges across the streak erased)" : row.blur_kind ? ` (${row.blur_kind})` : "");

function reasonAt(row, limitPx) {
  // Why the verdict at the page's limit, as msdunet.focus.reason words it for detect's.
  if (row.judged_blur_px == null) return "no texture to judge in pixels: the blur map's verdict";
  const at = row.judged_at ? ` at ${row.judged_at} px` : "";
  if (verdictAt(row, limitPx) !== "blurred") return `subject ${px(row.judged_blur_px)} ≤ ${px(limitPx)}${at}`;
  const causes = [];
  if (row.shaken) causes.push("long shake: the edges across one direction are gone");
  if (row.judged_blur_px > limitPx) causes.push(`subject blur ${px(row.judged_blur_px)} > ${px(limitPx)}${at}`);
  if (row.map_verdict === "blurred") causes.push("the blur map finds no sharp region of meaningful size");
  return causes.join("; ");
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function badge(verdict) {
  return el("span", { className: `verdict v-${verdict.replaceAll(" ", "-")}`, textContent: verdict });
}

async function api(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

// ---- verdict rule -------------------------------------------------------------------------------
function showRule() {
  $("limit-px").value = state.rule.limit_px;
  $("limit-px-value").textContent = px(state.rule.limit_px);
  state.uploads.forEach(renderResult);
  renderGallery();
}

$("limit-px").addEventListener("input", () => {
  state.rule = { limit_px: Number($("limit-px").value) };
  showRule();
});
$("reset-rule").addEventListener("click", () => {
  state.rule = { limit_px: state.config.limit_px };
  showRule();
});

// ---- check photos ---------------------------------------------------------------------------------
$("opacity").addEventListener("input", () => {
  const value = Number($("opacity").value);
  document.documentElement.style.setProperty("--overlay-opacity", value / 100);
  $("opacity-value").textContent = `${value} %`;
});

function renderResult(item) {
  const { card, row, error, photoUrl, name } = item;
  card.replaceChildren();
  card.classList.toggle("failed", Boolean(error));
  if (error) {
    card.append(el("p", { textContent: `${name}: ${error}` }));
    return;
  }
  if (!row) {
    card.append(el("p", { className: "muted", textContent: `${name}: working…` }));
    return;
  }
  const photo = el("img", { className: "photo", src: photoUrl, alt: "" });
  photo.addEventListener("error", () => (photo.style.visibility = "hidden")); // a format the browser cannot show
  const stack = el("div", { className: "stack" }, photo, el("img", { className: "overlay", src: row.overlay_url, alt: "overlay" }));
  const map = el("div", { className: "map" }, el("img", { src: row.map_url, alt: "blur map" }));
  const text = ` ${row.path} · subject blur ${px(row.subject_blur_px)}${kindOf(row)} · ${pct(row.blurred_fraction)} blurred on the map · ${row.width}×${row.height} · ${row.ms} ms`;
  card.append(el("div", { className: "pair" }, stack, map), el("p", {}, badge(verdictOf(row)), text));
}

async function upload(files) {
  for (const file of files) {
    const item = { name: file.name, photoUrl: URL.createObjectURL(file), card: el("article", { className: "result" }) };
    state.uploads.unshift(item);
    $("results").prepend(item.card);
    renderResult(item);
    if (file.size > state.config.max_upload) {
      item.error = `too large (${(file.size / 1048576).toFixed(1)} MB; this server takes ${(state.config.max_upload / 1048576).toFixed(0)} MB)`;
    } else {
      const form = new FormData();
      form.append("file", file);
      try {
        item.row = await api("/api/detect", { method: "POST", body: form });
      } catch (err) {
        item.error = err.message;
      }
    }
    renderResult(item);
  }
}

$("file-input").addEventListener("change", (event) => upload([...event.target.files]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  upload([...event.dataTransfer.files]);
});

// ---- review a detect output folder ----------------------------------------------------------------
const SORTS = {
  path: (a, b) => a.path.localeCompare(b.path),
  blur: (a, b) => b.blurred_fraction - a.blurred_fraction,
  sharp: (a, b) => b.sharp_fraction - a.sharp_fraction,
  subject: (a, b) => b.subject_share - a.subject_share,
};

function shown(row) {
  const filter = $("filter").value;
  if (filter === "all") return true;
  if (filter === "pick" || filter === "reject") return state.picks[row.path] === filter;
  if (filter === "none") return !state.picks[row.path];
  return verdictOf(row) === filter;
}

// What the "view" choice shows of a row: its photo (thumbnails made by the server from the original),
// the overlay, or the blur map; each falls back to the next one there is (no overlay after --no-overlay).
const VIEWS = ["photo", "overlay", "map"];
function imageOf(row, view, large) {
  const photo = large ? row.photo_url : row.thumb_url;
  const order = { photo: [photo, row.overlay_url, row.map_url], overlay: [row.overlay_url, row.map_url], map: [row.map_url] };
  return order[view].find(Boolean);
}

function showIn(img, row, large) {
  // The row in the current view into <img>; a photo that cannot be had (moved, unreadable) gives way to the overlay or map.
  img.onerror = () => {
    const fallback = imageOf(row, "overlay", large);
    if (!img.src.endsWith(fallback)) img.src = fallback;
  };
  img.src = imageOf(row, $("view").value, large);
  return img;
}

function nextView() {
  // m: the next view the current photo has (photo → overlay → map → photo); one it lacks is passed over.
  const row = state.visible[state.current] || {};
  const has = { photo: row.photo_url, overlay: row.overlay_url, map: row.map_url };
  const at = VIEWS.indexOf($("view").value);
  const order = [1, 2, 3].map((i) => VIEWS[(at + i) % VIEWS.length]);
  $("view").value = order.find((view) => has[view]) || order[0];
  renderGallery();
}

function renderGallery() {
  if (!state.config || !state.config.out) return;
  const good = state.rows.filter((r) => !r.error && r.map_url);
  const currentPath = state.visible[state.current]?.path;
  state.visible = good.filter(shown).sort(SORTS[$("sort").value]);
  const at = state.visible.findIndex((r) => r.path === currentPath);
  state.current = at >= 0 ? at : Math.min(state.current, Math.max(0, state.visible.length - 1));
  const counts = {};
  for (const row of good) counts[verdictOf(row)] = (counts[verdictOf(row)] || 0) + 1;
  const picked = Object.values(state.picks);
  $("counts").textContent = [
    `${state.visible.length} of ${good.length} shown`,
    ...state.config.verdicts.map((v) => `${v} ${counts[v] || 0}`),
    `picked ${picked.filter((p) => p === "pick").length}`,
    `rejected ${picked.filter((p) => p === "reject").length}`,
    `failed ${state.rows.length - good.length}`,
  ].join(" · ");
  $("gallery").replaceChildren(...state.visible.map((row, i) => {
    const pick = state.picks[row.path] || "";
    const thumb = el("button", { type: "button", className: `thumb ${pick}`, dataset: { path: row.path, verdict: verdictOf(row), pick } },
      showIn(el("img", { loading: "lazy", alt: "" }), row, false),
      el("span", { className: "mark", textContent: pick === "pick" ? "✓" : pick === "reject" ? "✗" : "" }),
      el("span", { className: "name", title: row.path, textContent: row.path.split("/").pop() }),
      badge(verdictOf(row)));
    thumb.addEventListener("click", () => select(i));
    return thumb;
  }));
  select(state.current, false);
}

function select(index, scroll = true) {
  const thumbs = $("gallery").children;
  if (!state.visible.length) {
    $("viewer").dataset.path = "";
    $("viewer-img").removeAttribute("src");
    $("viewer-caption").textContent = "nothing to show with this filter";
    return;
  }
  state.current = Math.max(0, Math.min(index, state.visible.length - 1));
  for (const thumb of thumbs) thumb.classList.remove("current");
  const thumb = thumbs[state.current];
  thumb.classList.add("current");
  if (scroll) thumb.scrollIntoView({ block: "nearest" });
  const row = state.visible[state.current];
  const pick = state.picks[row.path];
  $("viewer").dataset.path = row.path;
  showIn($("viewer-img"), row, true);
  $("viewer-caption").replaceChildren(badge(verdictOf(row)),
    ` ${row.path} · subject blur ${px(row.subject_blur_px)}${kindOf(row)} · ${pct(row.blurred_fraction)} blurred on the map`,
    el("strong", { textContent: pick ? ` · ${pick === "pick" ? "picked" : "rejected"}` : "" }),
    el("div", { className: "reason", textContent: `why: ${reasonAt(row, state.rule.limit_px)}` }));
  $("subject").hidden = !row.crop_url;
  if (row.crop_url) $("subject-crop").src = row.crop_url;
  const judged = row.judged_at ? ` judged at ${row.judged_at} px: ${px(row.judged_blur_px)},` : "";
  showBurst(row);
  $("subject-caption").textContent = `the subject at 100 %: σ = ${px(row.subject_blur_px)} in the full-size photo;${judged} limit ${px(state.rule.limit_px)}`;
}

function showBurst(row) {
  // The photo's burst (OUT/bursts.csv, msdunet cull --bursts) side by side, sharpest first, each shot's
  // subject at 100 %.
  const mine = state.bursts[row.path];
  const shots = mine ? state.rows.filter((r) => state.bursts[r.path]?.group === mine.group) : [];
  $("burst").hidden = shots.length < 2;
  if (shots.length < 2) return $("burst").replaceChildren();
  shots.sort((a, b) => state.bursts[a.path].rank - state.bursts[b.path].rank);
  $("burst").replaceChildren(...shots.map((r) => el("figure", { className: r.path === row.path ? "current" : "", dataset: { path: r.path } },
    el("img", { src: r.crop_url || "", alt: r.path }),
    el("figcaption", { textContent: `#${state.bursts[r.path].rank} · ${px(r.subject_blur_px)}` }))));
}

async function setPick(value) {
  const row = state.visible[state.current];
  if (!row) return;
  try {
    state.picks = await api("/api/picks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: row.path, pick: value }),
    });
    $("status").className = "";
    $("status").textContent = `saved: ${row.path} ${value || "cleared"}`;
  } catch (err) {
    $("status").className = "error";
    $("status").textContent = `not saved: ${err.message}`;
  }
  renderGallery();
}

document.addEventListener("keydown", (event) => {
  if (!state.config?.out || event.ctrlKey || event.metaKey || event.altKey) return;
  if (["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName)) return;
  const actions = {
    ArrowRight: () => select(state.current + 1),
    ArrowLeft: () => select(state.current - 1),
    p: () => setPick("pick"),
    x: () => setPick("reject"),
    u: () => setPick(null),
    m: nextView,
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});
$("sort").addEventListener("change", renderGallery);
$("filter").addEventListener("change", renderGallery);
$("view").addEventListener("change", renderGallery);

async function start() {
  state.config = await api("/api/config");
  state.rule = { limit_px: state.config.limit_px };
  $("model").textContent = `model ${state.config.model} · v${state.config.version}`;
  if (state.config.out) {
    $("review").hidden = false;
    $("out-name").textContent = state.config.out;
    try {
      const [report, picks, bursts] = await Promise.all([api("/api/report"), api("/api/picks"), api("/api/bursts")]);
      state.rows = report.rows;
      state.picks = picks;
      state.bursts = bursts.photos;
    } catch (err) {
      $("status").className = "error";
      $("status").textContent = err.message;
    }
  }
  showRule();
  document.body.dataset.ready = "1";
}
start();
