// The duty officer's page: every spike alert with its curve, new terms, examples and place, and the notes
// colleagues left (acknowledge, close, remark). Resident text goes in as text nodes only.

import { el, replaceChildren, formatDateTimeZone, formatNumber, formatPercent } from "./dom.js";
import { getJSON, postJSON } from "./api.js";
import { loadMeta, labeller } from "./labels.js";
import { readParams, writeParams } from "./urlstate.js";
import { curveChart } from "./curve.js";

const REFRESH_MS = 30000;
const LIMIT = 50;
const ACTION_TEXT = { ack: "bevestigd", close: "afgehandeld", reopen: "heropend", note: "notitie" };
const state = { labels: null, meta: null, signature: "", filters: { topic: "", status: "", handling: "", id: "" } };
const $ = (id) => document.getElementById(id);

/** Unix seconds of an ISO time (null stays null). */
const seconds = (iso) => (iso ? Date.parse(iso) / 1000 : null);

/** Set the status pill in the header. */
function setLive(status, text) {
  $("live").dataset.status = status;
  $("live-text").textContent = text;
}

/** "Wijk: Centrum", "Kanaal: Twitter/X" or "Hele onderwerp". */
function scopeText(scope) {
  const kind = state.labels.scope(scope.type);
  if (scope.type === "topic") return kind;
  return `${kind}: ${scope.type === "channel" ? state.labels.channel(scope.value) : scope.value}`;
}

/** The live page filtered on the alert's topic, place or channel and its time. */
function liveLink(alert) {
  const params = new URLSearchParams({ period: "all", topic: alert.topic });
  if (alert.scope.type === "place" || alert.scope.type === "channel") params.set(alert.scope.type, alert.scope.value);
  params.set("from", String(Math.floor(seconds(alert.start))));
  if (alert.end) params.set("to", String(Math.ceil(seconds(alert.end))));
  return `/?${params}`;
}

/** "gebruikelijk 1,4–11": the usual range of the observed count (the detector's band), or null without one. */
function bandItem(alert) {
  if (!Array.isArray(alert.band) || alert.band.length !== 2) return null;
  const [low, high] = alert.band;
  return el("li", { class: "alert-band", title: "Wat bij dit uur van de week gebruikelijk is (verwacht ± 2 standaardafwijkingen)" },
    "gebruikelijk ", el("strong", {}, `${formatNumber(low, 1)}–${formatNumber(high, 1)}`));
}

/** The notes colleagues left on an alert, oldest first. */
function notesList(alert) {
  if (!alert.notes.length) return el("p", { class: "hint notes-empty" }, "Nog niemand heeft deze piek opgepakt.");
  return el("ol", { class: "alert-notes" }, alert.notes.map((n) =>
    el("li", { "data-action": n.action },
      el("span", { class: "note-meta" }, `${formatDateTimeZone(n.at)} · ${n.account} · ${ACTION_TEXT[n.action] || n.action}`),
      n.note ? el("span", { class: "note-text" }, n.note) : null)));
}

/** The form to acknowledge, close, reopen or comment on an alert. */
function deskForm(alert, draft) {
  const input = el("textarea", { class: "note-input", rows: 2, maxlength: 2000, "aria-label": "Notitie",
    placeholder: "Wat is er gedaan of afgesproken? (zichtbaar voor collega's)" });
  input.value = draft || "";
  const message = el("span", { class: "hint desk-message", role: "status" });
  const send = async (action) => {
    try {
      await postJSON(`/api/alerts/${encodeURIComponent(alert.id)}/notes`, { action, note: input.value });
      input.value = "";
      state.signature = "";
      await load();
    } catch (err) {
      message.textContent = `Opslaan mislukt: ${err.message}`;
    }
  };
  const button = (text, action, secondary) => el("button", { type: "button", class: secondary ? "secondary" : null,
    "data-action": action, onclick: () => send(action) }, text);
  const buttons = alert.handling === "closed"
    ? [button("Heropenen", "reopen", true)]
    : [alert.handling === "new" ? button("Bevestigen", "ack") : null, button("Afhandelen", "close")];
  return el("div", { class: "alert-desk" }, input,
    el("div", { class: "desk-buttons" }, buttons, button("Notitie opslaan", "note", true), message));
}

/** One alert as a card. */
function alertCard(alert, draft) {
  const labels = state.labels;
  const start = seconds(alert.start);
  const end = seconds(alert.end);
  const curveBox = el("div", { class: "chart curve-box" }, el("div", { class: "chart-empty" }, "Curve laden…"));
  const examples = alert.examples.length
    ? el("ul", { class: "examples" }, alert.examples.map((e) => el("li", {},
      el("span", { class: "example-meta" }, [labels.channel(e.channel),
        e.created_at ? formatDateTimeZone(seconds(e.created_at)) : null].filter(Boolean).join(" · ")),
      el("span", { class: "message" }, e.text))))
    : el("p", { class: "hint" }, "Geen voorbeeldberichten bewaard.");
  const card = el("article", { class: `panel alert-card${alert.id === state.filters.id ? " is-target" : ""}`,
    id: `alert-${alert.id}`, "data-id": alert.id, "data-status": alert.status, "data-handling": alert.handling },
    el("div", { class: "alert-head" },
      el("h2", {}, labels.topic(alert.topic)),
      el("span", { class: "alert-scope" }, scopeText(alert.scope)),
      el("span", { class: `badge badge-severity badge-severity-${alert.severity || "alarm"}` },
        labels.severity(alert.severity || "alarm")),
      el("span", { class: `badge badge-episode-${alert.status}` }, alert.status === "open" ? "Loopt" : "Voorbij"),
      el("span", { class: `badge badge-handling-${alert.handling}` }, labels.handling(alert.handling))),
    el("p", { class: "alert-when" }, `Sinds ${formatDateTimeZone(start)}`,
      end ? ` · tot ${formatDateTimeZone(end)}` : " · loopt nog",
      ` · ${labels.trigger(alert.trigger)}`),
    el("ul", { class: "alert-figures" },
      el("li", {}, el("strong", {}, formatNumber(alert.observed)), " gezien"),
      el("li", {}, el("strong", {}, formatNumber(alert.expected, 1)), " verwacht"),
      bandItem(alert),
      alert.ratio === null ? null : el("li", {}, el("strong", {}, `${formatNumber(alert.ratio, 1)}×`), " zo veel"),
      alert.negative_share === null || alert.negative_share === undefined ? null
        : el("li", {}, el("strong", {}, formatPercent(alert.negative_share)), " negatief"),
      alert.scope.type === "place" ? el("li", {}, "plaats ", el("strong", {}, alert.scope.value)) : null,
      alert.related_scopes.filter((s) => s.type === "place").map((s) => el("li", {}, "ook in ", el("strong", {}, s.value)))),
    el("div", { class: "alert-body" },
      el("div", { class: "alert-curve" }, el("h3", {}, "Gezien tegenover verwacht"), curveBox),
      el("div", { class: "alert-context" },
        el("h3", {}, "Nieuwe woorden"),
        alert.new_terms.length ? el("div", { class: "terms" }, alert.new_terms.map((t) => el("span", { class: "chip term-chip" }, t)))
          : el("p", { class: "hint" }, "Geen woorden die opvallend nieuw zijn."),
        el("h3", {}, "Voorbeeldberichten"), examples)),
    el("div", { class: "alert-links" },
      el("a", { href: liveLink(alert) }, "Alle berichten van deze piek op Live luisteren →"),
      el("a", { href: `/nieuw?topic=${encodeURIComponent(alert.topic)}` }, "Wat is nieuw in dit onderwerp →")),
    el("section", { class: "alert-log", "aria-label": "Afhandeling" }, el("h3", {}, "Afhandeling"), notesList(alert),
      deskForm(alert, draft)));
  getJSON(`/api/alerts/${encodeURIComponent(alert.id)}/curve`)
    .then((curve) => curveChart(curveBox, curve, start, end))
    .catch((err) => replaceChildren(curveBox, el("div", { class: "chart-empty" }, `Curve laden mislukt: ${err.message}`)));
  return card;
}

/** What the page says when there is nothing to show. */
function emptyState(filtered) {
  if (filtered) {
    return el("div", { class: "panel empty-state" }, el("h2", {}, "Geen pieken die aan de filters voldoen"),
      el("p", {}, "Kies bij de filters ‘Alle’ om ook andere onderwerpen, voorbije pieken of afgehandelde pieken te zien."));
  }
  return el("div", { class: "panel empty-state" }, el("h2", {}, "Nog geen pieken"),
    el("p", {}, "Hier verschijnt een melding zodra bewoners over een onderwerp, in een wijk of via een kanaal duidelijk "
      + "vaker berichten sturen dan op dat uur van de week normaal is. Per piek ziet u het verloop tegenover wat "
      + "verwacht werd, de nieuwe woorden, voorbeeldberichten en de wijk, en kunt u de piek bevestigen en afhandelen."),
    el("p", { class: "hint" }, "De detector leert eerst een dag lang wat normaal is; de pagina ververst elke 30 seconden."),
    el("p", {}, el("a", { href: "/" }, "Naar Live luisteren →")));
}

/** Load the alerts for the filters and redraw when something changed. */
async function load() {
  const { topic, status, handling } = state.filters;
  const data = await getJSON("/api/alerts", { topic, status, handling, limit: LIMIT });
  const signature = JSON.stringify(data.alerts.map((a) => [a.id, a.updated_at, a.status, a.observed, a.severity,
    a.notes.length]));
  const now = formatDateTimeZone(Date.now() / 1000);
  $("alerts-state").textContent = `${formatNumber(data.count)} ${data.count === 1 ? "piek" : "pieken"} · bijgewerkt ${now}`;
  setLive("live", "Bijgewerkt");
  if (signature === state.signature) return;
  state.signature = signature;
  const drafts = new Map([...document.querySelectorAll(".alert-card")].map((card) =>
    [card.dataset.id, card.querySelector(".note-input")?.value || ""]));
  const list = $("alert-list");
  const filtered = Boolean(topic || status || handling);
  replaceChildren(list, data.alerts.length ? data.alerts.map((a) => alertCard(a, drafts.get(a.id))) : emptyState(filtered));
  const target = state.filters.id && document.getElementById(`alert-${state.filters.id}`);
  if (target && !state.scrolled) {
    target.scrollIntoView({ block: "start" });
    state.scrolled = true;
  }
}

/** Fill the filters from the labels and the URL, and reload on every change. */
function setupFilters() {
  const topic = $("filter-topic");
  replaceChildren(topic, el("option", { value: "" }, "Alle onderwerpen"),
    Object.entries(state.meta.topics).map(([code, label]) => el("option", { value: code }, label)));
  Object.assign(state.filters, readParams(["topic", "status", "handling", "id"]));
  for (const name of ["topic", "status", "handling"]) {
    const select = $(`filter-${name}`);
    select.value = state.filters[name];
    select.addEventListener("change", () => {
      state.filters[name] = select.value;
      writeParams({ [name]: select.value });
      state.signature = "";
      load().catch((err) => setLive("error", `Laden mislukt: ${err.message}`));
    });
  }
}

/** Start: labels, filters, first load, then refresh every 30 seconds. */
async function start() {
  try {
    state.meta = await loadMeta();
  } catch (err) {
    setLive("error", `Geen verbinding (${err.message})`);
    setTimeout(start, 3000);
    return;
  }
  state.labels = labeller(state.meta);
  setupFilters();
  const refresh = () => load().catch((err) => setLive("error", `Laden mislukt: ${err.message}`));
  await refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
}

start();
