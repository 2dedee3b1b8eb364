// One photo in the viewer: its thumbnail (cached from the grid, shown at once) and its preview,
// fetched and decoded off the page so that swapping it in paints at once; cancelled when the
// user goes the other way.

/** A photo's two displayable elements: its thumbnail (cached from the grid) and its preview. */
export class Entry {
  constructor(list, item, onChange) {
    this.id = item.id;
    this.thumbUrl = list.assetUrl(item, "thumbnail");
    this.previewUrl = list.assetUrl(item, "preview");
    this.thumb = this.element(item, "thumbnail");
    this.preview = this.element(item, "preview");
    this.thumbReady = false;
    this.previewReady = false;
    this.failed = false;
    this.cancelled = false;
    this.started = false;
    this.onChange = onChange;
  }

  element(item, state) {
    const img = new Image();
    img.className = "viewer-image";
    img.alt = item.basename;
    img.draggable = false;
    img.dataset.photoId = String(item.id);
    img.dataset.state = state;
    return img;
  }

  start(priority) {
    this.preview.fetchPriority = priority;
    if (this.started) return;
    this.started = true;
    this.thumb.src = this.thumbUrl;
    this.thumb.decode().then(
      () => {
        this.thumbReady = true;
        this.onChange(this);
      },
      () => {},
    );
    this.preview.src = this.previewUrl;
    // Decoded off the page, so swapping it in paints at once.
    this.preview.decode().then(
      () => {
        this.previewReady = true;
        this.onChange(this);
      },
      () => {
        if (this.cancelled) return;
        this.failed = true;
        this.onChange(this);
      },
    );
  }

  /** Stop what is still loading: its connection is worth more to the photos ahead. */
  cancel() {
    this.cancelled = true;
    if (!this.previewReady) this.preview.removeAttribute("src");
    if (!this.thumbReady) this.thumb.removeAttribute("src");
  }
}
