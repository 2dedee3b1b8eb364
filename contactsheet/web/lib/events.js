// The app's one EventSource on /api/events. Browsers keep six connections per host and this
// stream holds one for good, so every view subscribes here instead of opening its own.
// EventSource resumes with Last-Event-ID by itself; a `reset` (events pruned while away) tells
// subscribers to reload what they show.

import { refreshSession } from "./api.js";

const handlers = new Map(); // type -> Set of functions
const statusHandlers = new Set();
let source = null;
let retryTimer = null;
let lastId = null;

// What happens to a job, as the server names it (the processes panel follows these).
export const JOB_EVENTS = [
  "job_queued",
  "job_started",
  "job_update",
  "job_retrying",
  "job_completed",
  "job_failed",
  "job_canceled",
  "job_cancel_requested",
  "job_released",
];

// Every type the server sends; EventSource only delivers named events to named listeners.
const TYPES = [
  ...JOB_EVENTS,
  "task_completed",
  "item",
  "item_removed",
  "item_moved",
  "folder_renamed",
  "manifest_changed",
  "upload_completed",
  "pending_changes_state",
  "ready",
  "reset",
];

function dispatch(type, data) {
  for (const handler of handlers.get(type) ?? []) {
    try {
      handler(data, type);
    } catch (error) {
      console.error(`a handler of ${type} failed`, error);
    }
  }
  for (const handler of handlers.get("*") ?? []) handler(data, type);
}

function setStatus(status) {
  for (const handler of statusHandlers) handler(status);
}

function open() {
  const url = lastId ? `/api/events?last_event_id=${encodeURIComponent(lastId)}` : "/api/events";
  source = new EventSource(url, { withCredentials: true });
  source.addEventListener("open", () => setStatus("open"));
  for (const type of TYPES) {
    source.addEventListener(type, (message) => {
      if (message.lastEventId) lastId = message.lastEventId;
      let data = {};
      try {
        data = JSON.parse(message.data || "{}");
      } catch {
        return;
      }
      dispatch(type, data);
    });
  }
  source.addEventListener("error", () => {
    // A closed stream (401 after the access token expired, a restart) is not retried by the
    // browser; refresh the session and open a new one, resuming from the last id seen.
    if (source.readyState === EventSource.CLOSED) {
      setStatus("closed");
      source = null;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(async () => {
        await refreshSession();
        if (!source && handlers.size) open();
      }, 2000);
    } else {
      setStatus("connecting");
    }
  });
}

/** Run `handler(data, type)` for each event of `type` ("*" for all); returns the unsubscribe. */
export function on(type, handler) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(handler);
  if (!source) open();
  return () => handlers.get(type)?.delete(handler);
}

export function onStatus(handler) {
  statusHandlers.add(handler);
  return () => statusHandlers.delete(handler);
}

/**
 * Close the stream (on logout); `open()` or the next `on()` opens a new one. Subscriptions stay:
 * what outlives a page (the upload queue) still hears about its uploads after the next login.
 */
export function close() {
  clearTimeout(retryTimer);
  source?.close();
  source = null;
  lastId = null;
}
