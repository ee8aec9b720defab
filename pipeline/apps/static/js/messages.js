// The message list shared by the advisers' pages: rows as text nodes, badges that drill down, paging.

import { el, replaceChildren, formatDateTime, formatNumber } from "./dom.js";
import { getJSON } from "./api.js";
import { correctionControl } from "./correction.js";

export { labeller } from "./labels.js";

const PAGE_SIZE = 30;

/** A small button that applies a filter when clicked (drill-down from a row). */
function filterButton(text, className, onClick) {
  return el("button", { type: "button", class: `linkish ${className}`, onclick: onClick }, text);
}

/** One table row; `onFilter(name, value)` is called when a badge in it is clicked. */
export function messageRow(s, labels, onFilter) {
  const notes = [];
  if (s.pii && s.pii.length) notes.push(el("span", { class: "chip chip-pii" }, `${s.pii.length}× persoonsgegeven verwijderd`));
  if (s.url && /^https?:\/\//i.test(s.url)) {
    notes.push(el("a", { class: "source-link", href: s.url, target: "_blank", rel: "noopener noreferrer" }, "bron ↗"));
  }
  return el("tr", { "data-id": s.id },
    el("td", { class: "col-time", title: s.created_at }, formatDateTime(s.ts)),
    el("td", { class: "col-channel" }, filterButton(labels.channel(s.channel), "drill-channel", () => onFilter("channel", s.channel))),
    el("td", { class: "col-topic" }, s.topic
      ? filterButton(labels.topic(s.topic, s.topic_label), "drill-topic", () => onFilter("topic", s.topic)) : "–"),
    el("td", { class: "col-sentiment" }, s.sentiment
      ? el("button", { type: "button", class: `badge badge-${s.sentiment} linkish drill-sentiment`,
        onclick: () => onFilter("sentiment", s.sentiment) }, labels.sentiment(s.sentiment)) : "–"),
    el("td", { class: "col-place" }, s.place || "–"),
    el("td", { class: "col-text" }, el("div", { class: "message" }, s.text),
      notes.length ? el("div", { class: "message-notes" }, notes) : null, correctionControl(s)));
}

/** A paged list of signals from /api/signals for a set of parameters. */
export class MessageList {
  /** Render into `tbody`; `count` shows how many, `more` is the "load more" button. */
  constructor(tbody, count, more, labels, onFilter) {
    Object.assign(this, { tbody, count, more, labels, onFilter, rows: [], params: {}, seq: 0 });
    more.addEventListener("click", () => this.loadMore());
  }

  /** Load the first page for `params`. */
  async load(params) {
    const seq = ++this.seq;
    this.params = params;
    const page = await getJSON("/api/signals", { ...params, limit: PAGE_SIZE });
    if (seq !== this.seq) return;
    this.rows = page.signals;
    this.hasMore = page.more;
    this.render();
  }

  /** Append the next older page. */
  async loadMore() {
    const last = this.rows[this.rows.length - 1];
    if (!last) return;
    const seq = this.seq;
    const page = await getJSON("/api/signals", { ...this.params, limit: PAGE_SIZE, before: last.ts, before_id: last.id });
    if (seq !== this.seq) return;
    this.rows = this.rows.concat(page.signals);
    this.hasMore = page.more;
    this.render();
  }

  /** Redraw the rows. */
  render() {
    if (!this.rows.length) {
      replaceChildren(this.tbody, el("tr", { class: "empty-row" }, el("td", { colspan: 6 }, "Geen berichten die aan de filters voldoen")));
    } else {
      replaceChildren(this.tbody, this.rows.map((s) => messageRow(s, this.labels, this.onFilter)));
    }
    this.more.hidden = !this.hasMore;
    this.count.textContent = this.rows.length ? `${formatNumber(this.rows.length)}${this.hasMore ? "+" : ""} getoond` : "";
  }
}

/** Chips for the active filters, each with a button that removes it. */
export function renderActiveFilters(container, chips, onClear) {
  replaceChildren(container, chips.map(({ name, text }) =>
    el("span", { class: "filter-chip", "data-filter": name }, text,
      el("button", { type: "button", "aria-label": `Filter ${text} wissen`, onclick: () => onClear(name) }, "×"))));
}
