// The login page: one password field (the user is the admin), errors in words, and back to the
// page the user wanted.

import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";

export function showLogin(root, { next, onLoggedIn }) {
  document.title = "Log in · Contact Sheet";
  const error = h("p", { class: "form-error", id: "login-error", role: "alert", hidden: true });
  const password = h("input", {
    type: "password",
    id: "login-password",
    name: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "login-error",
  });
  const username = h("input", {
    type: "text",
    id: "login-username",
    name: "username",
    autocomplete: "username",
    value: "admin",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h(
    "form",
    { class: "login-form", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Contact Sheet"),
    h("label", { for: "login-username" }, "User"),
    username,
    h("label", { for: "login-password" }, "Password"),
    password,
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await api.post("/api/auth/login", { username: username.value, password: password.value });
      onLoggedIn(next);
    } catch (problem) {
      error.textContent =
        problem.status === 401 ? "That password is not right." : problem.message;
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  fill(root, h("main", { id: "main", class: "login-page" }, form));
  password.focus();
}
