// The Shared links page: every link with what a visitor of it sees (its public photos; the
// private ones are in it but hidden, and the card says so), its address to copy or open, its
// expiry and whether visitors may download. A link is edited, given a new address or deleted
// here; its photos open under it (`?link={id}` in the address, so a reload keeps them open).
// Links are made from a selection of photos (Share… in the toolbar).

import { fill, h, icon } from "../lib/dom.js";
import { count } from "../lib/format.js";
import { describe, notify, notifyError } from "../lib/notices.js";
import * as route from "../lib/route.js";
import * as links from "../model/links.js";
import { confirmDialog, openDialog } from "./dialog.js";
import { createLinkField } from "./linkfield.js";
import { createLinkPhotos } from "./linkphotos.js";

const created = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function privateText(link) {
  const hidden = links.privateCount(link);
  if (!hidden) return null;
  const all = hidden === link.photo_count;
  return all
    ? `${hidden === 1 ? "Its only photo is" : `All ${hidden.toLocaleString()} photos are`} private: visitors see nothing until you make ${hidden === 1 ? "it" : "them"} public.`
    : `${hidden.toLocaleString()} of its ${count(link.photo_count, "photo")} ${hidden === 1 ? "is" : "are"} private: visitors do not see ${hidden === 1 ? "it" : "them"}.`;
}

async function editDialog(link) {
  const title = h("input", { type: "text", id: `edit-link-title-${link.id}`, value: link.title, maxlength: "200", required: true });
  const description = h("textarea", { id: `edit-link-description-${link.id}`, maxlength: "2000", rows: "4" });
  description.value = link.description ?? "";
  const error = h("p", { class: "form-error", role: "alert" });
  const answer = openDialog({
    title: `Edit “${link.title}”`,
    className: "share-dialog",
    body: [
      h(
        "form",
        { class: "share-form", novalidate: true },
        h("div", { class: "field" }, h("label", { for: title.id }, "Title"), title),
        h("div", { class: "field" }, h("label", { for: description.id }, "Description (optional)"), description),
        error,
      ),
    ],
    buttons: [
      { label: "Cancel", value: null },
      {
        label: "Save",
        kind: "primary",
        value: async () => {
          const name = title.value.trim();
          if (!name) {
            error.textContent = "A link needs a title: visitors see it.";
            title.focus();
            return undefined;
          }
          try {
            return await links.update(link.id, { title: name, description: description.value.trim() });
          } catch (failure) {
            if (failure?.status === 401) return null;
            error.textContent = `Not saved: ${describe(failure)}`;
            return undefined;
          }
        },
      },
    ],
  });
  title.select();
  return answer;
}

export function mountLinks(container, where) {
  document.title = "Shared links · Contact Sheet";
  let params = where.params;
  let items = [];
  let loadToken = 0;
  let destroyed = false;
  const cards = new Map(); // link id -> card

  const list = h("ul", { class: "link-list", "aria-label": "Shared links" });
  const empty = h(
    "p",
    { class: "empty links-empty", hidden: true },
    "No shared links yet. Select photos, then choose Share… in the toolbar above them.",
  );
  fill(
    container,
    h("div", { class: "page-head" }, h("h1", { class: "page-title" }, "Shared links")),
    h(
      "div",
      { class: "links-body" },
      h(
        "p",
        { class: "links-hint" },
        "Anyone with a link's address sees its public photos, without logging in. Private photos stay hidden from visitors even when they are in a link.",
      ),
      empty,
      list,
    ),
  );

  const openId = () => Number(params.get("link")) || null;

  function replace(link) {
    items = items.map((item) => (item.id === link.id ? link : item));
    cards.get(link.id)?.update(link);
  }

  async function patch(link, changes, what) {
    try {
      replace(await links.update(link.id, changes));
      return true;
    } catch (error) {
      notifyError(`${what} was not changed`, error);
      cards.get(link.id)?.update(items.find((item) => item.id === link.id) ?? link);
      return false;
    }
  }

  function createCard(first) {
    let link = first;
    let photos = null;
    const id = first.id;
    const title = h("h2", { class: "link-title" });
    const badges = h("span", { class: "link-badges" });
    const description = h("p", { class: "link-description" });
    const facts = h("p", { class: "link-facts" });
    const warning = h("p", { class: "link-private", role: "note" });
    const address = createLinkField(links.absoluteUrl(first), { label: `Address of ${first.title}` });
    const downloads = h("input", { type: "checkbox", id: `link-downloads-${id}`, class: "link-downloads" });
    const expiry = h("input", { type: "date", id: `link-expiry-${id}`, class: "link-expiry", min: links.today() });
    const expiryText = h("span", { class: "link-expiry-text" });
    const neverExpires = h("button", { type: "button", class: "link-button never-expires" }, "Never expires");
    const photosSlot = h("div", { class: "link-photos-slot" });
    const photosToggle = h(
      "button",
      { type: "button", class: "tool link-photos-toggle", "aria-expanded": "false", "aria-controls": `link-photos-${id}` },
      icon("photos"),
      h("span", {}, "Photos"),
    );
    const action = (text, iconName, onclick, className) =>
      h("button", { type: "button", class: `tool ${className}`, onclick }, icon(iconName), h("span", {}, text));

    const element = h(
      "li",
      { class: "link-card", dataset: { linkId: String(id) } },
      h("div", { class: "link-head" }, title, badges),
      description,
      facts,
      warning,
      address.element,
      h(
        "div",
        { class: "link-settings" },
        h("label", { class: "check", for: downloads.id }, downloads, "Visitors may download the originals"),
        h(
          "div",
          { class: "link-expiry-field" },
          h("label", { for: expiry.id }, "Expires after"),
          expiry,
          neverExpires,
          expiryText,
        ),
      ),
      h(
        "div",
        { class: "link-actions" },
        photosToggle,
        action("Edit…", "pencil", () => edit(), "link-edit"),
        action("New address…", "refresh", () => regenerate(), "link-regenerate"),
        action("Delete…", "trash", () => remove(), "link-delete"),
      ),
      photosSlot,
    );

    downloads.addEventListener("change", () => patch(link, { allow_downloads: downloads.checked }, "Downloads"));
    expiry.addEventListener("change", () => {
      // An unfinished date typed by hand is "" until it is whole: only a whole date or a cleared
      // field is a choice.
      if (expiry.validity.badInput) return;
      patch(link, { expires_at: links.expiryOfDate(expiry.value) }, "The expiry");
    });
    neverExpires.addEventListener("click", () => patch(link, { expires_at: null }, "The expiry"));
    photosToggle.addEventListener("click", () => {
      route.setParams({ link: openId() === id ? null : id });
    });

    async function edit() {
      const saved = await editDialog(link);
      if (saved) {
        replace(saved);
        notify(`Saved “${saved.title}”`);
      }
    }

    async function regenerate() {
      const sure = await confirmDialog(
        `Give “${link.title}” a new address?`,
        [
          h("p", {}, "The old address stops working at once: anyone who has it can no longer see the photos."),
          h("p", {}, "Send the new address to those who should keep seeing them."),
        ],
        { confirm: "Make a new address", danger: true },
      );
      if (!sure) return;
      try {
        replace(await links.regenerate(id));
        notify("New address made. The old one no longer works.");
      } catch (error) {
        notifyError("No new address was made", error);
      }
    }

    async function remove() {
      const sure = await confirmDialog(
        `Delete “${link.title}”?`,
        "Its address stops working at once. The photos stay in the library: only the link goes.",
        { confirm: "Delete link", danger: true },
      );
      if (!sure) return;
      try {
        await links.remove(id);
      } catch (error) {
        notifyError("The link was not deleted", error);
        return;
      }
      notify(`“${link.title}” is deleted.`);
      items = items.filter((item) => item.id !== id);
      if (openId() === id) route.setParams({ link: null }, { replace: true });
      render();
    }

    return {
      element,
      update(next) {
        const moved = next.url !== link.url;
        link = next;
        title.textContent = next.title;
        fill(
          badges,
          next.expired ? h("span", { class: "badge badge-error link-expired" }, "Expired") : null,
          next.allow_downloads ? h("span", { class: "badge" }, "Downloads") : null,
        );
        description.textContent = next.description ?? "";
        description.hidden = !next.description;
        fill(
          facts,
          h("span", { class: "link-count" }, count(next.photo_count, "photo")),
          " · ",
          h("span", { class: "link-visible" }, `${next.public_count.toLocaleString()} shown to visitors`),
          " · ",
          `created ${created.format(links.parseTime(next.created_at))}`,
        );
        const hidden = privateText(next);
        fill(warning, hidden ? [icon("warning"), h("span", {}, hidden)] : null);
        warning.hidden = !hidden;
        if (moved) address.set(links.absoluteUrl(next));
        address.setLabel(`Address of ${next.title}`);
        element.classList.toggle("is-expired", next.expired);
        downloads.checked = next.allow_downloads;
        if (document.activeElement !== expiry) expiry.value = links.dateOfExpiry(next.expires_at);
        expiryText.textContent = links.expiryText(next);
        neverExpires.hidden = !next.expires_at;
      },
      /** Show or hide the link's photos. */
      showPhotos(open) {
        photosToggle.setAttribute("aria-expanded", String(open));
        element.classList.toggle("photos-open", open);
        if (open && !photos) {
          photos = createLinkPhotos(link, { id: `link-photos-${id}`, onChanged: replace });
          fill(photosSlot, photos.element);
        } else if (!open && photos) {
          photos.destroy();
          photos = null;
          fill(photosSlot);
        }
      },
      destroy() {
        photos?.destroy();
      },
    };
  }

  function render() {
    const present = new Set(items.map((item) => item.id));
    for (const [id, card] of cards) {
      if (!present.has(id)) {
        card.destroy();
        card.element.remove();
        cards.delete(id);
      }
    }
    // Cards are kept across reads (an open photo panel, a focused button stay as they were).
    for (const [index, link] of items.entries()) {
      let card = cards.get(link.id);
      if (!card) {
        card = createCard(link);
        cards.set(link.id, card);
      }
      card.update(link);
      if (list.children[index] !== card.element) list.insertBefore(card.element, list.children[index] ?? null);
    }
    empty.hidden = items.length > 0;
    syncOpen();
  }

  function syncOpen() {
    const wanted = openId();
    for (const [id, card] of cards) card.showPhotos(id === wanted);
  }

  async function load() {
    const token = ++loadToken;
    try {
      const answer = await links.all();
      if (token !== loadToken || destroyed) return;
      items = answer;
      render();
      const wanted = openId();
      if (wanted && !cards.has(wanted)) {
        notify("That shared link is gone: it was deleted.");
        route.setParams({ link: null }, { replace: true });
      } else if (wanted) {
        cards.get(wanted).element.scrollIntoView({ block: "start" });
      }
    } catch (error) {
      if (token === loadToken) notifyError("The shared links could not be read", error);
    }
  }

  load();

  return {
    update(next) {
      params = next.params;
      syncOpen();
    },
    destroy() {
      destroyed = true;
      loadToken += 1;
      for (const card of cards.values()) card.destroy();
    },
  };
}
