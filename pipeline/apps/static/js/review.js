// Review page for zero-result search groups. Resident text goes in as text nodes only.

import { el, replaceChildren, formatNumber, formatPercent, formatDate } from "./dom.js";
import { getJSON, postJSON, apiUrl } from "./api.js";
import { loadLabels } from "./labels.js";

const state = { sort: "zero_results", order: "desc", request: 0, labels: null, collapsed: new Set() };
const $ = (id) => document.getElementById(id);

/** The current filter and sort as query parameters. */
function params(extra = {}) {
  const form = $("filters");
  const query = {};
  for (const name of ["window", "end", "topic", "status"]) query[name] = form.elements[name].value;
  return { ...query, sort: state.sort, order: state.order, ...extra };
}

/** Set the status pill in the header. */
function setLive(status, text) {
  $("live").dataset.status = status;
  $("live-text").textContent = text;
}

/** Show or clear an error message. */
function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

/** An ISO time as a Dutch date in Amsterdam, or in UTC for the bounds of review periods (whole UTC days). */
const day = (iso, zone) => formatDate(iso, zone);

/** Fill the topic filter with the topics present, keeping the current choice. */
function fillTopics(topics) {
  const select = $("f-topic");
  const current = select.value;
  replaceChildren(select, el("option", { value: "" }, "Alle onderwerpen"),
    topics.map((code) => el("option", { value: code }, state.labels.topic(code))));
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

/** Save a decision for a group and reload the list. */
async function saveStatus(group, status, note) {
  try {
    await postJSON("/review/api/status", { group, status, note });
    await load();
  } catch (err) {
    showError(`Opslaan mislukt: ${err.message}`);
  }
}

/** A row under the group asking for a note before marking it handled (full width, so the table keeps its size). */
function noteEditor(row, tr) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains("rv-editor-row")) {
    next.querySelector("input").focus();
    return;
  }
  const input = el("input", { type: "text", maxlength: 1000, "aria-label": "Notitie",
    placeholder: "Wat is er gedaan? (pagina, synoniem, doorverwijzing)" });
  input.value = row.note || "";
  const save = () => saveStatus(row.group, "handled", input.value);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); save(); }
  });
  const editor = el("tr", { class: "rv-editor-row" }, el("td", { colspan: 10 },
    el("div", { class: "rv-editor" }, input,
      el("button", { type: "button", class: "rv-action", "data-action": "save-handled", onclick: save }, "Opslaan"),
      el("button", { type: "button", class: "rv-action secondary", onclick: () => editor.remove() }, "Annuleren"))));
  tr.after(editor);
  input.focus();
}

/** Action buttons for a group, depending on its status. */
function actions(row, trRef) {
  const button = (label, action, handler, secondary = false) =>
    el("button", { type: "button", class: secondary ? "rv-action secondary" : "rv-action", "data-action": action,
      onclick: handler }, label);
  const buttons = row.status === "open"
    ? [button("Afgehandeld…", "handle", () => noteEditor(row, trRef())),
      button("Negeren", "ignore", () => saveStatus(row.group, "ignored", ""), true)]
    : [button("Heropenen", "reopen", () => saveStatus(row.group, "open", ""), true)];
  return el("td", {}, el("div", { class: "rv-actions" }, buttons));
}

/** Expand or collapse the raw variants under a group row. */
async function toggleVariants(row, tr, toggle) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains("rv-variants")) {
    next.remove();
    toggle.textContent = "▸";
    toggle.setAttribute("aria-expanded", "false");
    return;
  }
  toggle.textContent = "▾";
  toggle.setAttribute("aria-expanded", "true");
  const cell = el("td", { colspan: 10 }, el("span", { class: "rv-key" }, "Laden…"));
  tr.after(el("tr", { class: "rv-variants" }, cell));
  try {
    const data = await getJSON("/review/api/variants", params({ group: row.group }));
    replaceChildren(cell, el("ul", {}, data.variants.map((v) =>
      el("li", {}, `${v.text} — ${formatNumber(v.searches)}× (${formatNumber(v.zero_results)} zonder resultaat)`))));
  } catch (err) {
    replaceChildren(cell, `Varianten laden mislukt: ${err.message}`);
  }
}

/** The rows that belong to a subject row: its groups and their open variant or note rows. */
function subjectChildren(tr) {
  const rows = [];
  for (let next = tr.nextElementSibling; next && !next.classList.contains("rv-subject"); next = next.nextElementSibling) {
    rows.push(next);
  }
  return rows;
}

/** Show or hide the groups under a subject row. */
function toggleSubject(subject, tr, toggle) {
  const open = toggle.getAttribute("aria-expanded") !== "true";
  for (const child of subjectChildren(tr)) child.hidden = !open;
  toggle.textContent = open ? "▾" : "▸";
  toggle.setAttribute("aria-expanded", String(open));
  if (open) state.collapsed.delete(subject.subject); else state.collapsed.add(subject.subject);
}

/** The row of a subject: what residents look for, with the totals of its groups below it. */
function subjectRow(subject) {
  const labels = state.labels;
  const open = !state.collapsed.has(subject.subject);
  const toggle = el("button", { type: "button", class: "rv-toggle rv-subject-toggle", "aria-expanded": String(open),
    "aria-label": `Zoektermen onder ${subject.name} tonen of verbergen` }, open ? "▾" : "▸");
  const count = subject.groups.length;
  const tr = el("tr", { class: "rv-subject", "data-subject": subject.subject },
    el("td", {}, toggle),
    el("td", {}, el("span", { class: "rv-subject-name" }, subject.name),
      el("span", { class: "rv-key" }, `hoofdterm · ${formatNumber(count)} zoekterm${count === 1 ? "" : "en"}`)),
    el("td", {}, labels.topic(subject.topic)),
    el("td", { class: "rv-num" }, formatNumber(subject.zero_results)),
    el("td", { class: "rv-num" }, formatPercent(subject.zero_rate)),
    el("td", { class: "rv-num" }, formatNumber(subject.searches)),
    el("td", {}, el("span", { class: `rv-badge rv-trend-${subject.trend}` }, labels.trend(subject.trend))),
    el("td", {}, day(subject.first_seen)),
    el("td", { class: "rv-status" }, subject.open_groups
      ? el("span", { class: "rv-open-count" }, `${formatNumber(subject.open_groups)} open`) : null),
    el("td", {}));
  toggle.addEventListener("click", () => toggleSubject(subject, tr, toggle));
  return tr;
}

/** A subject row followed by the rows of its groups (hidden when the subject is folded). */
function subjectBlock(subject, byGroup) {
  const rows = [subjectRow(subject)];
  for (const key of subject.groups) {
    const row = byGroup.get(key);
    if (!row) continue;
    const tr = groupRow(row);
    tr.hidden = state.collapsed.has(subject.subject);
    rows.push(tr);
  }
  return rows;
}

/** One table row for a group. */
function groupRow(row) {
  const labels = state.labels;
  const toggle = el("button", { type: "button", class: "rv-toggle", "aria-expanded": "false",
    "aria-label": "Varianten tonen" }, "▸");
  const status = el("td", { class: "rv-status", "data-status": row.status },
    el("span", { class: `rv-badge rv-status-${row.status}` }, row.reopened ? "heropend" : labels.reviewStatus(row.status)),
    row.note ? el("span", { class: "rv-note" }, row.note) : null);
  let tr = null;
  tr = el("tr", { class: "rv-group", "data-group": row.group, "data-subject": row.subject },
    el("td", {}, toggle),
    el("td", { class: "rv-group-cell" }, el("span", { class: "rv-name" }, row.name),
      el("span", { class: "rv-key" }, `${formatNumber(row.variant_count)} variant(en)`)),
    el("td", {}, labels.topic(row.topic)),
    el("td", { class: "rv-num" }, formatNumber(row.zero_results)),
    el("td", { class: "rv-num" }, formatPercent(row.zero_rate)),
    el("td", { class: "rv-num" }, formatNumber(row.searches)),
    el("td", {}, el("span", { class: `rv-badge rv-trend-${row.trend}` }, labels.trend(row.trend))),
    el("td", {}, day(row.first_seen)),
    status,
    actions(row, () => tr));
  toggle.addEventListener("click", () => toggleVariants(row, tr, toggle));
  return tr;
}

/** Reflect the sort state in the table headers. */
function markSort() {
  for (const th of document.querySelectorAll("th[data-sort]")) {
    const active = th.dataset.sort === state.sort;
    th.setAttribute("aria-sort", active ? (state.order === "asc" ? "ascending" : "descending") : "none");
  }
}

/** What the page says when no group matches. */
function emptyText(status) {
  if (status === "open") {
    return ["Geen open zoektermen zonder resultaat in deze periode.",
      "Hier verschijnen zoekopdrachten op de website die niets opleverden, zodra bewoners ze doen; kies een "
      + "langere periode of status ‘Alle’ om afgehandelde en genegeerde groepen te zien."];
  }
  return ["Geen zoektermen zonder resultaat voor deze selectie.", "Kies een langere periode of een ander onderwerp."];
}

/** Load and draw the groups for the current filter. */
async function load() {
  markSort();
  $("export").href = apiUrl("/review/api/export.csv", params()).toString();
  const request = ++state.request;
  try {
    const data = await getJSON("/review/api/groups", params());
    if (request !== state.request) return; // a newer load is under way; drop this answer
    showError("");
    fillTopics(data.topics);
    const p = data.period;
    $("period").textContent = `${day(p.start, "UTC")} t/m ${day(new Date(Date.parse(p.end) - 1000).toISOString(), "UTC")} · `
      + `vergeleken met de ${formatNumber(p.days)} dagen ervoor · ${formatNumber(data.subjects.length)} hoofdterm(en), `
      + `${formatNumber(data.groups.length)} zoekterm(en)`;
    const body = $("group-rows");
    const byGroup = new Map(data.groups.map((row) => [row.group, row]));
    replaceChildren(body, data.subjects.flatMap((subject) => subjectBlock(subject, byGroup)));
    body.dataset.view = `${state.sort}:${state.order}`;
    const [title, hint] = emptyText($("f-status").value);
    replaceChildren($("empty"), el("strong", {}, title), el("p", {}, hint));
    $("empty").hidden = data.groups.length > 0;
    document.body.dataset.loaded = "true";
    setLive("live", "Bijgewerkt");
  } catch (err) {
    showError(`Laden mislukt: ${err.message}`);
    setLive("error", "Laden mislukt");
  }
}

/** Wire the filters and sortable headers, then load. */
async function init() {
  try {
    state.labels = await loadLabels();
  } catch (err) {
    setLive("error", `Geen verbinding (${err.message})`);
    setTimeout(init, 3000);
    return;
  }
  $("filters").addEventListener("change", load);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  for (const th of document.querySelectorAll("th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const field = th.dataset.sort;
      if (state.sort === field) state.order = state.order === "desc" ? "asc" : "desc";
      else { state.sort = field; state.order = field === "name" ? "asc" : "desc"; }
      load();
    });
  }
  load();
}

init();
