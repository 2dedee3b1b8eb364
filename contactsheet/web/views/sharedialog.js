// Share… from the selection's toolbar: a new link for the selected photos (title, description,
// expiry, downloads), or the photos added to a link that exists. Then the link itself, ready to
// copy. A link shows only public photos, so private ones among those shared are named, with the
// one action that makes visitors see them.

import { api } from "../lib/api.js";
import { h, icon } from "../lib/dom.js";
import { count } from "../lib/format.js";
import { describe, notify, notifyError } from "../lib/notices.js";
import * as route from "../lib/route.js";
import { setVisibility } from "../model/culling.js";
import * as links from "../model/links.js";
import { openDialog } from "./dialog.js";
import { createLinkField } from "./linkfield.js";

let counter = 0;

/**
 * The private photos among `ids`. Those loaded say so themselves; when some are not (select all
 * in a large listing) the server is asked for the listing's private photos.
 */
export async function privateAmong(list, ids) {
  const items = ids.map((id) => list?.byId(id));
  if (items.every(Boolean)) return ids.filter((_, index) => items[index].visibility === "private");
  const answer = await api.get("/api/photos/all-keys", {
    ...list.filters,
    visibility: "private",
    project: list.folder ?? undefined,
    fields: "id",
  });
  const chosen = new Set(ids);
  return answer.ids.filter((id) => chosen.has(id));
}

function privateNote(privateIds, total) {
  const n = privateIds.length;
  const they = n === 1 ? "it" : "them";
  return `${n === total && n > 1 ? "All" : n.toLocaleString()} of these ${count(total, "photo")} ${n === 1 ? "is" : "are"} private: visitors of the link do not see ${they} until ${n === 1 ? "it is" : "they are"} public.`;
}

function field(label, control, hint) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("span", { class: "field-hint" }, hint) : null,
  );
}

/** The form; resolves to {link, created, added} or null when cancelled. */
async function askHow(ctx, ids, existing, privatePromise) {
  counter += 1;
  const id = (name) => `share-${name}-${counter}`;
  const title = h("input", { type: "text", id: id("title"), maxlength: "200", required: true, value: ctx.project?.name ?? "" });
  const description = h("textarea", { id: id("description"), maxlength: "2000", rows: "3" });
  const expires = h("input", { type: "date", id: id("expires"), min: links.today() });
  const downloads = h("input", { type: "checkbox", id: id("downloads") });
  const error = h("p", { class: "form-error", role: "alert" });
  const note = h("p", { class: "share-private", role: "note", hidden: true });
  const newFields = h(
    "div",
    { class: "share-new" },
    field("Title", title, "Visitors see it above the photos."),
    field("Description (optional)", description),
    field("Expires after (optional)", expires, "The link works until the end of this day. Empty: it never expires."),
    h("label", { class: "check", for: downloads.id }, downloads, "Visitors may download the originals"),
  );

  let mode = "new";
  let target = null;
  let choice = null;
  if (existing.length) {
    target = h(
      "select",
      { id: id("existing"), disabled: true },
      existing.map((link) =>
        h("option", { value: String(link.id) }, link.expired ? `${link.title} (expired)` : link.title),
      ),
    );
    const radio = (value, text, checked) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "radio", name: id("mode"), value, checked, onchange: () => setMode(value) }),
        text,
      );
    choice = h(
      "fieldset",
      { class: "share-choice" },
      h("legend", {}, "Share as"),
      radio("new", "A new link", true),
      radio("existing", "Added to an existing link", false),
      h("div", { class: "share-existing" }, h("label", { for: target.id, class: "visually-hidden" }, "The link to add them to"), target),
    );
  }

  const form = h("form", { class: "share-form", novalidate: true }, choice, newFields, note, error);
  let busy = false;

  async function submit() {
    if (busy) return undefined;
    error.textContent = "";
    const name = title.value.trim();
    if (mode === "new" && !name) {
      error.textContent = "Give the link a title: visitors see it.";
      title.focus();
      return undefined;
    }
    busy = true;
    primary.disabled = true;
    try {
      if (mode === "existing") {
        const { added, link } = await links.addPhotos(Number(target.value), ids);
        return { link, added, created: false };
      }
      const link = await links.create(
        {
          title: name,
          description: description.value.trim(),
          expires_at: links.expiryOfDate(expires.value),
          allow_downloads: downloads.checked,
        },
        ids,
      );
      return { link, added: ids.length, created: true };
    } catch (failure) {
      if (failure?.status === 401) return null;
      error.textContent = `The link was not ${mode === "new" ? "created" : "changed"}: ${describe(failure)}`;
      return undefined;
    } finally {
      busy = false;
      primary.disabled = false;
    }
  }

  const answer = openDialog({
    title: `Share ${count(ids.length, "photo")}`,
    className: "share-dialog",
    body: [form],
    buttons: [
      { label: "Cancel", value: null },
      { label: "Create link", kind: "primary", value: submit },
    ],
  });
  const primary = form.closest("dialog").querySelector(".dialog-actions .primary");
  function setMode(next) {
    mode = next;
    newFields.hidden = next !== "new";
    target.disabled = next !== "existing";
    primary.textContent = next === "new" ? "Create link" : "Add to link";
    (next === "new" ? title : target).focus();
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    primary.click();
  });
  // Enter in the title creates the link, as in every other one-line form here.
  title.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      primary.click();
    }
  });
  title.focus();
  title.select();
  privatePromise.then((privateIds) => {
    if (!privateIds?.length || !note.isConnected) return;
    note.hidden = false;
    note.append(icon("warning"), h("span", {}, privateNote(privateIds, ids.length)));
  });
  return answer;
}

/** The link made (or added to): its address to copy, and the private photos made public. */
async function showShared(ctx, ids, { link, added, created }, privatePromise) {
  const address = createLinkField(links.absoluteUrl(link));
  const privateIds = await privatePromise;
  let privateBox = null;
  if (privateIds?.length) {
    const makePublic = h("button", { type: "button", class: "make-public" }, privateIds.length === 1 ? "Make it public" : "Make them public");
    const text = h("span", {}, privateNote(privateIds, ids.length));
    privateBox = h("div", { class: "share-private", role: "note" }, icon("warning"), text, makePublic);
    makePublic.addEventListener("click", async () => {
      makePublic.disabled = true;
      // Through the culling model, so the grid behind the dialog shows them public at once.
      const { failed } = await setVisibility(ctx.list, privateIds, "public");
      if (failed.length) {
        makePublic.disabled = false;
        return;
      }
      text.textContent = "Now public: visitors of the link see every photo shared.";
      privateBox.classList.add("is-resolved");
      makePublic.remove();
    });
  }
  const already = ids.length - added;
  const summary = created
    ? `“${link.title}” holds ${count(link.photo_count, "photo")}. Anyone with this address can see its public photos.`
    : `${count(added, "photo")} added to “${link.title}”${already > 0 ? ` (${already.toLocaleString()} already in it)` : ""}; it holds ${count(link.photo_count, "photo")}.`;
  const next = await openDialog({
    title: created ? "Link created" : "Photos added to the link",
    className: "share-dialog share-result",
    body: [
      h("p", {}, summary),
      address.element,
      h("p", { class: "dim" }, `${links.expiryText(link)} · ${link.allow_downloads ? "Downloads allowed" : "No downloads"}`),
      privateBox,
    ],
    buttons: [
      { label: "Manage shared links", value: "links" },
      { label: "Done", value: "done", kind: "primary" },
    ],
  });
  if (next === "links") route.go("/links");
}

export async function shareSelection(ctx, ids) {
  if (!ids.length) return;
  let existing;
  try {
    existing = await links.all();
  } catch (error) {
    notifyError("The shared links could not be read", error);
    return;
  }
  const privatePromise = privateAmong(ctx.list, ids).catch(() => null);
  const result = await askHow(ctx, ids, existing, privatePromise);
  if (!result) return;
  if (!result.created && result.added === 0) notify(`Those photos were already in “${result.link.title}”.`);
  await showShared(ctx, ids, result, privatePromise);
}
