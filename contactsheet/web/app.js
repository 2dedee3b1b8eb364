// Starts the UI: finds out who is logged in, then shows the page the address names, and again
// on every change of address. Each page builds itself and returns a function that takes it down.

import { api, setLoggedOutHandler } from "./lib/api.js";
import * as events from "./lib/events.js";
import * as route from "./lib/route.js";
import { showLogin } from "./views/login.js";
import { createShell } from "./views/shell.js";

const root = document.getElementById("app");
let shell = null;

function toLogin() {
  events.close();
  shell?.destroy();
  shell = null;
  const here = location.pathname + location.search;
  const next = here.startsWith("/login") ? "/" : here;
  route.go(`/login?next=${encodeURIComponent(next)}`, { replace: true });
}

async function render(where) {
  if (where.name === "login") {
    shell?.destroy();
    shell = null;
    showLogin(root, {
      next: where.params.get("next") || "/",
      onLoggedIn: (next) => route.go(next.startsWith("/") && !next.startsWith("//") ? next : "/"),
    });
    return;
  }
  if (!shell) {
    try {
      const session = await api.get("/api/auth/session");
      shell = createShell(root, { username: session.username, onLogout: logout });
    } catch {
      toLogin();
      return;
    }
  }
  shell.show(where);
}

async function logout() {
  try {
    await api.post("/api/auth/logout");
  } finally {
    events.close();
    shell?.destroy();
    shell = null;
    route.go("/login", { replace: true });
  }
}

setLoggedOutHandler(toLogin);
// Only a change of page (or project) rebuilds; parameters the page itself set are its own to show.
let shown = null;
route.onChange((where) => {
  const key = `${where.name}:${where.folder ?? ""}`;
  if (where.name !== "login" && key === shown && shell) {
    shell.update(where);
    return;
  }
  shown = key;
  render(where);
});
shown = `${route.current().name}:${route.current().folder ?? ""}`;
render(route.current());
