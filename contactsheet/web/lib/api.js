// The one place the UI talks HTTP: JSON in and out, errors in words, and one answer to an expired
// session (refresh once, else back to the login page). Every view calls these, never fetch().

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The API refuses bulk requests of more than this many photos; larger selections go in chunks.
export const BULK_LIMIT = 2000;

let onLoggedOut = () => {};
let refreshing = null;

/** Called with the current address when the session is gone for good. */
export function setLoggedOutHandler(handler) {
  onLoggedOut = handler;
}

function query(params) {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function errorOf(response) {
  let code = "http_" + response.status;
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // Not JSON (a proxy's page): the status line is all there is.
  }
  return new ApiError(response.status, code, message);
}

/** Trade the refresh cookie for a new access cookie; one refresh at a time for all callers. */
export function refreshSession() {
  refreshing ??= fetch("/api/auth/refresh", { method: "POST", credentials: "same-origin" })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function request(method, path, { body, params, signal, raw = false } = {}) {
  const init = { method, credentials: "same-origin", signal, headers: {} };
  if (body !== undefined) {
    if (body instanceof FormData) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
  }
  const url = path + query(params);
  let response;
  try {
    response = await fetch(url, init);
    if (response.status === 401 && !path.startsWith("/api/auth/")) {
      if (await refreshSession()) response = await fetch(url, init);
    }
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection.");
  }
  if (response.status === 401 && !path.startsWith("/api/auth/")) {
    onLoggedOut();
    throw await errorOf(response);
  }
  if (!response.ok) throw await errorOf(response);
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path, params, options = {}) => request("GET", path, { ...options, params }),
  post: (path, body, options = {}) => request("POST", path, { ...options, body }),
  patch: (path, body, options = {}) => request("PATCH", path, { ...options, body }),
  delete: (path, options = {}) => request("DELETE", path, options),
};

/** A bulk edit of many photos, sent in chunks the API accepts; resolves to the answers. */
export async function bulk(path, photoIds, extra = {}, makeItem = (id) => ({ photo_id: id })) {
  const answers = [];
  for (let start = 0; start < photoIds.length; start += BULK_LIMIT) {
    const items = photoIds.slice(start, start + BULK_LIMIT).map(makeItem);
    answers.push(await api.post(path, { ...extra, items }));
  }
  return answers;
}

/** The API address of a project: folders are names a user chose, so always encoded. */
export function projectPath(folder, rest = "") {
  return `/api/projects/${encodeURIComponent(folder)}${rest}`;
}
