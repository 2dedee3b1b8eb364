// The page a shared link opens (/shared/<key>): the link's title and public photos for a visitor
// without an account, and a viewer over them. It talks to /shared/api/<key> only, never to /api,
// and imports none of the app's modules that do: a visitor has no session to refresh.
//
// The address is the state, as in the app: `?photo=<id>` names the open photo. Opening one from
// the grid adds a history entry, so Back closes the viewer; moving in the viewer replaces it; a
// reload or a pasted address opens the viewer on that photo.

import { fill, h } from "./lib/dom.js";
import { count } from "./lib/format.js";
import { SharedGallery } from "./model/sharedgallery.js";
import { createGalleryGrid } from "./views/gallerygrid.js";
import { createGalleryViewer } from "./views/galleryviewer.js";

const root = document.getElementById("gallery");
const until = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

function linkKey() {
  const last = location.pathname.split("/").filter(Boolean).pop() ?? "";
  try {
    return decodeURIComponent(last);
  } catch {
    return last; // a mangled address: the server will not know it either
  }
}

function photoParam() {
  const value = Number(new URLSearchParams(location.search).get("photo"));
  return Number.isInteger(value) && value > 0 ? value : null;
}

function addressWith(id) {
  const params = new URLSearchParams(location.search);
  if (id === null) params.delete("photo");
  else params.set("photo", String(id));
  const text = params.toString();
  return location.pathname + (text ? `?${text}` : "");
}

function showUnavailable() {
  document.title = "Gallery not available";
  fill(
    root,
    h(
      "div",
      { class: "gallery-message" },
      h("h1", {}, "This gallery is not available"),
      h("p", {}, "The link may have expired or been withdrawn. Ask the person who shared it for a new one."),
    ),
  );
}

function showFailure(error, retry) {
  fill(
    root,
    h(
      "div",
      { class: "gallery-message" },
      h("h1", {}, "The gallery could not be loaded"),
      h("p", { role: "alert" }, error.message),
      h("button", { type: "button", class: "primary", onclick: retry }, "Try again"),
    ),
  );
}

function header(info) {
  const facts = [count(info.photo_count, "photo")];
  if (info.expires_at) facts.push(`available until ${until.format(new Date(info.expires_at))}`);
  return h(
    "header",
    { class: "gallery-head" },
    h(
      "div",
      { class: "gallery-heading" },
      h("h1", {}, info.title),
      info.description ? h("p", { class: "gallery-description" }, info.description) : null,
      h("p", { class: "gallery-facts" }, facts.join(" · ")),
    ),
    info.allow_downloads && info.zip_url
      ? h("a", { class: "button-link primary gallery-zip", href: info.zip_url, download: "" }, "Download all (zip)")
      : null,
  );
}

async function start() {
  const gallery = new SharedGallery(linkKey());
  fill(root, h("p", { class: "gallery-loading", role: "status" }, "Loading the gallery…"));
  await gallery.more();
  if (gallery.error?.unavailable) {
    showUnavailable();
    return;
  }
  if (gallery.error) {
    showFailure(gallery.error, () => start());
    return;
  }
  document.title = gallery.info.title || "Shared gallery";
  fill(root, header(gallery.info));
  if (!gallery.items.length) {
    root.append(h("p", { class: "empty" }, "There are no photos in this gallery yet."));
    history.replaceState(null, "", addressWith(null));
    return;
  }

  const grid = createGalleryGrid(root, gallery, { onOpen: openFromGrid });
  const viewer = createGalleryViewer(gallery, {
    onShow: (item) => history.replaceState(history.state, "", addressWith(item.id)),
    onClosed: (index) => {
      if (history.state?.galleryViewer) {
        // Off the viewer's own entry: Forward reopens the photo, Back from the grid leaves.
        history.back();
      } else {
        history.replaceState(null, "", addressWith(null));
      }
      grid.reveal(index);
    },
  });
  // A later page may find the link gone (expired, withdrawn): say so rather than a stuck grid.
  gallery.subscribe((change) => {
    if (change.type === "error" && change.error.unavailable) {
      viewer.close();
      showUnavailable();
    }
  });

  function openFromGrid(index) {
    const item = gallery.get(index);
    if (!item) return;
    history.pushState({ galleryViewer: true }, "", addressWith(item.id));
    viewer.open(index);
  }

  let syncing = 0;
  /** Show what the address names: the viewer on its photo, or the grid alone. */
  async function sync() {
    const turn = ++syncing;
    const id = photoParam();
    if (id === null) {
      if (viewer.isOpen()) {
        const at = gallery.indexOf(viewer.currentId());
        viewer.close();
        grid.reveal(at);
      }
      return;
    }
    if (viewer.isOpen() && viewer.currentId() === id) return;
    const index = await gallery.find(id);
    if (turn !== syncing) return; // the address changed again while pages were loading
    if (index < 0) {
      // A photo the link does not show (private, removed, mistyped): the grid, a clean address.
      viewer.close();
      history.replaceState(null, "", addressWith(null));
      return;
    }
    viewer.open(index);
  }

  window.addEventListener("popstate", () => sync());
  await sync();
}

start();
