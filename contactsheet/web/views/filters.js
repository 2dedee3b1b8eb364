// Sort, view and filters, read from and written to the address: a reload or a pasted link shows
// the same photos in the same order.

import { fill, h } from "../lib/dom.js";
import * as route from "../lib/route.js";

export const SORTS = [
  ["taken_at", "Date taken"],
  ["filename", "File name"],
  ["size", "File size"],
  ["rating", "Rating"],
];

const FILTERS = [
  {
    key: "file_type",
    label: "File type",
    options: [
      ["jpg", "JPG only"],
      ["raw", "RAW only"],
      ["jpg+raw", "RAW + JPG"],
      ["other", "PNG, TIFF, HEIC, WebP"],
    ],
  },
  {
    key: "keep_type",
    label: "Keep",
    options: [
      ["any_kept", "Something kept"],
      ["keep_jpg", "JPG kept"],
      ["keep_raw", "RAW kept"],
      ["none", "Nothing kept"],
      ["pending_delete", "Deletion pending"],
    ],
  },
  {
    key: "orientation",
    label: "Orientation",
    options: [
      ["landscape", "Landscape"],
      ["portrait", "Portrait"],
      ["square", "Square"],
    ],
  },
  {
    key: "rating_min",
    label: "Rating",
    options: [1, 2, 3, 4, 5].map((n) => [String(n), `${"★".repeat(n)} or more`]),
  },
  {
    key: "pick",
    label: "Flag",
    options: [
      ["picked", "Picked"],
      ["rejected", "Rejected"],
      ["unflagged", "Unflagged"],
    ],
  },
  {
    key: "visibility",
    label: "Visibility",
    options: [
      ["private", "Private"],
      ["public", "Public"],
    ],
  },
];

let serial = 0;

function select(key, label, options, value, { anyLabel = "Any" } = {}) {
  serial += 1;
  const id = `filter-${key}-${serial}`;
  const element = h(
    "select",
    { id, name: key, dataset: { param: key } },
    anyLabel === null ? null : h("option", { value: "" }, anyLabel),
    options.map(([optionValue, text]) =>
      h("option", { value: optionValue, selected: optionValue === value }, text),
    ),
  );
  return h("div", { class: "field" }, h("label", { for: id }, label), element);
}

/** A day in the date inputs as the API's instant: the start of that day, or the end for `to`. */
function dayToInstant(day, end) {
  if (!day) return null;
  const moment = new Date(`${day}T00:00:00`);
  if (end) moment.setDate(moment.getDate() + 1);
  return moment.toISOString().replace(".000Z", "Z");
}

function instantToDay(instant, end) {
  if (!instant) return "";
  const moment = new Date(instant);
  if (Number.isNaN(moment.getTime())) return "";
  if (end) moment.setDate(moment.getDate() - 1);
  const pad = (n) => String(n).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
}

/** The filter panel's controls; every change is a new address (so Back undoes it). */
export function createFilterPanel() {
  const element = h("form", { class: "filter-panel", "aria-label": "Filters", id: "filters" });
  let tags = [];
  let shown = new URLSearchParams();
  const render = (params) => {
    shown = params;
    const from = h("input", {
      type: "date",
      id: "filter-date-from",
      value: instantToDay(params.get("date_from"), false),
      dataset: { param: "date_from" },
    });
    const to = h("input", {
      type: "date",
      id: "filter-date-to",
      value: instantToDay(params.get("date_to"), true),
      dataset: { param: "date_to" },
    });
    const tagInput = h("input", {
      type: "text",
      id: "filter-tags",
      list: "filter-tag-names",
      placeholder: "e.g. ceremony, family",
      value: params.get("tags") ?? "",
      dataset: { param: "tags" },
    });
    fill(
      element,
      FILTERS.map((filter) => select(filter.key, filter.label, filter.options, params.get(filter.key))),
      h("div", { class: "field" }, h("label", { for: from.id }, "Taken from"), from),
      h("div", { class: "field" }, h("label", { for: to.id }, "Taken until"), to),
      h("div", { class: "field" }, h("label", { for: tagInput.id }, "Tags"), tagInput),
      select("tags_mode", "Tags match", [["any", "any of them"], ["all", "all of them"]], params.get("tags_mode"), {
        anyLabel: null,
      }),
      h("datalist", { id: "filter-tag-names" }, tags.map((tag) => h("option", { value: tag.name }))),
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          onclick: () =>
            route.setParams(
              Object.fromEntries(
                [...FILTERS.map((f) => f.key), "date_from", "date_to", "tags", "tags_mode"].map((k) => [k, null]),
              ),
            ),
        },
        "Clear filters",
      ),
    );
  };
  element.addEventListener("change", (event) => {
    const param = event.target.dataset?.param;
    if (!param) return;
    let value = event.target.value;
    if (param === "date_from") value = dayToInstant(value, false);
    if (param === "date_to") value = dayToInstant(value, true);
    if (param === "tags") value = value.split(",").map((t) => t.trim()).filter(Boolean).join(",");
    route.setParams({ [param]: value || null });
  });
  element.addEventListener("submit", (event) => event.preventDefault());
  const setTags = (names) => {
    tags = names;
    render(shown);
  };
  return { element, render, setTags };
}

/** How many filters are on, for the button that shows the panel. */
export function activeFilterCount(params) {
  const keys = [...FILTERS.map((f) => f.key), "date_from", "date_to", "tags"];
  return keys.filter((key) => params.get(key)).length;
}

export function sortSelect(params) {
  const sort = params.get("sort") ?? "taken_at";
  const dir = params.get("dir") ?? "desc";
  const value = `${sort}:${dir}`;
  const options = SORTS.flatMap(([key, label]) => [
    [`${key}:desc`, `${label}, ${key === "filename" ? "Z–A" : key === "taken_at" ? "newest first" : "highest first"}`],
    [`${key}:asc`, `${label}, ${key === "filename" ? "A–Z" : key === "taken_at" ? "oldest first" : "lowest first"}`],
  ]);
  const element = h(
    "select",
    { id: "sort", "aria-label": "Sort" },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
  );
  element.addEventListener("change", () => {
    const [nextSort, nextDir] = element.value.split(":");
    route.setParams({ sort: nextSort === "taken_at" ? null : nextSort, dir: nextDir === "desc" ? null : nextDir });
  });
  return element;
}
