// What a grid cell and a table row show of one photo besides its thumbnail: stars, flag, file
// badges, keep state and the state of its derivatives. Flat markup (a few spans per photo) so a
// screen of cells stays far below the DOM budget; every text from the server goes in as text.

import { h, icon } from "../lib/dom.js";
import { keepState } from "../model/culling.js";

const FAILED_FALLBACK = "the decoder could not read this file";

/** The file formats a photo has, as badges read them: JPG, RAW, and other formats by extension. */
export function formats(item) {
  const out = [];
  if (item.jpg_available) out.push("JPG");
  if (item.raw_available) out.push("RAW");
  if (item.other_available) {
    const jpgLike = /\.(jpe?g)$/i;
    const image = /\.(png|webp|tiff?|heic|heif|avif|gif)$/i;
    const other = (item.filenames ?? []).find((name) => !jpgLike.test(name) && image.test(name));
    out.push(other ? other.split(".").pop().toUpperCase() : "IMG");
  }
  return out;
}

export function starsText(rating) {
  return rating > 0 ? "★".repeat(rating) : "";
}

export function starsElement(rating) {
  if (!rating) return null;
  return h("span", { class: "stars", title: `${rating} star${rating > 1 ? "s" : ""}` }, starsText(rating));
}

export function pickElement(pick) {
  if (pick === "picked") {
    return h("span", { class: "pick pick-picked", title: "Picked" }, icon("flag"));
  }
  if (pick === "rejected") {
    return h("span", { class: "pick pick-rejected", title: "Rejected" }, icon("reject"));
  }
  return null;
}

/**
 * The keep state worth a badge: only when the next commit deletes something (what the photo
 * keeps is otherwise what its file badges already say). Discarding everything is red.
 */
export function keepElement(item, { always = false } = {}) {
  const keep = keepState(item);
  if (!keep.pending && !always) return null;
  let cls = "badge keep";
  if (keep.state === "discard") cls = "badge badge-error keep-discard";
  else if (keep.pending) cls = "badge badge-warning keep-pending";
  const title = keep.pending ? `${keep.label}: the other files are deleted at the next commit` : keep.label;
  return h("span", { class: cls, title }, keep.label);
}

/** The truth about the thumbnail: not made yet, could not be made (and why), made with a warning. */
export function derivativeState(item) {
  if (item.thumbnail_status === "pending") {
    return { kind: "pending", label: "pending", title: "The thumbnail is not made yet" };
  }
  if (item.thumbnail_status === "failed") {
    return {
      kind: "failed",
      label: "failed",
      title: `No thumbnail: ${item.derivative_error || item.derivative_warning || FAILED_FALLBACK}`,
    };
  }
  if (item.derivative_warning) {
    return { kind: "warning", label: "warning", title: item.derivative_warning };
  }
  return null;
}

export function derivativeElement(item) {
  const state = derivativeState(item);
  if (!state) return null;
  const cls = {
    pending: "badge badge-pending",
    failed: "badge badge-error badge-failed",
    warning: "badge badge-warning badge-derivative-warning",
  }[state.kind];
  const label = state.kind === "warning" ? "!" : state.label;
  return h("span", { class: cls, title: state.title, dataset: { derivative: state.kind } }, label);
}

/** The marks of a grid cell's caption, in reading order, with spaces between (text read as a
 * whole, as the accessible-name checks do, must not run words together). */
export function captionMarks(item) {
  const marks = [
    starsElement(item.rating),
    pickElement(item.pick),
    ...formats(item).map((label) => h("span", { class: "badge badge-format" }, label)),
    keepElement(item),
    derivativeElement(item),
  ].filter(Boolean);
  return marks.flatMap((mark, i) => (i ? [" ", mark] : [mark]));
}

/**
 * A cell's accessible name: first its visible text in reading order (a label must contain what is
 * seen), then what the marks mean in words (stars, flag, why a thumbnail is missing).
 */
export function describe(item) {
  const keep = keepState(item);
  const state = derivativeState(item);
  const seen = [
    item.basename,
    starsText(item.rating),
    ...formats(item),
    keep.pending ? keep.label : null,
    state && state.kind !== "warning" ? state.label : null,
  ];
  const meant = [];
  if (item.rating) meant.push(`${item.rating} star${item.rating > 1 ? "s" : ""}`);
  if (item.pick === "picked") meant.push("picked");
  if (item.pick === "rejected") meant.push("rejected");
  if (state) meant.push(state.kind === "warning" ? `warning: ${state.title}` : state.title);
  return [seen.filter(Boolean).join(" "), ...meant].join(", ");
}
