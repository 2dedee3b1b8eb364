// The address is the state: which page, which project, view, sort, filters and open photo. Views
// read it from here and change it through here, so a reload or a pasted link shows the same thing.

const listeners = new Set();

/** The page and its parameters, parsed from the current address. */
export function current() {
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  let match;
  if (path === "/login") return { name: "login", params };
  if (path === "/photos") return { name: "photos", folder: null, params };
  if (path === "/trash") return { name: "trash", params };
  if (path === "/links") return { name: "links", params };
  if ((match = path.match(/^\/projects\/([^/]+)$/))) {
    return { name: "photos", folder: decodeURIComponent(match[1]), params };
  }
  return { name: "projects", params };
}

export function projectUrl(folder, params) {
  const base = folder ? `/projects/${encodeURIComponent(folder)}` : "/photos";
  const text = params ? new URLSearchParams(params).toString() : "";
  return text ? `${base}?${text}` : base;
}

function notify() {
  const route = current();
  for (const listener of listeners) listener(route);
}

/** Go to another address (a new history entry unless `replace`). */
export function go(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  notify();
}

/**
 * Change some query parameters of the current address (null or "" removes one). Changes that
 * only record where the user is (the open photo) replace the entry; a new view pushes one.
 */
export function setParams(changes, { replace = false, silent = false } = {}) {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") params.delete(key);
    else params.set(key, String(value));
  }
  const text = params.toString();
  const url = location.pathname + (text ? `?${text}` : "");
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  if (!silent) notify();
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

window.addEventListener("popstate", notify);
