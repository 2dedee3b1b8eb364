// A photo's ThumbHash (base64, from the listing) as a tiny PNG data URL, painted behind a cell's
// thumbnail until it arrives. Decoded once per photo: scrolling back and forth never decodes again.

import { thumbHashToDataURL } from "../vendor/thumbhash.js";

// Each URL is a few kilobytes; a bound keeps a long scroll through 50,000 photos from growing the
// heap without end (oldest first out: Map keeps insertion order).
const LIMIT = 3000;
const cache = new Map(); // photo id -> {hash, url}

function bytesOf(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The placeholder of a photo, or null when it has none (not analysed yet, or unreadable). */
export function placeholderUrl(item) {
  const hash = item?.thumbhash;
  if (!hash) return null;
  const known = cache.get(item.id);
  if (known && known.hash === hash) return known.url;
  let url = null;
  try {
    url = thumbHashToDataURL(bytesOf(hash));
  } catch {
    url = null; // a damaged hash: no placeholder rather than a broken cell
  }
  cache.delete(item.id);
  cache.set(item.id, { hash, url });
  if (cache.size > LIMIT) cache.delete(cache.keys().next().value);
  return url;
}
