// Content fingerprints as the server writes them (docs/ingest.md): xxh3_128 of the whole file,
// "xxh3_128:<32 lowercase hex>". With them the upload analysis can tell a copy of a photo already
// here from a different picture that only shares its name. Files are read in chunks, so a 60 MB
// RAW never sits in memory whole and the page can show progress and stop.

export const ALGORITHM = "xxh3_128";
const CHUNK_BYTES = 8 * 1024 * 1024;

let hasher = null; // one WebAssembly instance, reused (files are hashed one after another)

// Loaded on the first upload, not with the page: the grid's first screen does not wait for it.
async function createXXHash128() {
  const module = await import("../vendor/xxhash128.js");
  return module.createXXHash128();
}

/** Whether the browser may run the hasher (WebAssembly allowed by the page's policy). */
export async function available() {
  try {
    hasher ??= await createXXHash128();
    return true;
  } catch {
    return false;
  }
}

/**
 * The fingerprint of `file`. `onProgress(bytesRead)` after each chunk; rejects with an
 * AbortError when `signal` is aborted between chunks.
 */
export async function fingerprint(file, { signal, onProgress } = {}) {
  hasher ??= await createXXHash128();
  hasher.init();
  for (let start = 0; start < file.size; start += CHUNK_BYTES) {
    if (signal?.aborted) throw new DOMException("hashing stopped", "AbortError");
    const chunk = new Uint8Array(await file.slice(start, start + CHUNK_BYTES).arrayBuffer());
    hasher.update(chunk);
    onProgress?.(Math.min(file.size, start + CHUNK_BYTES));
  }
  return `${ALGORITHM}:${hasher.digest("hex")}`;
}
