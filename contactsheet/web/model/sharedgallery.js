// A shared link's photos as its visitor sees them: the link's facts, then its public photos page
// by page in the server's order. Pages are asked for one at a time, each with the cursor the last
// one gave, so no photo is skipped; an id already held is never added again, so none repeats even
// if the link changes between pages. Talks to /shared/api only: a visitor has no session.

const PAGE_SIZE = 100;

export class GalleryError extends Error {
  constructor(message, { unavailable = false } = {}) {
    super(message);
    this.unavailable = unavailable;
  }
}

async function problemOf(response) {
  if (response.status === 404) {
    return new GalleryError("This gallery is not available", { unavailable: true });
  }
  let message = `The server answered ${response.status}`;
  try {
    const body = await response.json();
    // The words alone, or the app's {code, message}: the visitor is shown the words either way.
    const error = body?.error;
    if (typeof error === "string") message = error;
    else if (typeof error?.message === "string") message = error.message;
  } catch {
    // Not JSON (a proxy's page): the status is all there is.
  }
  return new GalleryError(message);
}

export class SharedGallery {
  constructor(key) {
    this.endpoint = `/shared/api/${encodeURIComponent(key)}`;
    this.info = null; // {title, description, allow_downloads, expires_at, photo_count, zip_url}
    this.items = [];
    this.positions = new Map(); // photo id -> index in items
    this.cursor = null;
    this.done = false;
    this.error = null;
    this.loading = null;
    this.listeners = new Set();
  }

  /** How many photos the link shows (the server's count; the items loaded until it answers). */
  get total() {
    return Math.max(this.info?.photo_count ?? 0, this.items.length);
  }

  get(index) {
    return this.items[index];
  }

  indexOf(id) {
    return this.positions.get(id) ?? -1;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change) {
    for (const listener of this.listeners) listener(change);
  }

  /** The next page (the first when none is loaded yet); the same promise while one is on its way.
   * Resolves whatever happens: a failure is kept in `error` and told to the listeners. */
  more() {
    if (this.done) return Promise.resolve();
    this.loading ??= this.fetchPage().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async fetchPage() {
    this.error = null;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (this.cursor) params.set("cursor", this.cursor);
    let page;
    try {
      let response;
      try {
        response = await fetch(`${this.endpoint}?${params}`, { headers: { Accept: "application/json" } });
      } catch {
        throw new GalleryError("The gallery could not be reached; check the connection and try again");
      }
      if (!response.ok) throw await problemOf(response);
      page = await response.json();
    } catch (error) {
      this.error = error instanceof GalleryError ? error : new GalleryError("The gallery's answer could not be read");
      if (this.error.unavailable) this.done = true;
      this.emit({ type: "error", error: this.error });
      return;
    }
    const { items, next_cursor: next, ...info } = page;
    this.info = info;
    const from = this.items.length;
    for (const item of items ?? []) {
      if (this.positions.has(item.id)) continue;
      this.positions.set(item.id, this.items.length);
      this.items.push(item);
    }
    this.cursor = next ?? null;
    this.done = !next;
    this.emit({ type: "items", from, to: this.items.length });
  }

  /** The index of a photo, loading pages until it is found; -1 when the link does not show it. */
  async find(id) {
    while (this.indexOf(id) < 0 && !this.done) {
      await this.more();
      if (this.error) break;
    }
    return this.indexOf(id);
  }
}
