// The list of projects, read once and kept current: the side panel, the projects page and the
// "move to project" dialog all read it here.

import { api, projectPath } from "../lib/api.js";
import * as events from "../lib/events.js";

let projects = null;
let loading = null;
const listeners = new Set();
let watching = false;
const stopWatching = [];

function emit() {
  for (const listener of listeners) listener(projects);
}

export function subscribe(listener) {
  listeners.add(listener);
  if (!watching) {
    watching = true;
    // A rename, a folder followed on disk, a project created by a command: read the list again.
    for (const type of ["folder_renamed", "manifest_changed", "task_completed", "reset"]) {
      stopWatching.push(events.on(type, () => reload()));
    }
  }
  return () => listeners.delete(listener);
}

let asked = 0; // how many reads were started: only the newest one's answer is shown

export function reload() {
  asked += 1;
  const mine = asked;
  const read = api.get("/api/projects").then((body) => {
    // An older read answering late (it started before a delete) must not bring the list back.
    if (mine !== asked) return loading ?? projects;
    projects = body.items;
    loading = null;
    emit();
    return projects;
  });
  loading = read;
  read.catch(() => {
    if (loading === read) loading = null;
  });
  return read;
}

export function all() {
  if (projects) return Promise.resolve(projects);
  return loading ?? reload();
}

export function cached() {
  return projects;
}

export async function create(name) {
  const project = await api.post("/api/projects", { name });
  await reload();
  return project;
}

/**
 * Run `request(folder)` for a project. Its folder follows its name (maintenance renames it soon
 * after a rename), so a folder read a moment ago may be gone: then look the project up again by
 * id and ask once more with the folder it has now.
 */
async function withCurrentFolder(project, request) {
  try {
    return await request(project.folder);
  } catch (error) {
    if (error.status !== 404) throw error;
    const now = (await reload()).find((p) => p.id === project.id);
    if (!now || now.folder === project.folder) throw error;
    return request(now.folder);
  }
}

export async function rename(project, name) {
  const answer = await withCurrentFolder(project, (folder) =>
    api.patch(projectPath(folder), { name }),
  );
  await reload();
  return answer;
}

export async function remove(project) {
  const answer = await withCurrentFolder(project, (folder) => api.delete(projectPath(folder)));
  await reload();
  return answer;
}

export function forget() {
  projects = null;
  watching = false;
  for (const stop of stopWatching.splice(0)) stop();
  listeners.clear();
}
