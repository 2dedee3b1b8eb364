// The `?` overlay: every key the viewer and the grid answer to. The culling keys come from the
// one table that runs them (cullkeys.js), so the help can never list a key that does nothing.

import { h, iconButton } from "../lib/dom.js";
import { CULLING_KEYS } from "./cullkeys.js";

export const VIEWER_KEYS = [
  { keys: ["ArrowRight"], label: "Next photo (or swipe left)" },
  { keys: ["ArrowLeft"], label: "Previous photo (or swipe right)" },
  { keys: ["Home", "End"], label: "First / last photo" },
  { keys: ["z"], label: "Toggle fit and 100 % (or click the photo; drag to pan)" },
  { keys: ["i"], label: "Show or hide the information" },
  { keys: ["CapsLock"], label: "While on, a keep, pick or reject goes to the next photo" },
  { keys: ["?"], label: "Show or hide this help" },
  { keys: ["Escape"], label: "Close the help, then the viewer" },
];

export const GRID_KEYS = [
  { keys: ["Arrows"], label: "Move the focus" },
  { keys: ["Shift+Arrows"], label: "Extend the selection" },
  { keys: ["Enter"], label: "Open the focused photo" },
  { keys: ["Ctrl/Cmd+A"], label: "Select all matching photos" },
  { keys: ["Escape"], label: "Clear the selection" },
];

const KEY_NAMES = {
  ArrowRight: "→",
  ArrowLeft: "←",
  Escape: "Esc",
  Delete: "Delete",
  Backspace: "Backspace",
  CapsLock: "Caps Lock",
  Arrows: "← ↑ → ↓",
  "Shift+Arrows": "Shift + arrows",
};

function keyName(key) {
  return KEY_NAMES[key] ?? key;
}

function section(title, entries) {
  return h(
    "section",
    { class: "key-help-section" },
    h("h3", {}, title),
    h(
      "dl",
      { class: "key-help-list" },
      entries.map((entry) => [
        h(
          "dt",
          {},
          entry.keys.map((key, n) => [n ? h("span", { class: "key-or" }, " or ") : null, h("kbd", {}, keyName(key))]),
        ),
        h("dd", {}, entry.label),
      ]),
    ),
  );
}

/** The overlay; `scope` "viewer" lists the viewer's keys first, "grid" the grid's. */
export function createKeyHelp({ scope = "viewer", onClose } = {}) {
  const culling = section(
    scope === "viewer" ? "Culling (the open photo)" : "Culling (every selected photo)",
    CULLING_KEYS,
  );
  const sections =
    scope === "viewer"
      ? [section("Viewer", VIEWER_KEYS), culling, section("Grid", GRID_KEYS)]
      : [section("Grid", GRID_KEYS), culling, section("Viewer", VIEWER_KEYS)];
  const closeButton = iconButton("close", "Close the help (Esc)", () => onClose?.());
  const panel = h(
    "div",
    { class: "key-help-panel" },
    h("div", { class: "key-help-head" }, h("h2", { id: `key-help-title-${scope}` }, "Keyboard shortcuts"), closeButton),
    h("div", { class: "key-help-sections" }, sections),
  );
  const element = h(
    "div",
    {
      class: "key-help",
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": `key-help-title-${scope}`,
      hidden: true,
    },
    panel,
  );
  // A click on the dimmed backdrop (not the panel) closes, as a click outside a popover does.
  element.addEventListener("click", (event) => {
    if (event.target === element) onClose?.();
  });
  return {
    element,
    get isOpen() {
      return !element.hidden;
    },
    open() {
      element.hidden = false;
      closeButton.focus();
    },
    close() {
      element.hidden = true;
    },
  };
}
