// A shared link's full address as the photographer passes it on: the text itself (read-only, so
// it can be selected by hand), a Copy button and an Open button. Used by the links page and by
// the Share dialog once a link is made.

import { h, icon } from "../lib/dom.js";
import { notify } from "../lib/notices.js";

let counter = 0;

/**
 * Put `text` on the clipboard. The Clipboard API needs a secure context and the browser's
 * permission; where either is missing the text is selected instead, and the old copy command
 * tried, so Ctrl+C is all that is left to do. Resolves to whether the text was copied.
 */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

export function createLinkField(url, { label = "Link address" } = {}) {
  counter += 1;
  const input = h("input", {
    type: "text",
    class: "link-url",
    id: `link-url-${counter}`,
    value: url,
    readonly: true,
    spellcheck: "false",
  });
  input.addEventListener("focus", () => input.select());
  const status = h("span", { class: "link-copied", role: "status" });
  let clearTimer = null;
  const copy = h(
    "button",
    { type: "button", class: "tool link-copy", title: "Copy the link" },
    icon("copy"),
    h("span", {}, "Copy"),
  );
  copy.addEventListener("click", async () => {
    const copied = await copyText(input.value, input);
    status.textContent = copied ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy";
    clearTimeout(clearTimer);
    clearTimer = setTimeout(() => {
      status.textContent = "";
    }, 4000);
    if (!copied) notify("The browser did not let the page copy: the link is selected, copy it with Ctrl+C.");
  });
  const open = h(
    "a",
    { href: url, class: "tool link-open", target: "_blank", rel: "noopener noreferrer", title: "Open the link in a new tab" },
    icon("external"),
    h("span", {}, "Open"),
  );
  const name = h("label", { for: input.id, class: "visually-hidden" }, label);
  const element = h(
    "div",
    { class: "link-field" },
    name,
    input,
    copy,
    open,
    status,
  );
  return {
    element,
    input,
    /** The link got a new address (a new key). */
    set(next) {
      input.value = next;
      open.href = next;
      status.textContent = "";
    },
    setLabel(text) {
      name.textContent = text;
    },
  };
}
