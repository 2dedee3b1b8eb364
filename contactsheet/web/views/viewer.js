// The full-window viewer for culling: one photo fitted to the window over the grid (which keeps
// its scroll and selection underneath), a thin header with its decisions, the culling keys acting
// on it, and its neighbours' previews already decoded so that going next never waits on the
// network. The address names the open photo (`?photo=<id>`); photos.js opens us from it.

import { fill, h, icon, iconButton, typingIn } from "../lib/dom.js";
import { takenAt } from "../lib/format.js";
import * as route from "../lib/route.js";
import { cullingAction } from "./cullkeys.js";
import { createExifPanel } from "./exif.js";
import { createKeyHelp } from "./keyhelp.js";
import { Entry } from "./viewerentry.js";
import { viewerFacts } from "./viewerfacts.js";

const AUTO_ADVANCE_KEY = "contactsheet.viewer.autoAdvance";
const INFO_KEY = "contactsheet.viewer.info";
// Photos either side kept decoded: going next or back twice is instant.
const CACHE_REACH = 2;
// Photos either side that must be loaded in the list before the user gets there.
const LIST_MARGIN = 5;
const SWIPE_MIN_PX = 50;
const DRAG_SLOP_PX = 6;
// Decisions after which auto-advance moves on (a rating or unflag is often followed by more).
const DECISIONS = new Set(["j", "r", "Delete", "p", "x"]);

function stored(key, fallback) {
  try {
    const value = localStorage.getItem(key);
    return value === null ? fallback : value === "1";
  } catch {
    return fallback;
  }
}

function remember(key, on) {
  try {
    localStorage.setItem(key, on ? "1" : "0");
  } catch {
    // Private mode without storage: the choice lasts until the page is left.
  }
}

export function createViewer(ctx) {
  let isOpen = false;
  let list = null;
  let unsubscribeList = null;
  let index = -1;
  let currentId = null;
  let direction = 1;
  let restoreFocus = null;
  let autoAdvance = stored(AUTO_ADVANCE_KEY, false);
  const cache = new Map(); // photo id -> Entry
  let zoom = null; // {el, id, fx, fy, x, y, ready}
  let press = null; // the pointer pressed on the photo

  const name = h("h2", { class: "viewer-name", id: "viewer-name" });
  const date = h("span", { class: "viewer-date" });
  const facts = h("div", { class: "viewer-facts" });
  const position = h("span", { class: "viewer-position", "aria-live": "polite" });
  const autoButton = h(
    "button",
    {
      type: "button",
      class: "viewer-auto",
      "aria-pressed": String(autoAdvance),
      "aria-label": "Auto-advance",
      title: "Go to the next photo after a keep, pick or reject (Caps Lock does it too)",
      onclick: () => setAutoAdvance(!autoAdvance),
    },
    icon("chevronRight"),
    h("span", {}, "Auto-advance"),
  );
  const infoButton = iconButton("info", "Information (i)", () => toggleInfo(), { "aria-pressed": "false" });
  const helpButton = h(
    "button",
    { type: "button", class: "icon-button viewer-help-button", title: "Keyboard shortcuts (?)", "aria-label": "Keyboard shortcuts (?)", onclick: () => toggleHelp() },
    h("span", { "aria-hidden": "true" }, "?"),
  );
  const closeButton = iconButton("close", "Close the viewer (Esc)", () => requestClose());
  const header = h(
    "header",
    { class: "viewer-head" },
    h("div", { class: "viewer-title" }, name, date),
    facts,
    h("div", { class: "viewer-actions" }, position, autoButton, infoButton, helpButton, closeButton),
  );

  const slot = h("div", { class: "viewer-slot" });
  const zoomLayer = h("div", { class: "viewer-zoom" });
  const spinner = h("div", { class: "viewer-spinner", role: "status", hidden: true }, h("span", { class: "visually-hidden" }, "Loading the photo"));
  const problem = h("p", { class: "viewer-problem", role: "alert", hidden: true });
  const prevButton = iconButton("chevronLeft", "Previous photo (←)", () => step(-1), { class: "icon-button viewer-nav viewer-prev" });
  const nextButton = iconButton("chevronRight", "Next photo (→)", () => step(1), { class: "icon-button viewer-nav viewer-next" });
  const stage = h("div", { class: "viewer-stage" }, slot, zoomLayer, spinner, problem, prevButton, nextButton);

  const exif = createExifPanel({ onClose: () => toggleInfo(false) });
  const help = createKeyHelp({ scope: "viewer", onClose: () => toggleHelp(false) });
  const element = h(
    "div",
    { class: "viewer", role: "dialog", "aria-modal": "true", "aria-label": "Photo viewer", tabindex: "-1" },
    header,
    h("div", { class: "viewer-body" }, stage, exif.element),
    help.element,
  );
  exif.setOpen(stored(INFO_KEY, false));

  // --- what is shown ---------------------------------------------------------------------------

  function entryFor(item) {
    let entry = cache.get(item.id);
    if (entry && entry.previewUrl !== list.assetUrl(item, "preview")) {
      // The server remade its files: load the new ones (the old stay shown until they are ready).
      entry.cancel();
      entry = null;
    }
    if (!entry) {
      entry = new Entry(list, item, (changed) => {
        if (changed.id === currentId && cache.get(changed.id) === changed) paint();
      });
      cache.set(item.id, entry);
    }
    return entry;
  }

  /** Put the best decoded element of the open photo in place. */
  function paint() {
    const item = list?.get(index);
    const entry = item ? cache.get(item.id) : null;
    const shown = slot.firstElementChild;
    if (!entry) {
      slot.replaceChildren();
      spinner.hidden = false;
      problem.hidden = true;
      return;
    }
    let next = entry.previewReady ? entry.preview : entry.thumbReady ? entry.thumb : null;
    // Nothing decoded yet: keep this photo's older files up rather than a blank.
    if (!next) next = shown?.dataset.photoId === String(entry.id) ? shown : entry.thumb;
    if (shown !== next) slot.replaceChildren(next);
    spinner.hidden = zoom ? zoom.ready : entry.previewReady || entry.failed;
    problem.hidden = !entry.failed;
    if (entry.failed) {
      problem.textContent = item.derivative_error
        ? `The preview could not be made: ${item.derivative_error}`
        : "The preview could not be loaded.";
    }
  }

  function renderHeader() {
    const item = list?.get(index);
    const total = list?.total ?? 0;
    position.textContent = total ? `${(index + 1).toLocaleString()} / ${total.toLocaleString()}` : "";
    prevButton.disabled = index <= 0;
    nextButton.disabled = index >= total - 1;
    if (!item) {
      name.textContent = "Loading…";
      date.textContent = "";
      fill(facts);
      return;
    }
    name.textContent = item.basename;
    date.textContent = takenAt(item);
    fill(facts, viewerFacts(list, item));
  }

  /** Load the list around the open photo, and decode the neighbours' previews. */
  function prepareAround() {
    const total = list.total ?? 0;
    for (let i = Math.max(0, index - LIST_MARGIN); i <= Math.min(total - 1, index + LIST_MARGIN); i += 1) {
      if (list.get(i) === undefined) {
        list.ensure(Math.max(0, index - LIST_MARGIN), index + LIST_MARGIN);
        break;
      }
    }
    const keep = new Set();
    for (let i = index - CACHE_REACH; i <= index + CACHE_REACH; i += 1) {
      const item = list.get(i);
      if (item) keep.add(item.id);
    }
    // Two behind, still loading: the user left that way, so its request is not worth a connection.
    const behind = list.get(index - CACHE_REACH * direction);
    if (behind && !cache.get(behind.id)?.previewReady) keep.delete(behind.id);
    for (const [id, entry] of cache) {
      if (!keep.has(id)) {
        entry.cancel();
        cache.delete(id);
      }
    }
    for (const offset of [direction, -direction, 2 * direction]) {
      const item = list.get(index + offset);
      if (item) entryFor(item).start("low");
    }
  }

  function show() {
    const item = list.get(index);
    if (item) {
      currentId = item.id;
      entryFor(item).start("high");
    }
    paint();
    renderHeader();
    exif.render(item);
    prepareAround();
  }

  function step(delta) {
    goTo(index + delta);
  }

  function goTo(target) {
    const total = list?.total ?? 0;
    const clamped = Math.max(0, Math.min(total - 1, target));
    if (!total || clamped === index) return;
    direction = clamped > index ? 1 : -1;
    index = clamped;
    currentId = null;
    fitView();
    show();
    if (currentId !== null) route.setParams({ photo: currentId }, { replace: true });
  }

  function onListChange(change) {
    if (!isOpen || change.type === "error") return;
    // The listing may have moved under us (an upload, a removal): follow the open photo.
    if (currentId !== null) {
      const at = list.indexOf(currentId);
      if (at >= 0) index = at;
    }
    if (list.total !== null && index >= list.total) index = Math.max(0, list.total - 1);
    const item = list.get(index);
    if (!item || item.id !== currentId) {
      const before = currentId;
      currentId = null;
      show();
      if (currentId !== null && currentId !== before) route.setParams({ photo: currentId }, { replace: true });
      return;
    }
    // The same photo, changed (a decision, a remade preview).
    entryFor(item).start("high");
    paint();
    renderHeader();
    exif.render(item);
  }

  // --- zoom and pan ----------------------------------------------------------------------------

  function placeZoom() {
    if (!zoom?.ready) return;
    const box = stage.getBoundingClientRect();
    const width = zoom.el.naturalWidth;
    const height = zoom.el.naturalHeight;
    const clampAxis = (value, size, room) => (size <= room ? (room - size) / 2 : Math.min(0, Math.max(room - size, value)));
    zoom.x = clampAxis(zoom.x, width, box.width);
    zoom.y = clampAxis(zoom.y, height, box.height);
    zoom.el.style.transform = `translate(${zoom.x}px, ${zoom.y}px)`;
  }

  /** 100 %: the original at its own pixel size, centred on the point the user clicked. */
  function zoomIn(point) {
    const item = list?.get(index);
    if (!item) return;
    let fx = 0.5;
    let fy = 0.5;
    const fitted = slot.firstElementChild;
    if (point && fitted?.naturalWidth) {
      // Where the photo is drawn inside its box (object-fit: contain).
      const box = fitted.getBoundingClientRect();
      const scale = Math.min(box.width / fitted.naturalWidth, box.height / fitted.naturalHeight);
      const drawnWidth = fitted.naturalWidth * scale;
      const drawnHeight = fitted.naturalHeight * scale;
      fx = (point.x - box.left - (box.width - drawnWidth) / 2) / drawnWidth;
      fy = (point.y - box.top - (box.height - drawnHeight) / 2) / drawnHeight;
      fx = Math.min(1, Math.max(0, fx));
      fy = Math.min(1, Math.max(0, fy));
    }
    const el = new Image();
    el.className = "viewer-full";
    el.alt = item.basename;
    el.draggable = false;
    el.dataset.photoId = String(item.id);
    el.dataset.state = "full";
    zoom = { el, id: item.id, fx, fy, x: 0, y: 0, ready: false };
    element.classList.add("zoomed");
    spinner.hidden = false;
    el.src = item.image_url;
    el.decode().then(
      () => {
        if (zoom?.el !== el) return;
        const box = stage.getBoundingClientRect();
        el.style.width = `${el.naturalWidth}px`;
        el.style.height = `${el.naturalHeight}px`;
        zoom.x = box.width / 2 - fx * el.naturalWidth;
        zoom.y = box.height / 2 - fy * el.naturalHeight;
        zoom.ready = true;
        zoomLayer.replaceChildren(el);
        element.classList.add("zoom-ready");
        placeZoom();
        paint();
      },
      () => {
        if (zoom?.el !== el) return;
        fitView();
        problem.hidden = false;
        problem.textContent = "The full-size image could not be loaded.";
      },
    );
  }

  function fitView() {
    if (!zoom) return;
    zoom.el.removeAttribute("src");
    zoom = null;
    zoomLayer.replaceChildren();
    element.classList.remove("zoomed", "zoom-ready", "panning");
    paint();
  }

  function toggleZoom(point) {
    if (zoom) fitView();
    else zoomIn(point);
  }

  stage.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || event.target.closest("button")) return;
    press = {
      id: event.pointerId,
      type: event.pointerType,
      x: event.clientX,
      y: event.clientY,
      zoomX: zoom?.x ?? 0,
      zoomY: zoom?.y ?? 0,
      moved: false,
    };
    try {
      stage.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser no longer tracks: moves still reach the stage while over it.
    }
    event.preventDefault();
  });
  stage.addEventListener("pointermove", (event) => {
    if (!press || event.pointerId !== press.id) return;
    const dx = event.clientX - press.x;
    const dy = event.clientY - press.y;
    if (!press.moved && Math.hypot(dx, dy) > DRAG_SLOP_PX) press.moved = true;
    if (!press.moved) return;
    if (zoom?.ready) {
      zoom.x = press.zoomX + dx;
      zoom.y = press.zoomY + dy;
      element.classList.add("panning");
      placeZoom();
    } else if (!zoom && press.type !== "mouse") {
      slot.style.transform = `translateX(${dx}px)`; // the photo follows the finger
    }
  });
  const release = (event, cancelled) => {
    if (!press || event.pointerId !== press.id) return;
    const pressed = press;
    press = null;
    slot.style.transform = "";
    element.classList.remove("panning");
    if (cancelled) return;
    const dx = event.clientX - pressed.x;
    const dy = event.clientY - pressed.y;
    if (!pressed.moved) {
      toggleZoom({ x: event.clientX, y: event.clientY });
    } else if (!zoom && pressed.type !== "mouse" && Math.abs(dx) >= SWIPE_MIN_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) {
      step(dx < 0 ? 1 : -1);
    }
  };
  stage.addEventListener("pointerup", (event) => release(event, false));
  stage.addEventListener("pointercancel", (event) => release(event, true));

  // --- panels, settings ------------------------------------------------------------------------

  function setAutoAdvance(on) {
    autoAdvance = on;
    autoButton.setAttribute("aria-pressed", String(on));
    remember(AUTO_ADVANCE_KEY, on);
  }

  function toggleInfo(open = !exif.isOpen) {
    exif.setOpen(open);
    infoButton.setAttribute("aria-pressed", String(open));
    remember(INFO_KEY, open);
    if (open) exif.render(list?.get(index));
    placeZoom();
  }

  function toggleHelp(open = !help.isOpen) {
    if (open) help.open();
    else {
      help.close();
      element.focus({ preventScroll: true });
    }
  }

  function requestClose() {
    const at = index;
    ctx.closeViewer(at);
    // The address had no photo (opened some other way): close ourselves.
    if (isOpen) close();
  }

  // --- keys ------------------------------------------------------------------------------------

  function focusables() {
    const scope = help.isOpen ? help.element : element;
    return [...scope.querySelectorAll("button:not(:disabled), [href], [tabindex]:not([tabindex='-1'])")].filter(
      (el) => el.checkVisibility?.() ?? true,
    );
  }

  function onKeyDown(event) {
    if (!isOpen) return;
    // A dialog opened over us (a confirmation) has the keys.
    const dialog = event.target instanceof Element ? event.target.closest("dialog") : null;
    if (dialog) return;
    event.stopPropagation(); // the grid underneath must not act on them
    if (typingIn(event)) return;
    const key = event.key;
    if (key === "Tab") {
      // Keep the focus inside the viewer, as a modal dialog does.
      const items = focusables();
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      const inside = items.includes(document.activeElement);
      if (event.shiftKey && (document.activeElement === first || !inside)) {
        last.focus();
        event.preventDefault();
      } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
        first.focus();
        event.preventDefault();
      }
      return;
    }
    if (key === "Escape") {
      event.preventDefault();
      if (help.isOpen) toggleHelp(false);
      else requestClose();
      return;
    }
    if (key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (help.isOpen) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const plain = key.length === 1 ? key.toLowerCase() : key;
    const handled = {
      ArrowRight: () => step(1),
      ArrowLeft: () => step(-1),
      Home: () => goTo(0),
      End: () => goTo((list?.total ?? 1) - 1),
      z: () => toggleZoom(null),
      i: () => toggleInfo(),
    }[plain];
    if (handled) {
      event.preventDefault();
      handled();
      return;
    }
    // Enter and Space on a focused button are that button's.
    if ((key === "Enter" || key === " ") && event.target instanceof HTMLButtonElement) return;
    const action = cullingAction(event);
    const item = list?.get(index);
    if (!action || !item) return;
    event.preventDefault();
    action.run(list, [item.id]);
    const advance = autoAdvance || event.getModifierState?.("CapsLock");
    if (advance && DECISIONS.has(action.keys[0])) step(1);
  }

  function onFocusIn(event) {
    // Focus wandered under the layer (a click on nothing): bring it back.
    if (isOpen && !element.contains(event.target) && !event.target.closest?.("dialog, .notices")) {
      element.focus({ preventScroll: true });
    }
  }

  const onResize = () => placeZoom();

  // --- open / close ----------------------------------------------------------------------------

  function attachList() {
    if (list === ctx.list) return;
    unsubscribeList?.();
    for (const entry of cache.values()) entry.cancel();
    cache.clear();
    list = ctx.list;
    unsubscribeList = list?.subscribe(onListChange) ?? null;
  }

  function open(target) {
    attachList();
    if (!list) return;
    if (!isOpen) {
      isOpen = true;
      restoreFocus = document.activeElement;
      index = -1;
      currentId = null;
      direction = 1;
      document.body.append(element);
      document.getElementById("app")?.setAttribute("inert", "");
      window.addEventListener("keydown", onKeyDown, true);
      document.addEventListener("focusin", onFocusIn);
      window.addEventListener("resize", onResize);
      infoButton.setAttribute("aria-pressed", String(exif.isOpen));
      element.focus({ preventScroll: true });
    }
    if (target === index && list.get(target)?.id === currentId) return;
    direction = target >= index ? 1 : -1;
    index = target;
    currentId = null;
    fitView();
    show();
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    fitView();
    help.close();
    for (const entry of cache.values()) entry.cancel();
    cache.clear();
    window.removeEventListener("keydown", onKeyDown, true);
    document.removeEventListener("focusin", onFocusIn);
    window.removeEventListener("resize", onResize);
    document.getElementById("app")?.removeAttribute("inert");
    element.remove();
    slot.replaceChildren();
    if (restoreFocus?.isConnected) restoreFocus.focus({ preventScroll: true });
    restoreFocus = null;
  }

  return {
    open,
    close,
    isOpen: () => isOpen,
    destroy() {
      close();
      unsubscribeList?.();
      unsubscribeList = null;
      list = null;
    },
  };
}
