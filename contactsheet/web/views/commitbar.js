// The bar at the bottom of the window while culling decisions wait to be committed: how many
// photos and files would go to the trash, Commit (after a confirmation that lists them per
// project) and Revert. It reads GET /api/photos/pending-deletes once, then follows the
// pending_changes_state events, which carry each touched project's counts in full.

import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";
import * as events from "../lib/events.js";
import { count } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";
import * as projects from "../model/projects.js";
import { confirmDialog } from "./dialog.js";

/** Views showing photos reload them on this (their keep flags changed under them). */
export const LISTING_STALE = "contactsheet:listing-stale";

function projectName(entry) {
  const project = (projects.cached() ?? []).find((p) => p.id === entry.project_id);
  return project?.name ?? entry.project;
}

function filesText({ jpg, raw }) {
  const parts = [];
  if (jpg) parts.push(`${jpg.toLocaleString()} JPG`);
  if (raw) parts.push(`${raw.toLocaleString()} RAW`);
  return `${parts.join(", ") || "no"} ${jpg + raw === 1 ? "file" : "files"}`;
}

export function createCommitBar() {
  const pending = new Map(); // project id -> {project, project_id, photos, jpg, raw}
  const touched = new Set(); // projects changed by events while the first read was on its way
  let reading = false;
  let busy = null; // "commit" | "revert" while a request is on its way
  // Projects whose commit runs: when their pending count drops, the photos they keep changed
  // (a JPG gone, a RAW gone) without an event per photo, so listings read them again.
  const committing = new Set();

  const summary = h("p", { class: "commit-summary", "aria-live": "polite" });
  const commitButton = h("button", { type: "button", class: "primary commit-button", onclick: () => commit() }, "Commit");
  const revertButton = h("button", { type: "button", class: "revert-button", onclick: () => revert() }, "Revert");
  const element = h(
    "section",
    { class: "commit-bar", "aria-label": "Pending deletions", hidden: true },
    summary,
    h("div", { class: "commit-actions" }, revertButton, commitButton),
  );

  function totals() {
    const sum = { photos: 0, jpg: 0, raw: 0 };
    for (const entry of pending.values()) {
      sum.photos += entry.photos;
      sum.jpg += entry.jpg;
      sum.raw += entry.raw;
    }
    return sum;
  }

  function render() {
    const sum = totals();
    element.hidden = sum.photos === 0;
    summary.textContent = `${count(sum.photos, "photo")}: ${filesText(sum)} will go to the trash`;
    commitButton.disabled = revertButton.disabled = busy !== null;
    commitButton.textContent = busy === "commit" ? "Committing…" : "Commit";
    revertButton.textContent = busy === "revert" ? "Reverting…" : "Revert";
    const several = pending.size > 1 ? ` in ${count(pending.size, "project")}` : "";
    commitButton.setAttribute("aria-label", `Commit: move ${filesText(sum)}${several} to the trash`);
    revertButton.setAttribute("aria-label", "Revert: keep everything again");
  }

  function accept(entry) {
    if (entry.photos > 0) pending.set(entry.project_id, entry);
    else pending.delete(entry.project_id);
  }

  async function read() {
    reading = true;
    touched.clear();
    try {
      const answer = await api.get("/api/photos/pending-deletes");
      for (const id of [...pending.keys()]) if (!touched.has(id)) pending.delete(id);
      for (const entry of answer.by_project) if (!touched.has(entry.project_id)) accept(entry);
      render();
    } catch (error) {
      notifyError("Pending deletions could not be read", error);
    } finally {
      reading = false;
    }
  }

  function projectList(entries) {
    return h(
      "ul",
      { class: "commit-list" },
      entries.map((entry) =>
        h(
          "li",
          {},
          h("strong", {}, projectName(entry)),
          ` — ${count(entry.photos, "photo")}: ${filesText(entry)}`,
        ),
      ),
    );
  }

  async function commit() {
    const entries = [...pending.values()];
    const sum = totals();
    const ok = await confirmDialog(
      "Commit culling decisions?",
      [
        h("p", {}, `${filesText(sum)} of ${count(sum.photos, "photo")} will go to the trash:`),
        projectList(entries),
        h("p", { class: "dim" }, "Trashed files can be restored from the Trash for 24 hours."),
      ],
      { confirm: "Move to trash", danger: true },
    );
    if (!ok) return;
    busy = "commit";
    render();
    try {
      await api.post("/api/photos/commit-changes", { projects: entries.map((entry) => entry.project) });
      for (const entry of entries) committing.add(entry.project_id);
      notify(`Committing: ${filesText(sum)} going to the trash`);
    } catch (error) {
      notifyError("Commit failed", error);
    } finally {
      busy = null;
      render();
    }
  }

  async function revert() {
    const entries = [...pending.values()];
    const ok = await confirmDialog(
      "Revert culling decisions?",
      [
        h("p", {}, `Every photo keeps all its files again; nothing goes to the trash.`),
        projectList(entries),
      ],
      { confirm: "Revert" },
    );
    if (!ok) return;
    busy = "revert";
    render();
    try {
      await api.post("/api/photos/revert-changes", { projects: entries.map((entry) => entry.project) });
      for (const entry of entries) pending.delete(entry.project_id);
      notify("Reverted: every photo keeps all its files");
      window.dispatchEvent(new CustomEvent(LISTING_STALE));
    } catch (error) {
      notifyError("Revert failed", error);
    } finally {
      busy = null;
      render();
    }
  }

  const unsubscribers = [
    events.on("pending_changes_state", (data) => {
      let stale = false;
      for (const entry of data.projects ?? []) {
        if (reading) touched.add(entry.project_id);
        accept(entry);
        if (committing.delete(entry.project_id)) stale = true;
      }
      render();
      if (stale) window.dispatchEvent(new CustomEvent(LISTING_STALE));
    }),
    events.on("reset", () => read()),
    // Names in the list come from the projects; a rename shows at once.
    projects.subscribe(render),
  ];
  render();
  read();

  return {
    element,
    destroy() {
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
