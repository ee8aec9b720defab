// The advisers' pages: picks the view from the path (/dossiers, /dossiers/<id>, /nieuw, /aandacht, /digest).

import { loadMeta, labeller } from "./labels.js";
import { showDossierList } from "./dossier_list.js";
import { showDossier } from "./dossier_view.js";
import { showWhatsNew } from "./whatsnew_view.js";
import { showAttention } from "./attention_view.js";
import { showDigest } from "./digest_view.js";

/** Set the status pill in the header. */
export function setStatus(status, text) {
  const live = document.getElementById("live");
  live.dataset.status = status;
  document.getElementById("live-text").textContent = text;
}

/** The view for the current path. */
async function route(meta) {
  const view = document.getElementById("view");
  const labels = labeller(meta);
  const path = window.location.pathname.replace(/\/+$/, "");
  const match = path.match(/^\/dossiers\/(\d+)$/);
  const section = match ? "dossiers" : path.slice(1);
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === `/${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (match) return showDossier(view, Number(match[1]), meta, labels);
  if (section === "nieuw") return showWhatsNew(view, meta, labels);
  if (section === "aandacht") return showAttention(view, meta, labels);
  if (section === "digest") return showDigest(view, meta, labels);
  return showDossierList(view, meta, labels);
}

/** Load labels, draw the view, and redraw it on back/forward. */
async function start() {
  let meta;
  try {
    meta = await loadMeta();
  } catch (err) {
    setStatus("error", `Geen verbinding (${err.message})`);
    setTimeout(start, 3000);
    return;
  }
  const draw = () => route(meta).then(() => setStatus("live", "Bijgewerkt"))
    .catch((err) => setStatus("error", `Laden mislukt: ${err.message}`));
  window.addEventListener("popstate", draw);
  window.addEventListener("stadssignaal:navigate", draw);
  await draw();
}

start();
