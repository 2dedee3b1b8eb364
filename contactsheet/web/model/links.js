// Shared links: addresses that show a set of photos to anyone who has them, without a login.
// The requests the links page and the Share dialog make, and the link's expiry as a date input
// holds it. A link only ever shows its public photos; the private ones stay in it, hidden.

import { api, BULK_LIMIT } from "../lib/api.js";

const BASE = "/api/shared-links";

export function all() {
  return api.get(BASE).then((answer) => answer.items);
}

export function get(id) {
  return api.get(`${BASE}/${id}`);
}

/**
 * A new link holding `photoIds`. The API takes as many ids in one request as a bulk edit does,
 * so a larger selection is added to the new link in further chunks.
 */
export async function create(fields, photoIds = []) {
  let link = await api.post(BASE, { ...fields, photo_ids: photoIds.slice(0, BULK_LIMIT) });
  if (photoIds.length > BULK_LIMIT) link = (await addPhotos(link.id, photoIds.slice(BULK_LIMIT))).link;
  return link;
}

export function update(id, changes) {
  return api.patch(`${BASE}/${id}`, changes);
}

export function remove(id) {
  return api.delete(`${BASE}/${id}`);
}

/** A new key: the old address stops working at once. */
export function regenerate(id) {
  return api.post(`${BASE}/${id}/regenerate`);
}

/** Adds photos in chunks; resolves to the photos added and the link as the last answer left it. */
export async function addPhotos(id, photoIds) {
  let added = 0;
  let link = null;
  for (let start = 0; start < photoIds.length; start += BULK_LIMIT) {
    const answer = await api.post(`${BASE}/${id}/photos`, { add: photoIds.slice(start, start + BULK_LIMIT) });
    added += answer.added;
    link = answer.link;
  }
  return { added, link: link ?? (await get(id)) };
}

export async function removePhotos(id, photoIds) {
  const answer = await api.post(`${BASE}/${id}/photos`, { remove: photoIds });
  return answer.link;
}

/** One page of the link's photos, public and private, with their visibility. */
export function photos(id, { cursor, limit = 100, signal } = {}) {
  return api.get(`${BASE}/${id}/photos`, { cursor, limit }, { signal });
}

/** What a person pastes into a message: the link's full address. */
export function absoluteUrl(link) {
  return new URL(link.url, location.origin).href;
}

export function privateCount(link) {
  return Math.max(0, (link.photo_count ?? 0) - (link.public_count ?? 0));
}

// A date input names a day; a link set to expire "on" a day works until that day is over where
// the photographer is, so the moment stored is the next local midnight.
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Today where the photographer is, as a date input's value (the earliest expiry offered). */
export function today() {
  const now = new Date();
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** "2027-01-31" → the ISO moment the link stops working; "" → null (never expires). */
export function expiryOfDate(value) {
  const match = DAY.exec(value ?? "");
  if (!match) return null;
  const [, year, month, day] = match.map(Number);
  return new Date(year, month - 1, day + 1).toISOString();
}

function pad(n) {
  return String(n).padStart(2, "0");
}

export function parseTime(text) {
  // A time written without a zone is the server's UTC.
  return new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

/** Whether the link stops at a local midnight: then it was set as "through the day before". */
function endsAtMidnight(moment) {
  return moment.getHours() === 0 && moment.getMinutes() === 0 && moment.getSeconds() === 0 && moment.getMilliseconds() === 0;
}

/** The last day the link works, as a date input's value ("" when it never expires). */
export function dateOfExpiry(expiresAt) {
  if (!expiresAt) return "";
  const moment = parseTime(expiresAt);
  const last = endsAtMidnight(moment) ? new Date(moment.getTime() - 1) : moment;
  return `${last.getFullYear()}-${pad(last.getMonth() + 1)}-${pad(last.getDate())}`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The expiry in words: "Never expires", "Works until the end of 31 Jan 2027", "Expired …". */
export function expiryText(link) {
  if (!link.expires_at) return "Never expires";
  const moment = parseTime(link.expires_at);
  if (link.expired) return `Expired ${timeFormat.format(moment)}`;
  if (endsAtMidnight(moment)) return `Works until the end of ${dayFormat.format(new Date(moment.getTime() - 1))}`;
  return `Works until ${timeFormat.format(moment)}`;
}
