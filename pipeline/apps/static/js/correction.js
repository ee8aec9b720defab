// One-click corrections: a small topic select and sentiment select under each message. A choice is stored at
// once (with the adviser's account and the time, server side) and teaches the municipality's model.

import { el, replaceChildren } from "./dom.js";
import { getJSON, postJSON } from "./api.js";
import { loadMeta } from "./labels.js";

let topicsPending = null;

/** The topics a correction may choose (the taxonomy and the municipality's own categories), fetched once. */
function loadTopics() {
  if (!topicsPending) {
    topicsPending = getJSON("/api/corrections/topics").then((data) => data.topics)
      .catch(() => loadMeta().then((meta) => meta.topics));
  }
  return topicsPending;
}

/** Fill a select with (code, label) pairs, keeping `current` selectable even when the table lacks it. */
function fillOptions(select, table, current) {
  const entries = Object.entries(table || {});
  if (current && !entries.some(([code]) => code === current)) entries.push([current, current]);
  replaceChildren(select, entries.map(([code, label]) => el("option", { value: code }, label)));
  select.value = current || "";
}

/** Store one field's correction; the status element says whether it worked. */
async function save(signal, field, select, status, box) {
  status.textContent = "Opslaan…";
  status.className = "correction-status";
  try {
    const saved = await postJSON(`/api/signals/${encodeURIComponent(signal.id)}/correction`, { [field]: select.value });
    signal.correction = { ...(signal.correction || {}), [field]: saved[field], at: saved.at };
    box.classList.add("is-corrected");
    status.textContent = "✓ opgeslagen";
    status.classList.add("is-saved");
    select.blur();   // the live list may redraw again (it waits while a correction has the focus)
  } catch (err) {
    status.textContent = err.message;
    status.classList.add("is-error");
  }
}

/** The correction control of one message (`signal` as /api/signals lists it). */
export function correctionControl(signal) {
  const corrected = signal.correction || {};
  const topic = el("select", { class: "correct-topic", "aria-label": "Onderwerp corrigeren", title: "Onderwerp corrigeren" });
  const sentiment = el("select", { class: "correct-sentiment", "aria-label": "Sentiment corrigeren", title: "Sentiment corrigeren" });
  const status = el("span", { class: "correction-status", role: "status" });
  const box = el("div", { class: signal.correction ? "correction is-corrected" : "correction", "data-id": signal.id },
    el("span", { class: "correction-label" }, "Klopt het niet?"), topic, sentiment, status);
  const topicNow = corrected.topic || signal.topic || "";
  const sentimentNow = corrected.sentiment || signal.sentiment || "";
  fillOptions(topic, topicNow ? { [topicNow]: topicNow } : {}, topicNow);
  fillOptions(sentiment, sentimentNow ? { [sentimentNow]: sentimentNow } : {}, sentimentNow);
  Promise.all([loadTopics(), loadMeta()]).then(([topics, meta]) => {
    fillOptions(topic, topics, topicNow);
    fillOptions(sentiment, meta.sentiments, sentimentNow);
  }).catch(() => {});
  topic.addEventListener("change", () => save(signal, "topic", topic, status, box));
  sentiment.addEventListener("change", () => save(signal, "sentiment", sentiment, status, box));
  return box;
}

/** True while the user is choosing in a correction control (lists then wait before redrawing). */
export function correcting() {
  const active = document.activeElement;
  return Boolean(active && active.closest && active.closest(".correction"));
}

/** Confirm the labels the pipeline gave (both right): stored as a correction to the same labels. */
export async function confirmLabels(signal) {
  return postJSON(`/api/signals/${encodeURIComponent(signal.id)}/correction`,
    { topic: signal.topic || "", sentiment: signal.sentiment || "" });
}
