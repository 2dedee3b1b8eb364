// Scaffold: replaced by the real trash page.
import { fill, h } from "../lib/dom.js";

export function mountTrash(container) {
  fill(container, h("h1", {}, "Trash"));
  return { destroy() {} };
}
