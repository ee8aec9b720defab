// The one label table of every page: Dutch names of topics (from the taxonomy), channels, sentiments and
// states, loaded once from /api/meta.

import { getJSON } from "./api.js";
import { humanize } from "./dom.js";

let pending = null;

/** /api/meta (municipality, places, every label table), fetched once per page. */
export function loadMeta() {
  if (!pending) pending = getJSON("/api/meta").catch((err) => { pending = null; throw err; });
  return pending;
}

/** Label functions over the tables of `meta`; unknown codes get a readable form of the code. */
export function labeller(meta) {
  const from = (table) => (code) => (code ? meta?.[table]?.[code] || humanize(code) : "Onbekend");
  return {
    channel: from("channels"),
    topic: (code, own) => (code ? meta?.topics?.[code] || own || humanize(code) : "Onbekend"),
    sentiment: from("sentiments"),
    trigger: from("alert_triggers"),
    scope: from("alert_scopes"),
    handling: from("alert_handling"),
    severity: from("alert_severities"),
    trend: from("search_trends"),
    reviewStatus: from("review_statuses"),
  };
}

/** The label functions, once /api/meta has loaded. */
export async function loadLabels() {
  return labeller(await loadMeta());
}
