// A listing of photos (a project's, or All Photos) as the grid, the table and the viewer see it:
// an array as long as the listing's total, filled page by page as the user scrolls near them.
// Pages are read by position (a jump anywhere is one request) or, next to a page already read, by
// its cursor; pages the user scrolled far from are forgotten and their requests aborted.

import { api, projectPath } from "../lib/api.js";

// The URL parameters that shape a listing; they are the API's own names, so the address and the
// request never disagree.
export const LIST_KEYS = [
  "sort",
  "dir",
  "date_from",
  "date_to",
  "file_type",
  "keep_type",
  "orientation",
  "tags",
  "tags_mode",
  "visibility",
  "rating_min",
  "pick",
];
export const PAGE_SIZE = 100;
// Pages kept beyond the ones in view: scrolling back a little never asks the server again.
const KEEP_PAGES = 6;

export function listingParams(params) {
  const out = {};
  for (const key of LIST_KEYS) {
    const value = params.get(key);
    if (value !== null && value !== "") out[key] = value;
  }
  return out;
}

export class PhotoList {
  constructor({ folder = null, params = new URLSearchParams(), pageSize = PAGE_SIZE } = {}) {
    this.folder = folder;
    this.filters = listingParams(params);
    this.pageSize = pageSize;
    this.total = null;
    this.unfilteredTotal = null;
    this.items = [];
    this.positions = new Map(); // photo id -> index
    this.pages = new Map(); // page index -> {promise, controller, next, prev, generation}
    this.generation = 0; // bumped when the listing changed under us (upload, removal)
    this.listeners = new Set();
    this.wanted = [0, 0];
    this.refreshTimer = null;
    this.versions = new Map(); // photo id -> how often its derivatives changed since loaded
    this.left = new Set(); // photos removed or moved away since loaded
    // The user's edits, by photo and field, until a page asked for after the server had them
    // comes back: an answer to a request that left before an edit was stored must not show
    // the photo's old value again (a refresh racing a rating while uploads are processed).
    this.clock = 0;
    this.edits = new Map(); // photo id -> Map(field -> {value, settled: clock or null})
  }

  /** An edit shown before the server has it: `settle(ok)` when the server answered. */
  beginEdit(photoId, fields) {
    const own = this.edits.get(photoId) ?? new Map();
    this.edits.set(photoId, own);
    const marks = Object.entries(fields).map(([field, value]) => {
      const mark = { value, settled: null };
      own.set(field, mark);
      return [field, mark];
    });
    return (ok) => {
      this.clock += 1;
      for (const [field, mark] of marks) {
        if (own.get(field) !== mark) continue; // a later edit of the field took its place
        if (ok) mark.settled = this.clock;
        else own.delete(field);
      }
      if (!own.size) this.edits.delete(photoId);
    };
  }

  /** The item as the server sent it, with the edits its request left too early to see. */
  withEdits(item, askedAt) {
    const own = this.edits.get(item.id);
    if (!own) return item;
    const shown = { ...item };
    for (const [field, mark] of own) {
      if (mark.settled !== null && askedAt > mark.settled) own.delete(field);
      else shown[field] = mark.value;
    }
    if (!own.size) this.edits.delete(item.id);
    return shown;
  }

  get endpoint() {
    return this.folder ? projectPath(this.folder, "/photos") : "/api/photos";
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change) {
    for (const listener of this.listeners) listener(change);
  }

  get(index) {
    return this.items[index];
  }

  indexOf(photoId) {
    return this.positions.get(photoId) ?? -1;
  }

  byId(photoId) {
    const index = this.indexOf(photoId);
    return index < 0 ? undefined : this.items[index];
  }

  /** A thumbnail or preview address that changes when the server remade the file. */
  assetUrl(item, kind) {
    const url = item[`${kind}_url`];
    const version = this.versions.get(item.id);
    return version ? `${url}?v=${version}` : url;
  }

  /** Read the first page, or the page holding `photoId` (a link to an open photo). */
  async start(photoId = null) {
    if (photoId) {
      try {
        this.clock += 1;
        const askedAt = this.clock;
        const body = await api.get("/api/photos/locate-page", {
          ...this.filters,
          project: this.folder ?? undefined,
          photo_id: photoId,
          limit: this.pageSize,
          include: "tags",
        });
        this.accept(body.page_index, body, this.generation, askedAt);
        return body.position;
      } catch {
        // Gone or filtered out: open the listing at its start instead.
      }
    }
    await this.load(0);
    return null;
  }

  /** Make sure the photos from `first` to `last` (indexes) are loading; forget far pages. */
  ensure(first, last) {
    if (this.total === null) return;
    const lastIndex = Math.min(last, this.total - 1);
    this.wanted = [first, lastIndex];
    const firstPage = Math.max(0, Math.floor(first / this.pageSize));
    const lastPage = Math.floor(Math.max(first, lastIndex) / this.pageSize);
    for (let page = firstPage; page <= lastPage; page += 1) this.load(page);
    for (const [page, entry] of this.pages) {
      if (page < firstPage - KEEP_PAGES || page > lastPage + KEEP_PAGES) {
        entry.controller?.abort();
        this.forget(page);
      }
    }
  }

  forget(page) {
    this.pages.delete(page);
    const start = page * this.pageSize;
    for (let i = start; i < start + this.pageSize && i < this.items.length; i += 1) {
      const item = this.items[i];
      if (item && this.positions.get(item.id) === i) this.positions.delete(item.id);
      delete this.items[i];
    }
  }

  /**
   * The first page's address the server named in the page (a preload the browser started while
   * the modules loaded), if it is this listing's: the same endpoint, filters and page size.
   */
  preloadedFirstPage() {
    const link = document.querySelector("link[rel=preload][data-first-page]");
    if (!link) return null;
    link.remove(); // used once: a later listing (other filters) asks for itself
    const url = new URL(link.href);
    const filters = Object.fromEntries(
      [...url.searchParams].filter(([key]) => key !== "limit" && key !== "include"),
    );
    const same =
      url.pathname === this.endpoint &&
      Number(url.searchParams.get("limit")) === this.pageSize &&
      url.searchParams.get("include") === "tags" &&
      JSON.stringify(Object.entries(filters).sort()) ===
        JSON.stringify(Object.entries(this.filters).sort());
    return same ? url.pathname + url.search : null;
  }

  load(page) {
    const known = this.pages.get(page);
    if (known) return known.promise;
    const controller = new AbortController();
    const generation = this.generation;
    const preloaded = page === 0 && generation === 0 ? this.preloadedFirstPage() : null;
    // Each photo's tags come along: the viewer's panel and the table show them.
    const params = { ...this.filters, limit: this.pageSize, include: "tags" };
    if (this.folder === null && this.project) params.project = this.project;
    const before = this.pages.get(page - 1);
    const after = this.pages.get(page + 1);
    if (page === 0) {
      // The first page needs no position.
    } else if (before?.next && before.generation === generation) {
      params.cursor = before.next;
    } else if (after?.prev && after.generation === generation) {
      params.before_cursor = after.prev;
    } else {
      params.offset = page * this.pageSize;
    }
    this.clock += 1;
    const entry = { controller, generation, next: null, prev: null, askedAt: this.clock };
    const request = preloaded
      ? api.get(preloaded, null, { signal: controller.signal })
      : api.get(this.endpoint, params, { signal: controller.signal });
    entry.promise = request
      .then((body) => {
        if (this.pages.get(page) === entry) this.accept(page, body, generation, entry.askedAt);
      })
      .catch((error) => {
        if (this.pages.get(page) === entry) this.pages.delete(page);
        if (error.name !== "AbortError") this.emit({ type: "error", error });
      });
    this.pages.set(page, entry);
    return entry.promise;
  }

  accept(page, body, generation, askedAt) {
    let entry = this.pages.get(page);
    if (!entry) {
      entry = { promise: Promise.resolve(), controller: null, generation };
      this.pages.set(page, entry);
    }
    entry.next = body.next_cursor;
    entry.prev = body.prev_cursor;
    entry.generation = generation;
    const totalChanged = body.total !== this.total;
    this.total = body.total;
    this.unfilteredTotal = body.unfiltered_total;
    if (this.items.length > this.total) this.items.length = this.total;
    const start = page * this.pageSize;
    const ids = [];
    body.items.forEach((answered, offset) => {
      const item = this.withEdits(answered, askedAt);
      const index = start + offset;
      const old = this.items[index];
      if (old && this.positions.get(old.id) === index) this.positions.delete(old.id);
      this.items[index] = item;
      this.positions.set(item.id, index);
      this.left.delete(item.id); // listed again (moved within All Photos): follow it
      ids.push(item.id);
    });
    this.emit({ type: totalChanged ? "total" : "items", ids, page });
  }

  /** Change loaded photos in place (an edit shown at once, a thumbnail remade). */
  patch(photoId, changes) {
    const index = this.indexOf(photoId);
    if (index < 0) return false;
    this.items[index] = { ...this.items[index], ...changes };
    this.emit({ type: "items", ids: [photoId] });
    return true;
  }

  /** The derivatives of a photo were remade: its cell shows the new files, nothing else moves. */
  /** A photo left the listing (committed away, moved): nothing is asked for it any more. */
  gone(photoId) {
    this.left.add(photoId);
    this.scheduleRefresh();
  }

  derivativesChanged(event) {
    const { photo_id: photoId } = event;
    if (this.left.has(photoId)) return; // its files are elsewhere now
    if (this.indexOf(photoId) < 0) {
      // A photo we have not got (a new upload, a photo elsewhere): the listing may have grown.
      this.scheduleRefresh();
      return;
    }
    const changes = {};
    if (event.thumbnail_status) changes.thumbnail_status = event.thumbnail_status;
    if (event.preview_status) changes.preview_status = event.preview_status;
    if (event.error !== undefined) changes.derivative_error = event.error;
    // Sent only when files were made: a clean decode clears an old warning.
    if ("warning" in event) changes.derivative_warning = event.warning;
    if (event.thumbhash) changes.thumbhash = event.thumbhash;
    // New files only when some were made (the event then says so with `warning`); a cache hit
    // keeps the address, so the browser keeps what it has.
    if ("warning" in event) this.versions.set(photoId, (this.versions.get(photoId) ?? 0) + 1);
    this.patch(photoId, changes);
  }

  /**
   * The listing changed on the server (photos added, removed, moved): read again the pages in
   * view and the total. What is shown stays until the new answer replaces it, so nothing blinks
   * and the scroll position (an index) holds.
   */
  refresh() {
    clearTimeout(this.refreshTimer);
    this.generation += 1;
    const [first, last] = this.wanted;
    for (const [page, entry] of this.pages) {
      entry.controller?.abort();
      this.pages.delete(page);
    }
    const firstPage = Math.floor(first / this.pageSize);
    const lastPage = Math.max(firstPage, Math.floor(last / this.pageSize));
    const loads = [];
    for (let page = firstPage; page <= lastPage; page += 1) loads.push(this.load(page));
    return Promise.all(loads);
  }

  /** Many events arrive together (a commit removes hundreds): one refresh after they settle. */
  scheduleRefresh(delay = 400) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), delay);
  }

  /** Every matching photo's id in order (select-all), from the API's all-keys. */
  async allIds() {
    const body = await api.get("/api/photos/all-keys", {
      ...this.filters,
      project: this.folder ?? this.project ?? undefined,
      fields: "id",
    });
    return body.ids;
  }

  dispose() {
    clearTimeout(this.refreshTimer);
    for (const entry of this.pages.values()) entry.controller?.abort();
    this.pages.clear();
    this.listeners.clear();
  }
}
