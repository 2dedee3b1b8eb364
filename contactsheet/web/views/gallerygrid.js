// The shared gallery's photos as a grid of uniform square cells. Each cell is a link to its photo
// (`?photo=<id>`), so a middle click or a copied address opens the viewer on it; its ThumbHash is
// painted first and the thumbnail, loaded lazily by the browser, fades in over it. The next page
// is asked for while the end of the grid is still a screen or so away.

import { h } from "../lib/dom.js";
import { placeholderUrl } from "../lib/thumbhash.js";

// Ahead of the end: enough for a fling to find the next page there, a page of cells at most.
const AHEAD = "0px 0px 1500px 0px";

function photoHref(id) {
  const params = new URLSearchParams(location.search);
  params.set("photo", String(id));
  return `${location.pathname}?${params}`;
}

function plainClick(event) {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

/** The grid, placed at the end of `container` (in the page before it observes where its end is). */
export function createGalleryGrid(container, gallery, { onOpen }) {
  const list = h("ul", { class: "gallery-grid", id: "photos", "aria-label": "Photos" });
  const status = h("p", { class: "gallery-status", role: "status" });
  const retry = h("button", { type: "button", hidden: true, onclick: () => loadMore() }, "Try again");
  const end = h("div", { class: "gallery-end", "aria-hidden": "true" });
  const element = h("section", { class: "gallery-photos" }, list, end, h("div", { class: "gallery-foot" }, status, retry));
  const links = [];
  container.append(element);

  function cell(item, index) {
    const img = h("img", { alt: item.name, loading: "lazy", decoding: "async", draggable: "false" });
    const link = h(
      "a",
      {
        class: "gallery-cell",
        href: photoHref(item.id),
        dataset: { photoId: item.id, index },
        onclick: (event) => {
          if (!plainClick(event)) return; // a new tab or window opens the address instead
          event.preventDefault();
          onOpen(index);
        },
      },
      img,
    );
    const placeholder = placeholderUrl(item);
    if (placeholder) link.style.backgroundImage = `url("${placeholder}")`;
    img.addEventListener("load", () => link.classList.add("is-loaded"));
    // A thumbnail that cannot load leaves its placeholder rather than a broken-image icon.
    img.addEventListener("error", () => link.classList.remove("is-loaded"));
    img.src = item.thumbnail_url;
    if (img.complete && img.naturalWidth) link.classList.add("is-loaded");
    links[index] = link;
    return h("li", {}, link);
  }

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    },
    { rootMargin: AHEAD },
  );

  function loadMore() {
    if (gallery.done || gallery.loading) return;
    retry.hidden = true;
    status.textContent = "Loading more photos…";
    gallery.more();
  }

  function onChange(change) {
    if (change.type === "error") {
      status.textContent = change.error.message;
      retry.hidden = change.error.unavailable;
      return;
    }
    const cells = [];
    for (let i = change.from; i < change.to; i += 1) cells.push(cell(gallery.get(i), i));
    list.append(...cells);
    status.textContent = "";
    if (gallery.done) {
      observer.disconnect();
      return;
    }
    // An observer speaks only when the end crosses the margin: when the new page left it inside
    // (a tall window, a short page), looking again is what asks for the one after.
    observer.unobserve(end);
    observer.observe(end);
  }

  const unsubscribe = gallery.subscribe(onChange);
  if (gallery.items.length) onChange({ type: "items", from: 0, to: gallery.items.length });

  return {
    element,
    /** Bring a photo's cell into view and give it the focus (coming back from the viewer). */
    reveal(index) {
      const link = links[index];
      if (!link) return;
      link.focus({ preventScroll: true });
      link.scrollIntoView({ block: "nearest" });
    },
    destroy() {
      unsubscribe();
      observer.disconnect();
    },
  };
}
