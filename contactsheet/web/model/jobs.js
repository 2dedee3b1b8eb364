// The background jobs the user can see: seeded from GET /api/jobs, then kept current by the job
// events of the one event stream, keyed by job id. Finished jobs stay a while (so the user sees
// what just ended, and why it failed) and are then forgotten.

import { api } from "../lib/api.js";
import * as events from "../lib/events.js";
import { JOB_EVENTS } from "../lib/events.js";

export const ACTIVE = new Set(["queued", "running"]);
export const ENDED = new Set(["completed", "failed", "canceled"]);
// How long an ended job stays listed, and how many ended ones at most.
const KEEP_ENDED_MS = 15 * 60 * 1000;
const MAX_ENDED = 30;

// Step types a person would not read as words; the task catalogue names tasks, not steps.
const STEP_LABELS = {
  generate_derivatives: "Thumbnails and previews",
  file_removal: "Moving files not kept to the trash",
  manifest_check: "Checking files and the manifest",
  manifest_cleaning: "Removing photos whose files are gone",
  folder_check: "Indexing the project folder",
  folder_alignment: "Renaming the folder to match",
  image_move_files: "Moving photos",
  project_stop_processes: "Stopping the project's jobs",
  project_delete_files: "Moving the project to the trash",
  project_cleanup_db: "Removing the project from the catalogue",
  trash_maintenance: "Purging the trash",
  orphaned_project_cleanup: "Looking for missing project folders",
  duplicate_resolution: "Renaming photos named as in another project",
  leftover_cleanup: "Removing leftovers of interrupted uploads",
  cache_validation: "Checking thumbnails and previews",
  job_retention: "Pruning old jobs",
  project_scavenge: "Removing leftovers of deleted projects",
  folder_discovery: "Finding new project folders",
  regenerate_metadata: "Re-reading metadata",
};

const EVENT_STATUS = {
  job_queued: "queued",
  job_started: "running",
  job_retrying: "queued",
  job_released: "queued",
  job_completed: "completed",
  job_failed: "failed",
  job_canceled: "canceled",
};


/** One shape for a job, whether it came from the API (JobOut) or an event (job_summary). */
function normalise(raw) {
  return {
    id: raw.id ?? raw.job_id,
    taskId: raw.task_id ?? null,
    type: raw.type,
    projectId: raw.project_id ?? null,
    status: raw.status,
    done: raw.progress?.done ?? 0,
    total: raw.progress?.total ?? 0,
    error: raw.last_error ?? null,
    attempts: raw.attempts ?? null,
    cancelRequested: Boolean(raw.cancel_requested),
    createdAt: raw.created_at ? Date.parse(raw.created_at) : Date.now(),
    endedAt: raw.finished_at ? Date.parse(raw.finished_at) : null,
  };
}

const jobs = new Map(); // id -> job
const listeners = new Set();
const touched = new Set(); // ids changed by events while a seed was on its way
let labels = {}; // step type -> label from the task catalogue
let started = false;
let seeding = null;
let unsubscribers = [];

function emit() {
  for (const listener of listeners) listener();
}

function put(raw, { status, fromEvent = false } = {}) {
  const next = normalise(raw);
  if (status) next.status = status;
  const old = jobs.get(next.id);
  // An ended job never runs again (a retry is a new job): an answer that was on its way while
  // the job's events arrived (a job that ran in milliseconds) must not bring it back to life.
  if (old && ENDED.has(old.status) && ACTIVE.has(next.status)) return;
  if (old) {
    next.createdAt = old.createdAt;
    next.cancelRequested ||= old.cancelRequested;
  }
  if (ENDED.has(next.status)) next.endedAt ??= old?.endedAt ?? Date.now();
  else next.endedAt = null;
  if (!ACTIVE.has(next.status)) next.cancelRequested = false;
  jobs.set(next.id, next);
  if (fromEvent && seeding) touched.add(next.id);
}

function prune() {
  const now = Date.now();
  const ended = [...jobs.values()].filter((job) => ENDED.has(job.status)).sort((a, b) => b.id - a.id);
  ended.forEach((job, index) => {
    if (index >= MAX_ENDED || now - job.endedAt > KEEP_ENDED_MS) jobs.delete(job.id);
  });
}

function onEvent(data, type) {
  if (data.job_id === undefined) return;
  if (type === "job_cancel_requested") {
    put(data, { fromEvent: true });
    jobs.get(data.job_id).cancelRequested = true;
  } else {
    put(data, { status: EVENT_STATUS[type] ?? data.status, fromEvent: true });
  }
  prune();
  emit();
}

/** Read the live jobs and the recently ended ones; events that arrived meanwhile win. */
export function seed() {
  touched.clear();
  const ask = (params) => api.get("/api/jobs", params).then((body) => body.items);
  seeding = Promise.all([
    ask({ status: "queued,running", limit: 200 }),
    ask({ status: "completed,failed,canceled", limit: MAX_ENDED }),
  ])
    .then(([active, ended]) => {
      for (const raw of [...active, ...ended]) {
        if (!touched.has(raw.id)) put(raw);
      }
      prune();
      emit();
    })
    .finally(() => {
      seeding = null;
    });
  return seeding;
}

function loadLabels() {
  api.get("/api/tasks/definitions").then(
    (definitions) => {
      const found = {};
      // A task named like its only step (generate_derivatives, folder_check) names that step.
      for (const [name, definition] of Object.entries(definitions)) {
        if (definition.steps.some((step) => step.type === name)) found[name] = definition.label;
      }
      // A step found in one task only is that task's work.
      const owners = {};
      for (const definition of Object.values(definitions)) {
        for (const step of definition.steps) (owners[step.type] ??= new Set()).add(definition.label);
      }
      for (const [type, names] of Object.entries(owners)) {
        if (!found[type] && !STEP_LABELS[type] && names.size === 1) found[type] = [...names][0];
      }
      labels = found;
      emit();
    },
    () => {},
  );
}

/** Start listening (once, for the whole app); returns nothing, safe to call again. */
export function start() {
  if (started) return;
  started = true;
  unsubscribers = JOB_EVENTS.map((type) => events.on(type, onEvent));
  unsubscribers.push(events.on("reset", () => seed().catch(() => {})));
  loadLabels();
  seed().catch(() => {});
}

export function stop() {
  for (const unsubscribe of unsubscribers) unsubscribe();
  unsubscribers = [];
  started = false;
  jobs.clear();
  listeners.clear();
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The jobs to show: live ones first, then the ended ones; newest first within each. */
export function list() {
  prune();
  const all = [...jobs.values()];
  const newestFirst = (a, b) => b.id - a.id;
  return [
    ...all.filter((job) => ACTIVE.has(job.status)).sort(newestFirst),
    ...all.filter((job) => !ACTIVE.has(job.status)).sort(newestFirst),
  ];
}

export function get(id) {
  return jobs.get(id);
}

export function label(job) {
  return labels[job.type] ?? STEP_LABELS[job.type] ?? job.type.replaceAll("_", " ");
}

/** A queued job ends now; a running one stops between items. */
export async function cancel(id) {
  const answer = await api.post(`/api/jobs/${id}/cancel`);
  put(answer);
  emit();
  return answer;
}

/** A failed or canceled step queued again (a new job; its task goes on from there). */
export async function retry(id) {
  const answer = await api.post(`/api/jobs/${id}/retry`);
  put(answer);
  emit();
  return answer;
}

/** Maintenance of the whole library, now; the job it queued is listed at once. */
export async function runMaintenance() {
  const answer = await api.post("/api/maintenance/run", {});
  try {
    const job = await api.get(`/api/jobs/${answer.job_id}`);
    if (!jobs.has(job.id)) put(job);
    emit();
  } catch {
    // Listed when its events arrive.
  }
  return answer;
}
