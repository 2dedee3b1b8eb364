// The processes indicator in the top bar (how many jobs run, and how far along they are) and the
// panel it opens: every live job and the recently ended ones, with progress, errors, cancel and
// retry, and a button that starts maintenance now. Driven by model/jobs.js, so by events.

import { fill, h, icon, iconButton } from "../lib/dom.js";
import { notify, notifyError } from "../lib/notices.js";
import * as jobs from "../model/jobs.js";
import * as projects from "../model/projects.js";

const SVG = "http://www.w3.org/2000/svg";
const RING = 2 * Math.PI * 9;

const STATUS_TEXT = {
  queued: "Queued",
  running: "Running",
  completed: "Done",
  failed: "Failed",
  canceled: "Canceled",
};

function ring() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "progress-ring");
  svg.setAttribute("aria-hidden", "true");
  const track = document.createElementNS(SVG, "circle");
  const bar = document.createElementNS(SVG, "circle");
  for (const circle of [track, bar]) {
    circle.setAttribute("cx", "12");
    circle.setAttribute("cy", "12");
    circle.setAttribute("r", "9");
  }
  track.setAttribute("class", "ring-track");
  bar.setAttribute("class", "ring-bar");
  bar.setAttribute("stroke-dasharray", String(RING));
  bar.setAttribute("transform", "rotate(-90 12 12)");
  svg.append(track, bar);
  return { svg, set(fraction) {
    bar.setAttribute("stroke-dashoffset", String(RING * (1 - Math.max(0, Math.min(1, fraction)))));
  } };
}

function projectName(projectId) {
  if (projectId === null) return "Whole library";
  const project = (projects.cached() ?? []).find((p) => p.id === projectId);
  return project ? project.name : `Project ${projectId}`;
}

export function createProcesses() {
  jobs.start();
  const indicator = ring();
  const counter = h("span", { class: "processes-count" });
  const button = h(
    "button",
    {
      type: "button",
      class: "icon-button processes-button",
      "aria-expanded": "false",
      "aria-controls": "processes-panel",
      "aria-label": "Processes",
      title: "Processes",
    },
    icon("activity"),
    indicator.svg,
    counter,
  );
  const list = h("ul", { class: "job-list", "aria-label": "Jobs" });
  const empty = h("p", { class: "empty job-empty" }, "Nothing is running. Uploads, commits, moves and maintenance show up here.");
  const maintenance = h(
    "button",
    { type: "button", class: "run-maintenance", onclick: () => runMaintenance() },
    icon("refresh"),
    h("span", {}, "Run maintenance"),
  );
  const heading = h("h2", { id: "processes-title", tabindex: "-1" }, "Processes");
  const panel = h(
    "aside",
    { class: "processes-panel", id: "processes-panel", "aria-labelledby": "processes-title", hidden: true },
    h(
      "div",
      { class: "panel-head" },
      heading,
      maintenance,
      iconButton("close", "Close processes", () => close()),
    ),
    empty,
    list,
  );
  const rows = new Map(); // job id -> {element, parts}

  function renderButton(all) {
    const running = all.filter((job) => job.status === "running");
    const queued = all.filter((job) => job.status === "queued");
    const active = running.length + queued.length;
    counter.textContent = active ? String(active) : "";
    button.classList.toggle("busy", running.length > 0);
    const total = running.reduce((sum, job) => sum + job.total, 0);
    const done = running.reduce((sum, job) => sum + Math.min(job.done, job.total), 0);
    indicator.svg.classList.toggle("indeterminate", running.length > 0 && total === 0);
    indicator.set(total ? done / total : running.length ? 0.25 : 0);
    const words = [running.length && `${running.length} running`, queued.length && `${queued.length} queued`]
      .filter(Boolean)
      .join(", ");
    // The count shown on the button leads the name, so what is seen is what is read out.
    const label = words ? `Processes: ${active} (${words})` : "Processes: nothing running";
    button.setAttribute("aria-label", label);
    button.title = label;
  }

  function makeRow(job) {
    const parts = {
      title: h("span", { class: "job-title" }),
      project: h("span", { class: "job-project" }),
      status: h("span", { class: "badge job-status" }),
      bar: h("progress", { class: "job-progress", max: "1", value: "0" }),
      numbers: h("span", { class: "job-numbers" }),
      error: h("p", { class: "job-error", role: "note" }),
      actions: h("div", { class: "job-actions" }),
    };
    const element = h(
      "li",
      { class: "job", dataset: { jobId: String(job.id) } },
      h("div", { class: "job-line" }, parts.title, parts.status),
      h("div", { class: "job-line job-meta" }, parts.project, parts.numbers),
      parts.bar,
      parts.error,
      parts.actions,
    );
    return { element, parts, actionKey: null };
  }

  function updateRow(row, job) {
    const { parts } = row;
    const name = jobs.label(job);
    parts.title.textContent = name;
    parts.project.textContent = projectName(job.projectId);
    const status = job.cancelRequested && job.status === "running" ? "Canceling…" : STATUS_TEXT[job.status] ?? job.status;
    parts.status.textContent = status;
    parts.status.className = `badge job-status status-${job.status}`;
    row.element.dataset.status = job.status;
    parts.bar.setAttribute("aria-label", `${name}: progress`);
    if (job.total > 0) {
      parts.bar.max = job.total;
      parts.bar.value = Math.min(job.done, job.total);
      parts.numbers.textContent = `${job.done.toLocaleString()} / ${job.total.toLocaleString()}`;
    } else if (job.status === "running") {
      parts.bar.removeAttribute("value"); // indeterminate: running, size not known yet
      parts.numbers.textContent = "";
    } else {
      parts.bar.max = 1;
      parts.bar.value = job.status === "completed" ? 1 : 0;
      parts.numbers.textContent = "";
    }
    parts.bar.hidden = job.status === "completed" && job.total === 0;
    parts.error.textContent = job.error ?? "";
    parts.error.hidden = !job.error || job.status === "completed";
    // Rebuild the buttons only when what they can do changed, so focus stays on them.
    const actionKey = `${job.status}:${job.cancelRequested}`;
    if (actionKey !== row.actionKey) {
      row.actionKey = actionKey;
      const focused = row.element.contains(document.activeElement);
      const buttons = [];
      if (jobs.ACTIVE.has(job.status)) {
        buttons.push(
          h(
            "button",
            {
              type: "button",
              class: "job-cancel",
              "aria-label": `Cancel ${name} (job ${job.id})`,
              disabled: job.cancelRequested,
              onclick: () => act(job.id, "cancel"),
            },
            job.cancelRequested ? "Canceling…" : "Cancel",
          ),
        );
      } else if (job.status === "failed" || job.status === "canceled") {
        buttons.push(
          h(
            "button",
            {
              type: "button",
              class: "job-retry",
              "aria-label": `Retry ${name} (job ${job.id})`,
              onclick: () => act(job.id, "retry"),
            },
            "Retry",
          ),
        );
      }
      fill(parts.actions, buttons);
      parts.actions.hidden = !buttons.length;
      if (focused) (parts.actions.querySelector("button:not(:disabled)") ?? heading).focus();
    }
  }

  function render() {
    const all = jobs.list();
    renderButton(all);
    if (panel.hidden) return;
    empty.hidden = all.length > 0;
    const seen = new Set();
    all.forEach((job, index) => {
      seen.add(job.id);
      let row = rows.get(job.id);
      if (!row) {
        row = makeRow(job);
        rows.set(job.id, row);
      }
      updateRow(row, job);
      if (list.children[index] !== row.element) list.insertBefore(row.element, list.children[index] ?? null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.element.remove();
        rows.delete(id);
      }
    }
  }

  async function act(id, what) {
    try {
      if (what === "cancel") await jobs.cancel(id);
      else {
        const job = await jobs.retry(id);
        notify(`${jobs.label(jobs.get(job.id) ?? { type: job.type })} queued again`);
      }
    } catch (error) {
      notifyError(what === "cancel" ? "Cancel failed" : "Retry failed", error);
      jobs.seed().catch(() => {});
    }
  }

  async function runMaintenance() {
    maintenance.disabled = true;
    try {
      await jobs.runMaintenance();
      notify("Maintenance started");
    } catch (error) {
      notifyError("Maintenance could not start", error);
    } finally {
      maintenance.disabled = false;
    }
  }

  function open() {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    render();
    heading.focus();
  }

  function close() {
    if (panel.hidden) return;
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (hadFocus) button.focus();
  }

  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  // Esc closes the panel before anything underneath (the grid's Esc clears the selection).
  const onKey = (event) => {
    if (event.key !== "Escape" || panel.hidden || document.querySelector("dialog[open]")) return;
    event.stopPropagation();
    event.preventDefault();
    close();
  };
  window.addEventListener("keydown", onKey, true);
  // Ended jobs age out of the list even when no event arrives.
  const timer = setInterval(render, 30_000);
  const unsubscribe = jobs.subscribe(render);
  const unsubscribeProjects = projects.subscribe(render);
  render();

  return {
    button,
    panel,
    destroy() {
      clearInterval(timer);
      unsubscribe();
      unsubscribeProjects();
      window.removeEventListener("keydown", onKey, true);
      jobs.stop();
    },
  };
}
