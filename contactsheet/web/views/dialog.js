// Modal dialogs on the native <dialog> element: focus is trapped and restored by the browser,
// Esc closes, and every dialog has a title the screen reader announces.

import { h } from "../lib/dom.js";

let counter = 0;

/**
 * Show a dialog; resolves to the value of the button pressed (or null when dismissed).
 * `body` is nodes; `buttons` are [{label, value, kind}] with the default action last.
 */
export function openDialog({ title, body = [], buttons = [], className = "" }) {
  counter += 1;
  const titleId = `dialog-title-${counter}`;
  const dialog = h(
    "dialog",
    { class: `dialog ${className}`, "aria-labelledby": titleId },
    h("h2", { id: titleId }, title),
    h("div", { class: "dialog-body" }, body),
  );
  const actions = h("div", { class: "dialog-actions" });
  dialog.append(actions);
  return new Promise((resolve) => {
    const finish = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    for (const button of buttons) {
      actions.append(
        h(
          "button",
          {
            type: "button",
            class: button.kind ?? "",
            onclick: async () => {
              const value = button.value instanceof Function ? await button.value() : button.value;
              if (value !== undefined) finish(value);
            },
          },
          button.label,
        ),
      );
    }
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    const input = dialog.querySelector("input, select, textarea");
    (input ?? actions.lastElementChild)?.focus();
  });
}

export async function confirmDialog(title, message, { confirm = "OK", danger = false } = {}) {
  const answer = await openDialog({
    title,
    body: Array.isArray(message) ? message : [h("p", {}, message)],
    buttons: [
      { label: "Cancel", value: false },
      { label: confirm, value: true, kind: danger ? "danger" : "primary" },
    ],
  });
  return answer === true;
}

/** Ask for one line of text; resolves to the text, or null. */
export async function promptDialog(title, label, { value = "", confirm = "OK" } = {}) {
  const input = h("input", { type: "text", id: `prompt-${counter + 1}`, value, required: true });
  const form = h("form", { class: "prompt-form" }, h("label", { for: input.id }, label), input);
  let submitted = null;
  const answer = openDialog({
    title,
    body: [form],
    buttons: [
      { label: "Cancel", value: null },
      {
        label: confirm,
        kind: "primary",
        value: () => (input.value.trim() ? input.value.trim() : undefined),
      },
    ],
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitted = input.value.trim();
    if (submitted) form.closest("dialog").querySelector(".dialog-actions .primary").click();
  });
  input.select();
  return answer;
}
