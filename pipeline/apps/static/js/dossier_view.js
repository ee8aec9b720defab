// One dossier: key figures against the period before, volume and sentiment over time, top terms, channels,
// and its messages. Every click (bar, term, channel, sentiment) filters the messages; filters live in the URL.

import { el, replaceChildren, formatNumber, formatPercent, formatDateTime, formatBucket, formatZone } from "./dom.js";
import { stackedColumns, horizontalBars } from "./charts.js";
import { getJSON } from "./api.js";
import { MessageList, renderActiveFilters } from "./messages.js";
import { readParams, writeParams } from "./urlstate.js";
import { describeDossier } from "./dossier_list.js";

const FILTERS = ["sentiment", "channel", "topic", "term", "from", "to"];
const SENTIMENT_COLORS = { negative: "#dc2626", neutral: "#a3adba", positive: "#16a34a" };

/** "+12% t.o.v. vorige periode" style text and its direction class. */
function delta(change, unit = "%") {
  if (change === null || change === undefined) return { text: "geen vergelijking", cls: "" };
  const value = unit === "pt" ? `${(change * 100).toFixed(0)} procentpunt` : `${(change * 100).toFixed(0)}%`;
  return { text: `${change > 0 ? "+" : ""}${value} t.o.v. periode ervoor`, cls: change > 0 ? "up" : change < 0 ? "down" : "" };
}

/** A key-figure card. */
function card(id, title, value, sub) {
  return el("article", { class: "card", id },
    el("h3", {}, title), el("div", { class: "card-value" }, value),
    el("div", { class: `card-sub delta ${sub.cls || ""}` }, sub.text));
}

/** Draw the dossier page into `view`. */
export async function showDossier(view, dossierId, meta, labels) {
  const report = await getJSON(`/api/dossiers/${dossierId}`);
  const d = report.dossier;
  const filters = readParams(FILTERS);
  const setFilters = (changes) => {
    writeParams(changes);
    Object.assign(filters, changes);
    draw();
  };
  const toggle = (name, value) => setFilters({ [name]: filters[name] === value ? "" : value });

  const chart = el("div", { class: "chart", id: "dossier-chart" });
  const legend = el("div", { class: "legend", id: "dossier-legend" });
  const terms = el("div", { class: "chart", id: "dossier-terms" });
  const channels = el("ul", { class: "breakdown", id: "dossier-channels" });
  const active = el("div", { class: "active-filters", id: "active-filters" });
  const tbody = el("tbody", { id: "signals-body" });
  const count = el("span", { class: "hint", id: "signals-count" });
  const more = el("button", { type: "button", id: "more", class: "secondary", hidden: true }, "Meer laden");
  const list = new MessageList(tbody, count, more, labels, (name, value) => setFilters({ [name]: value }));
  const cur = report.current;
  const prev = report.previous;

  replaceChildren(view,
    el("section", { class: "panel" },
      el("div", { class: "panel-head" }, el("h2", { id: "dossier-name" }, d.name),
        el("a", { href: "/dossiers", class: "hint" }, "← alle dossiers")),
      el("div", { class: "dossier-def" }, describeDossier(d, labels)),
      el("div", { class: "hint" }, `${formatDateTime(report.start)} – ${formatDateTime(report.end)}, vergeleken met `
        + `${formatDateTime(prev.start)} – ${formatDateTime(prev.end)}`)),
    el("section", { class: "cards" },
      card("card-dossier-total", "Berichten", formatNumber(cur.total), delta(report.change.total)),
      card("card-dossier-negative", "Negatief", formatPercent(cur.negative_share),
        delta(report.change.negative_share_points, "pt")),
      card("card-dossier-previous", "Periode ervoor", formatNumber(prev.total),
        { text: `${formatPercent(prev.negative_share)} negatief` })),
    el("section", { class: "row" },
      el("article", { class: "panel panel-wide" },
        el("div", { class: "panel-head" }, el("h2", {}, "Volume en sentiment"), legend,
          el("span", { class: "hint" }, "klik op een staaf om de berichten van dat moment te zien")),
        chart, channels),
      el("article", { class: "panel" },
        el("div", { class: "panel-head" }, el("h2", {}, "Meest genoemd"), el("span", { class: "hint" }, "klik om te filteren")),
        terms)),
    el("section", { class: "panel" },
      el("div", { class: "panel-head" }, el("h2", {}, "Berichten"), count),
      active,
      el("div", { class: "table-wrap" }, el("table", { class: "signals" },
        el("thead", {}, el("tr", {}, [`Tijd (${formatZone(Date.now() / 1000)})`, "Kanaal", "Onderwerp", "Sentiment", "Wijk", "Bericht"].map((h) => el("th", {}, h)))),
        tbody)),
      el("div", { class: "more-wrap" }, more)));

  const series = report.series;
  const bucketSeconds = series.bucket_seconds;

  /** Redraw the filter-dependent parts and reload the messages. */
  function draw() {
    const from = Number(filters.from);
    const selected = filters.from ? series.buckets.findIndex((b) => Math.abs(b - from) < 1) : -1;
    stackedColumns(chart, {
      buckets: series.buckets, bucketSeconds,
      series: ["negative", "neutral", "positive"].map((k) => ({ key: k, label: labels.sentiment(k),
        color: SENTIMENT_COLORS[k], values: series.counts[k] })),
      ariaLabel: "Volume en sentiment van het dossier", height: 260, selectedBucket: selected,
      emptyText: "Geen berichten in deze periode",
      onSelectBucket: (i) => {
        const start = series.buckets[i];
        if (filters.from && Math.abs(Number(filters.from) - start) < 1) setFilters({ from: "", to: "" });
        else setFilters({ from: start, to: Math.min(start + bucketSeconds, report.end) });
      },
    });
    replaceChildren(legend, ["negative", "neutral", "positive"].map((k) =>
      el("button", { type: "button", class: "legend-item linkish", "data-sentiment": k,
        "aria-pressed": String(filters.sentiment === k), onclick: () => toggle("sentiment", k) },
      el("span", { class: "swatch", "data-color": SENTIMENT_COLORS[k] }), labels.sentiment(k), " ",
      el("strong", {}, formatNumber(cur.sentiments[k])))));
    for (const s of legend.querySelectorAll("[data-color]")) s.style.background = s.dataset.color;
    horizontalBars(terms, report.terms.map((t) => ({ key: t.term, label: t.term, value: t.count, color: "#2f6fb3" })), {
      selectedKey: filters.term || undefined, ariaLabel: "Meest genoemde termen",
      emptyText: "Nog geen termen", onSelect: (key) => toggle("term", key) });
    replaceChildren(channels, Object.entries(cur.channels).map(([code, n]) =>
      el("li", {}, el("button", { type: "button", class: "linkish", "data-channel": code,
        "aria-pressed": String(filters.channel === code), onclick: () => toggle("channel", code) },
      labels.channel(code), " ", el("strong", {}, formatNumber(n))))));
    const chips = [];
    if (filters.sentiment) chips.push({ name: "sentiment", text: `Sentiment: ${labels.sentiment(filters.sentiment)}` });
    if (filters.channel) chips.push({ name: "channel", text: `Kanaal: ${labels.channel(filters.channel)}` });
    if (filters.topic) chips.push({ name: "topic", text: `Onderwerp: ${labels.topic(filters.topic)}` });
    if (filters.term) chips.push({ name: "term", text: `Term: ${filters.term}` });
    if (filters.from) {
      const until = filters.to ? ` – ${formatBucket(Number(filters.to), bucketSeconds, 0)}` : "";
      chips.push({ name: "from", text: `Tijd: ${formatBucket(Number(filters.from), bucketSeconds, 2 * 86400)}${until}` });
    }
    renderActiveFilters(active, chips, (name) => setFilters(name === "from" ? { from: "", to: "" } : { [name]: "" }));
    const params = { dossier: dossierId };
    for (const name of FILTERS) if (filters[name]) params[name] = filters[name];
    list.load(params).catch((err) => { count.textContent = `Laden mislukt: ${err.message}`; });
  }
  draw();
}
