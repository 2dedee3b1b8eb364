// The list of projects, read once and kept current: the side panel, the projects page and the
// "move to project" dialog all read it here.

import { api, projectPath } from "../lib/api.js";
import * as events from "../lib/events.js";

let projects = null;
let loading = null;
const listeners = new Set();
let watching = false;

function emit() {
  for (const listener of listeners) listener(projects);
}

export function subscribe(listener) {
  listeners.add(listener);
  if (!watching) {
    watching = true;
    // A rename, a folder followed on disk, a project created by a command: read the list again.
    for (const type of ["folder_renamed", "manifest_changed", "task_completed", "reset"]) {
      events.on(type, () => reload());
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

export async function rename(folder, name) {
  const project = await api.patch(projectPath(folder), { name });
  await reload();
  return project;
}

export async function remove(folder) {
  const answer = await api.delete(projectPath(folder));
  await reload();
  return answer;
}

export function forget() {
  projects = null;
  watching = false;
  listeners.clear();
}
