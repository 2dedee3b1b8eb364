// The shared gallery's viewer: one photo fitted to the window in a modal dialog, its name, where
// it is in the gallery and (when the link allows it) its download. The photos either side are
// fetched and decoded ahead with `new Image()` + `decode()`, so going next swaps a ready preview in
// at once. ← / → and a horizontal swipe move; Esc and the close button close (Back too: gallery.js
// owns the address and calls close()).

import { h, iconButton } from "../lib/dom.js";
import { takenAt } from "../lib/format.js";
import { placeholderUrl } from "../lib/thumbhash.js";

// Photos either side kept decoded: going next or back twice never waits.
const REACH = 2;
// Photos ahead that must be in the list before the user gets there.
const LIST_MARGIN = 5;
const SWIPE_MIN_PX = 50;
const DRAG_SLOP_PX = 6;

function picture(item, state) {
  const img = new Image();
  img.className = "gallery-viewer-image";
  img.alt = item.name;
  img.draggable = false;
  img.dataset.photoId = String(item.id);
  img.dataset.state = state;
  return img;
}

/** A photo's thumbnail (most likely cached by the grid, so shown at once) and its preview. */
class Preload {
  constructor(item, onChange) {
    this.item = item;
    this.id = item.id;
    this.thumb = picture(item, "thumbnail");
    this.preview = picture(item, "preview");
    this.thumbReady = false;
    this.previewReady = false;
    this.failed = false;
    this.cancelled = false;
    this.started = false;
    this.onChange = onChange;
  }

  start(priority) {
    this.preview.fetchPriority = priority;
    if (this.started) return;
    this.started = true;
    this.thumb.src = this.item.thumbnail_url;
    this.thumb.decode().then(
      () => {
        this.thumbReady = true;
        this.onChange(this);
      },
      () => {},
    );
    this.preview.src = this.item.preview_url;
    // Decoded off the page: put in place, it paints in the same frame.
    this.preview.decode().then(
      () => {
        this.previewReady = true;
        this.onChange(this);
      },
      () => {
        if (this.cancelled) return;
        this.failed = true;
        this.onChange(this);
      },
    );
  }

  /** Stop what is still loading: its connection is worth more to the photos ahead. */
  cancel() {
    this.cancelled = true;
    if (!this.previewReady) this.preview.removeAttribute("src");
    if (!this.thumbReady) this.thumb.removeAttribute("src");
  }
}

function place(location) {
  if (!location || !Number.isFinite(location.lat) || !Number.isFinite(location.lon)) return "";
  const lat = `${Math.abs(location.lat).toFixed(4)}° ${location.lat >= 0 ? "N" : "S"}`;
  const lon = `${Math.abs(location.lon).toFixed(4)}° ${location.lon >= 0 ? "E" : "W"}`;
  return `${lat}, ${lon}`;
}

/**
 * onShow(item): the open photo changed (the address follows it).
 * onClosed(index): the visitor closed the viewer (Esc, the close button), at that photo.
 */
export function createGalleryViewer(gallery, { onShow, onClosed }) {
  let isOpen = false;
  let index = -1;
  let currentId = null;
  let direction = 1;
  let wanted = null; // an index past the loaded photos, gone to once its page arrives
  let press = null;
  const cache = new Map(); // photo id -> Preload

  const name = h("h2", { class: "gallery-viewer-name" });
  const details = h("span", { class: "gallery-viewer-details" });
  const position = h("span", { class: "gallery-viewer-position", "aria-live": "polite" });
  const download = h("a", { class: "button-link gallery-viewer-download", download: "", hidden: true }, "Download");
  const closeButton = iconButton("close", "Close the viewer (Esc)", () => dialog.close());
  const header = h(
    "header",
    { class: "gallery-viewer-head" },
    h("div", { class: "gallery-viewer-title" }, name, details),
    h("div", { class: "gallery-viewer-actions" }, position, download, closeButton),
  );
  const slot = h("div", { class: "gallery-viewer-slot" });
  const spinner = h(
    "div",
    { class: "gallery-viewer-spinner", role: "status", hidden: true },
    h("span", { class: "visually-hidden" }, "Loading the photo"),
  );
  const problem = h("p", { class: "gallery-viewer-problem", role: "alert", hidden: true });
  const prevButton = iconButton("chevronLeft", "Previous photo (←)", () => step(-1), {
    class: "icon-button gallery-viewer-nav gallery-viewer-prev",
  });
  const nextButton = iconButton("chevronRight", "Next photo (→)", () => step(1), {
    class: "icon-button gallery-viewer-nav gallery-viewer-next",
  });
  const stage = h("div", { class: "gallery-viewer-stage" }, slot, spinner, problem, prevButton, nextButton);
  const dialog = h("dialog", { class: "gallery-viewer", "aria-label": "Photo viewer", tabindex: "-1" }, header, stage);
  document.body.append(dialog);

  // --- what is shown ---------------------------------------------------------------------------

  function preloadOf(item) {
    let entry = cache.get(item.id);
    if (!entry) {
      entry = new Preload(item, (changed) => {
        if (changed.id === currentId && cache.get(changed.id) === changed) paint();
      });
      cache.set(item.id, entry);
    }
    return entry;
  }

  /** The best decoded picture of the open photo; its placeholder behind it until then. */
  function paint() {
    const entry = cache.get(currentId);
    if (!entry) return;
    const shown = slot.firstElementChild;
    let best = entry.previewReady ? entry.preview : entry.thumbReady ? entry.thumb : null;
    // Nothing decoded yet: keep this photo's thumbnail up if it is, else its (loading) one.
    if (!best) best = shown?.dataset.photoId === String(entry.id) ? shown : entry.thumb;
    if (shown !== best) slot.replaceChildren(best);
    // Its aspect is only near the photo's: once a picture is up, an edge of it would show.
    const placeholder = entry.thumbReady || entry.previewReady ? null : placeholderUrl(entry.item);
    slot.style.backgroundImage = placeholder ? `url("${placeholder}")` : "";
    spinner.hidden = entry.previewReady || entry.failed;
    problem.hidden = !entry.failed;
    problem.textContent = entry.failed ? "The photo could not be loaded." : "";
  }

  function renderHeader() {
    const item = gallery.get(index);
    if (!item) return;
    name.textContent = item.name;
    details.textContent = [takenAt(item), place(item.location)].filter(Boolean).join(" · ");
    position.textContent = `${(index + 1).toLocaleString()} / ${gallery.total.toLocaleString()}`;
    prevButton.disabled = index <= 0;
    nextButton.disabled = gallery.done && index >= gallery.items.length - 1;
    download.hidden = !item.download_url;
    if (item.download_url) {
      download.href = item.download_url;
      download.setAttribute("aria-label", `Download ${item.name}`);
    } else {
      download.removeAttribute("href");
    }
  }

  /** Ask for the list ahead, and decode the neighbours in the direction the visitor goes first. */
  function prepareAround() {
    if (!gallery.done && index + LIST_MARGIN >= gallery.items.length) gallery.more();
    const keep = new Set();
    for (let i = index - REACH; i <= index + REACH; i += 1) {
      const item = gallery.get(i);
      if (item) keep.add(item.id);
    }
    // Two behind and still loading: the visitor left that way, its request is not worth the wait.
    const behind = gallery.get(index - REACH * direction);
    if (behind && !cache.get(behind.id)?.previewReady) keep.delete(behind.id);
    for (const [id, entry] of cache) {
      if (!keep.has(id)) {
        entry.cancel();
        cache.delete(id);
      }
    }
    for (const offset of [direction, -direction, 2 * direction]) {
      const item = gallery.get(index + offset);
      if (item) preloadOf(item).start("low");
    }
  }

  function show() {
    const item = gallery.get(index);
    currentId = item.id;
    preloadOf(item).start("high");
    paint();
    renderHeader();
    prepareAround();
    onShow(item);
  }

  function goTo(target) {
    if (target > gallery.items.length - 1) {
      // Not loaded yet: go there when its page comes (the list is asked for ahead, so rarely).
      if (!gallery.done) {
        wanted = target;
        gallery.more();
      }
      return;
    }
    const clamped = Math.max(0, target);
    if (clamped === index) return;
    direction = clamped > index ? 1 : -1;
    index = clamped;
    show();
  }

  function step(delta) {
    goTo(index + delta);
  }

  gallery.subscribe((change) => {
    if (!isOpen) return;
    if (change.type === "error") {
      wanted = null;
      problem.hidden = false;
      problem.textContent = change.error.message;
      return;
    }
    renderHeader();
    prepareAround();
    if (wanted !== null) {
      const target = wanted;
      wanted = null;
      goTo(target);
    }
  });

  // --- keys and swipes -------------------------------------------------------------------------

  dialog.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const handled = {
      ArrowRight: () => step(1),
      ArrowLeft: () => step(-1),
      Home: () => goTo(0),
      End: () => goTo(gallery.total - 1),
    }[event.key];
    if (!handled) return;
    event.preventDefault();
    handled();
  });

  stage.addEventListener("pointerdown", (event) => {
    if (!event.isPrimary || event.button !== 0 || event.target.closest("button")) return;
    press = { id: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
    try {
      stage.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser no longer tracks: its moves still reach the stage while over it.
    }
    event.preventDefault(); // no text selection or image drag under a mouse
  });
  stage.addEventListener("pointermove", (event) => {
    if (!press || event.pointerId !== press.id) return;
    const dx = event.clientX - press.x;
    if (!press.moved && Math.hypot(dx, event.clientY - press.y) > DRAG_SLOP_PX) press.moved = true;
    if (press.moved) slot.style.transform = `translateX(${dx}px)`; // the photo follows the finger
  });
  const release = (event, cancelled) => {
    if (!press || event.pointerId !== press.id) return;
    const pressed = press;
    press = null;
    slot.style.transform = "";
    if (cancelled || !pressed.moved) return;
    const dx = event.clientX - pressed.x;
    const dy = event.clientY - pressed.y;
    if (Math.abs(dx) >= SWIPE_MIN_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  };
  stage.addEventListener("pointerup", (event) => release(event, false));
  stage.addEventListener("pointercancel", (event) => release(event, true));

  // --- open / close ----------------------------------------------------------------------------

  function takeDown() {
    isOpen = false;
    for (const entry of cache.values()) entry.cancel();
    cache.clear();
    slot.replaceChildren();
    slot.style.transform = "";
    press = null;
    wanted = null;
    index = -1;
    currentId = null;
    document.documentElement.classList.remove("gallery-viewer-open");
  }

  // Every way the dialog closes itself (Esc, the close button, a close request of the system)
  // ends here; close() below, called for Back, takes down first so this does nothing.
  dialog.addEventListener("close", () => {
    if (!isOpen || dialog.open) return;
    const at = index;
    takeDown();
    onClosed(at);
  });

  return {
    open(target) {
      if (!isOpen) {
        isOpen = true;
        direction = 1;
        index = -1;
        document.documentElement.classList.add("gallery-viewer-open");
        dialog.showModal();
        // The dialog, not its first button: Enter must not close it, and the keys are the viewer's.
        dialog.focus();
      }
      goTo(target);
    },
    close() {
      if (!isOpen) return;
      takeDown();
      dialog.close();
    },
    isOpen: () => isOpen,
    currentId: () => currentId,
  };
}
