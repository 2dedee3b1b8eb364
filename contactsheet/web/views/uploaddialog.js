// What an upload would do, shown before anything is sent: the server's analysis of the files
// as one batch (docs/ingest.md), each class with its count and the choices the API offers.
// The names are analysed at once; the contents are hashed (xxh3_128) meanwhile and analysed
// again, so a copy of a photo already here is told apart from a different picture with the same
// name. Hashing can be skipped; Upload uses whatever is known at that moment.

import { api, projectPath } from "../lib/api.js";
import { h, fill } from "../lib/dom.js";
import { bytes, count } from "../lib/format.js";
import { describe } from "../lib/notices.js";
import * as xxh3 from "../lib/xxh3.js";

const MAX_ANALYZE = 10000; // the API's limit per analysis request
const MAX_LISTED = 200; // names listed per class (the rest are counted)

let dialogs = 0;

function batchId() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `drop-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}

async function analyze(folder, batch, files, fingerprints) {
  const entries = [];
  for (let start = 0; start < files.length; start += MAX_ANALYZE) {
    const part = files.slice(start, start + MAX_ANALYZE).map((item, offset) => {
      const announced = { name: item.name, size: item.file.size, folder: item.folder };
      const print = fingerprints.get(start + offset);
      if (print) announced.fingerprint = print;
      return announced;
    });
    const answer = await api.post(projectPath(folder, "/upload/analyze"), { batch, files: part });
    entries.push(...answer.files);
  }
  return entries;
}

function where(item) {
  return item.folder ? `${item.folder}/${item.name}` : item.name;
}

function choiceGroup(name, legend, options, value, onChange) {
  return h(
    "fieldset",
    { class: "upload-choice" },
    h("legend", { class: "visually-hidden" }, legend),
    options.map(([optionValue, label]) =>
      h(
        "label",
        {},
        h("input", {
          type: "radio",
          name,
          value: optionValue,
          checked: optionValue === value,
          onchange: () => onChange(optionValue),
        }),
        " ",
        label,
      ),
    ),
  );
}

function fileList(rows) {
  if (!rows.length) return null;
  const shown = rows.slice(0, MAX_LISTED);
  return h(
    "details",
    { class: "upload-files" },
    h("summary", {}, rows.length === 1 ? "Show the file" : `Show the ${rows.length} files`),
    h(
      "ul",
      {},
      shown.map((row) => h("li", {}, row)),
      rows.length > shown.length ? h("li", { class: "dim" }, `and ${rows.length - shown.length} more`) : null,
    ),
  );
}

/**
 * Ask what to do with `files` ([{file, name, folder}]) for the project in `folder`. Resolves to
 * {toSend, skipped} (entries for the upload queue) or null when the user cancels.
 */
export function uploadDialog({ folder, projectName, files }) {
  dialogs += 1;
  const id = `upload-dialog-${dialogs}`;
  const batch = batchId();
  const choices = {
    name_taken: "keep_both",
    unknown: "keep_both",
    identical_elsewhere: "skip",
    move_conflicts_here: false,
  };
  let analysis = null; // the server's entries, one per file, in order
  let hashed = false;
  let failed = null;
  const fingerprints = new Map(); // index -> "xxh3_128:…"
  const hashing = new AbortController();

  const totalBytes = files.reduce((sum, item) => sum + item.file.size, 0);
  const status = h("div", { class: "upload-check", role: "status", "aria-live": "polite" });
  const sections = h("div", { class: "upload-classes" });
  const sendButton = h("button", { type: "button", class: "primary", disabled: true }, "Upload");
  const cancelButton = h("button", { type: "button" }, "Cancel");
  const dialog = h(
    "dialog",
    { class: "dialog upload-dialog", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, `Add ${count(files.length, "file")} to ${projectName}`),
    h("p", { class: "dim" }, `${bytes(totalBytes)} in all. Nothing is sent until you choose Upload.`),
    status,
    sections,
    h("div", { class: "dialog-actions" }, cancelButton, sendButton),
  );

  function plan() {
    const toSend = [];
    const skipped = [];
    if (!analysis) return { toSend, skipped };
    analysis.forEach((entry, index) => {
      const item = files[index];
      const base = { file: item.file, name: item.name, folder: item.folder, project: folder, batch };
      const kind = entry.class;
      if (kind === "rejected") {
        skipped.push({ ...base, category: "unsupported", reason: entry.error?.message ?? "not supported" });
        return;
      }
      if (kind === "identical") {
        const twin = entry.identical_to?.filename;
        skipped.push({ ...base, category: "duplicate", reason: twin ? `identical to ${twin}` : "already here" });
        return;
      }
      if (kind === "identical_elsewhere" && choices.identical_elsewhere === "skip") {
        const twin = entry.identical_to;
        skipped.push({
          ...base,
          category: "duplicate",
          reason: `identical to ${twin?.filename} in project '${twin?.project_name}'`,
        });
        return;
      }
      const onNameTaken = kind === "unknown" ? choices.unknown : choices.name_taken;
      if ((kind === "name_taken" || kind === "unknown") && onNameTaken === "skip") {
        skipped.push({ ...base, category: "name", reason: `a file named ${entry.taken_by ?? item.name} is already here` });
        return;
      }
      toSend.push({
        ...base,
        options: {
          on_name_taken: onNameTaken,
          import_anyway: kind === "identical_elsewhere",
          move_conflicts_here: choices.move_conflicts_here,
        },
      });
    });
    return { toSend, skipped };
  }

  function section(kind, title, explanation, rows, choice) {
    return h(
      "section",
      { class: `upload-class upload-class-${kind}`, dataset: { class: kind } },
      h("h3", {}, h("span", { class: "upload-class-count" }, String(rows.length)), " ", title),
      explanation ? h("p", { class: "dim" }, explanation) : null,
      choice,
      fileList(rows),
    );
  }

  function render() {
    if (failed) {
      fill(sections, h("p", { class: "upload-error", role: "alert" }, `The files could not be analysed: ${failed}`));
      sendButton.disabled = true;
      sendButton.textContent = "Upload";
      return;
    }
    if (!analysis) {
      fill(sections, h("p", { class: "dim" }, "Asking the server what these files would be…"));
      return;
    }
    const by = (kinds) => analysis.map((entry, index) => [entry, files[index]]).filter(([entry]) => kinds.includes(entry.class));
    const fresh = by(["new", "completion"]);
    const identical = by(["identical"]);
    const elsewhere = by(["identical_elsewhere"]);
    const taken = by(["name_taken"]);
    const unknown = by(["unknown"]);
    const rejected = by(["rejected"]);
    const completions = fresh.filter(([entry]) => entry.class === "completion").length;
    const nameChoices = [
      ["keep_both", "Keep both (the new one gets a numbered name)"],
      ["skip", "Skip these files"],
      ["overwrite", "Replace the files here (the old ones go to the trash; ratings and tags stay)"],
    ];
    fill(
      sections,
      fresh.length
        ? section(
            "new",
            fresh.length === 1 ? "new file" : "new files",
            completions ? `${count(completions, "file")} join a photo as another format (RAW or JPG).` : null,
            fresh.map(([entry, item]) => (entry.stored_as && entry.stored_as !== item.name ? `${where(item)} → ${entry.stored_as}` : where(item))),
          )
        : null,
      identical.length
        ? section(
            "identical",
            "already in this project (same content)",
            "Skipped: these exact bytes are already here; uploading them again would change nothing.",
            identical.map(([entry, item]) => `${where(item)} = ${entry.identical_to?.filename}`),
          )
        : null,
      elsewhere.length
        ? section(
            "identical_elsewhere",
            "already in another project (same content)",
            null,
            elsewhere.map(([entry, item]) => `${where(item)} = ${entry.identical_to?.filename} in ${entry.identical_to?.project_name}`),
            choiceGroup(
              `${id}-elsewhere`,
              "Files already in another project",
              [
                ["skip", "Skip them"],
                ["import", "Import a copy here anyway"],
              ],
              choices.identical_elsewhere,
              (value) => {
                choices.identical_elsewhere = value;
                updateButton();
              },
            ),
          )
        : null,
      taken.length
        ? section(
            "name_taken",
            "with the name of a different photo here",
            "Same name, different content: another picture.",
            taken.map(([entry, item]) => `${where(item)} (name taken by ${entry.taken_by ?? item.name}; kept as ${entry.stored_as})`),
            choiceGroup(`${id}-taken`, "Files whose name is taken", nameChoices, choices.name_taken, (value) => {
              choices.name_taken = value;
              updateButton();
            }),
          )
        : null,
      unknown.length
        ? section(
            "unknown",
            "with a name already here, content not checked",
            "The contents were not compared; a copy of the same bytes is skipped by the server whatever you choose.",
            unknown.map(([entry, item]) => `${where(item)} (would be ${entry.stored_as})`),
            choiceGroup(`${id}-unknown`, "Files with a name already here", nameChoices, choices.unknown, (value) => {
              choices.unknown = value;
              updateButton();
            }),
          )
        : null,
      rejected.length
        ? section(
            "rejected",
            "not supported (not sent)",
            null,
            rejected.map(([entry, item]) => `${where(item)}: ${entry.error?.message ?? "not supported"}`),
          )
        : null,
      h(
        "label",
        { class: "upload-option" },
        h("input", {
          type: "checkbox",
          checked: choices.move_conflicts_here,
          onchange: (event) => {
            choices.move_conflicts_here = event.target.checked;
          },
        }),
        " Move photos of the same names from other projects into this one",
      ),
    );
    updateButton();
  }

  function updateButton() {
    const n = plan().toSend.length;
    sendButton.disabled = !analysis || n === 0;
    sendButton.textContent = n === 1 ? "Upload 1 file" : `Upload ${n.toLocaleString()} files`;
  }

  function showHashing(done) {
    if (hashed) {
      const skipped = hashing.signal.aborted;
      fill(status, skipped ? "Content check skipped: names are compared." : fingerprints.size ? "Contents compared." : "");
      return;
    }
    const percent = totalBytes ? Math.floor((100 * done) / totalBytes) : 100;
    fill(
      status,
      h("span", {}, `Comparing contents… ${bytes(done)} of ${bytes(totalBytes)}`),
      h("progress", { max: 100, value: percent, "aria-label": "Comparing contents" }),
      h(
        "button",
        { type: "button", class: "link-button", onclick: () => hashing.abort() },
        "Skip the content check",
      ),
    );
  }

  async function hashAll() {
    if (!(await xxh3.available())) {
      hashed = true;
      fill(status, "Contents cannot be compared in this browser; names are compared.");
      return;
    }
    let done = 0;
    let lastShown = 0;
    showHashing(0);
    for (let index = 0; index < files.length; index += 1) {
      if (hashing.signal.aborted) break;
      if (analysis?.[index]?.class === "rejected") {
        done += files[index].file.size;
        continue;
      }
      const before = done;
      try {
        fingerprints.set(
          index,
          await xxh3.fingerprint(files[index].file, {
            signal: hashing.signal,
            onProgress: (read) => {
              const now = performance.now();
              if (now - lastShown > 100) {
                lastShown = now;
                showHashing(before + read);
              }
            },
          }),
        );
      } catch (error) {
        if (error?.name === "AbortError") break;
        // An unreadable file is analysed by its name; the upload will say what is wrong.
      }
      done = before + files[index].file.size;
    }
    hashed = true;
    showHashing(done);
  }

  return new Promise((resolve) => {
    let closed = false;
    const finish = (value) => {
      if (closed) return;
      closed = true;
      hashing.abort();
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancelButton.addEventListener("click", () => finish(null));
    sendButton.addEventListener("click", () => finish(plan()));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    sendButton.focus();
    render();

    (async () => {
      try {
        analysis = await analyze(folder, batch, files, fingerprints);
        render();
        await hashAll();
        if (closed || !fingerprints.size) return;
        analysis = await analyze(folder, batch, files, fingerprints);
        if (!closed) render();
      } catch (error) {
        failed = describe(error);
        if (!closed) render();
      }
    })();
  });
}
