// Scaffold: replaced by the real upload.
import { h } from "../lib/dom.js";

export function createUpload() {
  return { button: h("button", { type: "button" }, "Upload"), destroy() {} };
}
