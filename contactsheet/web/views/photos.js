// A project's photos, or All Photos: the grid or the table, the filters, the selection and its
// toolbar, the viewer and (in a project) the upload. The address holds the view, the size, the
// sort, the filters and the open photo; live events change cells in place.

import { api, projectPath } from "../lib/api.js";
import { fill, h, icon } from "../lib/dom.js";
import * as events from "../lib/events.js";
import { count } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";
import * as route from "../lib/route.js";
import { LIST_KEYS, PhotoList } from "../model/photolist.js";
import { Selection } from "../model/selection.js";
import { activeFilterCount, createFilterPanel, sortSelect } from "./filters.js";
import { createGrid } from "./grid.js";
import { createTable } from "./table.js";
import { createToolbar } from "./toolbar.js";
import { createUpload } from "./upload.js";

// Beyond this many pages, a shift-range asks for every key at once instead of page by page.
const LONG_RANGE_PAGES = 5;

export const SIZES = [
  ["s", "Small"],
  ["m", "Medium"],
  ["l", "Large"],
];

function listingKey(params) {
  return LIST_KEYS.map((key) => `${key}=${params.get(key) ?? ""}`).join("&");
}

function segmented(name, label, options, value, onPick) {
  return h(
    "div",
    { class: "segmented", role: "group", "aria-label": label },
    options.map(([optionValue, text, iconName]) =>
      h(
        "button",
        {
          type: "button",
          class: "segment",
          "aria-pressed": String(optionValue === value),
          dataset: { [name]: optionValue },
          title: text,
          onclick: () => onPick(optionValue),
        },
        iconName ? icon(iconName) : null,
        h("span", { class: iconName ? "label" : "" }, text),
      ),
    ),
  );
}

/**
 * The viewer, loaded when first wanted (its modules are not on the way to the first screen of
 * thumbnails) and fetched in the background once that screen is up, so Enter opens it at once.
 */
function lazyViewer(ctx) {
  let real = null;
  let loading = null;
  let wanted = null; // the index to open once loaded
  let destroyed = false;
  const load = () => {
    loading ??= import("./viewer.js").then(
      (module) => {
        if (destroyed) return;
        real = module.createViewer(ctx);
        if (wanted !== null) real.open(wanted);
      },
      (error) => {
        loading = null; // a later open tries again
        wanted = null;
        notifyError("The viewer could not be loaded; try again, or reload the page", error);
      },
    );
    return loading;
  };
  return {
    load,
    open(index) {
      if (destroyed) return;
      if (real) real.open(index);
      else {
        wanted = index;
        load();
      }
    },
    close() {
      wanted = null;
      real?.close();
    },
    isOpen: () => (real ? real.isOpen() : wanted !== null),
    destroy() {
      destroyed = true;
      real?.destroy();
    },
  };
}

function onWindow(type, handler) {
  window.addEventListener(type, handler);
  return () => window.removeEventListener(type, handler);
}

export function mountPhotos(container, where, { topSlot }) {
  const folder = where.folder;
  const selection = new Selection();
  const unsubscribers = [];
  let project = null;
  let params = where.params;
  let list = null;
  let collection = null; // the grid or the table
  let viewer = null;
  let upload = null;
  let toolbar = null;
  let shownKey = null;
  let shownView = null;
  let viewerPushed = false;
  let destroyed = false;

  const title = h("h1", { class: "page-title" }, folder ?? "All Photos");
  const counter = h("span", { class: "photo-count", "aria-live": "polite" });
  const notice = h("div", { class: "page-notice", hidden: true, role: "note" });
  const filterPanel = createFilterPanel();
  const filterToggle = h(
    "button",
    { type: "button", class: "filter-toggle", "aria-expanded": "false", "aria-controls": "filters" },
    "Filters",
  );
  filterPanel.element.hidden = true;
  filterToggle.addEventListener("click", () => {
    filterPanel.element.hidden = !filterPanel.element.hidden;
    filterToggle.setAttribute("aria-expanded", String(!filterPanel.element.hidden));
  });
  const controls = h("div", { class: "view-controls" });
  const body = h("div", { class: "collection" });
  const empty = h("p", { class: "empty photos-empty", hidden: true });
  const toolbarSlot = h("div", { class: "toolbar-slot" });

  fill(
    container,
    h("div", { class: "photos-head" }, title, counter, controls),
    notice,
    filterPanel.element,
    toolbarSlot,
    empty,
    body,
  );

  /** Whether a change in that project can change this listing (All Photos: any project). */
  const concerns = (projectId) => !folder || !project || projectId === project.id;

  const ctx = {
    folder,
    selection,
    get list() {
      return list;
    },
    get project() {
      return project;
    },
    get params() {
      return params;
    },
    get view() {
      return params.get("view") === "table" ? "table" : "grid";
    },
    get size() {
      return SIZES.some(([key]) => key === params.get("size")) ? params.get("size") : "m";
    },
    openViewer(index) {
      const item = list.get(index);
      if (!item) return;
      route.setParams({ photo: item.id });
      viewerPushed = true;
    },
    closeViewer(index) {
      // Opened from the grid: closing is going back, so Back afterwards does not reopen it.
      if (viewerPushed) {
        viewerPushed = false;
        history.back();
      } else {
        route.setParams({ photo: null }, { replace: true });
      }
      if (index !== undefined) {
        collection?.scrollToIndex(index);
        collection?.focusIndex(index);
      }
    },
    /** The ids of the photos from `low` to `high`, reading the pages that are not loaded. */
    async idsBetween(low, high) {
      // A long range (Shift+End in a big project) is one request for every key, not a page each.
      if (high - low > LONG_RANGE_PAGES * list.pageSize) {
        const mine = list;
        const ids = await mine.allIds();
        return ids.slice(low, high + 1);
      }
      const pages = [];
      for (let page = Math.floor(low / list.pageSize); page <= Math.floor(high / list.pageSize); page += 1) {
        pages.push(list.load(page));
      }
      await Promise.all(pages);
      const ids = [];
      for (let index = low; index <= high; index += 1) {
        const item = list.get(index);
        if (item) ids.push(item.id);
      }
      return ids;
    },
    async selectAll() {
      const mine = list;
      try {
        const ids = await mine.allIds();
        // The filters changed (or the page was left) meanwhile: those ids are not this view's.
        if (list === mine && !destroyed) selection.replace(ids);
      } catch (error) {
        notifyError("Select all failed", error);
      }
    },
    scrollToIndex(index) {
      collection?.scrollToIndex(index);
    },
  };

  function renderControls() {
    fill(
      controls,
      segmented("view", "View", [["grid", "Grid", "grid"], ["table", "Table", "table"]], ctx.view, (view) =>
        route.setParams({ view: view === "grid" ? null : view }),
      ),
      ctx.view === "grid"
        ? segmented("size", "Thumbnail size", SIZES, ctx.size, (size) =>
            route.setParams({ size: size === "m" ? null : size }, { replace: true }),
          )
        : null,
      sortSelect(params),
      filterToggle,
      upload?.button,
    );
    const active = activeFilterCount(params);
    filterToggle.textContent = active ? `Filters (${active})` : "Filters";
    filterPanel.render(params);
  }

  function renderCount() {
    if (!list || list.total === null) return;
    const filtered = list.total !== list.unfilteredTotal;
    counter.textContent = filtered
      ? `${count(list.total, "photo")} of ${list.unfilteredTotal.toLocaleString()}`
      : count(list.total, "photo");
    empty.hidden = list.total > 0;
    if (!list.total) {
      empty.textContent = filtered
        ? "No photos match these filters."
        : folder
          ? "No photos in this project yet. Drop files or folders anywhere on this page, or use Upload."
          : "No photos yet. Create a project and upload a shoot.";
    }
  }

  function buildCollection() {
    collection?.destroy();
    collection = (ctx.view === "table" ? createTable : createGrid)(ctx);
    fill(body, collection.element);
    shownView = ctx.view;
  }

  async function buildList() {
    list?.dispose();
    selection.clear();
    list = new PhotoList({ folder, params });
    list.subscribe((change) => {
      if (change.type === "total" || change.type === "items") renderCount();
      if (change.type === "error") notifyError("The photos could not be read", change.error);
    });
    shownKey = listingKey(params);
    const photoId = Number(params.get("photo")) || null;
    buildCollection();
    const mine = list;
    const position = await mine.start(photoId);
    if (list !== mine || destroyed) return; // the filters changed again, or the page was left
    renderCount();
    collection.refresh?.();
    if (position !== null && position !== undefined) collection.scrollToIndex(position);
    // Idle now: fetch the viewer's modules so the first Enter does not wait for them.
    (window.requestIdleCallback ?? setTimeout)(() => viewer.load());
    if (photoId && (position === null || position === undefined)) {
      notify("That photo is not in this view: it was deleted, moved, or the filters leave it out.");
      route.setParams({ photo: null }, { replace: true, silent: true });
      params = new URLSearchParams(location.search);
    }
    syncViewer();
  }

  function syncViewer() {
    const photoId = Number(params.get("photo")) || null;
    if (!photoId) {
      viewerPushed = false; // closed by Back, or never opened here
      if (viewer.isOpen()) viewer.close();
      return;
    }
    const index = list.indexOf(photoId);
    if (index >= 0) viewer.open(index);
  }

  async function loadProject() {
    if (!folder) return;
    try {
      project = await api.get(projectPath(folder));
      title.textContent = project.name;
      document.title = `${project.name} · Contact Sheet`;
      notice.hidden = !project.missing_since;
      if (project.missing_since) {
        fill(
          notice,
          icon("warning"),
          h(
            "span",
            {},
            `The folder of this project (“${project.folder}”) was not found on disk during maintenance. ` +
              "Its photos are listed from the catalogue; put the folder back, or delete the project.",
          ),
        );
      }
      api.get(projectPath(folder, "/tags")).then(
        (answer) => filterPanel.setTags(answer.items),
        () => {},
      );
    } catch (error) {
      if (error.status === 404) {
        fill(container, h("div", { class: "empty" }, h("h1", {}, "No such project"), h("p", {}, h("a", { href: "/" }, "All projects"))));
      } else {
        notifyError("The project could not be read", error);
      }
    }
  }

  document.title = folder ? `${folder} · Contact Sheet` : "All Photos · Contact Sheet";
  viewer = lazyViewer(ctx);
  if (folder) upload = createUpload(ctx);
  toolbar = createToolbar(ctx);
  fill(toolbarSlot, toolbar.element);
  renderControls();
  loadProject();
  buildList();

  unsubscribers.push(
    events.on("item", (event) => list?.derivativesChanged(event)),
    events.on("item_removed", (event) => {
      selection.drop([event.photo_id]);
      if (concerns(event.project_id)) list?.gone(event.photo_id);
    }),
    // A move is `item_removed` where it left and `item_moved` where it arrived.
    events.on("item_moved", (event) => {
      if (concerns(event.project_id)) list?.scheduleRefresh();
    }),
    events.on("upload_completed", (event) => {
      if (!folder || event.project === folder) list?.scheduleRefresh();
    }),
    events.on("reset", () => list?.refresh()),
    // The commit bar reverted or committed keep flags: the loaded photos changed under us.
    onWindow("contactsheet:listing-stale", () => list?.refresh()),
    events.on("folder_renamed", (event) => {
      if (folder && event.old_folder === folder) {
        route.go(route.projectUrl(event.folder, location.search.slice(1)), { replace: true });
      }
    }),
    events.on("manifest_changed", (event) => {
      if (project && event.project_id === project.id) {
        title.textContent = event.name;
        if (event.folder !== folder) route.go(route.projectUrl(event.folder, location.search.slice(1)), { replace: true });
      }
    }),
  );

  return {
    update(next) {
      params = next.params;
      renderControls();
      if (listingKey(params) !== shownKey) {
        buildList();
        return;
      }
      if (ctx.view !== shownView) {
        buildCollection();
        collection.refresh?.();
      } else {
        collection.setSize?.(ctx.size);
      }
      syncViewer();
    },
    destroy() {
      destroyed = true;
      for (const unsubscribe of unsubscribers) unsubscribe();
      viewer?.destroy();
      upload?.destroy();
      toolbar?.destroy();
      collection?.destroy();
      list?.dispose();
    },
  };
}
