// The review queue: the least certain messages of the last week first, each with a one-click correction and
// a "Klopt" button that confirms the labels the pipeline gave.

import { el, replaceChildren, formatDateTime, formatNumber, formatPercent } from "./dom.js";
import { getJSON } from "./api.js";
import { loadMeta, labeller } from "./labels.js";
import { correctionControl, confirmLabels } from "./correction.js";

const EMPTY = "Niets na te kijken. Hier verschijnen de berichten van de afgelopen week waarover het model het "
  + "minst zeker was van onderwerp of sentiment, de onzekerste bovenaan, zolang niemand ze heeft nagekeken.";

/** The "Klopt" button: confirms both labels and marks the row done. */
function confirmButton(item, row) {
  const button = el("button", { type: "button", class: "confirm-labels" }, "Klopt");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await confirmLabels(item);
      row.classList.add("is-done");
      button.textContent = "✓ bevestigd";
    } catch (err) {
      button.disabled = false;
      button.textContent = err.message;
    }
  });
  return button;
}

/** One message of the queue as a table row. */
function queueRow(item, labels) {
  const control = correctionControl(item);
  const row = el("tr", { "data-id": item.id });
  control.addEventListener("change", () => row.classList.add("is-done"));
  control.append(confirmButton(item, row));
  row.append(
    el("td", { class: "col-time", title: item.created_at }, formatDateTime(item.ts)),
    el("td", { class: "col-channel" }, labels.channel(item.channel)),
    el("td", { class: "col-topic" }, item.topic ? labels.topic(item.topic, item.topic_label) : "–"),
    el("td", { class: "col-sentiment" }, item.sentiment
      ? el("span", { class: `badge badge-${item.sentiment}` }, labels.sentiment(item.sentiment)) : "–"),
    el("td", { class: "col-certainty" }, formatPercent(item.certainty)),
    el("td", { class: "col-text" }, el("div", { class: "message" }, item.text), control));
  return row;
}

/** Load and draw the queue. */
async function show() {
  const live = document.getElementById("live");
  const liveText = document.getElementById("live-text");
  try {
    const labels = labeller(await loadMeta());
    const data = await getJSON("/api/corrections/queue", { limit: 50 });
    const body = document.getElementById("queue-body");
    replaceChildren(body, data.items.length ? data.items.map((item) => queueRow(item, labels))
      : el("tr", { class: "empty-row" }, el("td", { colspan: 6 }, EMPTY)));
    document.getElementById("queue-state").textContent =
      `${formatNumber(data.items.length)} te bekijken · ${formatNumber(data.corrected)} berichten nagekeken`;
    live.dataset.status = "live";
    liveText.textContent = "Bijgewerkt";
  } catch (err) {
    live.dataset.status = "error";
    liveText.textContent = `Laden mislukt: ${err.message}`;
  }
}

show();
