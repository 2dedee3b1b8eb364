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
  // Several requests may find the session gone at once: the first one decides where to return.
  if (location.pathname === "/login") return;
  const here = location.pathname + location.search;
  route.go(`/login?next=${encodeURIComponent(here)}`, { replace: true });
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
    // The page asks for its photos while the session is checked, not after: a round trip less
    // before the first thumbnail. Without a session both answer 401 and the login page shows.
    shell = createShell(root, { onLogout: logout });
    const mine = shell;
    api.get("/api/auth/session").then(
      (session) => mine.setUsername(session.username),
      () => {
        if (shell === mine) toLogin();
      },
    );
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
