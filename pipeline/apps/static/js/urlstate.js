// Filters kept in the page URL (query string), so a shared or reloaded URL shows the same view.

/** The named query-string values of the current URL ("" when absent). */
export function readParams(names) {
  const query = new URLSearchParams(window.location.search);
  const out = {};
  for (const name of names) out[name] = query.get(name) || "";
  return out;
}

/** Set (or, for empty values, remove) query-string values; pushes a history entry unless `replace`. */
export function writeParams(values, replace = false) {
  const query = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value === "" || value === null || value === undefined) query.delete(key);
    else query.set(key, String(value));
  }
  const text = query.toString();
  const url = `${window.location.pathname}${text ? `?${text}` : ""}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
}
