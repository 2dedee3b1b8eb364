// The bar above the grid while photos are selected: what every selected photo should become
// (keep, rating, flag, tags, visibility), moving them to another project, regenerating their
// thumbnails and previews, sharing them by a link and downloading them as a zip. Edits go
// through model/culling.js (shown at once, rolled back when refused); moves and regeneration are
// requests whose work runs as jobs in the processes panel.

import { BULK_LIMIT, bulk } from "../lib/api.js";
import { h, icon } from "../lib/dom.js";
import { downloadZip } from "../lib/download.js";
import { count } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";
import { addTags, removeTags, setKeep, setPick, setRating, setVisibility } from "../model/culling.js";
import * as projects from "../model/projects.js";
import { openDialog, promptDialog } from "./dialog.js";
import { shareSelection } from "./sharedialog.js";

function button(text, label, onclick, { iconName, className = "" } = {}) {
  return h(
    "button",
    { type: "button", class: `tool ${className}`.trim(), "aria-label": label, title: label, onclick },
    iconName ? icon(iconName) : null,
    h("span", { class: "tool-text" }, text),
  );
}

function group(label, ...children) {
  return h("div", { class: "tool-group", role: "group", "aria-label": label }, children);
}

/** "a, b ,c" → ["a", "b", "c"]: tags are typed comma-separated. */
export function parseTags(text) {
  return [...new Set((text ?? "").split(",").map((tag) => tag.trim()).filter(Boolean))];
}

export function createToolbar(ctx) {
  const { selection } = ctx;
  const ids = () => selection.list();
  const countText = h("span", { class: "selected-count", "aria-live": "polite" });
  const selectAll = button("Select all", "Select all matching photos", () => ctx.selectAll(), {
    className: "select-all",
  });
  const more = h("div", { class: "toolbar-more", id: "toolbar-more" });
  const moreToggle = h(
    "button",
    {
      type: "button",
      class: "tool more-toggle",
      "aria-expanded": "false",
      "aria-controls": "toolbar-more",
      "aria-label": "More actions",
      title: "More actions",
    },
    icon("more"),
    h("span", { class: "tool-text" }, "More"),
  );
  const element = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Selected photos", hidden: true });

  const run = (action) => () => {
    const chosen = ids();
    if (chosen.length && ctx.list) action(ctx.list, chosen);
  };

  const stars = [0, 1, 2, 3, 4, 5].map((n) =>
    button(
      n ? `${n}★` : "0",
      n ? `Rate ${n} star${n > 1 ? "s" : ""}` : "Rate 0 stars (clear the rating)",
      run((list, chosen) => setRating(list, chosen, n)),
      { className: "star-button" },
    ),
  );

  async function editTags(adding) {
    const chosen = ids();
    const text = await promptDialog(
      adding ? `Add tags to ${count(chosen.length, "photo")}` : `Remove tags from ${count(chosen.length, "photo")}`,
      "Tags, separated by commas",
      { confirm: adding ? "Add tags" : "Remove tags" },
    );
    const tags = parseTags(text);
    if (!tags.length || !ctx.list) return;
    const { failed } = await (adding ? addTags : removeTags)(ctx.list, chosen, tags);
    if (!failed.length) notify(`${adding ? "Added" : "Removed"} ${tags.join(", ")}: ${count(chosen.length, "photo")}`);
  }

  async function move() {
    const chosen = ids();
    let all;
    try {
      all = await projects.all();
    } catch (error) {
      notifyError("The projects could not be read", error);
      return;
    }
    const others = all.filter((project) => project.folder !== ctx.folder);
    if (!others.length) {
      notify("There is no other project to move to. Create one first.");
      return;
    }
    const select = h(
      "select",
      { id: "move-destination" },
      others.map((project) => h("option", { value: project.folder }, project.name)),
    );
    const dest = await openDialog({
      title: `Move ${count(chosen.length, "photo")} to another project`,
      body: [
        h("div", { class: "field" }, h("label", { for: select.id }, "Destination project"), select),
        h("p", { class: "dim" }, "Originals, sidecars and thumbnails move together. A name already taken there gets _2, _3…"),
      ],
      buttons: [
        { label: "Cancel", value: null },
        { label: "Move", value: () => select.value, kind: "primary" },
      ],
    });
    if (!dest) return;
    const name = others.find((project) => project.folder === dest)?.name ?? dest;
    try {
      const answers = await bulk("/api/photos/move", chosen, { dest_folder: dest });
      const moving = answers.reduce((sum, answer) => sum + (answer.moving?.length ?? 0), 0);
      const failed = answers.flatMap((answer) => answer.failed ?? []);
      notify(
        moving ? `Moving ${count(moving, "photo")} to ${name}` : `Nothing to move: the photos are already in ${name}`,
      );
      if (failed.length) notify(`${count(failed.length, "photo")} not moved (${failed[0].error})`, { kind: "error" });
      selection.clear();
      ctx.list?.scheduleRefresh();
    } catch (error) {
      notifyError("Move failed", error);
    }
  }

  async function regenerate() {
    const chosen = ids();
    try {
      // Always forced: the user asks for new files even when the cached ones look valid.
      const answers = await bulk("/api/photos/process", chosen, { force: true });
      const queued = answers.reduce((sum, answer) => sum + (answer.queued ?? 0), 0);
      const failures = answers.flatMap((answer) => answer.failures ?? []);
      notify(`Regenerating thumbnails and previews of ${count(queued, "photo")}: a job started (see Processes)`);
      if (failures.length) notify(`${count(failures.length, "photo")} cannot be regenerated`, { kind: "error" });
    } catch (error) {
      notifyError("Regenerate failed", error);
    }
  }

  async function download() {
    const chosen = ids();
    if (!chosen.length) return;
    // One zip is one request, and the API takes as many photos in one as in a bulk edit.
    if (chosen.length > BULK_LIMIT) {
      notify(
        `${count(chosen.length, "photo")} are too many for one zip: it holds at most ${BULK_LIMIT.toLocaleString()}. Select fewer (narrow the filters) and download in parts.`,
        { kind: "error" },
      );
      return;
    }
    try {
      await downloadZip(chosen);
      notify(`Downloading ${count(chosen.length, "photo")} as a zip: the browser saves it as it arrives`);
    } catch (error) {
      notifyError("The download did not start", error);
    }
  }

  more.append(
    group(
      "Share",
      button("Share…", "Share by a link", () => shareSelection(ctx, ids()), { iconName: "share", className: "share" }),
      button("Download", "Download the originals as a zip", () => download(), {
        iconName: "download",
        className: "download",
      }),
    ),
    group(
      "Tags",
      button("Add tags…", "Add tags", () => editTags(true), { className: "add-tags" }),
      button("Remove tags…", "Remove tags", () => editTags(false), { className: "remove-tags" }),
    ),
    group(
      "Visibility",
      button("Private", "Make private", run((list, chosen) => setVisibility(list, chosen, "private"))),
      button("Public", "Make public", run((list, chosen) => setVisibility(list, chosen, "public"))),
    ),
    group(
      "Organise",
      button("Move to project…", "Move to project", () => move(), { iconName: "folder" }),
      button("Regenerate", "Regenerate derivatives", () => regenerate(), { iconName: "refresh" }),
    ),
  );

  element.append(
    group(
      "Selection",
      countText,
      selectAll,
      h(
        "button",
        {
          type: "button",
          class: "tool icon-button clear-selection",
          "aria-label": "Clear the selection",
          title: "Clear the selection (Esc)",
          onclick: () => selection.clear(),
        },
        icon("close"),
      ),
    ),
    group(
      "Keep",
      button("JPG only", "Keep JPG only", run((list, chosen) => setKeep(list, chosen, "jpg")), { className: "keep-jpg" }),
      button("RAW + JPG", "Keep RAW + JPG", run((list, chosen) => setKeep(list, chosen, "both")), { className: "keep-both" }),
      button("Discard", "Discard", run((list, chosen) => setKeep(list, chosen, "none")), {
        iconName: "trash",
        className: "discard",
      }),
    ),
    group("Rating", stars),
    group(
      "Flag",
      button("Pick", "Pick", run((list, chosen) => setPick(list, chosen, "picked")), { iconName: "flag" }),
      button("Reject", "Reject", run((list, chosen) => setPick(list, chosen, "rejected")), { iconName: "reject" }),
      button("Unflag", "Unflag", run((list, chosen) => setPick(list, chosen, "unflagged"))),
    ),
    moreToggle,
    more,
  );

  function setMore(open) {
    moreToggle.setAttribute("aria-expanded", String(open));
    element.classList.toggle("more-open", open);
  }
  moreToggle.addEventListener("click", () => setMore(moreToggle.getAttribute("aria-expanded") !== "true"));
  // The overflow menu closes on Esc (before the grid clears the selection) and on a click away.
  const onKey = (event) => {
    if (event.key === "Escape" && element.classList.contains("more-open")) {
      event.stopPropagation();
      setMore(false);
      moreToggle.focus();
    }
  };
  const onPointer = (event) => {
    if (element.classList.contains("more-open") && !more.contains(event.target) && !moreToggle.contains(event.target)) {
      setMore(false);
    }
  };
  element.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onPointer);

  function render() {
    const size = selection.size;
    element.hidden = size === 0;
    if (!size) setMore(false);
    countText.textContent = `${size.toLocaleString()} selected`;
    const total = ctx.list?.total ?? 0;
    selectAll.hidden = !(total > size);
    selectAll.querySelector(".tool-text").textContent = `Select all ${total.toLocaleString()}`;
    selectAll.setAttribute("aria-label", `Select all ${count(total, "matching photo")}`);
  }

  const unsubscribe = selection.subscribe(render);
  // The count of matching photos shows in "Select all N": follow the list (it changes with
  // filters; the list object is replaced then, so subscribe again).
  let watched = null;
  let unwatch = null;
  const watchList = () => {
    if (ctx.list === watched) return;
    unwatch?.();
    watched = ctx.list;
    unwatch = watched?.subscribe((change) => {
      if (change.type === "total") render();
    });
  };
  const unsubscribeWatch = selection.subscribe(watchList);
  render();

  return {
    element,
    destroy() {
      unsubscribe();
      unsubscribeWatch();
      unwatch?.();
      element.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    },
  };
}
