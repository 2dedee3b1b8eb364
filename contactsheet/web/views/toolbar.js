// Scaffold: replaced by the real toolbar.
import { h } from "../lib/dom.js";

export function createToolbar() {
  return { element: h("div", { class: "toolbar", hidden: true }), destroy() {} };
}
