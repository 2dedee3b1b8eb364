// Scaffold: replaced by the real commit bar.
import { h } from "../lib/dom.js";

export function createCommitBar() {
  return { element: h("div", { class: "commit-bar", hidden: true }), destroy() {} };
}
