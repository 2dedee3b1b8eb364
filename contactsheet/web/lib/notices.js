// Messages to the user: a short-lived notice for what happened, a lasting one for what went
// wrong; both are read out by screen readers.

import { h } from "./dom.js";

let region = null;

function container() {
  if (!region || !region.isConnected) {
    region = h("div", { class: "notices", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

export function notify(message, { kind = "info", timeout = kind === "error" ? 10000 : 4000 } = {}) {
  const close = () => notice.remove();
  const notice = h(
    "div",
    { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : null },
    h("span", {}, message),
    h("button", { type: "button", class: "notice-close", "aria-label": "Dismiss", onclick: close }, "×"),
  );
  container().append(notice);
  if (timeout) setTimeout(close, timeout);
  return close;
}

/** The message of an error for a person: the API's words, or the browser's. */
export function describe(error) {
  return error?.message || String(error);
}

export function notifyError(prefix, error) {
  // An aborted request was meant; a lost session sends the user to the login page instead.
  if (error?.name === "AbortError" || error?.status === 401) return;
  notify(`${prefix}: ${describe(error)}`, { kind: "error" });
}
