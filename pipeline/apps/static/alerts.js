// Alerts view: lists spike alerts from /api/alerts, refreshes every 30 seconds, row click shows details.
"use strict";

const REFRESH_MS = 30000;
const TRIGGERS = { volume: "meer berichten", negative_share: "meer negatief" };
const SCOPES = { topic: "hele onderwerp", channel: "kanaal", place: "wijk" };

function localTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("nl-NL", { dateStyle: "short", timeStyle: "short" });
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function scopeText(scope) {
  return scope.type === "topic" ? SCOPES.topic : `${SCOPES[scope.type] || scope.type}: ${scope.value}`;
}

function detailsRow(alert) {
  const tr = document.createElement("tr");
  tr.className = "details";
  tr.hidden = true;
  const td = document.createElement("td");
  td.colSpan = 9;
  if (alert.new_terms && alert.new_terms.length) {
    const terms = document.createElement("p");
    terms.className = "terms";
    terms.append("Nieuwe woorden: ");
    for (const term of alert.new_terms) {
      const span = document.createElement("span");
      span.textContent = term;
      terms.appendChild(span);
    }
    td.appendChild(terms);
  }
  const list = document.createElement("ul");
  for (const example of alert.examples || []) {
    const li = document.createElement("li");
    li.textContent = `[${example.channel || "?"}] ${example.text}`;
    list.appendChild(li);
  }
  td.appendChild(list);
  const link = document.createElement("a");
  link.href = alert.link;
  link.textContent = "Open in dashboard";
  td.appendChild(link);
  tr.appendChild(td);
  return tr;
}

function render(alerts) {
  const body = document.getElementById("alerts");
  body.replaceChildren();
  for (const alert of alerts) {
    const tr = document.createElement("tr");
    tr.className = "alert-row";
    tr.dataset.id = alert.id;
    cell(tr, alert.status === "open" ? "lopend" : "voorbij", alert.status);
    cell(tr, alert.topic);
    cell(tr, scopeText(alert.scope));
    cell(tr, localTime(alert.start));
    cell(tr, alert.end ? localTime(alert.end) : "-");
    cell(tr, String(alert.observed));
    cell(tr, alert.expected.toFixed(1));
    cell(tr, alert.ratio == null ? "-" : `${alert.ratio.toFixed(1)}x`);
    cell(tr, TRIGGERS[alert.trigger] || alert.trigger);
    const details = detailsRow(alert);
    tr.addEventListener("click", () => { details.hidden = !details.hidden; });
    body.append(tr, details);
  }
}

async function load() {
  const params = new URLSearchParams({ limit: "200" });
  const topic = document.getElementById("topic").value.trim();
  const status = document.getElementById("status").value;
  if (topic) params.set("topic", topic);
  if (status) params.set("status", status);
  const state = document.getElementById("state");
  try {
    const response = await fetch(`/api/alerts?${params}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    render(data.alerts);
    state.textContent = `${data.count} meldingen, bijgewerkt ${new Date().toLocaleTimeString("nl-NL")}`;
  } catch (err) {
    state.textContent = `kan meldingen niet laden (${err.message})`;
  }
}

function start() {
  const query = new URLSearchParams(window.location.search);
  document.getElementById("topic").value = query.get("topic") || "";
  document.getElementById("status").value = query.get("status") || "";
  document.getElementById("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
  setInterval(load, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", start);
