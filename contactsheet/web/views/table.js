// The photo table: the grid's data source, virtualization, selection and keys (the engine in
// grid.js), drawn as rows of metadata. Headers of the API's sorts set the sort in the address.

import { h } from "../lib/dom.js";
import * as format from "../lib/format.js";
import * as route from "../lib/route.js";
import { keepState } from "../model/culling.js";
import { derivativeElement, formats, pickElement, starsText } from "./cells.js";
import { createCollection, showThumbnail, stopThumbnail, thumbnailParts } from "./grid.js";

const ROW_HEIGHT = 52;

// key: the column; sort: the API's sort it orders by; firstDir: the direction a first click picks.
const COLUMNS = [
  { key: "thumb", label: "Thumbnail", hiddenLabel: true },
  { key: "name", label: "File name", sort: "filename", firstDir: "asc" },
  { key: "taken", label: "Date taken", sort: "taken_at", firstDir: "desc" },
  { key: "camera", label: "Camera" },
  { key: "lens", label: "Lens" },
  { key: "exposure", label: "Exposure" },
  { key: "size", label: "Size", sort: "size", firstDir: "desc" },
  { key: "rating", label: "Rating", sort: "rating", firstDir: "desc" },
  { key: "pick", label: "Flag" },
  { key: "keep", label: "Keep" },
  { key: "state", label: "State", title: "Thumbnail state: pending, failed or made with a warning" },
];

function currentSort(params) {
  return { sort: params.get("sort") || "taken_at", dir: params.get("dir") || "desc" };
}

/** Null for the defaults (taken_at, desc), as the sort menu sends them: one address per state. */
function sortTo(sort, dir) {
  route.setParams({ sort: sort === "taken_at" ? null : sort, dir: dir === "desc" ? null : dir });
}

function headerRow(params) {
  const { sort, dir } = currentSort(params);
  return h(
    "div",
    { class: "table-row table-head-row", role: "row", "aria-rowindex": "1" },
    COLUMNS.map((column) => {
      const active = column.sort === sort;
      const ariaSort = column.sort ? (active ? (dir === "asc" ? "ascending" : "descending") : "none") : null;
      let content = column.label;
      if (column.hiddenLabel) content = h("span", { class: "visually-hidden" }, column.label);
      if (column.sort) {
        const nextDir = active ? (dir === "asc" ? "desc" : "asc") : column.firstDir;
        content = h(
          "button",
          {
            type: "button",
            class: "sort-button",
            dataset: { sort: column.sort },
            title: `Sort by ${column.label.toLowerCase()}, ${nextDir === "asc" ? "ascending" : "descending"}`,
            onclick: () => sortTo(column.sort, nextDir),
          },
          column.label,
          h("span", { class: "sort-arrow", "aria-hidden": "true" }, active ? (dir === "asc" ? "▲" : "▼") : ""),
        );
      }
      return h(
        "div",
        { class: `table-cell col-${column.key}`, role: "columnheader", "aria-sort": ariaSort, title: column.title },
        content,
      );
    }),
  );
}

function exposureText(metadata) {
  if (!metadata) return "";
  return [
    format.exposure(metadata.exposure_time),
    format.aperture(metadata.f_number),
    metadata.iso ? `ISO ${metadata.iso}` : "",
    format.focal(metadata.focal_length),
  ]
    .filter(Boolean)
    .join(" · ");
}

function createRow() {
  const { img, frame } = thumbnailParts("table-thumb");
  const cells = {};
  const el = h(
    "div",
    { class: "table-row is-loading", role: "row", "aria-selected": "false" },
    COLUMNS.map((column) => {
      const cell = h(
        "div",
        { class: `table-cell col-${column.key}`, role: "gridcell" },
        column.key === "thumb" ? frame : null,
      );
      cells[column.key] = cell;
      return cell;
    }),
  );
  img.addEventListener("load", () => el.classList.remove("is-loading"));
  img.addEventListener("error", () => {
    if (img.getAttribute("src")) el.classList.add("is-loading");
  });
  return { el, img, frame, cells, index: -1 };
}

function text(cell, value) {
  cell.textContent = value ?? "";
  if (value) cell.title = value;
  else cell.removeAttribute("title");
}

function renderRow(row, item, index, list) {
  showThumbnail(row, item, list);
  const { cells } = row;
  const metadata = item.metadata ?? {};
  text(cells.name, item.basename);
  text(cells.taken, format.takenAt(item));
  text(cells.camera, format.camera(item));
  text(cells.lens, metadata.lens ?? "");
  text(cells.exposure, exposureText(metadata));
  text(cells.size, format.bytes(item.file_size));
  cells.rating.replaceChildren(
    ...(item.rating
      ? [
          h("span", { "aria-hidden": "true" }, starsText(item.rating)),
          h("span", { class: "visually-hidden" }, `${item.rating} star${item.rating > 1 ? "s" : ""}`),
        ]
      : []),
  );
  cells.pick.replaceChildren(pickElement(item.pick) ?? "");
  // What the photo has, unless the next commit deletes some of it: then what it keeps.
  const keep = keepState(item);
  cells.keep.replaceChildren(
    keep.pending
      ? h(
          "span",
          {
            class: keep.state === "discard" ? "keep-text keep-discard" : "keep-text keep-pending",
            title: `${keep.label} at the next commit`,
          },
          keep.label,
        )
      : formats(item).join(" + "),
  );
  cells.state.replaceChildren(derivativeElement(item) ?? "");
  row.el.classList.toggle("is-rejected", item.pick === "rejected");
}

function clearRow(row) {
  stopThumbnail(row);
  for (const [key, cell] of Object.entries(row.cells)) {
    if (key !== "thumb") cell.replaceChildren();
  }
  row.el.classList.remove("is-rejected");
}

export function createTable(ctx) {
  const head = h("div", { class: "table-head", role: "rowgroup" });
  const element = h("div", {
    class: "photo-table",
    role: "grid",
    "aria-label": "Photos",
    "aria-multiselectable": "true",
  });
  const core = createCollection(ctx, {
    layout: (width) => ({ columns: 1, cellWidth: width, rowHeight: ROW_HEIGHT }),
    createCell: createRow,
    renderCell: renderRow,
    clearCell: clearRow,
    release: stopThumbnail,
    host: element,
    horizontal: false,
    positionAttr: "aria-rowindex",
    rowIndexOffset: 1,
    scrollClass: "table-body",
    scrollerAttrs: { role: "rowgroup" },
  });
  element.append(head, core.scroller);

  function renderHead() {
    head.replaceChildren(headerRow(ctx.params));
    element.setAttribute("aria-rowcount", String((ctx.list?.total ?? 0) + 1));
  }
  renderHead();
  const offRoute = route.onChange(renderHead);
  const offList = ctx.list.subscribe((change) => {
    if (change.type === "total") renderHead();
  });

  return {
    element,
    refresh() {
      renderHead();
      core.refresh();
    },
    scrollToIndex: core.scrollToIndex,
    focusIndex: core.focusIndex,
    setSize() {},
    destroy() {
      offRoute();
      offList();
      core.destroy();
    },
  };
}
