// The viewer header's decisions about the open photo: stars, pick and reject as buttons (a phone
// culls by touch), what it keeps at the next commit, and which formats it has.

import { h, icon } from "../lib/dom.js";
import { keepState, setPick, setRating } from "../model/culling.js";

const OTHER_FORMATS = ["png", "webp", "tif", "tiff", "heic", "heif", "avif", "gif", "bmp"];

function formatBadges(item) {
  const badges = [];
  if (item.jpg_available) badges.push("JPG");
  if (item.other_available) {
    const other = (item.filenames ?? [])
      .map((name) => name.split(".").pop().toLowerCase())
      .find((ext) => OTHER_FORMATS.includes(ext));
    badges.push(other ? other.toUpperCase() : "IMG");
  }
  if (item.raw_available) badges.push("RAW");
  return badges;
}

/** The header's controls and badges for `item`. */
export function viewerFacts(list, item) {
  const rating = item.rating ?? 0;
  const keep = keepState(item);
  const stars = h(
    "div",
    { class: "viewer-stars", role: "group", "aria-label": `Rating: ${rating} of 5 stars` },
    [1, 2, 3, 4, 5].map((n) =>
      h(
        "button",
        {
          type: "button",
          class: `viewer-star${n <= rating ? " on" : ""}`,
          "aria-label": `Rate ${n} star${n > 1 ? "s" : ""}`,
          "aria-pressed": String(n === rating),
          title: `${n} star${n > 1 ? "s" : ""} (${n})`,
          onclick: () => setRating(list, [item.id], n === rating ? 0 : n),
        },
        icon("star"),
      ),
    ),
  );
  const picked = item.pick === "picked";
  const rejected = item.pick === "rejected";
  return [
    stars,
    h(
      "button",
      {
        type: "button",
        class: `viewer-flag viewer-pick${picked ? " on" : ""}`,
        "aria-pressed": String(picked),
        "aria-label": "Picked",
        title: "Pick (p)",
        onclick: () => setPick(list, [item.id], picked ? "unflagged" : "picked"),
      },
      icon("flag"),
    ),
    h(
      "button",
      {
        type: "button",
        class: `viewer-flag viewer-reject${rejected ? " on" : ""}`,
        "aria-pressed": String(rejected),
        "aria-label": "Rejected",
        title: "Reject (x)",
        onclick: () => setPick(list, [item.id], rejected ? "unflagged" : "rejected"),
      },
      icon("reject"),
    ),
    h(
      "span",
      {
        class: `badge viewer-keep keep-${keep.state}${keep.pending ? " pending" : ""}`,
        title: keep.pending ? "Files are removed at the next commit" : "Every file is kept",
        dataset: { keep: keep.state },
      },
      // "Keep JPG", not a bare "JPG" beside the format badges, which say what the photo has.
      keep.state === "discard" ? keep.label : `Keep ${keep.label}`,
    ),
    formatBadges(item).map((text) => h("span", { class: "badge viewer-format" }, text)),
  ];
}
