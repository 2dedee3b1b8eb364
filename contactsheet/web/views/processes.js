// Scaffold: replaced by the real processes panel.
import { h } from "../lib/dom.js";

export function createProcesses() {
  return {
    button: h("button", { type: "button" }, "Processes"),
    panel: h("aside", { hidden: true }),
    destroy() {},
  };
}
