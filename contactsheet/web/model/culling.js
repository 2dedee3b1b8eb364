// Every decision a photographer makes about photos (keep, rating, pick, visibility, tags), in
// one place for the grid's toolbar, its keys and the viewer: shown at once, sent at once, and
// rolled back with a message when the server refuses it (all of it, or some photos).

import { bulk } from "../lib/api.js";
import { count } from "../lib/format.js";
import { notify, notifyError } from "../lib/notices.js";

export const KEEP_CHOICES = {
  jpg: { label: "Keep JPG only", key: "j" },
  both: { label: "Keep RAW + JPG", key: "r" },
  none: { label: "Discard both", key: "Delete" },
  raw: { label: "Keep RAW only", key: null },
};

/**
 * The keep flags a choice means for one photo: a format the photo lacks is left alone. A photo
 * not loaded (select-all in a large project) is sent the whole choice with `only_available`, and
 * the server leaves out what it does not have.
 */
export function keepFlags(item, choice) {
  const jpg = item ? item.jpg_available : true;
  const raw = item ? item.raw_available : true;
  const wantJpg = choice === "jpg" || choice === "both";
  const wantRaw = choice === "raw" || choice === "both";
  return {
    keep_jpg: jpg ? wantJpg : null,
    keep_raw: raw ? wantRaw : null,
  };
}

/**
 * What the photo keeps at the next commit: "jpg", "raw", "both", "discard", or "other" for a
 * photo of PNG, TIFF, HEIC or WebP only (a commit never removes those files).
 */
export function keepState(item) {
  const hasJpg = item.jpg_available;
  const jpg = hasJpg && item.keep_jpg;
  const raw = item.raw_available && item.keep_raw;
  const pending = (hasJpg && !item.keep_jpg) || (item.raw_available && !item.keep_raw);
  if (!hasJpg && !item.raw_available) return { state: "other", label: "Image", pending: false };
  if (!jpg && !raw) return { state: "discard", label: "Discard", pending };
  if (jpg && raw) return { state: "both", label: "RAW + JPG", pending };
  if (raw) return { state: "raw", label: pending ? "RAW only" : "RAW", pending };
  return { state: "jpg", label: pending ? "JPG only" : "JPG", pending };
}

const same = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);

async function apply(list, ids, patchOf, send, what) {
  const changes = new Map(); // photo id -> {field: [old value, shown value]}
  const settles = new Map(); // photo id -> settle(ok) of its edit in the list
  for (const id of ids) {
    const item = list.byId(id);
    if (!item) continue;
    const patch = patchOf(item);
    changes.set(id, Object.fromEntries(Object.keys(patch).map((k) => [k, [item[k], patch[k]]])));
    settles.set(id, list.beginEdit(id, patch));
    list.patch(id, patch);
  }
  // Only the fields this change set, and only while they still show its value: a later
  // decision that succeeded (or a thumbnail that arrived) is not undone with it.
  const rollback = (id) => {
    const item = list.byId(id);
    const fields = changes.get(id);
    if (!item || !fields) return;
    const undo = {};
    for (const [key, [old, shown]] of Object.entries(fields)) {
      if (same(item[key], shown)) undo[key] = old;
    }
    if (Object.keys(undo).length) list.patch(id, undo);
  };
  try {
    const answers = await send();
    const failed = answers.flatMap((answer) => answer.failed ?? []);
    const refused = new Set(failed.map((failure) => failure.photo_id));
    for (const [id, settle] of settles) settle(!refused.has(id));
    for (const failure of failed) rollback(failure.photo_id);
    if (failed.length) {
      const first = failed[0];
      notify(
        `${what}: ${count(failed.length, "photo")} not changed (${first.error})`,
        { kind: "error" },
      );
    }
    return { failed };
  } catch (error) {
    for (const settle of settles.values()) settle(false);
    for (const id of changes.keys()) rollback(id);
    notifyError(`${what} failed`, error);
    return { failed: ids.map((id) => ({ photo_id: id })) };
  }
}

export function setKeep(list, ids, choice) {
  return apply(
    list,
    ids,
    (item) => {
      const flags = keepFlags(item, choice);
      return {
        keep_jpg: flags.keep_jpg ?? item.keep_jpg,
        keep_raw: flags.keep_raw ?? item.keep_raw,
      };
    },
    () =>
      bulk("/api/photos/keep", ids, { only_available: true }, (id) => ({
        photo_id: id,
        ...keepFlags(list.byId(id), choice),
      })),
    KEEP_CHOICES[choice].label,
  );
}

export function setRating(list, ids, rating) {
  return apply(list, ids, () => ({ rating }), () => bulk("/api/photos/rating", ids, { rating }), "Rating");
}

export function setPick(list, ids, pick) {
  return apply(list, ids, () => ({ pick }), () => bulk("/api/photos/pick", ids, { pick }), "Flag");
}

export function setVisibility(list, ids, visibility) {
  return apply(
    list,
    ids,
    () => ({ visibility }),
    () => bulk("/api/photos/visibility", ids, { visibility }),
    "Visibility",
  );
}

export function addTags(list, ids, tags) {
  return apply(
    list,
    ids,
    (item) => (item.tags ? { tags: [...new Set([...item.tags, ...tags])] } : {}),
    () => bulk("/api/photos/tags/add", ids, { tags }),
    "Tags",
  );
}

export function removeTags(list, ids, tags) {
  const gone = new Set(tags.map((t) => t.toLowerCase()));
  return apply(
    list,
    ids,
    (item) => (item.tags ? { tags: item.tags.filter((t) => !gone.has(t.toLowerCase())) } : {}),
    () => bulk("/api/photos/tags/remove", ids, { tags }),
    "Tags",
  );
}
