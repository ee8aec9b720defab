// Fetching JSON from the dashboard API with a timeout and readable errors.

/** GET `path` with query parameters (empty values left out); rejects with the API's error message. */
export async function getJSON(path, params = {}, timeoutMs = 10000) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal, headers: { accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  } finally {
    clearTimeout(timer);
  }
}
