// Small DOM helpers: every piece of text goes in through text nodes, never through HTML parsing.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Append children (nodes, strings as text nodes; null/false skipped) to a parent node. */
function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Set attributes; "class" and "dataset"-style keys are plain attributes, "on*" keys add listeners. */
function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  return node;
}

/** Create an HTML element: el("td", {class: "x"}, "text", otherNode). */
export function el(tag, attrs, ...children) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

/** Create an SVG element in the SVG namespace. */
export function svg(tag, attrs, ...children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** Replace all children of a node. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

const TZ = "Europe/Amsterdam";
const fmtCache = new Map();

/** A cached Intl.DateTimeFormat for the Dutch locale in the Amsterdam time zone. */
function dateFormat(options) {
  const key = JSON.stringify(options);
  if (!fmtCache.has(key)) fmtCache.set(key, new Intl.DateTimeFormat("nl-NL", { timeZone: TZ, ...options }));
  return fmtCache.get(key);
}

/** Unix seconds as a short clock time, e.g. "14:05". */
export function formatClock(ts, seconds = false) {
  return dateFormat({ hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) })
    .format(new Date(ts * 1000));
}

/** Unix seconds as a short date, e.g. "12 nov". */
export function formatDay(ts) {
  return dateFormat({ day: "numeric", month: "short" }).format(new Date(ts * 1000));
}

/** An ISO time as a Dutch date ("24 nov 2026") in `zone` (Amsterdam unless told), "–" when absent. */
export function formatDate(iso, zone = TZ) {
  if (!iso) return "–";
  const key = `date|${zone}`;
  if (!fmtCache.has(key)) {
    fmtCache.set(key, new Intl.DateTimeFormat("nl-NL", { timeZone: zone, day: "numeric", month: "short", year: "numeric" }));
  }
  return fmtCache.get(key).format(new Date(iso));
}

/** The zone abbreviation at `ts`, "CET" in winter and "CEST" in summer. */
export function formatZone(ts) {
  const part = dateFormat({ timeZoneName: "short" }).formatToParts(new Date(ts * 1000))
    .find((p) => p.type === "timeZoneName");
  return part ? part.value : "CET";
}

/** Unix seconds as date and time with the zone, e.g. "12 nov 14:05 CET". */
export function formatDateTimeZone(ts) {
  return `${formatDateTime(ts)} ${formatZone(ts)}`;
}

/** Unix seconds as date and time, e.g. "12 nov 14:05". */
export function formatDateTime(ts, seconds = false) {
  return `${formatDay(ts)} ${formatClock(ts, seconds)}`;
}

/** An axis/tooltip label for a bucket start, precise enough for its bucket size. */
export function formatBucket(ts, bucketSeconds, spanSeconds) {
  if (bucketSeconds >= 86400) return formatDay(ts);
  if (spanSeconds > 86400) return formatDateTime(ts);
  return formatClock(ts);
}

/** A number with Dutch separators (12.345; 3,9 with `digits`). */
export function formatNumber(n, digits = 0) {
  return Number(n ?? 0).toLocaleString("nl-NL", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A share 0..1 as a percentage, "–" when unknown. */
export function formatPercent(share, digits = 0) {
  if (share === null || share === undefined) return "–";
  return `${(share * 100).toLocaleString("nl-NL", { maximumFractionDigits: digits, minimumFractionDigits: digits })}%`;
}

/** A readable label for an unknown code: "werk_inkomen" -> "Werk inkomen". */
export function humanize(code) {
  if (!code) return "Onbekend";
  const text = String(code).replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
