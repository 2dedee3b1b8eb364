// The photos of one shared link, on the links page: every photo in it, public or not, a page at
// a time. A private photo stays in the link but visitors do not see it; each is marked, with
// "Make public" beside it. Any photo can be taken out of the link (it stays in the library).

import { api } from "../lib/api.js";
import { fill, h, iconButton } from "../lib/dom.js";
import { notify, notifyError } from "../lib/notices.js";
import * as links from "../model/links.js";

const PAGE = 100;

export function createLinkPhotos(link, { id, onChanged }) {
  const grid = h("ul", { class: "link-photo-grid", "aria-label": `Photos of ${link.title}` });
  const more = h("button", { type: "button", class: "link-more", hidden: true }, "Show more photos");
  const status = h("p", { class: "dim link-photos-status", "aria-live": "polite" });
  const element = h("section", { class: "link-photos", id, "aria-label": `Photos of ${link.title}` }, status, grid, more);
  const controller = new AbortController();
  let cursor = null;
  let shown = 0;

  // The link's counts changed: the card above says so from the server's own figures.
  async function refreshLink() {
    try {
      onChanged(await links.get(link.id));
    } catch (error) {
      notifyError("The link could not be read again", error);
    }
  }

  function tile(item) {
    const isPrivate = item.visibility === "private";
    const actions = h("div", { class: "link-photo-actions" });
    const element = h(
      "li",
      { class: `link-photo${isPrivate ? " is-private" : ""}`, dataset: { photoId: String(item.id), visibility: item.visibility } },
      h(
        "div",
        { class: "link-photo-frame" },
        item.thumbnail_url ? h("img", { src: item.thumbnail_url, alt: item.basename, loading: "lazy", decoding: "async" }) : null,
      ),
      h(
        "div",
        { class: "link-photo-caption" },
        h("span", { class: "link-photo-name", title: `${item.project}/${item.basename}` }, item.basename),
        isPrivate
          ? h("span", { class: "badge badge-warning", title: "Visitors of the link do not see this photo" }, "Private: hidden")
          : h("span", { class: "badge" }, "Public"),
      ),
      actions,
    );
    if (isPrivate) {
      actions.append(
        h(
          "button",
          {
            type: "button",
            class: "tool make-public",
            "aria-label": `Make public: ${item.basename}`,
            onclick: async (event) => {
              event.currentTarget.disabled = true;
              await makePublic(item, element);
            },
          },
          "Make public",
        ),
      );
    }
    actions.append(
      iconButton("close", `Remove ${item.basename} from the link`, async (event) => {
        event.currentTarget.disabled = true;
        await removeFromLink(item, element);
      }, { class: "icon-button tool remove-from-link" }),
    );
    return element;
  }

  async function makePublic(item, element) {
    try {
      const answer = await api.post("/api/photos/visibility", {
        visibility: "public",
        items: [{ photo_id: item.id }],
      });
      const failure = answer.failed?.[0];
      if (failure) {
        notify(`${item.basename} was not made public (${failure.error})`, { kind: "error" });
        element.querySelector(".make-public").disabled = false;
        return;
      }
    } catch (error) {
      notifyError(`${item.basename} was not made public`, error);
      element.querySelector(".make-public").disabled = false;
      return;
    }
    element.replaceWith(tile({ ...item, visibility: "public" }));
    await refreshLink();
  }

  async function removeFromLink(item, element) {
    try {
      onChanged(await links.removePhotos(link.id, [item.id]));
    } catch (error) {
      notifyError(`${item.basename} was not taken out of the link`, error);
      element.querySelector(".remove-from-link").disabled = false;
      return;
    }
    element.remove();
    shown -= 1;
    renderStatus();
  }

  function renderStatus() {
    status.textContent = shown || cursor ? "" : "No photos in this link. Add some from a selection of photos: Share…, then “Added to an existing link”.";
  }

  async function load() {
    more.disabled = true;
    try {
      const answer = await links.photos(link.id, { cursor: cursor ?? undefined, limit: PAGE, signal: controller.signal });
      grid.append(...answer.items.map(tile));
      shown += answer.items.length;
      cursor = answer.next_cursor;
      more.hidden = !cursor;
      renderStatus();
    } catch (error) {
      if (error.name === "AbortError") return;
      notifyError("The photos of the link could not be read", error);
      more.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", load);
  fill(grid);
  status.textContent = "Reading the photos…";
  load();

  return {
    element,
    destroy() {
      controller.abort();
    },
  };
}
