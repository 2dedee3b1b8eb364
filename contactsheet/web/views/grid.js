// The photo grid: uniform cells (the contact-sheet tradition), so geometry is arithmetic — row =
// index ÷ columns — with no layout library and no measuring of the DOM while scrolling. Only the
// rows in view (plus a margin) exist, in a pool of recycled cells moved with `transform`; pages of
// the listing are asked for as the viewport nears them. `createCollection` is the engine the table
// shares: geometry, pool, selection and keys; the grid and the table bring their cells.

import { h } from "../lib/dom.js";
import { placeholderUrl } from "../lib/thumbhash.js";
import { captionMarks, describe } from "./cells.js";
import { cullingAction } from "./cullkeys.js";
import { createKeyHelp } from "./keyhelp.js";

// Chromium caps an element's height near 16.7 M px: past this the scrollbar is scaled (a scroll
// position maps to an index) so the end stays reachable.
export const MAX_SCROLL_HEIGHT = 15_000_000;
let collections = 0; // distinct id prefixes: ids of cells must be unique in the document

/**
 * A virtualized, selectable collection of the listing's photos.
 * options: layout(width, size) -> {columns, cellWidth, rowHeight}; createCell() -> cell (an
 * object with `el`); renderCell(cell, item, index, list) draws a photo; clearCell(cell) empties a
 * cell whose photo is not loaded; release(cell) stops its loads; host (the focusable element;
 * the scroller when absent); scrollerAttrs.
 */
export function createCollection(ctx, options) {
  const list = ctx.list;
  const selection = ctx.selection;
  const prefix = `photo-${(collections += 1)}`;
  const scroller = h("div", { class: `collection-scroll ${options.scrollClass ?? ""}`, ...options.scrollerAttrs });
  const canvas = h("div", { class: "collection-canvas", role: "none" });
  scroller.append(canvas);
  const host = options.host ?? scroller;
  host.tabIndex = 0;

  let size = ctx.size;
  let width = 0;
  let viewHeight = 0;
  let columns = 1;
  let cellWidth = 0;
  let rowHeight = 1;
  let rows = 0;
  let virtualHeight = 0; // rows × row height: what the listing would need
  let scrollHeight = 0; // what the canvas is (capped)
  let range = [0, -1]; // indexes in the DOM
  let wanted = null; // the range last asked of the list
  let focus = selection.focus >= 0 ? selection.focus : -1;
  const shown = new Map(); // index -> cell
  const free = [];

  // --- geometry -------------------------------------------------------------------------------

  const total = () => list?.total ?? 0;
  const scaled = () => virtualHeight > scrollHeight;
  /** Scroll position -> top of the view in the listing's own (unscaled) pixels. */
  function toVirtual(top) {
    if (!scaled()) return top;
    const room = Math.max(1, scrollHeight - viewHeight);
    return (Math.min(top, room) / room) * Math.max(0, virtualHeight - viewHeight);
  }
  function fromVirtual(top) {
    if (!scaled()) return top;
    const room = Math.max(1, virtualHeight - viewHeight);
    return (top / room) * Math.max(0, scrollHeight - viewHeight);
  }

  function layout() {
    if (!width) return;
    ({ columns, cellWidth, rowHeight } = options.layout(width, size));
    rows = Math.ceil(total() / columns);
    virtualHeight = rows * rowHeight;
    scrollHeight = Math.min(virtualHeight, MAX_SCROLL_HEIGHT);
    canvas.style.height = `${scrollHeight}px`;
    canvas.style.setProperty("--cell-width", `${cellWidth}px`);
    canvas.style.setProperty("--row-height", `${rowHeight}px`);
    for (const cell of shown.values()) cell.y = null; // positions change with the geometry
  }

  /** The first photo whose row is at the top of the view. */
  function firstVisible() {
    return Math.min(total() - 1, Math.floor(toVirtual(scroller.scrollTop) / rowHeight) * columns);
  }

  // --- the pool -------------------------------------------------------------------------------

  function acquire() {
    const cell = free.pop() ?? options.createCell();
    if (!cell.el.isConnected) canvas.append(cell.el);
    cell.el.hidden = false;
    cell.item = undefined;
    cell.y = null;
    return cell;
  }

  function release(cell) {
    options.release(cell);
    cell.item = undefined;
    cell.index = -1;
    cell.el.hidden = true;
    cell.el.removeAttribute("id");
    delete cell.el.dataset.photoId;
    delete cell.el.dataset.index;
    free.push(cell);
  }

  function paint(cell, index) {
    const item = list.get(index);
    if (cell.index !== index) {
      cell.index = index;
      cell.el.id = `${prefix}-${index}`;
      cell.el.dataset.index = String(index);
      cell.el.setAttribute(options.positionAttr ?? "aria-posinset", String(index + 1 + (options.rowIndexOffset ?? 0)));
    }
    if (!options.positionAttr && cell.setSize !== total()) {
      cell.setSize = total();
      cell.el.setAttribute("aria-setsize", String(cell.setSize));
    }
    if (item !== cell.item) {
      if (item) {
        cell.el.dataset.photoId = String(item.id);
        options.renderCell(cell, item, index, list);
      } else {
        delete cell.el.dataset.photoId;
        options.clearCell(cell);
      }
      cell.item = item;
    }
    const selected = Boolean(item && selection.has(item.id));
    if (cell.selected !== selected) {
      cell.selected = selected;
      cell.el.setAttribute("aria-selected", String(selected));
      cell.el.classList.toggle("is-selected", selected);
    }
    const focused = index === focus;
    if (cell.focused !== focused) {
      cell.focused = focused;
      cell.el.classList.toggle("is-focus", focused);
    }
  }

  function place(cell, index, offset) {
    const row = Math.floor(index / columns);
    const y = row * rowHeight + offset;
    const x = (index % columns) * cellWidth;
    if (cell.y !== y || cell.x !== x) {
      cell.y = y;
      cell.x = x;
      cell.el.style.transform = `translate(${x}px, ${y}px)`;
    }
  }

  /** Draw what is in view. Reads only scrollTop (and the cached sizes): never the layout. */
  function render() {
    const count = total();
    if (!width || !count) {
      for (const [index, cell] of shown) {
        release(cell);
        shown.delete(index);
      }
      range = [0, -1];
      syncActiveDescendant();
      return;
    }
    const scrollTop = scroller.scrollTop;
    const top = toVirtual(scrollTop);
    // Cells sit at their listing position moved by how far the scaled scrollbar is from it.
    const offset = scrollTop - top;
    const margin = Math.max(rowHeight, viewHeight / 2);
    const firstRow = Math.max(0, Math.floor((top - margin) / rowHeight));
    const lastRow = Math.min(rows - 1, Math.floor((top + viewHeight + margin) / rowHeight));
    const first = firstRow * columns;
    const last = Math.min(count - 1, (lastRow + 1) * columns - 1);
    for (const [index, cell] of shown) {
      if (index < first || index > last) {
        release(cell);
        shown.delete(index);
      }
    }
    // The rows in view are asked for first; the margin's wait behind them on the six
    // connections a browser keeps per server.
    const firstInView = Math.floor(top / rowHeight) * columns;
    const lastInView = Math.floor((top + viewHeight) / rowHeight + 1) * columns - 1;
    for (let index = first; index <= last; index += 1) {
      let cell = shown.get(index);
      if (!cell) {
        cell = acquire();
        shown.set(index, cell);
      }
      if (cell.img) cell.img.fetchPriority = index >= firstInView && index <= lastInView ? "high" : "low";
      paint(cell, index);
      place(cell, index, offset);
    }
    // Spare cells beyond a couple of rows are dropped: a shrinking view must not keep a big pool.
    while (free.length > columns * 2) free.pop().el.remove();
    range = [first, last];
    syncActiveDescendant();
    // Pages for a screen more on each side, so a fling finds them loading or loaded.
    const screen = Math.max(columns, last - first + 1);
    const want = [Math.max(0, first - screen), Math.min(count - 1, last + screen)];
    if (!wanted || wanted[0] !== want[0] || wanted[1] !== want[1]) {
      wanted = want;
      list.ensure(want[0], want[1]);
    }
  }

  function syncActiveDescendant() {
    const cell = shown.get(focus);
    if (cell && cell.item) host.setAttribute("aria-activedescendant", cell.el.id);
    else host.removeAttribute("aria-activedescendant");
  }

  // --- moving around --------------------------------------------------------------------------

  /** Bring a photo's row into view: nothing moves if it is in view already. */
  function scrollToIndex(index, { center = false } = {}) {
    if (!width || index < 0 || index >= total()) return;
    const rowTop = Math.floor(index / columns) * rowHeight;
    const top = toVirtual(scroller.scrollTop);
    const above = rowTop < top;
    const below = rowTop + rowHeight > top + viewHeight;
    if (!above && !below) return;
    // A jump from afar (a link, the viewer closing) centres the photo; a step shows its row.
    let next = above ? rowTop : rowTop + rowHeight - viewHeight;
    if (center && (rowTop + rowHeight < top || rowTop > top + viewHeight)) next = rowTop - (viewHeight - rowHeight) / 2;
    scroller.scrollTop = Math.max(0, fromVirtual(Math.max(0, next)));
    render();
  }

  function setFocus(index, { scroll = true } = {}) {
    const count = total();
    if (!count) return;
    const next = Math.max(0, Math.min(count - 1, index));
    focus = next;
    selection.focus = next;
    if (selection.anchor < 0) selection.setAnchor(next);
    if (scroll) scrollToIndex(next);
    for (const [i, cell] of shown) paint(cell, i);
    syncActiveDescendant();
  }

  function focusIndex(index) {
    setFocus(index);
    host.focus({ preventScroll: true });
  }

  // --- pointer --------------------------------------------------------------------------------

  function cellIndexOf(event) {
    const el = event.target instanceof Element ? event.target.closest("[data-index]") : null;
    if (!el || !canvas.contains(el)) return -1;
    return Number(el.dataset.index);
  }

  canvas.addEventListener("mousedown", (event) => {
    // Shift-click extends the selection; it must not also select the captions' text.
    if (event.shiftKey && cellIndexOf(event) >= 0) event.preventDefault();
  });
  let lastPointer = "mouse";
  canvas.addEventListener("pointerdown", (event) => {
    lastPointer = event.pointerType;
  });
  canvas.addEventListener("click", (event) => {
    const index = cellIndexOf(event);
    const item = index >= 0 ? list.get(index) : undefined;
    if (!item) return;
    // On a touch screen a tap opens the photo, as in every phone gallery; while photos are
    // selected a tap adds or removes one instead.
    if (lastPointer === "touch" && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
      if (selection.size) selection.toggle(item.id, index);
      else ctx.openViewer(index);
      return;
    }
    if (event.shiftKey) {
      selection.extendTo(index, ctx.idsBetween);
    } else if (event.ctrlKey || event.metaKey) {
      selection.toggle(item.id, index);
    } else {
      selection.only(item.id, index);
    }
    focus = index;
    host.focus({ preventScroll: true });
    for (const [i, cell] of shown) paint(cell, i);
    syncActiveDescendant();
  });
  // A long press (the browser's context menu on touch) starts or extends a selection.
  canvas.addEventListener("contextmenu", (event) => {
    const index = cellIndexOf(event);
    const item = index >= 0 ? list.get(index) : undefined;
    if (!item || lastPointer !== "touch") return;
    event.preventDefault();
    selection.toggle(item.id, index);
    focus = index;
    for (const [i, cell] of shown) paint(cell, i);
  });
  canvas.addEventListener("dblclick", (event) => {
    const index = cellIndexOf(event);
    if (index >= 0 && list.get(index)) ctx.openViewer(index);
  });

  // --- keys -----------------------------------------------------------------------------------

  function rowsPerScreen() {
    return Math.max(1, Math.floor(viewHeight / rowHeight));
  }

  function moveBy(event) {
    const step = options.horizontal === false ? 0 : 1;
    switch (event.key) {
      case "ArrowLeft":
        return step ? -1 : null;
      case "ArrowRight":
        return step ? 1 : null;
      case "ArrowUp":
        return -columns;
      case "ArrowDown":
        return columns;
      case "PageUp":
        return -columns * rowsPerScreen();
      case "PageDown":
        return columns * rowsPerScreen();
      case "Home":
        return -Infinity;
      case "End":
        return Infinity;
      default:
        return null;
    }
  }

  function targetIds() {
    if (selection.size) return selection.list();
    const item = focus >= 0 ? list.get(focus) : undefined;
    return item ? [item.id] : [];
  }

  // `?` lists every key of the grid (and the culling keys, which act on the selection).
  let help = null;
  function showHelp() {
    if (!help) {
      const close = () => {
        help.close();
        host.focus({ preventScroll: true });
      };
      help = createKeyHelp({ scope: "grid", onClose: close });
      help.element.addEventListener("keydown", (event) => {
        if (event.key === "Escape" || event.key === "?") {
          event.preventDefault();
          event.stopPropagation();
          close();
        }
      });
      document.body.append(help.element);
    }
    help.open();
  }

  host.addEventListener("keydown", (event) => {
    if (event.target !== host || !total()) return;
    const handled = () => {
      event.preventDefault();
      event.stopPropagation();
    };
    const delta = event.ctrlKey || event.metaKey || event.altKey ? null : moveBy(event);
    if (delta !== null) {
      handled();
      const from = focus < 0 ? firstVisible() : focus;
      let next = delta === Infinity ? total() - 1 : delta === -Infinity ? 0 : from + delta;
      if (focus < 0) next = from; // the first arrow shows where the focus is
      next = Math.max(0, Math.min(total() - 1, next));
      if (event.shiftKey) {
        if (selection.anchor < 0) selection.setAnchor(from);
        setFocus(next);
        selection.extendTo(next, ctx.idsBetween);
      } else {
        // A range started from here extends what is selected now.
        selection.setAnchor(next);
        setFocus(next);
      }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "a") {
      handled();
      ctx.selectAll();
      return;
    }
    if (event.key === "?") {
      handled();
      showHelp();
      return;
    }
    if (event.key === "Escape") {
      if (!selection.size) return;
      handled();
      selection.clear();
      return;
    }
    if (event.key === "Enter") {
      handled();
      const index = focus >= 0 ? focus : firstVisible();
      if (list.get(index)) ctx.openViewer(index);
      return;
    }
    if (event.key === " " && !event.ctrlKey && !event.metaKey && !event.altKey) {
      handled();
      const index = focus >= 0 ? focus : firstVisible();
      const item = list.get(index);
      if (item) {
        focus = index;
        selection.toggle(item.id, index);
      }
      return;
    }
    const action = cullingAction(event);
    if (action) {
      const ids = targetIds();
      if (!ids.length) return;
      handled();
      action.run(list, ids);
    }
  });

  host.addEventListener("focus", () => {
    // Arriving by Tab: a visible focus cell at once (the one last used, or the first in view).
    if (focus < 0 && total()) setFocus(firstVisible(), { scroll: false });
  });

  // --- wiring ---------------------------------------------------------------------------------

  scroller.addEventListener("scroll", render, { passive: true });
  const resizer = new ResizeObserver(() => {
    const keep = width ? firstVisible() : -1;
    const nextWidth = scroller.clientWidth;
    const nextHeight = scroller.clientHeight;
    const widthChanged = nextWidth !== width;
    width = nextWidth;
    viewHeight = nextHeight;
    if (widthChanged) {
      layout();
      if (keep > 0) scroller.scrollTop = fromVirtual(Math.floor(keep / columns) * rowHeight);
    }
    render();
  });
  resizer.observe(scroller);

  const offList = list.subscribe((change) => {
    if (change.type === "total") layout();
    if (change.type === "total" || change.type === "items") render();
  });
  const offSelection = selection.subscribe(() => {
    if (selection.focus >= 0 && selection.focus < total()) focus = selection.focus;
    for (const [index, cell] of shown) paint(cell, index);
    syncActiveDescendant();
  });

  return {
    scroller,
    canvas,
    host,
    refresh() {
      layout();
      render();
    },
    scrollToIndex(index) {
      scrollToIndex(index, { center: true });
    },
    focusIndex,
    setSize(next) {
      if (next === size) return;
      const keep = width ? firstVisible() : -1;
      size = next;
      layout();
      if (keep >= 0) scroller.scrollTop = fromVirtual(Math.floor(keep / columns) * rowHeight);
      render();
    },
    /** Draw every cell in view again (a change the list did not announce). */
    repaint() {
      for (const cell of shown.values()) cell.item = undefined;
      render();
    },
    destroy() {
      help?.element.remove();
      resizer.disconnect();
      offList();
      offSelection();
      for (const cell of shown.values()) options.release(cell);
      shown.clear();
    },
  };
}

// --- the grid's cells ---------------------------------------------------------------------------

// Nominal cell widths per size; the row's cells stretch to fill the width exactly. Narrow screens
// get smaller cells so a phone shows two columns at the default size.
const CELL_WIDTH = { s: 150, m: 220, l: 330 };
const NARROW_CELL_WIDTH = { s: 110, m: 165, l: 330 };
const NARROW = 600;
const CAPTION = 44;

function gridLayout(width, size) {
  const nominal = (width < NARROW ? NARROW_CELL_WIDTH : CELL_WIDTH)[size] ?? CELL_WIDTH.m;
  const columns = Math.max(1, Math.floor(width / nominal));
  const cellWidth = Math.floor((width / columns) * 100) / 100; // never wider than the row in sum
  return { columns, cellWidth, rowHeight: Math.round(cellWidth) + CAPTION };
}

/** A thumbnail: painted placeholder first, the image over it; fade only for a late arrival. */
export function showThumbnail(cell, item, list) {
  const { img, frame } = cell;
  const samePhoto = cell.photoId === item.id;
  const placeholder = placeholderUrl(item);
  if (!samePhoto || cell.placeholder !== placeholder) {
    cell.placeholder = placeholder;
    frame.style.backgroundImage = placeholder ? `url("${placeholder}")` : "";
  }
  img.alt = item.basename;
  // Not made yet (the item event brings it) or not makeable: nothing to ask the server for.
  const makeable = item.thumbnail_status !== "pending" && item.thumbnail_status !== "failed";
  const wanted = makeable ? list.assetUrl(item, "thumbnail") : null;
  if (wanted === cell.src && samePhoto) return;
  const swap = samePhoto && cell.src && wanted;
  cell.photoId = item.id;
  cell.src = wanted;
  if (!wanted) {
    img.removeAttribute("src");
    cell.el.classList.add("is-loading");
    return;
  }
  // Another version of the same photo: the old image stays until the new one is decoded.
  if (!swap) cell.el.classList.add("is-loading");
  img.src = wanted;
  if (img.complete && img.naturalWidth) cell.el.classList.remove("is-loading");
}

export function stopThumbnail(cell) {
  // Clearing src aborts the request, so the cells in view are not queued behind gone ones.
  cell.img.removeAttribute("src");
  cell.src = null;
  cell.photoId = null;
  cell.placeholder = null;
  cell.frame.style.backgroundImage = "";
  cell.el.classList.add("is-loading");
}

export function thumbnailParts(className) {
  // Eager: the pool already holds only what is in view or next to it, and the browser's lazy
  // loading would hold back the margin rows (clipped by the scroller) until they are on screen.
  const img = h("img", { alt: "", decoding: "async", loading: "eager", draggable: "false" });
  const frame = h("div", { class: className }, img);
  return { img, frame };
}

function createGridCell() {
  const { img, frame } = thumbnailParts("cell-frame");
  const name = h("span", { class: "cell-name" });
  const marks = h("span", { class: "cell-marks" });
  const el = h(
    "div",
    { class: "cell is-loading", role: "option", "aria-selected": "false" },
    frame,
    h("div", { class: "cell-caption" }, name, " ", marks),
  );
  const cell = { el, img, frame, name, marks, index: -1 };
  img.addEventListener("load", () => el.classList.remove("is-loading"));
  img.addEventListener("error", () => {
    // Keep the placeholder rather than a broken-image icon; the badge says what is known.
    if (img.getAttribute("src")) el.classList.add("is-loading");
  });
  return cell;
}

function renderGridCell(cell, item, index, list) {
  showThumbnail(cell, item, list);
  cell.name.textContent = item.basename;
  cell.name.title = item.basename;
  cell.marks.replaceChildren(...captionMarks(item));
  cell.el.setAttribute("aria-label", describe(item));
  cell.el.classList.toggle("is-rejected", item.pick === "rejected");
}

function clearGridCell(cell) {
  stopThumbnail(cell);
  cell.name.textContent = "";
  cell.name.removeAttribute("title");
  cell.marks.replaceChildren();
  cell.el.setAttribute("aria-label", "Loading");
  cell.el.classList.remove("is-rejected");
}

export function createGrid(ctx) {
  const core = createCollection(ctx, {
    layout: gridLayout,
    createCell: createGridCell,
    renderCell: renderGridCell,
    clearCell: clearGridCell,
    release: stopThumbnail,
    scrollClass: "photo-grid",
    scrollerAttrs: {
      role: "listbox",
      "aria-label": "Photos",
      "aria-multiselectable": "true",
      "aria-orientation": "horizontal",
    },
  });
  const element = core.scroller;
  element.dataset.size = ctx.size;
  return {
    element,
    refresh: core.refresh,
    scrollToIndex: core.scrollToIndex,
    focusIndex: core.focusIndex,
    setSize(size) {
      element.dataset.size = size;
      core.setSize(size);
    },
    destroy: core.destroy,
  };
}
