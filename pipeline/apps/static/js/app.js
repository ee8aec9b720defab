// The dashboard page: loads the API every few seconds and redraws cards, charts and the signal list. A click on a
// topic, channel, place, sentiment or hour selects it, and every card, chart and list then shows that selection.

import { el, replaceChildren, formatNumber, formatPercent, formatDateTime, formatClock, formatZone, humanize } from "./dom.js";
import { stackedColumns, horizontalBars } from "./charts.js";
import { getJSON } from "./api.js";
import { readParams, writeParams } from "./urlstate.js";
import { renderActiveFilters } from "./messages.js";
import { loadMeta } from "./labels.js";
import { correctionControl, correcting } from "./correction.js";

const CHANNEL_COLORS = {
  twitter: "#2563eb", facebook: "#7c3aed", call_note: "#0d9488", site_search: "#d97706",
  email: "#64748b", whatsapp: "#16a34a", webform: "#db2777",
};
const EXTRA_COLORS = ["#0891b2", "#9333ea", "#65a30d", "#ea580c", "#475569"];
const SENTIMENT_COLORS = { negative: "#dc2626", neutral: "#a3adba", positive: "#16a34a" };
const TOPIC_COLOR = "#2f6fb3";
const FULL_REFRESH_MS = 15000;
const PAGE_SIZE = 30;

const state = {
  meta: null,
  window: "24h",
  filters: { channel: "", topic: "", sentiment: "", place: "", q: "", from: "", to: "" },
  version: null,
  lastFull: 0,
  dirty: true,
  busy: false,
  again: false,
  rows: [],
  seen: new Set(),
  pagedBack: false,
  more: false,
  signalsSeq: 0,
  data: {},
};

const $ = (id) => document.getElementById(id);

/** Dutch label of a channel code. */
function channelLabel(code) {
  return state.meta?.channels?.[code] || humanize(code);
}

/** Colour of a channel (stable for unknown channels too). */
function channelColor(code) {
  if (CHANNEL_COLORS[code]) return CHANNEL_COLORS[code];
  let hash = 0;
  for (const ch of String(code)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return EXTRA_COLORS[hash % EXTRA_COLORS.length];
}

/** Dutch label of a topic: the taxonomy's label, else the model's own label, else the code. */
function topicLabel(code, ownLabel) {
  if (code === null || code === undefined) return "Onbekend";
  return state.meta?.topics?.[code] || ownLabel || humanize(code);
}

/** The selection as API parameters (empty values are left out by getJSON). */
function selection() {
  return { ...state.filters };
}

/** True when a filter narrows the page. */
function selecting() {
  return Object.values(state.filters).some(Boolean);
}

/** Dutch label of a sentiment. */
function sentimentLabel(code) {
  return state.meta?.sentiments?.[code] || humanize(code);
}

/** The live indicator: "live", "waiting" or "error", with a short text. */
function setLive(status, text) {
  const live = $("live");
  live.dataset.status = status;
  $("live-text").textContent = text;
}

// ---- cards ---------------------------------------------------------------------------------------

/** Fill one key-figure card. */
function setCard(id, value, sub) {
  $(`${id}-value`).textContent = value;
  $(`${id}-sub`).textContent = sub;
}

/** The key-figure cards, the period line and the per-channel breakdown. */
function renderCards(summary) {
  setCard("card-total", formatNumber(summary.total), `${formatNumber(summary.total_all)} in totaal opgeslagen`);
  const labelled = Object.values(summary.sentiments).reduce((a, b) => a + b, 0);
  setCard("card-negative", formatPercent(summary.negative_share),
    `${formatNumber(summary.sentiments.negative)} van ${formatNumber(labelled)} signalen`);
  setCard("card-zero", formatNumber(summary.zero_result_searches),
    summary.searches ? `${formatPercent(summary.zero_result_share)} van ${formatNumber(summary.searches)} zoekopdrachten`
      : "geen zoekopdrachten in deze periode");
  setCard("card-dead", formatNumber(summary.dead_letters), "afgekeurde invoer (totaal)");
  setCard("card-newest", summary.newest_ts ? formatClock(summary.newest_ts, true) : "–",
    summary.newest_ts ? formatDateTime(summary.newest_ts).replace(/ \d\d:\d\d$/, "") : "nog geen signalen");
  const p = summary.period;
  $("period-range").textContent = summary.newest_ts
    ? `${formatDateTime(p.start)} – ${formatDateTime(p.end)} ${formatZone(p.end)} · tot het nieuwste signaal`
    + (selecting() ? " · alleen de selectie" : "")
    : "Nog geen signalen in de opslag: zodra de eerste binnenkomen, verschijnen hier cijfers, grafieken en berichten";
  $("time-head").textContent = `Tijd (${formatZone(summary.newest_ts || Date.now() / 1000)})`;
  const channels = $("channel-breakdown");
  replaceChildren(channels, Object.entries(summary.channels).map(([code, n]) =>
    el("li", {}, el("button", { type: "button", class: "linkish", "data-channel": code,
      "aria-pressed": String(state.filters.channel === code),
      onclick: () => setFilter("channel", state.filters.channel === code ? "" : code) },
    el("span", { class: "dot", "data-color": channelColor(code) }), channelLabel(code), " ",
    el("strong", {}, formatNumber(n))))));
  paintSwatches(channels);
}

/** Give elements with data-color their colour (CSSOM, allowed by the CSP). */
function paintSwatches(root) {
  for (const node of root.querySelectorAll("[data-color]")) node.style.background = node.dataset.color;
}

// ---- charts --------------------------------------------------------------------------------------

/**
 * A chart height that lines its panel up with the panel beside it (same row, side by side), so
 * neither leaves a blank area; between 250 and 420 px. `below` is what sits under the chart.
 */
function heightBeside(chart, neighbour, below) {
  const base = 250;
  const mine = chart.closest(".panel");
  const other = neighbour.closest(".panel");
  if (!mine || !other || Math.abs(mine.getBoundingClientRect().top - other.getBoundingClientRect().top) > 2) return base;
  const belowHeight = below ? below.getBoundingClientRect().height + 10 : 0;
  const head = chart.getBoundingClientRect().top - mine.getBoundingClientRect().top;
  const target = other.getBoundingClientRect().height - head - belowHeight - 18;
  return Math.round(Math.min(420, Math.max(base, target)));
}

/** Stacked columns of signals per channel over time, with a legend. */
function renderVolume(volume) {
  const series = volume.series.map((s) => ({ key: s.key, label: channelLabel(s.key), color: channelColor(s.key),
    values: s.counts }));
  const from = Number(state.filters.from);
  stackedColumns($("volume-chart"), { buckets: volume.buckets, bucketSeconds: volume.bucket_seconds, series,
    ariaLabel: "Volume per kanaal", partialLast: true,
    selectedBucket: state.filters.from ? volume.buckets.findIndex((b) => Math.abs(b - from) < 1) : -1,
    onSelectBucket: (i) => {
      const start = volume.buckets[i];
      if (state.filters.from && Math.abs(from - start) < 1) setFilters({ from: "", to: "" });
      else setFilters({ from: start, to: start + volume.bucket_seconds });
    },
    height: heightBeside($("volume-chart"), $("topic-chart"), $("channel-breakdown")) });
  replaceChildren($("volume-legend"), series.map((s) =>
    el("span", { class: "legend-item" }, el("span", { class: "swatch", "data-color": s.color }), s.label)));
  paintSwatches($("volume-legend"));
}

/** Bars per topic; a click filters the signal list on that topic. */
function renderTopics(volume) {
  const items = volume.series.map((s) => ({ key: s.key ?? "", label: topicLabel(s.key), value: s.total,
    color: TOPIC_COLOR }));
  horizontalBars($("topic-chart"), items, {
    selectedKey: state.filters.topic || undefined,
    ariaLabel: "Volume per onderwerp",
    onSelect: (key) => {
      setFilter("topic", state.filters.topic === key ? "" : key);
    },
  });
  addTopicOptions(volume.series.map((s) => s.key).filter(Boolean));
}

/** 100% stacked columns of negative/neutral/positive per bucket. */
function renderSentiment(sentiment) {
  const labels = ["negative", "neutral", "positive"];
  const series = labels.map((code) => ({ key: code, label: sentimentLabel(code), color: SENTIMENT_COLORS[code],
    values: sentiment.counts[code] }));
  stackedColumns($("sentiment-chart"), {
    buckets: sentiment.buckets, bucketSeconds: sentiment.bucket_seconds, series, percent: true,
    height: heightBeside($("sentiment-chart"), $("zero-list"), null),
    ariaLabel: "Sentiment door de tijd", emptyText: "Geen signalen met sentiment in deze periode",
    valueText: (k, i) => `${formatPercent(sentiment.shares[labels[k]][i])} (${formatNumber(series[k].values[i])})`,
  });
  replaceChildren($("sentiment-legend"), series.map((s) =>
    el("button", { type: "button", class: "legend-item linkish", "data-sentiment": s.key,
      "aria-pressed": String(state.filters.sentiment === s.key),
      onclick: () => setFilter("sentiment", state.filters.sentiment === s.key ? "" : s.key) },
    el("span", { class: "swatch", "data-color": s.color }), s.label, " ",
    el("strong", {}, formatPercent(sentiment.overall[s.key].share)))));
  paintSwatches($("sentiment-legend"));
}

/** The ranked list of site-search groups without results. */
function renderZeroResults(payload) {
  const list = $("zero-list");
  if (!payload.groups.length) {
    replaceChildren(list, el("li", { class: "empty" }, "Geen zoekopdrachten zonder resultaat in deze periode"));
    return;
  }
  const max = Math.max(...payload.groups.map((g) => g.zero_results));
  replaceChildren(list, payload.groups.map((g, i) => {
    const others = g.forms.slice(1).map((f) => f.form);
    const bar = el("span", { class: "zero-bar" });
    bar.style.width = `${Math.max(4, (g.zero_results / max) * 100)}%`;
    return el("li", { class: "zero-item" },
      el("span", { class: "rank" }, String(i + 1)),
      el("div", { class: "zero-main" },
        el("div", { class: "zero-term" }, g.display),
        others.length ? el("div", { class: "zero-forms" }, `ook: ${others.join(", ")}`) : null,
        el("div", { class: "zero-track" }, bar)),
      el("div", { class: "zero-figures" },
        el("strong", {}, formatNumber(g.zero_results)),
        el("span", {}, `${formatPercent(g.zero_rate)} van ${formatNumber(g.searches)}`)));
  }));
}

// ---- the signal list -----------------------------------------------------------------------------

/** A pill with optional coloured dot. */
function badge(text, kind, color) {
  const node = el("span", { class: `badge ${kind}` }, color ? el("span", { class: "dot", "data-color": color }) : null, text);
  return node;
}

/** One table row for a signal; every resident-supplied string goes in as text. */
function signalRow(s, isNew) {
  const textCell = el("td", { class: "col-text" }, el("div", { class: "message" }, s.text));
  const notes = [];
  if (s.channel === "site_search" && s.zero_result) notes.push(el("span", { class: "chip chip-zero" }, "geen resultaat"));
  if (s.pii && s.pii.length) {
    notes.push(el("span", { class: "chip chip-pii", title: `Verwijderd: ${s.pii.join(", ")}` },
      `${s.pii.length}× persoonsgegeven verwijderd`));
  }
  if (s.language && s.language !== "nl") notes.push(el("span", { class: "chip" }, s.language.toUpperCase()));
  if (s.url && /^https?:\/\//i.test(s.url)) {
    notes.push(el("a", { class: "source-link", href: s.url, target: "_blank", rel: "noopener noreferrer" }, "bron ↗"));
  }
  if (notes.length) textCell.appendChild(el("div", { class: "message-notes" }, notes));
  textCell.appendChild(correctionControl(s));
  const pick = (name, value, text, className) => el("button", { type: "button", class: `linkish ${className}`,
    title: `Alleen ${text} tonen`, onclick: () => setFilter(name, state.filters[name] === value ? "" : value) }, text);
  const channel = pick("channel", s.channel, channelLabel(s.channel), "drill-channel");
  channel.prepend(el("span", { class: "dot", "data-color": channelColor(s.channel) }));
  const row = el("tr", { class: isNew ? "is-new" : null, "data-id": s.id },
    el("td", { class: "col-time", title: s.created_at }, formatDateTime(s.ts)),
    el("td", { class: "col-channel" }, channel),
    el("td", { class: "col-topic" }, s.topic ? pick("topic", s.topic, topicLabel(s.topic, s.topic_label), "drill-topic") : "–",
      s.needs_review ? el("span", { class: "chip chip-review", title: "Onderwerp onzeker: graag beoordelen" }, "?") : null),
    el("td", { class: "col-sentiment" },
      s.sentiment ? badge(sentimentLabel(s.sentiment), `badge-${s.sentiment}`) : "–"),
    el("td", { class: "col-place" }, s.place ? pick("place", s.place, s.place, "drill-place") : "–"),
    textCell);
  paintSwatches(row);
  return row;
}

/** Redraw the signal table from state.rows, marking rows not seen before. */
function renderSignals() {
  const body = $("signals-body");
  if (!state.rows.length) {
    const filtered = Object.values(state.filters).some(Boolean);
    replaceChildren(body, el("tr", { class: "empty-row" }, el("td", { colspan: 6 },
      filtered ? "Geen signalen die aan de selectie voldoen: wis een filter om meer te zien"
        : "Nog geen signalen in deze periode. Berichten van sociale media, telefoonnotities en zoekopdrachten "
        + "verschijnen hier zodra ze binnenkomen, de nieuwste bovenaan.")));
  } else {
    const firstPaint = state.seen.size === 0;
    replaceChildren(body, state.rows.map((s) => signalRow(s, !firstPaint && !state.seen.has(s.id))));
    for (const s of state.rows) state.seen.add(s.id);
  }
  $("more").hidden = !state.more;
  $("signals-count").textContent = state.rows.length ? `${formatNumber(state.rows.length)} getoond` : "";
}

/** Query parameters for /api/signals from the period and filters. */
function signalParams(extra = {}) {
  return { period: state.window, limit: PAGE_SIZE, ...state.filters, ...extra };
}

/** Fetch the newest page and keep any older pages the user loaded below it. */
async function refreshSignals() {
  const seq = ++state.signalsSeq;
  const page = await getJSON("/api/signals", signalParams());
  if (seq !== state.signalsSeq) return;  // a newer request (other filters or period) is under way
  if (correcting()) return;  // the adviser is choosing a correction: redraw at the next refresh
  const fresh = page.signals;
  const ids = new Set(fresh.map((s) => s.id));
  const last = fresh[fresh.length - 1];
  let older = [];
  if (state.pagedBack && last) {
    older = state.rows.filter((r) => !ids.has(r.id) && (r.ts < last.ts || (r.ts === last.ts && r.id < last.id)));
  }
  state.rows = fresh.concat(older);
  if (!state.pagedBack) state.more = page.more;
  renderSignals();
}

/** Append the next older page below the list. */
async function loadMore() {
  const last = state.rows[state.rows.length - 1];
  if (!last) return;
  $("more").disabled = true;
  const seq = state.signalsSeq;
  try {
    const page = await getJSON("/api/signals", signalParams({ before: last.ts, before_id: last.id }));
    if (seq !== state.signalsSeq) return;
    for (const s of page.signals) state.seen.add(s.id);
    state.rows = state.rows.concat(page.signals);
    state.pagedBack = true;
    state.more = page.more;
    renderSignals();
  } catch (err) {
    setLive("error", `Laden mislukt: ${err.message}`);
  } finally {
    $("more").disabled = false;
  }
}

// ---- filters and period --------------------------------------------------------------------------

/** Replace a select's options, keeping the current choice when it still exists. */
function fillSelect(select, entries, anyLabel) {
  const current = select.value;
  replaceChildren(select, el("option", { value: "" }, anyLabel),
    entries.map(([value, label]) => el("option", { value }, label)));
  select.value = entries.some(([value]) => value === current) ? current : "";
}

/** Add topic codes seen in the data (e.g. a custom model's) to the topic filter. */
function addTopicOptions(codes) {
  const select = $("filter-topic");
  const known = new Set([...select.options].map((o) => o.value));
  for (const code of codes) {
    if (!known.has(code)) select.appendChild(el("option", { value: code }, topicLabel(code)));
  }
}

/** Change one filter and reload the list. */
function setFilter(name, value) {
  setFilters({ [name]: value }, name === "q");
}

/** Change filters, keep them in the URL, redraw what shows the selection and reload the list. */
function setFilters(changes, replace = false) {
  for (const [name, value] of Object.entries(changes)) {
    state.filters[name] = value === null || value === undefined ? "" : String(value);
    const input = $(`filter-${name}`);
    if (input && input.value !== state.filters[name]) input.value = state.filters[name];
  }
  writeParams(changes, replace);
  applyFilters();
}

/** Redraw the selection marks and chips, and reload cards, charts and list for state.filters. */
function applyFilters() {
  resetSignals();
  renderFilterChips();
  redrawCharts();
  state.dirty = true;
  tick();
}

/** Chips for every active filter (the whole page shows the selection), each with a button that removes it. */
function renderFilterChips() {
  const f = state.filters;
  const chips = [];
  if (f.topic) chips.push({ name: "topic", text: `Onderwerp: ${topicLabel(f.topic)}` });
  if (f.channel) chips.push({ name: "channel", text: `Kanaal: ${channelLabel(f.channel)}` });
  if (f.place) chips.push({ name: "place", text: `Wijk: ${f.place}` });
  if (f.sentiment) chips.push({ name: "sentiment", text: `Sentiment: ${sentimentLabel(f.sentiment)}` });
  if (f.q) chips.push({ name: "q", text: `Tekst: ${f.q}` });
  if (f.from) {
    chips.push({ name: "from", text: `Tijd: ${formatDateTime(Number(f.from))}`
      + (f.to ? ` – ${formatDateTime(Number(f.to))}` : "") + ` ${formatZone(Number(f.from))}` });
  }
  renderActiveFilters($("active-filters"), chips, (name) => setFilters(name === "from" ? { from: "", to: "" } : { [name]: "" }));
  $("selection-banner").hidden = chips.length === 0;
  replaceChildren($("selection-banner"), chips.length
    ? ["Alle cijfers, grafieken en berichten tonen alleen de selectie. ",
      el("button", { type: "button", class: "linkish", onclick: () => $("filters").reset() }, "Selectie wissen")] : []);
}

/** A time from the URL as unix seconds: seconds stay, an ISO time (from an alert's link) is converted. */
function urlSeconds(value) {
  if (!value || /^\d+(\.\d+)?$/.test(value)) return value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? "" : String(Math.floor(parsed / 1000));
}

/** Take period and filters from the URL (on start and on back/forward). */
function loadUrlState() {
  const values = readParams(["period", ...Object.keys(state.filters)]);
  if (values.period && state.meta.windows[values.period]) state.window = values.period;
  values.from = urlSeconds(values.from);
  values.to = urlSeconds(values.to);
  for (const name of Object.keys(state.filters)) {
    state.filters[name] = values[name];
    const input = $(`filter-${name}`);
    if (input) {
      if (input.tagName === "SELECT" && values[name] && ![...input.options].some((o) => o.value === values[name])) {
        input.appendChild(el("option", { value: values[name] }, name === "topic" ? topicLabel(values[name]) : values[name]));
      }
      input.value = values[name];
    }
  }
  for (const b of $("periods").querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.window === state.window));
}

/** Forget the listed rows (after a filter or period change). */
function resetSignals() {
  state.rows = [];
  state.seen = new Set();
  state.pagedBack = false;
  state.more = false;
}

/** Fill the filters and period buttons and wire their events. */
function setupControls() {
  const meta = state.meta;
  fillSelect($("filter-channel"), Object.entries(meta.channels), "Alle kanalen");
  fillSelect($("filter-topic"), Object.entries(meta.topics), "Alle onderwerpen");
  fillSelect($("filter-sentiment"), Object.entries(meta.sentiments), "Elk sentiment");
  fillSelect($("filter-place"), meta.places.map((p) => [p, p]), "Alle wijken");
  for (const name of ["channel", "topic", "sentiment", "place"]) {
    $(`filter-${name}`).addEventListener("change", (event) => setFilter(name, event.target.value));
  }
  let timer = null;
  $("filter-q").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => setFilter("q", event.target.value.trim()), 300);
  });
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("filters").addEventListener("reset", () => {
    const cleared = Object.fromEntries(Object.keys(state.filters).map((name) => [name, ""]));
    setTimeout(() => setFilters(cleared), 0);
  });
  $("more").addEventListener("click", loadMore);

  const periods = $("periods");
  replaceChildren(periods, Object.entries(meta.windows).map(([code, label]) =>
    el("button", { type: "button", "data-window": code, "aria-pressed": code === state.window ? "true" : "false" }, label)));
  periods.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-window]");
    if (!button || button.dataset.window === state.window) return;
    state.window = button.dataset.window;
    for (const b of periods.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
    state.filters.from = "";
    state.filters.to = "";
    writeParams({ period: state.window, from: "", to: "" });
    renderFilterChips();
    resetSignals();
    state.dirty = true;
    tick();
  });
}

// ---- polling -------------------------------------------------------------------------------------

/** Reload charts, zero-result list and signal list for the current period. */
async function refreshAll() {
  const period = state.window;
  const chosen = selection();
  const [volume, topics, sentiment, zero] = await Promise.all([
    getJSON("/api/volume", { period, by: "channel", ...chosen }),
    getJSON("/api/volume", { period, by: "topic", ...chosen }),
    getJSON("/api/sentiment", { period, ...chosen }),
    getJSON("/api/zero-results", { period, limit: 10, ...chosen }),
    refreshSignals(),
  ]);
  if (period !== state.window) return;  // the user picked another period meanwhile
  Object.assign(state.data, { volume, topics, sentiment, zero });
  renderTopics(topics);  // the neighbours first: the time charts take their height
  renderZeroResults(zero);
  renderVolume(volume);
  renderSentiment(sentiment);
}

/** One polling round: the summary always, everything else when the store changed. */
async function tick() {
  if (state.busy) {
    state.again = true;  // run once more when the current round is done
    return;
  }
  state.busy = true;
  try {
    const period = state.window;
    const chosen = JSON.stringify(state.filters);
    const summary = await getJSON("/api/summary", { period, ...selection() });
    if (period !== state.window || chosen !== JSON.stringify(state.filters)) return;
    state.data.summary = summary;
    renderCards(summary);
    const version = `${period}|${chosen}|${summary.newest_ts}|${summary.total_all}|${summary.dead_letters}`;
    const stale = Date.now() - state.lastFull > FULL_REFRESH_MS;
    if (state.dirty || stale || version !== state.version) {
      state.dirty = false;
      await refreshAll();
      state.version = version;
      state.lastFull = Date.now();
    }
    const now = formatClock(Date.now() / 1000, true);
    if (summary.newest_ts) setLive("live", `Live · bijgewerkt ${now}`);
    else setLive("waiting", "Wachten op signalen…");
  } catch (err) {
    state.dirty = true;
    setLive("error", `Geen verbinding (${err.message})`);
  } finally {
    state.busy = false;
    if (state.again) {
      state.again = false;
      setTimeout(tick, 0);
    }
  }
}

/** Redraw charts at the new width after a resize. */
function redrawCharts() {
  const { volume, topics, sentiment } = state.data;
  if (topics) renderTopics(topics);
  if (volume) renderVolume(volume);
  if (sentiment) renderSentiment(sentiment);
}

/** Load the settings, draw once, then poll. */
async function start() {
  try {
    state.meta = await loadMeta();
  } catch (err) {
    setLive("error", `Geen verbinding (${err.message})`);
    setTimeout(start, 3000);
    return;
  }
  state.window = state.meta.default_window;
  setupControls();
  loadUrlState();
  renderFilterChips();
  window.addEventListener("popstate", () => {
    loadUrlState();
    state.dirty = true;
    applyFilters();
    tick();
  });
  await tick();
  setInterval(() => { if (!document.hidden) tick(); }, state.meta.poll_seconds * 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(redrawCharts, 150);
  });
}

start();
