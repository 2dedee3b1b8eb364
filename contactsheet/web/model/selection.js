// Which photos are selected, by id (so the selection survives pages being forgotten, thumbnails
// arriving and the listing refreshing), with the anchor a shift-click extends from.

export class Selection {
  constructor() {
    this.ids = new Set();
    this.anchor = -1; // index in the listing
    this.focus = -1; // index of the keyboard focus
    // What was selected when the anchor was set: a shift-range is added to it, so moving the
    // range's end back also takes photos out again (as Lightroom does).
    this.base = new Set();
    this.serial = 0; // bumped by every change, so a late shift-range answer is dropped
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this);
  }

  get size() {
    return this.ids.size;
  }

  has(id) {
    return this.ids.has(id);
  }

  list() {
    return [...this.ids];
  }

  /** A plain click: this photo alone. */
  only(id, index) {
    this.serial += 1;
    this.ids = new Set([id]);
    this.base = new Set();
    this.anchor = index;
    this.focus = index;
    this.emit();
  }

  /** Ctrl/Cmd-click: add or take away one photo. */
  toggle(id, index) {
    this.serial += 1;
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.base = new Set(this.ids);
    this.base.delete(id);
    this.anchor = index;
    this.focus = index;
    this.emit();
  }

  /**
   * Shift-click or shift+arrow: everything from the anchor to `index`, added to what was
   * selected before the range began. Photos of the range that are not loaded yet are fetched by
   * `idsBetween(from, to)`.
   */
  async extendTo(index, idsBetween) {
    const from = this.anchor < 0 ? index : this.anchor;
    const [low, high] = from <= index ? [from, index] : [index, from];
    this.serial += 1;
    const mine = this.serial;
    const ids = await idsBetween(low, high);
    // A newer range, a click or a cleared selection came first: this answer is out of date.
    if (mine !== this.serial) return;
    this.ids = new Set([...this.base, ...ids]);
    this.focus = index;
    if (this.anchor < 0) this.anchor = index;
    this.emit();
  }

  /** Where the next shift-range starts; the range adds to what is selected now. */
  setAnchor(index) {
    this.anchor = index;
    this.base = new Set(this.ids);
  }

  replace(ids) {
    this.serial += 1;
    this.ids = new Set(ids);
    this.base = new Set();
    this.emit();
  }

  /** Photos that left the listing (committed away, moved) are no longer selectable. */
  drop(ids) {
    let changed = false;
    for (const id of ids) changed = this.ids.delete(id) || changed;
    if (changed) this.emit();
  }

  clear() {
    this.serial += 1;
    this.base = new Set();
    if (!this.ids.size) return;
    this.ids.clear();
    this.emit();
  }
}
