// The daily digest: the last 24 hours per topic and per dossier against the day before, with links onward.

import { el, replaceChildren, formatNumber, formatPercent, formatDateTimeZone } from "./dom.js";
import { getJSON } from "./api.js";

/** "+25%", "-10%", "nieuw" (nothing the day before) or "–" (the store does not reach back that far). */
function changeText(change, before, covered) {
  if (!covered) return "–";
  if (change === null || change === undefined) return before === 0 ? "nieuw" : "–";
  const whole = Math.round(change * 100);
  return `${whole > 0 ? "+" : ""}${formatNumber(whole === 0 ? 0 : whole)}%`;   // never "-0%"
}

/** A table with a header row, or an explanation when there are no rows. */
function table(id, headers, rows, emptyText) {
  if (!rows.length) return el("p", { class: "hint empty-state", id }, emptyText);
  return el("div", { class: "table-wrap" }, el("table", { class: "signals digest-table", id },
    el("thead", {}, el("tr", {}, headers.map(([text, numeric]) => el("th", { class: numeric ? "num" : null }, text)))),
    el("tbody", {}, rows)));
}

/** Draw the digest into `view`. */
export async function showDigest(view, meta, labels) {
  const d = await getJSON("/api/digest");
  const covered = d.before_covered;
  const labelled = Object.values(d.sentiments).reduce((a, b) => a + b, 0);
  const topicRows = d.topics.map((t) => el("tr", { "data-topic": t.topic },
    el("td", {}, el("a", { href: `/?period=24h&topic=${encodeURIComponent(t.topic)}` }, labels.topic(t.topic))),
    el("td", { class: "num" }, formatNumber(t.count)),
    el("td", { class: "num" }, covered ? formatNumber(t.before) : "–"),
    el("td", { class: `num${(t.change || 0) > 0.25 ? " up" : ""}` }, changeText(t.change, t.before, covered)),
    el("td", { class: "num" }, formatNumber(t.negative)),
    el("td", { class: "num" }, formatPercent(t.negative_share))));
  const dossierRows = d.dossiers.map((x) => el("tr", {},
    el("td", {}, el("a", { href: `/dossiers/${x.id}` }, x.name)),
    el("td", { class: "num" }, formatNumber(x.count)),
    el("td", { class: "num" }, covered ? formatNumber(x.before) : "–"),
    el("td", { class: "num" }, changeText(x.change, x.before, covered)),
    el("td", { class: "num" }, formatPercent(x.negative_share)),
    el("td", {}, x.terms.join(", ") || "–")));
  replaceChildren(view,
    el("div", { class: "toolbar" }, el("h1", { class: "page-title" }, "Dagoverzicht"),
      el("span", { class: "period-range" }, `${formatDateTimeZone(d.start)} – ${formatDateTimeZone(d.end)} `
        + `(de ${d.hours} uur tot het nieuwste signaal), vergeleken met de ${d.hours} uur ervoor`)),
    covered ? null : el("p", { class: "notice" }, "De opslag reikt niet terug tot de dag ervoor: verschillen worden "
      + "getoond zodra er twee volle dagen aan signalen zijn."),
    el("section", { class: "cards", "aria-label": "Kerncijfers" },
      el("article", { class: "card" }, el("h3", {}, "Signalen"), el("div", { class: "card-value", id: "digest-total" }, formatNumber(d.total)),
        el("div", { class: "card-sub" }, el("a", { href: "/?period=24h" }, "Bekijk op Live luisteren →"))),
      el("article", { class: "card" }, el("h3", {}, "Negatief"),
        el("div", { class: "card-value negative", id: "digest-negative" }, formatPercent(d.negative_share)),
        el("div", { class: "card-sub" }, `${formatNumber(d.sentiments.negative)} van ${formatNumber(labelled)} signalen`)),
      el("article", { class: "card card-wide" }, el("h3", {}, "Per kanaal"),
        el("ul", { class: "breakdown digest-channels" }, Object.entries(d.channels).map(([code, n]) =>
          el("li", {}, el("a", { href: `/?period=24h&channel=${encodeURIComponent(code)}` }, labels.channel(code)), " ",
            el("strong", {}, formatNumber(n))))))),
    el("section", { class: "panel" }, el("div", { class: "panel-head" }, el("h2", {}, "Per onderwerp"),
      el("span", { class: "hint" }, "klik een onderwerp voor de berichten")),
    table("digest-topics", [["Onderwerp"], ["Signalen", 1], ["Dag ervoor", 1], ["Verschil", 1], ["Negatief", 1], ["Aandeel neg.", 1]],
      topicRows, "Nog geen signalen in de afgelopen 24 uur. Zodra signalen binnenkomen, staat hier per onderwerp hoeveel het er waren.")),
    el("section", { class: "panel" }, el("div", { class: "panel-head" }, el("h2", {}, "Per dossier")),
      table("digest-dossiers", [["Dossier"], ["Signalen", 1], ["Dag ervoor", 1], ["Verschil", 1], ["Aandeel neg.", 1], ["Meest genoemd"]],
        dossierRows, "Nog geen dossiers. Maak er een aan onder Dossiers; dan staat hier elke dag hoe vaak het onderwerp "
        + "genoemd werd.")),
    el("p", { class: "hint" }, "Dit overzicht gaat ook elke ochtend per mail (met PDF) naar de adviseurs die erom vroegen. ",
      el("a", { href: "/nieuw" }, "Wat is nieuw deze week →"), " ", el("a", { href: "/alerts" }, "Pieken →")));
}
