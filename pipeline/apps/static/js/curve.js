// The observed vs expected curve of an alert: columns of signals per quarter hour, a line for what is normal.

import { el, svg, replaceChildren, formatClock, formatNumber } from "./dom.js";
import { niceScale } from "./charts.js";

/** Draw `curve` ({buckets, observed, expected, bucket_seconds, days}) into `container`; the alert's
 * episode (`start`, `end` in unix seconds) is shaded. */
export function curveChart(container, curve, start, end) {
  if (!curve.buckets.length) {
    replaceChildren(container, el("div", { class: "chart-empty" }, "Nog geen signalen rond deze piek in de opslag"));
    return;
  }
  const width = Math.max(300, container.clientWidth || 520);
  const height = 170;
  const pad = { left: 34, right: 8, top: 10, bottom: 24 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const n = curve.buckets.length;
  const slot = plotW / n;
  const expected = curve.expected.map((v) => (v === null ? null : v));
  const { top, step } = niceScale(Math.max(1, ...curve.observed, ...expected.filter((v) => v !== null)));
  const y = (v) => pad.top + plotH - (v / top) * plotH;
  const x = (i) => pad.left + i * slot;
  const parts = [];
  for (let v = 0; v <= top; v += step) {
    parts.push(svg("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }),
      svg("text", { class: "axis", x: pad.left - 4, y: y(v) + 4, "text-anchor": "end" }, formatNumber(v)));
  }
  const last = curve.buckets[n - 1] + curve.bucket_seconds;
  const from = Math.max(0, Math.floor((start - curve.buckets[0]) / curve.bucket_seconds));
  const to = Math.min(n, Math.ceil(((end ?? last) - curve.buckets[0]) / curve.bucket_seconds));
  if (to > from) parts.push(svg("rect", { class: "episode", x: x(from), y: pad.top, width: (to - from) * slot, height: plotH }));
  curve.observed.forEach((v, i) => {
    parts.push(svg("rect", { class: "observed", x: x(i) + 1, y: y(v), width: Math.max(1, slot - 2), height: y(0) - y(v) },
      svg("title", {}, `${formatClock(curve.buckets[i])}: ${formatNumber(v)} gezien`
        + (expected[i] === null ? "" : `, ${formatNumber(expected[i], 1)} verwacht`))));
  });
  const points = expected.map((v, i) => (v === null ? null : `${x(i) + slot / 2},${y(v)}`)).filter(Boolean);
  if (points.length) parts.push(svg("polyline", { class: "expected", points: points.join(" ") }));
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 56))));
  for (let i = 0; i < n; i += every) {
    parts.push(svg("text", { class: "axis", x: x(i) + slot / 2, y: height - 6, "text-anchor": "middle" },
      formatClock(curve.buckets[i])));
  }
  const chart = svg("svg", { class: "curve", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": "Gezien tegenover verwacht per kwartier" }, parts);
  const legend = el("div", { class: "legend curve-legend" },
    el("span", { class: "legend-item" }, el("span", { class: "swatch swatch-observed" }), "Gezien per kwartier"),
    el("span", { class: "legend-item" }, el("span", { class: "swatch swatch-expected" }),
      curve.days ? `Verwacht (gemiddelde van dezelfde kwartieren, ${curve.days} ${curve.days === 1 ? "dag" : "dagen"} ervoor)`
        : "Verwacht: nog geen eerdere dagen in de opslag"),
    el("span", { class: "legend-item" }, el("span", { class: "swatch swatch-episode" }), "Piek"));
  replaceChildren(container, chart, legend);
}
