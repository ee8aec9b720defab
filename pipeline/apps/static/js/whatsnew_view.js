// "What's new": terms and topics whose volume rose most against the same hours a week earlier, with messages.

import { el, replaceChildren, formatNumber, formatDateTime, formatZone } from "./dom.js";
import { getJSON } from "./api.js";
import { MessageList, renderActiveFilters } from "./messages.js";
import { readParams, writeParams } from "./urlstate.js";

const HOURS = [["6", "6 uur"], ["24", "24 uur"], ["48", "2 dagen"]];

/** One rising term or topic with its figures and example messages; a click selects it. */
function riseItem(item, kind, label, selected, onSelect) {
  const change = item.before ? `+${Math.round(item.change * 100)}%` : "nieuw";
  return el("li", { class: "rise-item", "data-key": item.key },
    el("div", { class: "rise-head" },
      el("button", { type: "button", class: `linkish rise-${kind}`, "aria-pressed": String(selected), onclick: onSelect },
        label),
      el("span", { class: "rise-figures" }, el("strong", {}, change), ` ${formatNumber(item.count)} nu · `
        + `${formatNumber(item.before)} vorige week`)),
    el("ul", { class: "examples" }, item.messages.map((m) => el("li", {}, m.text))));
}

/** Draw the page into `view`. */
export async function showWhatsNew(view, meta, labels) {
  const filters = readParams(["hours", "term", "topic", "sentiment", "channel"]);
  const hours = HOURS.some(([h]) => h === filters.hours) ? filters.hours : "24";
  const data = await getJSON("/api/whats-new", { hours });
  const setFilters = (changes) => {
    writeParams(changes);
    window.dispatchEvent(new Event("stadssignaal:navigate"));
  };
  const toggle = (name, value) => setFilters({ term: "", topic: "", [name]: filters[name] === value ? "" : value });

  const select = el("select", { id: "whatsnew-hours" }, HOURS.map(([h, text]) => el("option", { value: h }, text)));
  select.value = hours;
  select.addEventListener("change", () => setFilters({ hours: select.value }));
  const termList = data.terms.length
    ? el("ol", { class: "rise-list", id: "rising-terms" }, data.terms.map((t) =>
      riseItem(t, "term", t.key, filters.term === t.key, () => toggle("term", t.key))))
    : el("p", { class: "hint", id: "rising-terms" }, "Geen termen die duidelijk vaker voorkomen dan vorige week.");
  const topicList = data.topics.length
    ? el("ol", { class: "rise-list", id: "rising-topics" }, data.topics.map((t) =>
      riseItem(t, "topic", labels.topic(t.key), filters.topic === t.key, () => toggle("topic", t.key))))
    : el("p", { class: "hint", id: "rising-topics" }, "Geen onderwerpen die duidelijk vaker voorkomen dan vorige week.");

  const tbody = el("tbody", { id: "signals-body" });
  const count = el("span", { class: "hint", id: "signals-count" });
  const more = el("button", { type: "button", id: "more", class: "secondary", hidden: true }, "Meer laden");
  const active = el("div", { class: "active-filters", id: "active-filters" });
  const list = new MessageList(tbody, count, more, labels, (name, value) => setFilters({ [name]: value }));

  replaceChildren(view,
    el("div", { class: "toolbar" }, el("label", { class: "hint" }, "Periode ", select),
      el("span", { class: "period-range" }, `${formatDateTime(data.start)} – ${formatDateTime(data.end)} ${formatZone(data.end)}, `
        + "vergeleken met dezelfde uren een week eerder")),
    el("section", { class: "row" },
      el("article", { class: "panel panel-wide" }, el("div", { class: "panel-head" }, el("h2", {}, "Termen in opkomst")), termList),
      el("article", { class: "panel" }, el("div", { class: "panel-head" }, el("h2", {}, "Onderwerpen in opkomst")), topicList)),
    el("section", { class: "panel" },
      el("div", { class: "panel-head" }, el("h2", {}, "Berichten"), count), active,
      el("div", { class: "table-wrap" }, el("table", { class: "signals" },
        el("thead", {}, el("tr", {}, [`Tijd (${formatZone(Date.now() / 1000)})`, "Kanaal", "Onderwerp", "Sentiment", "Wijk", "Bericht"].map((h) => el("th", {}, h)))),
        tbody)),
      el("div", { class: "more-wrap" }, more)));

  const chips = [];
  if (filters.term) chips.push({ name: "term", text: `Term: ${filters.term}` });
  if (filters.topic) chips.push({ name: "topic", text: `Onderwerp: ${labels.topic(filters.topic)}` });
  if (filters.sentiment) chips.push({ name: "sentiment", text: `Sentiment: ${labels.sentiment(filters.sentiment)}` });
  if (filters.channel) chips.push({ name: "channel", text: `Kanaal: ${labels.channel(filters.channel)}` });
  renderActiveFilters(active, chips, (name) => setFilters({ [name]: "" }));
  const params = { from: data.start, to: data.end };
  for (const name of ["term", "topic", "sentiment", "channel"]) if (filters[name]) params[name] = filters[name];
  await list.load(params);
}
