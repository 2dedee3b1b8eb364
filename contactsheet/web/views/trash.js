// The Trash: files a commit (or an upload that replaced them) put away, and deleted projects,
// until they are purged 24 hours after trashing. Entries can be selected and restored; a restore
// never overwrites, so one whose place is taken is refused and said so in words.

import { api, projectPath } from "../lib/api.js";
import { fill, h, icon } from "../lib/dom.js";
import * as events from "../lib/events.js";
import { bytes, count, duration } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";
import * as route from "../lib/route.js";
import * as projects from "../model/projects.js";

const PURGE_AFTER_MS = 24 * 60 * 60 * 1000;
const REASONS = {
  commit: "Not kept (commit)",
  overwritten_by_upload: "Replaced by an upload",
  project_delete: "Project deleted",
  project_scavenge: "Leftover of a deleted project",
};
const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// Steps whose end changes what the trash holds.
const TRASHING_STEPS = new Set(["file_removal", "project_delete_files", "trash_maintenance", "project_scavenge"]);

// The server's times are UTC; one written without a zone is still UTC.
function parseTime(text) {
  return new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

function timeLeft(entry) {
  const left = parseTime(entry.trashed_at).getTime() + PURGE_AFTER_MS - Date.now();
  return left > 0 ? duration(left / 1000) : "soon";
}

function fileName(path) {
  return path.split("/").pop();
}

const APP_FOLDER = /\/\.(thumb|preview)\/[^/]+$/;
const RAW_EXTENSION = /\.(dng|cr2|cr3|nef|arw|orf|rw2|raf|pef|srw|rwl|3fr|iiq|x3f)$/i;
const stem = (path) => fileName(path).replace(/\.[^.]*$/, "");

/**
 * The entries a person restores: originals and deleted projects. A JPG's thumbnail and preview
 * went to the trash with it; they are listed under it (`companions`) and restored with it, not
 * shown as files of their own. Those whose original is no longer here are left to be purged.
 */
export function groupEntries(items) {
  const originals = items.filter((entry) => !APP_FOLDER.test(entry.original_path));
  for (const entry of originals) entry.companions = [];
  for (const derivative of items.filter((entry) => APP_FOLDER.test(entry.original_path))) {
    const owners = originals.filter(
      (entry) => !entry.is_project && entry.project_id === derivative.project_id && stem(entry.original_path) === stem(derivative.original_path),
    );
    const owner = owners.find((entry) => !RAW_EXTENSION.test(entry.original_path)) ?? owners[0];
    owner?.companions.push(derivative);
  }
  return originals;
}

/** Why a restore was refused, for a person: the place is taken, or the file is gone. */
export function explainRefusal(entry, error) {
  const message = error?.message ?? String(error);
  const name = entry ? fileName(entry.original_path) : "An entry";
  if (/exists again|now uses the folder/.test(message)) {
    return `${name} was not restored: something else now has its place (${message}). Move or rename that first, then restore again.`;
  }
  if (/no longer there/.test(message)) return `${name} was not restored: the trashed file is no longer there.`;
  if (/already (restored|purged)/.test(message)) return `${name} was not restored: it was already ${RegExp.$1}.`;
  return `${name} was not restored: ${message}`;
}

export function mountTrash(container, where) {
  let params = where.params;
  let entries = [];
  const chosen = new Set();
  let loadToken = 0;
  document.title = "Trash · Contact Sheet";

  const filter = h("select", { id: "trash-project" });
  const restoreButton = h("button", { type: "button", class: "primary restore-button", disabled: true }, "Restore");
  const problems = h("div", { class: "trash-problems", role: "alert" });
  const body = h("div", { class: "trash-body" });
  fill(
    container,
    h(
      "div",
      { class: "page-head trash-head" },
      h("h1", { class: "page-title" }, "Trash"),
      h(
        "div",
        { class: "trash-controls" },
        h("label", { for: filter.id }, "Project"),
        filter,
        restoreButton,
      ),
    ),
    h(
      "p",
      { class: "trash-hint" },
      "Files not kept at a commit, and deleted projects, stay here for 24 hours before they are purged.",
    ),
    problems,
    body,
  );

  function projectOf(id) {
    return (projects.cached() ?? []).find((project) => project.id === id);
  }

  function renderFilter() {
    const current = params.get("project") ?? "";
    const list = projects.cached() ?? [];
    fill(
      filter,
      h("option", { value: "" }, "All projects"),
      list.map((project) => h("option", { value: project.folder }, project.name)),
      // A folder in the address that is not (or no longer) a project still shows what is asked.
      current && !list.some((project) => project.folder === current)
        ? h("option", { value: current }, current)
        : null,
    );
    filter.value = current;
  }

  function renderButton() {
    restoreButton.disabled = chosen.size === 0;
    restoreButton.textContent = chosen.size ? `Restore ${chosen.size.toLocaleString()}` : "Restore";
    restoreButton.setAttribute(
      "aria-label",
      chosen.size ? `Restore ${count(chosen.size, "selected entry", "selected entries")}` : "Restore the selected entries",
    );
    const all = body.querySelector(".trash-select-all");
    if (all) {
      all.checked = entries.length > 0 && chosen.size === entries.length;
      all.indeterminate = chosen.size > 0 && chosen.size < entries.length;
    }
  }

  function row(entry) {
    const checkbox = h("input", {
      type: "checkbox",
      class: "trash-check",
      "aria-label": `Select ${entry.original_path}`,
      checked: chosen.has(entry.id),
      onchange: (event) => {
        if (event.target.checked) chosen.add(entry.id);
        else chosen.delete(entry.id);
        renderButton();
      },
    });
    const project = projectOf(entry.project_id);
    return h(
      "tr",
      { dataset: { entryId: String(entry.id) } },
      h("td", { class: "trash-pick" }, checkbox),
      h(
        "td",
        { class: "trash-path" },
        h("span", { class: "trash-name" }, entry.is_project ? icon("folder") : null, fileName(entry.original_path)),
        h("span", { class: "trash-original" }, entry.original_path),
        entry.companions?.length ? h("span", { class: "trash-companions" }, "with its thumbnail and preview") : null,
      ),
      h("td", { "data-label": "Project" }, project?.name ?? (entry.is_project ? fileName(entry.original_path) : "")),
      h("td", { "data-label": "Reason" }, REASONS[entry.reason] ?? entry.reason),
      h("td", { "data-label": "Trashed" }, h("time", { datetime: entry.trashed_at }, when.format(parseTime(entry.trashed_at)))),
      h("td", { "data-label": "Purged in", class: "trash-left" }, timeLeft(entry)),
      h("td", { "data-label": "Size", class: "trash-size" }, bytes(entry.size + (entry.companions ?? []).reduce((sum, c) => sum + c.size, 0))),
    );
  }

  function render() {
    if (!entries.length) {
      fill(
        body,
        h(
          "p",
          { class: "empty trash-empty" },
          params.get("project")
            ? "Nothing from this project is in the trash."
            : "The trash is empty. Files you do not keep go here when you commit.",
        ),
      );
      renderButton();
      return;
    }
    const selectAll = h("input", {
      type: "checkbox",
      class: "trash-select-all",
      "aria-label": "Select all entries",
      onchange: (event) => {
        chosen.clear();
        if (event.target.checked) for (const entry of entries) chosen.add(entry.id);
        for (const box of body.querySelectorAll(".trash-check")) box.checked = event.target.checked;
        renderButton();
      },
    });
    fill(
      body,
      h(
        "table",
        { class: "trash-table" },
        h("caption", { class: "visually-hidden" }, `Trash: ${count(entries.length, "entry", "entries")}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col", class: "trash-pick" }, selectAll),
            ["File", "Project", "Reason", "Trashed", "Purged in", "Size"].map((title) => h("th", { scope: "col" }, title)),
          ),
        ),
        h("tbody", {}, entries.map(row)),
      ),
    );
    renderButton();
  }

  async function load() {
    const token = ++loadToken;
    try {
      const answer = await api.get("/api/trash", { project: params.get("project") || undefined });
      if (token !== loadToken) return;
      entries = groupEntries(answer.items);
      const present = new Set(entries.map((entry) => entry.id));
      for (const id of [...chosen]) if (!present.has(id)) chosen.delete(id);
      render();
    } catch (error) {
      if (token !== loadToken) return;
      if (error.status === 404) {
        entries = [];
        fill(body, h("p", { class: "empty" }, `There is no project “${params.get("project")}”.`));
      } else {
        notifyError("The trash could not be read", error);
      }
    }
  }

  async function restore() {
    const ids = [...chosen];
    if (!ids.length) return;
    const byId = new Map(entries.map((entry) => [entry.id, entry]));
    // Originals first, then their thumbnails and previews (whose refusal, when the RAW's were
    // made meanwhile, is no loss: they are made again).
    const companions = ids.flatMap((id) => byId.get(id)?.companions.map((c) => c.id) ?? []);
    fill(problems);
    restoreButton.disabled = true;
    let answer;
    try {
      answer = await api.post("/api/trash/restore", { ids: [...ids, ...companions] });
    } catch (error) {
      // One refusal for the whole request (a 409 when the place is taken).
      fill(problems, h("p", {}, explainRefusal(ids.length === 1 ? byId.get(ids[0]) : null, error)));
      renderButton();
      return;
    }
    const mine = (list) => list.filter(({ id }) => byId.has(id));
    for (const { id } of answer.restored) chosen.delete(id);
    const restoredCount = mine(answer.restored).length;
    if (restoredCount) notify(`Restored ${count(restoredCount, "entry", "entries")}`);
    fill(
      problems,
      mine(answer.failed).map((failure) => h("p", {}, explainRefusal(byId.get(failure.id), failure.error))),
    );
    // A restored file is indexed again by its project's folder check; start it now so the photo
    // is back in the listing without waiting for maintenance.
    const restoredEntries = mine(answer.restored).map(({ id }) => byId.get(id));
    if (restoredEntries.some((entry) => entry.is_project)) projects.reload().catch(() => {});
    const folders = new Set(
      restoredEntries.filter((entry) => !entry.is_project).map((entry) => projectOf(entry.project_id)?.folder).filter(Boolean),
    );
    for (const folder of folders) {
      api.post(projectPath(folder, "/tasks"), { task_type: "folder_check" }).catch((error) =>
        notifyError(`The folder of ${folder} could not be checked`, error),
      );
    }
    await load();
  }

  restoreButton.addEventListener("click", restore);
  filter.addEventListener("change", () => route.setParams({ project: filter.value || null }));

  const unsubscribers = [
    projects.subscribe(() => {
      renderFilter();
      render();
    }),
    // A commit, a project deletion or a purge changed what is in the trash.
    events.on("job_completed", (job) => {
      if (TRASHING_STEPS.has(job.type)) load();
    }),
    events.on("reset", () => load()),
  ];
  // "Purged in" counts down (only those cells change, so focus and checks stay).
  const timer = setInterval(() => {
    for (const cell of body.querySelectorAll("tr[data-entry-id] .trash-left")) {
      const entry = entries.find((e) => String(e.id) === cell.parentElement.dataset.entryId);
      if (entry) cell.textContent = timeLeft(entry);
    }
  }, 60_000);

  renderFilter();
  // Fresh names for the filter and the rows (a project made elsewhere since the list was read).
  projects.reload().catch(() => {});
  load();

  return {
    update(next) {
      params = next.params;
      chosen.clear();
      renderFilter();
      load();
    },
    destroy() {
      clearInterval(timer);
      loadToken += 1;
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
