// The viewer's information panel (`i`): what the camera recorded and what the catalogue knows
// about the open photo's files, as a list of labelled facts. Facts the photo lacks are left out
// rather than shown empty, so the panel stays short on a phone.

import { fill, h, iconButton } from "../lib/dom.js";
import { aperture, bytes, camera, exposure, focal, takenAt } from "../lib/format.js";

function coordinate(value, positive, negative) {
  return `${Math.abs(value).toFixed(5)}° ${value < 0 ? negative : positive}`;
}

/** [label, value] pairs for one photo; a value is text or nodes, empty ones are dropped. */
export function exifFacts(item) {
  const meta = item.metadata ?? {};
  const gps = meta.gps;
  const facts = [
    ["Camera", camera(item)],
    ["Lens", meta.lens ?? ""],
    ["Exposure", exposure(meta.exposure_time)],
    ["Aperture", aperture(meta.f_number)],
    ["ISO", meta.iso ? String(meta.iso) : ""],
    ["Focal length", focal(meta.focal_length)],
    ["Taken", takenAt(item)],
    ["Dimensions", item.width && item.height ? `${item.width} × ${item.height} px` : ""],
    ["File size", bytes(item.file_size)],
    [
      item.filenames?.length > 1 ? "Files" : "File",
      (item.filenames ?? []).map((name) => h("span", { class: "exif-file" }, name)),
    ],
    [
      "Location",
      gps ? `${coordinate(gps[0], "N", "S")}, ${coordinate(gps[1], "E", "W")}` : "",
    ],
    ["Tags", item.tags?.length ? item.tags.join(", ") : ""],
  ];
  return facts.filter(([, value]) => (Array.isArray(value) ? value.length : value));
}

/** What was wrong with the photo's derivatives, in words, or null. */
function derivativeProblem(item) {
  if (item.preview_status === "failed" || item.thumbnail_status === "failed") {
    return `The preview could not be made${item.derivative_error ? `: ${item.derivative_error}` : "."}`;
  }
  return item.derivative_warning ? `Shown despite a problem with the file: ${item.derivative_warning}` : null;
}

export function createExifPanel({ onClose }) {
  const list = h("dl", { class: "exif-list" });
  const warning = h("p", { class: "exif-warning", role: "note", hidden: true });
  const element = h(
    "aside",
    { class: "viewer-info", "aria-label": "Photo information", hidden: true },
    h(
      "div",
      { class: "viewer-info-head" },
      h("h2", {}, "Information"),
      iconButton("close", "Hide the information (i)", onClose),
    ),
    warning,
    list,
  );

  return {
    element,
    get isOpen() {
      return !element.hidden;
    },
    setOpen(open) {
      element.hidden = !open;
    },
    render(item) {
      if (!item) {
        fill(list);
        warning.hidden = true;
        return;
      }
      fill(
        list,
        exifFacts(item).map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
      );
      const problem = derivativeProblem(item);
      warning.hidden = !problem;
      warning.textContent = problem ?? "";
    },
  };
}
