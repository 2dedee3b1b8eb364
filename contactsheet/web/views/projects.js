// The projects page: every project with its photo count, created and renamed and deleted here.
// Deleting asks first and says what goes (the photos, and for how long the folder is kept).

import { fill, h, icon, iconButton } from "../lib/dom.js";
import { count } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";
import * as route from "../lib/route.js";
import * as projects from "../model/projects.js";
import { confirmDialog, promptDialog } from "./dialog.js";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

async function createProject() {
  const name = await promptDialog("New project", "Name of the shoot", { confirm: "Create" });
  if (!name) return;
  try {
    const project = await projects.create(name);
    route.go(route.projectUrl(project.folder));
  } catch (error) {
    notifyError("The project was not created", error);
  }
}

async function renameProject(project) {
  const name = await promptDialog(`Rename “${project.name}”`, "New name", {
    value: project.name,
    confirm: "Rename",
  });
  if (!name || name === project.name) return;
  try {
    await projects.rename(project, name);
    notify(`Renamed to “${name}”. Its folder on disk is renamed to match in a moment.`);
  } catch (error) {
    notifyError("The project was not renamed", error);
  }
}

async function deleteProject(project) {
  const photos = project.photo_count ?? 0;
  const sure = await confirmDialog(
    `Delete “${project.name}”?`,
    [
      h("p", {}, `${count(photos, "photo")} and every file in the folder “${project.folder}” go:`),
      h(
        "ul",
        {},
        h("li", {}, "the originals (JPG and RAW), their sidecars and thumbnails;"),
        h("li", {}, "the project's trash."),
      ),
      h(
        "p",
        {},
        "The folder is moved out of the library and kept for 24 hours before it is removed for good.",
      ),
    ],
    { confirm: "Delete project", danger: true },
  );
  if (!sure) return;
  try {
    await projects.remove(project);
    notify(`“${project.name}” is deleted.`);
  } catch (error) {
    notifyError("The project was not deleted", error);
  }
}

function projectCard(project) {
  return h(
    "li",
    { class: "project-card", dataset: { folder: project.folder } },
    h(
      "a",
      { href: route.projectUrl(project.folder), class: "project-open" },
      h("span", { class: "project-name" }, project.name),
      h(
        "span",
        { class: "project-meta" },
        `${count(project.photo_count ?? 0, "photo")} · created ${dateFormat.format(new Date(project.created_at))}`,
      ),
      project.missing_since
        ? h(
            "span",
            { class: "project-missing", role: "note" },
            icon("warning"),
            `Its folder was not found on disk (since ${dateFormat.format(new Date(project.missing_since))}).`,
          )
        : null,
    ),
    h(
      "div",
      { class: "project-actions" },
      iconButton("pencil", `Rename ${project.name}`, () => renameProject(project)),
      iconButton("trash", `Delete ${project.name}`, () => deleteProject(project)),
    ),
  );
}

export function mountProjects(container) {
  document.title = "Projects · Contact Sheet";
  const list = h("ul", { class: "project-list", "aria-label": "Projects" });
  const empty = h(
    "p",
    { class: "empty", hidden: true },
    "No projects yet. Create one for your next shoot, then drop its photos on it.",
  );
  fill(
    container,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Projects"),
      h(
        "button",
        { type: "button", class: "primary", onclick: createProject },
        "New project",
      ),
    ),
    empty,
    list,
  );
  const render = (items) => {
    fill(list, (items ?? []).map(projectCard));
    empty.hidden = Boolean(items?.length);
  };
  const unsubscribe = projects.subscribe(render);
  if (projects.cached()) render(projects.cached());
  projects.reload().catch((error) => notifyError("The projects could not be read", error));
  return { destroy: unsubscribe };
}
