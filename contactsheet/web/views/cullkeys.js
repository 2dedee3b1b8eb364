// The culling keys, the same in the grid (for every selected photo) and in the viewer (for the
// open one), following Lightroom where it has a convention. The help overlay lists this table.

import { setKeep, setPick, setRating } from "../model/culling.js";

export const CULLING_KEYS = [
  { keys: ["j"], label: "Keep the JPG only", run: (list, ids) => setKeep(list, ids, "jpg") },
  { keys: ["r"], label: "Keep RAW + JPG", run: (list, ids) => setKeep(list, ids, "both") },
  {
    keys: ["Delete", "Backspace"],
    label: "Discard both (at the next commit)",
    run: (list, ids) => setKeep(list, ids, "none"),
  },
  ...[0, 1, 2, 3, 4, 5].map((stars) => ({
    keys: [String(stars)],
    label: stars ? `Rate ${stars} star${stars > 1 ? "s" : ""}` : "Clear the rating",
    run: (list, ids) => setRating(list, ids, stars),
  })),
  { keys: ["p"], label: "Pick", run: (list, ids) => setPick(list, ids, "picked") },
  { keys: ["x"], label: "Reject", run: (list, ids) => setPick(list, ids, "rejected") },
  { keys: ["u"], label: "Unflag", run: (list, ids) => setPick(list, ids, "unflagged") },
];

/** The culling action of a key press, or null. Modifier keys are other shortcuts. */
export function cullingAction(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return CULLING_KEYS.find((entry) => entry.keys.includes(key)) ?? null;
}
