// Downloading photos as one zip. The browser streams the answer to disk only when it navigates
// to it, so the ids go in a form post rather than a fetch (whose blob would hold the whole zip in
// memory). The form targets a hidden frame of its own: a refusal then lands there instead of
// replacing the app, and is said in words.

import { api, request } from "./api.js";
import { h } from "./dom.js";
import { describe, notify } from "./notices.js";

const ZIP_PATH = "/api/photos/download-zip";
// Once the answer's headers are in, the download belongs to the browser and the frame can go.
const FRAME_LIFETIME_MS = 120_000;
let counter = 0;

function reasonIn(text) {
  try {
    const error = JSON.parse(text).error;
    return typeof error === "string" ? error : error?.message || text;
  } catch {
    return text || "the server did not send the zip";
  }
}

/**
 * Why the zip was refused, when the frame cannot tell: every answer forbids being framed, so the
 * browser shows its own error page there instead of the server's words. The same request is
 * made again as JSON and dropped as soon as its status is known, without reading a zip.
 */
async function askWhy(photoIds, files) {
  const controller = new AbortController();
  try {
    await request("POST", ZIP_PATH, { body: { photo_ids: photoIds, files }, signal: controller.signal, raw: true });
    controller.abort();
    return "the server did not send it; try again";
  } catch (error) {
    return describe(error);
  }
}

/** Download the photos' files (`files`: "all", "jpg" or "raw") as one zip. */
export async function downloadZip(photoIds, files = "all") {
  // A form post cannot renew an expired session the way api.js does; this request does first.
  await api.get("/api/auth/session");
  counter += 1;
  const name = `download-frame-${counter}`;
  const frame = h("iframe", { name, class: "download-frame", title: "Download", hidden: true, tabindex: "-1" });
  const form = h(
    "form",
    { method: "post", action: ZIP_PATH, target: name, hidden: true },
    h("input", { type: "hidden", name: "photo_ids", value: photoIds.join(",") }),
    h("input", { type: "hidden", name: "files", value: files }),
  );
  document.body.append(frame, form);
  // A download never loads the frame; an answer that is not a zip does.
  frame.addEventListener("load", async () => {
    let text = null;
    try {
      if (frame.contentWindow.location.href === "about:blank") return;
      text = frame.contentDocument?.body?.textContent ?? "";
    } catch {
      // The browser's error page, which the page may not read.
    }
    frame.remove();
    const reason = text === null ? await askWhy(photoIds, files) : reasonIn(text);
    notify(`The download did not start: ${reason}`, { kind: "error" });
  });
  form.submit();
  form.remove();
  setTimeout(() => frame.remove(), FRAME_LIFETIME_MS);
}
