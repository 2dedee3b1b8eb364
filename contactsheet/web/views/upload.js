// Getting photos into a project from the browser: the Upload button (files, or a folder), a drop
// zone over the whole window, the analysis dialog before anything is sent, then the queue and
// its progress strip at the bottom of the window. Dropped folders keep their relative paths, so
// a card's 100CANON and 101CANON pair and collide as docs/ingest.md describes.

import { fill, h, icon } from "../lib/dom.js";
import { bytes, count, duration } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";
import { DONE_STATES, UploadQueue } from "../model/uploadqueue.js";
import { uploadDialog } from "./uploaddialog.js";

const ROWS_SHOWN = 6; // file rows in the strip besides the failed ones (a 5,000-file drop stays light)
const FAILED_SHOWN = 50;

function hidden(name) {
  return name.startsWith(".");
}

/** The parent folder of a relative path ("card/100CANON/IMG_1.JPG" → "card/100CANON"). */
function parentOf(path) {
  const parts = path.split("/").filter(Boolean);
  parts.pop();
  return parts.join("/");
}

function fromInput(fileList) {
  return [...fileList]
    .filter((file) => !hidden(file.name))
    .map((file) => ({ file, name: file.name, folder: parentOf(file.webkitRelativePath || "") }));
}

function readAll(reader) {
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  return new Promise((resolve, reject) => {
    const entries = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) resolve(entries);
        else {
          entries.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry, out) {
  if (hidden(entry.name)) return;
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, name: file.name, folder: parentOf(entry.fullPath) });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry.createReader())) await walk(child, out);
  }
}

/** The files of a drop, folders walked; entries must be taken while the drop event runs. */
async function fromDrop(dataTransfer) {
  const entries = [...(dataTransfer.items ?? [])]
    .filter((item) => item.kind === "file")
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  if (!entries.length) return fromInput(dataTransfer.files ?? []);
  const out = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}

function summaryOf(queue) {
  const entries = queue.entries;
  const stored = entries.filter((entry) => entry.state === "stored").length;
  const duplicates = entries.filter(
    (entry) => entry.state === "skipped" && (entry.category === "duplicate" || /identical/.test(entry.reason ?? "")),
  ).length;
  const unsupported = entries.filter((entry) => entry.category === "unsupported").length;
  const otherSkipped = entries.filter((entry) => entry.state === "skipped").length - duplicates - unsupported;
  const failed = entries.filter((entry) => entry.state === "failed");
  const canceled = entries.filter((entry) => entry.state === "canceled").length;
  const parts = [`${stored.toLocaleString()} added`];
  if (duplicates) parts.push(`${duplicates.toLocaleString()} skipped as duplicates`);
  if (otherSkipped) parts.push(`${otherSkipped.toLocaleString()} skipped`);
  if (unsupported) parts.push(`${unsupported.toLocaleString()} not supported`);
  if (canceled) parts.push(`${canceled.toLocaleString()} canceled`);
  if (failed.length) {
    const first = failed[0];
    // The server's messages mostly name the file already.
    const words = first.error?.startsWith(first.name) ? first.error : `${first.name}: ${first.error}`;
    parts.push(`${failed.length.toLocaleString()} failed: ${words}${failed.length > 1 ? " …" : ""}`);
  }
  return parts.join(", ");
}

function stateText(entry) {
  switch (entry.state) {
    case "queued":
      return "Waiting";
    case "sending":
      if (entry.note) return entry.note;
      return entry.size ? `${Math.floor((100 * entry.sent) / entry.size)} %${entry.resumed ? " (resumed)" : ""}` : "Sending";
    case "stored":
      return entry.storedAs && entry.storedAs !== entry.name ? `Added as ${entry.storedAs}` : "Added";
    case "skipped":
      return `Skipped: ${entry.reason ?? ""}`;
    case "failed":
      return entry.error ?? "Failed";
    default:
      return "Canceled";
  }
}

function createStrip(queue) {
  const heading = h("div", { class: "upload-strip-heading" });
  const total = h("progress", { class: "upload-total", max: 1, value: 0, "aria-label": "Total upload progress" });
  const rows = h("ul", { class: "upload-rows", "aria-label": "Files being uploaded" });
  const more = h("p", { class: "upload-more dim" });
  const toggle = h("button", { type: "button", class: "upload-toggle", "aria-expanded": "true" }, "Hide files");
  const cancelAll = h("button", { type: "button", class: "upload-cancel-all", onclick: () => queue.cancelAll() }, "Cancel all");
  const close = h(
    "button",
    { type: "button", class: "icon-button upload-close", "aria-label": "Close the upload summary", title: "Close", onclick: () => queue.clearDone() },
    icon("close"),
  );
  const element = h(
    "section",
    { class: "upload-strip", "aria-label": "Uploads", hidden: true },
    h("div", { class: "upload-strip-head" }, icon("upload"), heading, toggle, cancelAll, close),
    total,
    h("div", { class: "upload-strip-body" }, rows, more),
  );
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide files" : "Show files";
    element.classList.toggle("collapsed", !open);
  });

  const rowCache = new Map(); // entry -> its row, kept so progress updates touch few nodes
  function row(entry) {
    let cached = rowCache.get(entry);
    if (!cached) {
      const bar = h("progress", { max: entry.size || 1, value: 0, "aria-label": `Progress of ${entry.name}` });
      const state = h("span", { class: "upload-row-state" });
      const cancel = h(
        "button",
        { type: "button", class: "icon-button upload-row-cancel", "aria-label": `Cancel ${entry.name}`, title: "Cancel", onclick: () => queue.cancel(entry) },
        icon("close"),
      );
      const element = h(
        "li",
        { class: "upload-row" },
        h("span", { class: "upload-row-name", title: entry.folder ? `${entry.folder}/${entry.name}` : entry.name }, entry.name),
        h("span", { class: "upload-row-size dim" }, bytes(entry.size)),
        bar,
        state,
        cancel,
      );
      cached = { element, bar, state, cancel };
      rowCache.set(entry, cached);
    }
    cached.bar.value = entry.sent;
    cached.state.textContent = stateText(entry);
    cached.element.dataset.state = entry.state;
    cached.cancel.hidden = DONE_STATES.has(entry.state);
    return cached.element;
  }

  function render() {
    const entries = queue.entries;
    element.hidden = entries.length === 0;
    if (!entries.length) {
      rowCache.clear();
      return;
    }
    const stats = queue.stats();
    total.max = stats.total || 1;
    total.value = stats.sent;
    cancelAll.hidden = !stats.busy;
    close.hidden = stats.busy;
    if (stats.busy) {
      const left = stats.counts.queued + stats.counts.sending;
      const speed = stats.speed ? ` · ${bytes(stats.speed)}/s` : "";
      const eta = Number.isFinite(stats.left) && stats.speed ? ` · ${duration(stats.left)} left` : "";
      heading.textContent = `Uploading ${count(left, "file")} · ${bytes(stats.sent)} of ${bytes(stats.total)}${speed}${eta}`;
    } else {
      heading.textContent = summaryOf(queue);
    }
    const failed = entries.filter((entry) => entry.state === "failed").slice(0, FAILED_SHOWN);
    const sending = entries.filter((entry) => entry.state === "sending");
    const queued = entries.filter((entry) => entry.state === "queued");
    const finished = entries.filter((entry) => entry.state !== "failed" && DONE_STATES.has(entry.state));
    const room = Math.max(0, ROWS_SHOWN - sending.length);
    const shown = [...failed, ...sending, ...queued.slice(0, room), ...finished.slice(-Math.max(0, room - queued.length))];
    fill(rows, shown.map(row));
    const hiddenCount = entries.length - shown.length;
    more.textContent = hiddenCount > 0 ? `and ${count(hiddenCount, "more file")}` : "";
    for (const entry of rowCache.keys()) if (!entries.includes(entry)) rowCache.delete(entry);
  }

  let frame = 0;
  const unsubscribe = queue.subscribe(() => {
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
    }
  });
  return {
    element,
    destroy() {
      cancelAnimationFrame(frame);
      unsubscribe();
      element.remove();
    },
  };
}

// One queue and one strip for the app: an upload goes on while the user opens another project.
let shared = null;
let activeCtx = null;

function sharedQueue() {
  if (shared) return shared;
  let wasBusy = false;
  const refresh = (entry) => {
    if (!entry || entry.project === activeCtx?.folder) activeCtx?.list?.scheduleRefresh();
  };
  // tus uploads announce themselves with upload_completed (photos.js refreshes on it); a
  // multipart answer is only ours, so the list is told here.
  const queue = new UploadQueue({ onStored: refresh });
  const strip = createStrip(queue);
  document.body.append(strip.element);
  queue.subscribe(() => {
    const busy = queue.busy;
    if (wasBusy && !busy) {
      refresh(null);
      notify(summaryOf(queue), { kind: queue.entries.some((entry) => entry.state === "failed") ? "error" : "info" });
    }
    wasBusy = busy;
  });
  shared = { queue, strip };
  return shared;
}

export function createUpload(ctx) {
  const folder = ctx.folder;
  const projectName = () => ctx.project?.name ?? folder;
  const { queue } = sharedQueue();
  activeCtx = ctx;

  async function start(files) {
    if (!files.length) {
      notify("No files to upload there.");
      return;
    }
    try {
      const answer = await uploadDialog({ folder, projectName: projectName(), files });
      if (answer) queue.add(answer.toSend, answer.skipped);
    } catch (error) {
      notifyError("The upload could not start", error);
    }
  }

  const fileInput = h("input", {
    type: "file",
    multiple: true,
    class: "visually-hidden upload-input",
    tabindex: "-1",
    "aria-hidden": "true",
    "data-upload": "files",
  });
  const folderInput = h("input", {
    type: "file",
    multiple: true,
    webkitdirectory: true,
    class: "visually-hidden upload-input",
    tabindex: "-1",
    "aria-hidden": "true",
    "data-upload": "folder",
  });
  for (const input of [fileInput, folderInput]) {
    input.addEventListener("change", () => {
      const files = fromInput(input.files ?? []);
      input.value = ""; // choosing the same files again fires change again
      start(files);
    });
  }

  const menu = h(
    "div",
    { class: "upload-menu", hidden: true, role: "menu", "aria-label": "Upload" },
    h("button", { type: "button", role: "menuitem", onclick: () => pick(fileInput) }, "Choose files…"),
    h("button", { type: "button", role: "menuitem", onclick: () => pick(folderInput) }, "Choose a folder…"),
  );
  const mainButton = h(
    "button",
    { type: "button", class: "upload-button", title: "Upload photos", "aria-label": "Upload", onclick: () => pick(fileInput) },
    icon("upload"),
    h("span", {}, "Upload"),
  );
  const moreButton = h(
    "button",
    {
      type: "button",
      class: "upload-more-button",
      "aria-label": "More ways to upload",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      title: "Upload a folder",
      onclick: () => setMenu(menu.hidden),
    },
    "▾",
  );
  const button = h("div", { class: "upload-control" }, mainButton, moreButton, menu, fileInput, folderInput);

  function setMenu(open) {
    menu.hidden = !open;
    moreButton.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button")?.focus();
  }
  function pick(input) {
    setMenu(false);
    input.click();
  }
  const onDocumentClick = (event) => {
    if (!menu.hidden && !button.contains(event.target)) setMenu(false);
  };
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      setMenu(false);
      moreButton.focus();
    }
  });
  document.addEventListener("click", onDocumentClick);

  // The drop zone: the whole window while files are dragged over it.
  const overlayText = h("p", {});
  const overlay = h("div", { class: "upload-drop", hidden: true, "aria-hidden": "true" }, h("div", { class: "upload-drop-box" }, icon("upload"), overlayText));
  document.body.append(overlay);
  let depth = 0;
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  const onDragEnter = (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    overlayText.textContent = `Drop photos to add them to ${projectName()}`;
    overlay.hidden = false;
  };
  const onDragOver = (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  };
  const onDragLeave = (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  };
  const onDrop = (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    fromDrop(event.dataTransfer).then(start, (error) => notifyError("The dropped files could not be read", error));
  };
  window.addEventListener("dragenter", onDragEnter);
  window.addEventListener("dragover", onDragOver);
  window.addEventListener("dragleave", onDragLeave);
  window.addEventListener("drop", onDrop);

  return {
    button,
    /** For tests and other views: upload these Files (as if dropped, no folders). */
    start: (files) => start(fromInput(files)),
    destroy() {
      window.removeEventListener("dragenter", onDragEnter);
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("dragleave", onDragLeave);
      window.removeEventListener("drop", onDrop);
      document.removeEventListener("click", onDocumentClick);
      overlay.remove();
      if (activeCtx === ctx) activeCtx = null;
    },
  };
}
