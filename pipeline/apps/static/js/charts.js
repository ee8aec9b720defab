// Hand-made SVG charts: stacked columns over time and horizontal bars. Labels are SVG text nodes.

import { el, svg, replaceChildren, formatBucket, formatNumber, formatPercent } from "./dom.js";

/** A round step and top for a y axis covering 0..max in about `ticks` steps (whole steps for counts). */
export function niceScale(max, ticks = 4, whole = true) {
  if (!(max > 0)) return { top: 1, step: 1 };
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  if (whole) step = Math.max(1, Math.round(step));
  return { top: Math.ceil(max / step) * step, step };
}

/** Show an empty-state message instead of a chart. */
function showEmpty(container, text) {
  replaceChildren(container, el("div", { class: "chart-empty" }, text));
}

/** Position and fill the floating tooltip of a chart container. */
function showTooltip(container, x, title, rows) {
  let tip = container.querySelector(".tooltip");
  if (!tip) {
    tip = el("div", { class: "tooltip", role: "status" });
    container.appendChild(tip);
  }
  replaceChildren(
    tip,
    el("div", { class: "tooltip-title" }, title),
    rows.map((row) =>
      el("div", { class: "tooltip-row" },
        el("span", { class: "swatch", "data-color": row.color }),
        el("span", { class: "tooltip-label" }, row.label),
        el("span", { class: "tooltip-value" }, row.value))),
  );
  for (const swatch of tip.querySelectorAll(".swatch")) swatch.style.background = swatch.dataset.color;
  tip.hidden = false;
  const width = container.clientWidth;
  let left = x + 14;
  if (left + tip.offsetWidth > width - 8) left = x - tip.offsetWidth - 14;
  tip.style.left = `${Math.max(8, left)}px`;
  tip.style.top = "8px";
}

/** Hide a chart's tooltip. */
function hideTooltip(container) {
  const tip = container.querySelector(".tooltip");
  if (tip) tip.hidden = true;
}

/**
 * Stacked columns, one per time bucket.
 * opts: {buckets, bucketSeconds, series: [{key, label, color, values}], percent, height, emptyText,
 *        partialLast (the last bucket ends at the newest signal: drawn lighter),
 *        valueText(seriesIndex, bucketIndex) -> string,
 *        onSelectBucket(bucketIndex) (a click on a column; drill-down), selectedBucket (index drawn highlighted)}
 */
export function stackedColumns(container, opts) {
  const { buckets, series, bucketSeconds, percent = false, height = 250 } = opts;
  const n = buckets.length;
  const totals = buckets.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  if (!n || !series.length || totals.every((t) => !t)) {
    showEmpty(container, opts.emptyText || "Geen signalen in deze periode");
    return;
  }
  const width = Math.max(320, container.clientWidth || 640);
  const pad = { left: percent ? 42 : 46, right: 10, top: 10, bottom: 26 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const scale = percent ? { top: 1, step: 0.25 } : niceScale(Math.max(...totals));
  const y = (v) => pad.top + plotH - (v / scale.top) * plotH;
  const slot = plotW / n;
  const barW = Math.max(1, slot * (n > 120 ? 0.9 : 0.76));
  const span = n * bucketSeconds;

  const grid = svg("g", { class: "grid" });
  for (let v = 0; v <= scale.top + 1e-9; v += scale.step) {
    grid.appendChild(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
    grid.appendChild(svg("text", { x: pad.left - 6, y: y(v) + 4, class: "axis-label", "text-anchor": "end" },
      percent ? formatPercent(v) : formatNumber(Math.round(v * 100) / 100)));
  }

  const bars = svg("g", { class: "bars" });
  for (let i = 0; i < n; i += 1) {
    const x = pad.left + i * slot + (slot - barW) / 2;
    let acc = 0;
    for (const s of series) {
      const value = s.values[i] || 0;
      if (!value) continue;
      const share = percent ? value / totals[i] : value;
      const top = y(acc + share);
      bars.appendChild(svg("rect", { x, y: top, width: barW, height: Math.max(0.5, y(acc) - top), fill: s.color,
        class: opts.partialLast && i === n - 1 ? "partial" : null }));
      acc += share;
    }
  }

  const axis = svg("g", { class: "x-axis" });
  const maxLabels = Math.max(2, Math.floor(plotW / 78));
  const every = Math.max(1, Math.ceil(n / maxLabels));
  for (let i = 0; i < n; i += every) {
    const cx = pad.left + i * slot + slot / 2;
    axis.appendChild(svg("line", { x1: cx, x2: cx, y1: pad.top + plotH, y2: pad.top + plotH + 4 }));
    axis.appendChild(svg("text", { x: cx, y: height - 6, class: "axis-label", "text-anchor": "middle" },
      formatBucket(buckets[i], bucketSeconds, span)));
  }

  const hover = svg("rect", { class: "hover-band", x: 0, y: pad.top, width: slot, height: plotH, visibility: "hidden" });
  const selectedOk = Number.isInteger(opts.selectedBucket) && opts.selectedBucket >= 0 && opts.selectedBucket < n;
  const selected = svg("rect", { class: "selected-band", x: pad.left + (selectedOk ? opts.selectedBucket : 0) * slot,
    y: pad.top, width: slot, height: plotH, visibility: selectedOk ? "visible" : "hidden" });
  const overlay = svg("rect", { class: `overlay${opts.onSelectBucket ? " clickable" : ""}`, x: pad.left, y: pad.top,
    width: plotW, height: plotH });
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": opts.ariaLabel || "grafiek" }, grid, selected, hover, bars, axis, overlay);
  const bucketAt = (event) => {
    const box = chart.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * width;
    return Math.min(n - 1, Math.max(0, Math.floor((px - pad.left) / slot)));
  };
  if (opts.onSelectBucket) overlay.addEventListener("click", (event) => opts.onSelectBucket(bucketAt(event)));

  overlay.addEventListener("mousemove", (event) => {
    const i = bucketAt(event);
    hover.setAttribute("x", pad.left + i * slot);
    hover.setAttribute("visibility", "visible");
    const rows = series.map((s, k) => ({ label: s.label, color: s.color,
      value: opts.valueText ? opts.valueText(k, i) : formatNumber(s.values[i] || 0) }));
    const partial = opts.partialLast && i === n - 1 ? " (t/m nieuwste signaal)" : "";
    const title = `${formatBucket(buckets[i], bucketSeconds, span * 2)}${partial} · ${formatNumber(totals[i])} signalen`;
    showTooltip(container, event.clientX - container.getBoundingClientRect().left, title, rows);
  });
  overlay.addEventListener("mouseleave", () => {
    hover.setAttribute("visibility", "hidden");
    hideTooltip(container);
  });
  replaceChildren(container, chart);
}

/**
 * Horizontal bars, each with its label above it and its value at the right.
 * items: [{key, label, value, color}]; opts: {selectedKey, onSelect(key), emptyText, ariaLabel}
 */
export function horizontalBars(container, items, opts = {}) {
  if (!items.length || items.every((item) => !item.value)) {
    showEmpty(container, opts.emptyText || "Geen signalen in deze periode");
    return;
  }
  const width = Math.max(240, container.clientWidth || 360);
  const rowH = 31;
  const valueW = 48;
  const height = items.length * rowH;
  const max = Math.max(...items.map((item) => item.value));
  const barMax = width - valueW - 12;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "list",
    "aria-label": opts.ariaLabel || "staafdiagram" });
  items.forEach((item, i) => {
    const top = i * rowH;
    const selected = opts.selectedKey !== undefined && opts.selectedKey === item.key;
    const row = svg("g", { class: `bar-row${selected ? " selected" : ""}${opts.onSelect ? " clickable" : ""}`,
      role: "listitem", tabindex: opts.onSelect ? 0 : null, "data-key": item.key },
    svg("rect", { class: "bar-bg", x: 0, y: top + 1, width, height: rowH - 2, rx: 5 }),
    svg("text", { x: 6, y: top + 13, class: "bar-label" }, item.label),
    svg("rect", { class: "bar-track", x: 6, y: top + 18, width: barMax, height: 7, rx: 3.5 }),
    svg("rect", { x: 6, y: top + 18, width: Math.max(3, (item.value / max) * barMax), height: 7, rx: 3.5,
      fill: item.color }),
    svg("text", { x: width - 6, y: top + 25, class: "bar-value", "text-anchor": "end" }, formatNumber(item.value)),
    svg("title", {}, `${item.label}: ${formatNumber(item.value)}`));
    if (opts.onSelect) {
      row.addEventListener("click", () => opts.onSelect(item.key));
      row.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); opts.onSelect(item.key); }
      });
    }
    chart.appendChild(row);
  });
  replaceChildren(container, chart);
}
