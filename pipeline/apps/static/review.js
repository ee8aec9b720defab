// Review page for zero-result search groups. Resident text is only ever set with textContent.

const TOPICS = {
  afval: "Afval", verkeer: "Verkeer", parkeren: "Parkeren", openbare_ruimte: "Openbare ruimte",
  overlast: "Overlast", burgerzaken: "Burgerzaken", belastingen: "Belastingen", vergunningen: "Vergunningen",
  zorg: "Zorg", werk_inkomen: "Werk en inkomen", dienstverlening: "Dienstverlening", overig: "Overig",
};
const TRENDS = { new: "nieuw", rising: "stijgend", steady: "gelijk", falling: "dalend" };
const STATUSES = { open: "open", handled: "afgehandeld", ignored: "genegeerd" };
const state = { sort: "zero_results", order: "desc", request: 0 };

/** Create an element with a class and text (text via textContent, never HTML). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** The current filter and sort as URL search parameters. */
function params(extra = {}) {
  const form = document.getElementById("filters");
  const query = new URLSearchParams();
  for (const name of ["window", "end", "topic", "status"]) {
    const value = form.elements[name].value;
    if (value) query.set(name, value);
  }
  query.set("sort", state.sort);
  query.set("order", state.order);
  for (const [key, value] of Object.entries(extra)) query.set(key, value);
  return query;
}

/** Show or clear an error message. */
function showError(message) {
  const box = document.getElementById("error");
  box.hidden = !message;
  box.textContent = message || "";
}

/** Fetch JSON and raise the server's error message on failure. */
async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

/** A rate 0..1 as a whole percentage, or a dash. */
function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`;
}

/** An ISO time as a Dutch date, or a dash. */
function day(iso) {
  return iso ? new Date(iso).toLocaleDateString("nl-NL", { day: "numeric", month: "short", year: "numeric" }) : "–";
}

/** Fill the topic filter with the topics present, keeping the current choice. */
function fillTopics(topics) {
  const select = document.getElementById("f-topic");
  const current = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const code of topics) {
    const option = el("option", null, TOPICS[code] || code);
    option.value = code;
    select.append(option);
  }
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

/** The session's CSRF token from its cookie ("" when not logged in). */
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)stadssignaal_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Save a decision for a group and reload the list. */
async function saveStatus(group, status, note) {
  try {
    await getJson("/review/api/status", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ group, status, note }),
    });
    await load();
  } catch (err) {
    showError(`Opslaan mislukt: ${err.message}`);
  }
}

/** The inline editor asking for a note before marking a group handled. */
function noteEditor(row, cell) {
  if (cell.querySelector(".rv-editor")) return;
  const editor = el("div", "rv-editor");
  const input = el("input");
  input.type = "text";
  input.maxLength = 1000;
  input.placeholder = "Wat is er gedaan? (pagina, synoniem, redirect)";
  input.value = row.note || "";
  input.setAttribute("aria-label", "Notitie");
  const save = el("button", "rv-action", "Opslaan");
  save.type = "button";
  save.dataset.action = "save-handled";
  save.addEventListener("click", () => saveStatus(row.group, "handled", input.value));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); saveStatus(row.group, "handled", input.value); }
  });
  editor.append(input, save);
  cell.append(editor);
  input.focus();
}

/** Action buttons for a group, depending on its status. */
function actions(row) {
  const cell = el("td");
  const box = el("div", "rv-actions");
  const button = (label, action, handler, secondary = false) => {
    const b = el("button", secondary ? "rv-action secondary" : "rv-action", label);
    b.type = "button";
    b.dataset.action = action;
    b.addEventListener("click", handler);
    box.append(b);
  };
  if (row.status === "open") {
    button("Afgehandeld…", "handle", () => noteEditor(row, cell));
    button("Negeren", "ignore", () => saveStatus(row.group, "ignored", ""), true);
  } else {
    button("Heropenen", "reopen", () => saveStatus(row.group, "open", ""), true);
  }
  cell.append(box);
  return cell;
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
  const holder = el("tr", "rv-variants");
  const cell = el("td");
  cell.colSpan = 10;
  cell.append(el("span", "rv-key", "Laden…"));
  holder.append(cell);
  tr.after(holder);
  try {
    const data = await getJson(`/review/api/variants?${params({ group: row.group })}`);
    cell.textContent = "";
    const list = el("ul");
    for (const v of data.variants) {
      list.append(el("li", null, `${v.text} — ${v.searches}× (${v.zero_results} zonder resultaat)`));
    }
    cell.append(list);
  } catch (err) {
    cell.textContent = `Varianten laden mislukt: ${err.message}`;
  }
}

/** One table row for a group. */
function groupRow(row) {
  const tr = el("tr");
  tr.dataset.group = row.group;
  const expand = el("td");
  const toggle = el("button", "rv-toggle", "▸");
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-label", "Varianten tonen");
  toggle.addEventListener("click", () => toggleVariants(row, tr, toggle));
  expand.append(toggle);
  const name = el("td");
  name.append(el("span", "rv-name", row.name), el("span", "rv-key", `${row.variant_count} variant(en) · ${row.group}`));
  const trend = el("td");
  trend.append(el("span", `rv-badge rv-trend-${row.trend}`, TRENDS[row.trend] || row.trend));
  const status = el("td");
  status.className = "rv-status";
  const label = row.reopened ? "heropend" : (STATUSES[row.status] || row.status);
  status.append(el("span", `rv-badge rv-status-${row.status}`, label));
  status.dataset.status = row.status;
  if (row.note) status.append(el("span", "rv-note", row.note));
  tr.append(expand, name, el("td", null, TOPICS[row.topic] || row.topic),
    el("td", "rv-num", row.zero_results), el("td", "rv-num", percent(row.zero_rate)),
    el("td", "rv-num", row.searches), trend, el("td", null, day(row.first_seen)), status, actions(row));
  return tr;
}

/** Reflect the sort state in the table headers. */
function markSort() {
  for (const th of document.querySelectorAll("th[data-sort]")) {
    const active = th.dataset.sort === state.sort;
    th.setAttribute("aria-sort", active ? (state.order === "asc" ? "ascending" : "descending") : "none");
  }
}

/** Load and draw the groups for the current filter. */
async function load() {
  markSort();
  document.getElementById("export").href = `/review/api/export.csv?${params()}`;
  const request = ++state.request;
  try {
    const data = await getJson(`/review/api/groups?${params()}`);
    if (request !== state.request) return; // a newer load is under way; drop this answer
    showError("");
    fillTopics(data.topics);
    const p = data.period;
    document.getElementById("period").textContent =
      `${day(p.start)} t/m ${day(new Date(Date.parse(p.end) - 1000).toISOString())} · ` +
      `vergeleken met de ${p.days} dagen ervoor · ${data.groups.length} groep(en)`;
    const body = document.getElementById("group-rows");
    body.replaceChildren(...data.groups.map(groupRow));
    body.dataset.view = `${state.sort}:${state.order}`;
    document.getElementById("empty").hidden = data.groups.length > 0;
    document.body.dataset.loaded = "true";
  } catch (err) {
    showError(`Laden mislukt: ${err.message}`);
  }
}

/** Wire the filters and sortable headers, then load. */
function init() {
  document.getElementById("filters").addEventListener("change", load);
  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
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
