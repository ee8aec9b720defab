// The dossier overview: saved dossiers and the form to start a new one.

import { el, replaceChildren, formatDateTime, formatDateTimeZone } from "./dom.js";
import { getJSON, postJSON } from "./api.js";

/** One line describing a dossier's watch. */
export function describeDossier(d, labels) {
  const parts = [];
  if (d.keywords.length) parts.push(`woorden: ${d.keywords.join(", ")}`);
  if (d.topics.length) parts.push(`onderwerp: ${d.topics.map((t) => labels.topic(t)).join(", ")}`);
  parts.push(d.channels.length ? `kanalen: ${d.channels.map(labels.channel).join(", ")}` : "alle kanalen");
  if (d.place) parts.push(`wijk: ${d.place}`);
  if (d.start || d.end) {
    parts.push(`periode: ${d.start ? formatDateTime(d.start) : "…"} – ${d.end ? formatDateTimeZone(d.end) : "nu"}`);
  }
  return parts.join(" · ");
}

/** Checkboxes named `name` for each [value, label]. */
function checkboxes(name, entries) {
  return el("div", { class: "checks", role: "group" }, entries.map(([value, label]) =>
    el("label", {}, el("input", { type: "checkbox", name, value }), label)));
}

/** POST a new dossier; resolves to the saved dossier or rejects with the API's message. */
function createDossier(body) {
  return postJSON("/api/dossiers", body);
}

/** The form for a new dossier; on success it opens the dossier's page. */
function dossierForm(meta) {
  const error = el("div", { class: "form-error", role: "alert" });
  const form = el("form", { class: "form-grid", id: "dossier-form" },
    el("label", {}, "Naam", el("input", { name: "name", required: true, maxlength: 120,
      placeholder: "bijvoorbeeld: Wegwerkzaamheden Slotlaan" })),
    el("label", {}, "Woorden in het bericht (komma's ertussen)", el("input", { name: "keywords", maxlength: 400,
      placeholder: "slotlaan, omleiding" })),
    el("fieldset", { class: "form-grid" }, el("legend", { class: "hint" }, "Onderwerpen"),
      checkboxes("topics", Object.entries(meta.topics))),
    el("fieldset", { class: "form-grid" }, el("legend", { class: "hint" }, "Kanalen (geen = alle)"),
      checkboxes("channels", Object.entries(meta.channels))),
    el("label", {}, "Wijk", el("select", { name: "place" }, el("option", { value: "" }, "Alle wijken"),
      meta.places.map((p) => el("option", { value: p }, p)))),
    el("div", { class: "form-row" },
      el("label", {}, "Van (leeg = 7 dagen terug)", el("input", { type: "date", name: "start" })),
      el("label", {}, "Tot en met (leeg = nu)", el("input", { type: "date", name: "end" }))),
    error,
    el("div", {}, el("button", { type: "submit", class: "primary" }, "Dossier opslaan")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      name: data.get("name"),
      keywords: String(data.get("keywords") || "").split(",").map((k) => k.trim()).filter(Boolean),
      topics: data.getAll("topics"), channels: data.getAll("channels"),
      place: data.get("place") || null, start: data.get("start") || null, end: data.get("end") || null,
    };
    error.textContent = "";
    try {
      const saved = await createDossier(body);
      window.history.pushState(null, "", `/dossiers/${saved.id}`);
      window.dispatchEvent(new Event("stadssignaal:navigate"));
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}

/** Draw the overview into `view`. */
export async function showDossierList(view, meta, labels) {
  const payload = await getJSON("/api/dossiers");
  const list = payload.dossiers.length
    ? el("ul", { class: "dossier-list", id: "dossier-list" }, payload.dossiers.map((d) =>
      el("li", {}, el("div", {},
        el("a", { href: `/dossiers/${d.id}` }, d.name),
        el("div", { class: "dossier-def" }, describeDossier(d, labels))))))
    : el("div", { class: "empty-state", id: "dossier-list" },
      el("p", {}, "Nog geen dossiers. Een dossier volgt een kwestie over langere tijd, bijvoorbeeld "
        + "‘Wegwerkzaamheden Slotlaan’: kies rechts de woorden en onderwerpen, dan staat het dossier hier met het "
        + "aantal berichten, het verloop, het sentiment en de meest genoemde woorden, en elke dag in het Dagoverzicht."),
      el("p", { class: "hint" }, "Berichten die nu binnenkomen ziet u op ", el("a", { href: "/" }, "Live luisteren"), "."));
  replaceChildren(view,
    el("section", { class: "adv-grid" },
      el("article", { class: "panel" }, el("div", { class: "panel-head" }, el("h2", {}, "Dossiers")), list),
      el("article", { class: "panel" }, el("div", { class: "panel-head" }, el("h2", {}, "Nieuw dossier")),
        dossierForm(meta))));
}
