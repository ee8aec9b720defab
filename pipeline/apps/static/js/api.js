// Every request of the pages goes through here: one place for timeouts, headers and readable errors.

/** The session's CSRF token from its cookie ("" when not logged in). */
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)stadssignaal_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Headers sent with every request: JSON, and the session's CSRF token for the dashboard's write check. */
export function requestHeaders(extra = {}) {
  return { accept: "application/json", "x-csrf-token": csrfToken(), ...extra };
}

/** fetch() with a timeout and the shared headers; rejects with the API's error message on failure. */
export async function request(url, options = {}, timeoutMs = 10000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { ...options, signal: controller.signal,
      headers: requestHeaders(options.headers) });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  } finally {
    clearTimeout(timer);
  }
}

/** The URL of `path` with query parameters (empty values left out). */
export function apiUrl(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

/** GET `path` with query parameters (empty values left out) as JSON. */
export function getJSON(path, params = {}, timeoutMs = 10000) {
  return request(apiUrl(path, params), {}, timeoutMs);
}

/** POST a JSON body to `path` and return the JSON answer. */
export function postJSON(path, body, timeoutMs = 10000) {
  return request(apiUrl(path), { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify(body) }, timeoutMs);
}
