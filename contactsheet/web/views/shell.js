// The frame around every page once logged in: the top bar (navigation, processes, account), the
// side panel with the projects (a drawer on a phone), the main area, and the commit bar that
// appears while deletions are pending.

import { fill, h, icon, iconButton } from "../lib/dom.js";
import * as route from "../lib/route.js";
import * as projects from "../model/projects.js";
import { createCommitBar } from "./commitbar.js";
import { mountPhotos } from "./photos.js";
import { createProcesses } from "./processes.js";
import { mountLinks } from "./links.js";
import { mountProjects } from "./projects.js";
import { mountTrash } from "./trash.js";

const PAGES = { projects: mountProjects, photos: mountPhotos, trash: mountTrash, links: mountLinks };

function navLink(href, label, iconName, current) {
  return h(
    "a",
    { href, class: "nav-link", "aria-current": current ? "page" : null, "data-nav": href },
    icon(iconName),
    h("span", {}, label),
  );
}

export function createShell(root, { onLogout }) {
  const main = h("main", { id: "main", class: "main", tabindex: "-1" });
  const projectNav = h("ul", { class: "project-nav", "aria-label": "Projects" });
  const side = h(
    "nav",
    { class: "side", id: "side", "aria-label": "Library" },
    h("ul", { class: "side-links" }),
    h("h2", { class: "side-heading" }, "Projects"),
    projectNav,
  );
  const menuButton = iconButton("menu", "Show the projects", () => {
    const open = root.classList.toggle("side-open");
    menuButton.setAttribute("aria-expanded", String(open));
  }, { class: "icon-button menu-button", "aria-controls": "side", "aria-expanded": "false" });
  const processes = createProcesses();
  const commitBar = createCommitBar();
  const topActions = h("div", { class: "top-actions" });
  const accountButton = h(
    "button",
    { type: "button", class: "icon-button account", title: "Log out", onclick: onLogout },
    icon("logout"),
    h("span", { class: "label" }, "Log out"),
  );
  const top = h(
    "header",
    { class: "top" },
    menuButton,
    h("a", { href: "/", class: "brand", "data-nav": "/" }, "Contact Sheet"),
    h("div", { class: "top-slot", id: "top-slot" }),
    topActions,
  );
  topActions.append(
    processes.button,
    accountButton,
  );
  fill(root, top, side, main, processes.panel, commitBar.element);
  root.classList.add("with-shell");

  // Links inside the app change the address without loading the page again.
  const onClick = (event) => {
    const link = event.target.closest?.("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    if (link.target || link.hasAttribute("download")) return;
    event.preventDefault();
    root.classList.remove("side-open");
    route.go(url.pathname + url.search);
  };
  root.addEventListener("click", onClick);

  let where = null;
  let page = null;

  function renderNav() {
    const list = projects.cached() ?? [];
    const folder = where?.folder;
    fill(
      side.querySelector(".side-links"),
      h("li", {}, navLink("/", "Projects", "folder", where?.name === "projects")),
      h("li", {}, navLink("/photos", "All Photos", "photos", where?.name === "photos" && !folder)),
      h("li", {}, navLink("/links", "Shared links", "link", where?.name === "links")),
      h("li", {}, navLink("/trash", "Trash", "trash", where?.name === "trash")),
    );
    fill(
      projectNav,
      list.map((project) =>
        h(
          "li",
          {},
          h(
            "a",
            {
              href: route.projectUrl(project.folder),
              class: "nav-link project-link",
              "aria-current": folder === project.folder ? "page" : null,
            },
            h("span", { class: "project-link-name" }, project.name),
            project.missing_since ? h("span", { class: "badge badge-warning" }, "missing") : null,
            h("span", { class: "count" }, project.photo_count?.toLocaleString() ?? ""),
          ),
        ),
      ),
    );
  }
  const unsubscribe = projects.subscribe(renderNav);
  projects.reload().catch(() => {});

  return {
    show(next) {
      where = next;
      page?.destroy();
      fill(main);
      fill(top.querySelector("#top-slot"));
      page = PAGES[next.name](main, next, { topSlot: top.querySelector("#top-slot") });
      renderNav();
    },
    setUsername(username) {
      accountButton.title = `Log out ${username}`;
    },
    update(next) {
      where = next;
      page?.update?.(next);
    },
    destroy() {
      page?.destroy();
      processes.destroy();
      commitBar.destroy();
      unsubscribe();
      projects.forget();
      root.removeEventListener("click", onClick);
      root.classList.remove("with-shell", "side-open");
      fill(root);
    },
  };
}
