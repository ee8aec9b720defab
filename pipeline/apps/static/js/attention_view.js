// Messages that need attention: questions and complaints to the municipality without a recorded reply,
// oldest first, with the service norm of each and overdue ones highlighted.

import { el, replaceChildren, formatNumber, formatDateTime, formatZone } from "./dom.js";
import { getJSON } from "./api.js";
import { readParams, writeParams } from "./urlstate.js";
import { correctionControl } from "./correction.js";

/** "3 uur" / "2 dagen" for a number of hours. */
function duration(hours) {
  return hours >= 48 ? `${Math.floor(hours / 24)} dagen` : `${Math.round(hours)} uur`;
}

/** One open message as a table row. */
function attentionRow(item, labels) {
  const status = item.overdue
    ? el("span", { class: "chip chip-overdue" }, `te laat (norm ${duration(item.norm_hours)})`)
    : el("span", { class: "chip chip-due" }, `uiterlijk ${formatDateTime(item.due)}`);
  return el("tr", { "data-id": item.id, class: item.overdue ? "overdue" : null },
    el("td", { class: "col-time" }, formatDateTime(item.ts)),
    el("td", {}, labels.channel(item.channel), item.team ? el("div", { class: "hint" }, item.team) : null),
    el("td", {}, labels.topic(item.topic, item.topic_label)),
    el("td", { class: "col-text" }, el("div", { class: "message" }, item.text), correctionControl(item)),
    el("td", {}, `${duration(item.hours_open)} open`),
    el("td", {}, status));
}

/** Draw the page into `view`. */
export async function showAttention(view, meta, labels) {
  const filters = readParams(["channel"]);
  const data = await getJSON("/api/attention", { channel: filters.channel, limit: 200 });
  const select = el("select", { id: "attention-channel" }, el("option", { value: "" }, "Alle kanalen"),
    Object.entries(meta.channels).filter(([code]) => code !== "site_search").map(([code, label]) => el("option", { value: code }, label)));
  select.value = filters.channel;
  select.addEventListener("change", () => {
    writeParams({ channel: select.value });
    window.dispatchEvent(new Event("stadssignaal:navigate"));
  });
  const rows = data.items.length ? data.items.map((item) => attentionRow(item, labels))
    : [el("tr", { class: "empty-row" }, el("td", { colspan: 6 }, "Niets open: alle vragen en klachten zijn beantwoord"))];
  replaceChildren(view,
    el("section", { class: "cards" },
      el("article", { class: "card" }, el("h3", {}, "Open"), el("div", { class: "card-value", id: "attention-total" },
        formatNumber(data.total)), el("div", { class: "card-sub" }, "vragen en klachten zonder reactie")),
      el("article", { class: "card" }, el("h3", {}, "Over de norm"), el("div", { class: data.overdue ? "card-value negative" : "card-value", id: "attention-overdue" },
        formatNumber(data.overdue)), el("div", { class: "card-sub" }, "langer open dan de servicenorm"))),
    el("section", { class: "panel" },
      el("div", { class: "panel-head" }, el("h2", {}, "Aandacht nodig · oudste eerst"),
        el("div", { class: "norms", id: "norms" }, Object.values(data.norms).map((n) => el("span", { class: "norm" }, n.text)))),
      el("div", { class: "filters" }, el("label", {}, "Kanaal", select)),
      el("div", { class: "table-wrap" }, el("table", { class: "signals" },
        el("thead", {}, el("tr", {}, [`Ontvangen (${formatZone(Date.now() / 1000)})`, "Kanaal", "Onderwerp", "Bericht", "Open", "Norm"].map((h) => el("th", {}, h)))),
        el("tbody", { id: "attention-body" }, rows)))));
}
