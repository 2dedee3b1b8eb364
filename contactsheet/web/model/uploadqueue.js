// The upload queue: a few files in flight at once (the browser keeps six connections per host;
// the event stream holds one for good and the grid needs the rest for thumbnails), small files
// as one multipart request each, large ones through tus so a dropped connection or a reload
// resumes where the server's offset says. Progress, speed and time left for the strip; a result
// per file in the server's words.

import { projectPath, refreshSession } from "../lib/api.js";
import * as events from "../lib/events.js";

export const CONCURRENCY = 2;
export const TUS_THRESHOLD = 8 * 1024 * 1024; // bytes; above this a file goes through tus
export const TUS_CHUNK = 5 * 1024 * 1024; // one PATCH; a lost connection costs at most this
const TUS_ENDPOINT = "/api/uploads/tus";
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000];
const SPEED_WINDOW_MS = 5000;
const RESULT_WAIT_MS = 8000; // how long a finished tus upload waits for its upload_completed event

/** An entry's states: queued → sending → stored | skipped | failed | canceled. */
export const DONE_STATES = new Set(["stored", "skipped", "failed", "canceled"]);

function errorMessage(status, text, fallback) {
  try {
    const body = JSON.parse(text || "null");
    if (body?.error?.message) return body.error.message;
    const file = body?.files?.[0];
    if (file?.error?.message) return file.error.message;
  } catch {
    // Not JSON (a proxy's page): say what we know.
  }
  if (!status) return "The connection to the server was lost.";
  if (status === 413) return "The file is larger than the server accepts.";
  return fallback || `The server answered ${status}.`;
}

/** The tus error's answer in words: the API's {"error": {"message"}} when it sent one. */
function tusMessage(error) {
  const response = error?.originalResponse;
  if (!response) return navigator.onLine ? "The connection to the server was lost." : "You are offline.";
  return errorMessage(response.getStatus(), response.getBody(), "");
}

function retryableTus(error) {
  const status = error?.originalResponse?.getStatus() ?? 0;
  return status === 0 || status >= 500 || status === 409 || status === 423 || status === 401;
}

export class UploadQueue {
  constructor({ onStored } = {}) {
    this.entries = [];
    this.listeners = new Set();
    this.onStored = onStored;
    this.samples = []; // [time, bytes sent] for the speed
    this.tusResults = new Map(); // "project\nname" -> [results from upload_completed]
    this.tusWaiters = new Map(); // "project\nname" -> [resolve]
    this.unsubscribe = events.on("upload_completed", (event) => this.tusCompleted(event));
    this.online = () => this.resumeWaiting();
    window.addEventListener("online", this.online);
    this.notifyScheduled = false;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed() {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      for (const listener of this.listeners) listener(this);
    });
  }

  /**
   * Queue files: [{file, name, folder, project, batch, options: {on_name_taken, import_anyway,
   * move_conflicts_here}}], plus those skipped before sending: [{name, folder, reason}].
   */
  add(toSend, skipped = []) {
    for (const item of skipped) {
      this.entries.push({ ...item, size: item.file?.size ?? 0, sent: 0, state: "skipped", local: true });
    }
    for (const item of toSend) {
      this.entries.push({ ...item, size: item.file.size, sent: 0, state: "queued" });
    }
    this.pump();
    this.changed();
  }

  get active() {
    return this.entries.filter((entry) => entry.state === "sending");
  }

  get busy() {
    return this.entries.some((entry) => entry.state === "queued" || entry.state === "sending");
  }

  pump() {
    let running = this.active.length;
    for (const entry of this.entries) {
      if (running >= CONCURRENCY) break;
      if (entry.state !== "queued") continue;
      running += 1;
      this.send(entry);
    }
  }

  async send(entry) {
    entry.state = "sending";
    entry.startedAt = performance.now();
    this.changed();
    try {
      const result = entry.size > TUS_THRESHOLD ? await this.sendTus(entry) : await this.sendMultipart(entry);
      if (entry.state === "canceled") return;
      this.finish(entry, result);
    } catch (error) {
      if (entry.state === "canceled") return;
      entry.state = "failed";
      entry.error = error?.message || String(error);
    } finally {
      entry.xhr = null;
      entry.tus = null;
      this.changed();
      this.pump();
    }
  }

  /** Record what the server made of the file (a FileResult: stored / skipped / rejected). */
  finish(entry, result) {
    entry.sent = entry.size;
    entry.result = result;
    if (!result || result.status === "stored") {
      entry.state = "stored";
      entry.storedAs = result?.stored_as;
      this.onStored?.(entry);
    } else if (result.status === "skipped") {
      entry.state = "skipped";
      entry.reason = result.reason;
    } else {
      entry.state = "failed";
      entry.error = result.error?.message || "The server refused the file.";
    }
  }

  sendMultipart(entry, retried = false) {
    return new Promise((resolve, reject) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(entry.options ?? {})) params.set(key, String(value));
      const xhr = new XMLHttpRequest();
      entry.xhr = xhr;
      xhr.open("POST", `${projectPath(entry.project, "/upload")}?${params}`);
      xhr.responseType = "text";
      xhr.upload.onprogress = (event) => this.progress(entry, event.loaded);
      xhr.onerror = () => reject(new Error(errorMessage(0)));
      xhr.onabort = () => reject(new DOMException("canceled", "AbortError"));
      xhr.onload = async () => {
        if (xhr.status === 401 && !retried && (await refreshSession())) {
          this.progress(entry, 0);
          this.sendMultipart(entry, true).then(resolve, reject);
          return;
        }
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // handled below
        }
        const file = body?.files?.[0];
        if (file) resolve(file); // refused files come with their reason, even on a 4xx
        else reject(new Error(errorMessage(xhr.status, xhr.responseText)));
      };
      const form = new FormData();
      form.append("batch", entry.batch);
      form.append("folder", entry.folder ?? "");
      form.append("files", entry.file, entry.name);
      xhr.send(form);
    });
  }

  async sendTus(entry) {
    const options = entry.options ?? {};
    const metadata = {
      filename: entry.name,
      project: entry.project,
      batch: entry.batch,
      on_name_taken: options.on_name_taken ?? "keep_both",
      import_anyway: String(Boolean(options.import_anyway)),
      move_conflicts_here: String(Boolean(options.move_conflicts_here)),
    };
    if (entry.folder) metadata.folder = entry.folder;
    const key = `${entry.project}\n${entry.name}`;
    // The tus client (116 KB) is loaded by the first large upload, not with the page.
    const { Upload } = await import("../vendor/tus.js");
    await new Promise((resolve, reject) => {
      const upload = new Upload(entry.file, {
        endpoint: new URL(TUS_ENDPOINT, location.origin).href,
        metadata,
        chunkSize: TUS_CHUNK,
        retryDelays: RETRY_DELAYS,
        removeFingerprintOnSuccess: true,
        // Resumable across a reload: the upload's address is kept in localStorage under this.
        fingerprint: async (file) =>
          ["contactsheet-tus", entry.project, entry.folder ?? "", entry.name, file.size, file.lastModified].join("/"),
        onShouldRetry: (error) => {
          const status = error?.originalResponse?.getStatus() ?? 0;
          if (status === 401) refreshSession(); // the retry's delay leaves it time
          return retryableTus(error) && navigator.onLine;
        },
        onProgress: (sent) => this.progress(entry, sent),
        onSuccess: resolve,
        onError: (error) => {
          if (entry.state === "canceled") return;
          if (retryableTus(error) && !navigator.onLine) {
            // Offline: wait for the connection, then resume from the server's offset.
            entry.waiting = true;
            entry.note = "Waiting for the connection…";
            this.changed();
            return;
          }
          reject(new Error(tusMessage(error)));
        },
      });
      entry.tus = upload;
      upload
        .findPreviousUploads()
        .then((previous) => {
          if (previous.length) {
            upload.resumeFromPreviousUpload(previous[0]);
            entry.resumed = true;
          }
          if (entry.state !== "canceled") upload.start();
        })
        .catch(reject);
    });
    return this.tusResult(key);
  }

  /** The per-file result of a finished tus upload comes with its upload_completed event. */
  tusCompleted(event) {
    const key = `${event.project}\n${event.name}`;
    const waiters = this.tusWaiters.get(key);
    if (waiters?.length) {
      waiters.shift()(event);
      return;
    }
    if (!this.entries.some((entry) => entry.state === "sending" && `${entry.project}\n${entry.name}` === key)) {
      return; // someone else's upload
    }
    if (!this.tusResults.has(key)) this.tusResults.set(key, []);
    this.tusResults.get(key).push(event);
  }

  tusResult(key) {
    const early = this.tusResults.get(key);
    if (early?.length) return Promise.resolve(early.shift());
    return new Promise((resolve) => {
      if (!this.tusWaiters.has(key)) this.tusWaiters.set(key, []);
      const waiters = this.tusWaiters.get(key);
      const done = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
      // The upload went through; without its event (stream reconnecting) count it as stored.
      const timer = setTimeout(() => {
        const at = waiters.indexOf(done);
        if (at >= 0) waiters.splice(at, 1);
        resolve(null);
      }, RESULT_WAIT_MS);
      waiters.push(done);
    });
  }

  resumeWaiting() {
    for (const entry of this.entries) {
      if (entry.state === "sending" && entry.waiting && entry.tus) {
        entry.waiting = false;
        entry.note = null;
        entry.tus.start();
      }
    }
    this.changed();
  }

  progress(entry, sent) {
    entry.sent = Math.min(sent, entry.size);
    if (entry.note && !entry.waiting) entry.note = null;
    this.sample();
    this.changed();
  }

  sample() {
    const now = performance.now();
    this.samples.push([now, this.sentBytes()]);
    while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) this.samples.shift();
  }

  cancel(entry) {
    if (DONE_STATES.has(entry.state)) return;
    const wasSending = entry.state === "sending";
    entry.state = "canceled";
    entry.xhr?.abort();
    // Terminating tells the server to drop the partial data at once.
    entry.tus?.abort(true).catch(() => {});
    if (wasSending) this.pump();
    this.changed();
  }

  cancelAll() {
    for (const entry of this.entries) {
      if (entry.state === "queued") entry.state = "canceled";
    }
    for (const entry of this.entries) this.cancel(entry);
  }

  /** Forget finished entries (the strip was closed). */
  clearDone() {
    this.entries = this.entries.filter((entry) => !DONE_STATES.has(entry.state));
    this.samples = [];
    this.changed();
  }

  sentBytes() {
    let sent = 0;
    for (const entry of this.entries) if (!entry.local && entry.state !== "canceled") sent += entry.sent;
    return sent;
  }

  stats() {
    const counts = { queued: 0, sending: 0, stored: 0, skipped: 0, failed: 0, canceled: 0 };
    let total = 0;
    for (const entry of this.entries) {
      counts[entry.state] += 1;
      if (!entry.local && entry.state !== "canceled") total += entry.size;
    }
    const sent = this.sentBytes();
    let speed = 0;
    if (this.samples.length >= 2) {
      const [firstTime, firstBytes] = this.samples[0];
      const [lastTime, lastBytes] = this.samples[this.samples.length - 1];
      if (lastTime > firstTime) speed = ((lastBytes - firstBytes) * 1000) / (lastTime - firstTime);
    }
    const left = speed > 0 ? (total - sent) / speed : NaN;
    return { counts, total, sent, speed, left, busy: this.busy };
  }

  destroy() {
    this.cancelAll();
    this.unsubscribe();
    window.removeEventListener("online", this.online);
    this.listeners.clear();
  }
}
