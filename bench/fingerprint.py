"""Which hash fingerprints a source file fastest: MB/s of xxh3_128, BLAKE3 and MD5 (baseline).

Writes a few 20-50 MB files of incompressible bytes (like JPEG and RAW data) to a temporary folder,
then hashes each the way `contactsheet.imaging.fingerprint` does (1 MiB chunks), reading from the
page cache so that the hash, not the disk, is measured.

    .venv/bin/python bench/fingerprint.py [--repeat N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import blake3
import xxhash

CHUNK = 1024 * 1024
SIZES_MB = (20, 35, 50)
ALGORITHMS: dict[str, Callable[[], Any]] = {
    "xxh3_128": xxhash.xxh3_128,
    "blake3": blake3.blake3,
    "blake3 (max_threads=1)": lambda: blake3.blake3(max_threads=1),
    "md5": hashlib.md5,
    "sha256": hashlib.sha256,
}


def hash_file(path: Path, factory: Callable[[], Any]) -> str:
    digest = factory()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for size in SIZES_MB:
            path = Path(folder) / f"{size}MB.bin"
            path.write_bytes(os.urandom(size * CHUNK))
            files.append(path)
        total_mb = sum(SIZES_MB)
        for path in files:  # warm the page cache
            hash_file(path, hashlib.md5)
        print(f"{'algorithm':<26}{'MB/s':>10}{'ms per 50 MB':>16}")
        for name, factory in ALGORITHMS.items():
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                for path in files:
                    hash_file(path, factory)
                best = min(best, time.perf_counter() - started)
            rate = total_mb / best
            print(f"{name:<26}{rate:>10.0f}{50 / rate * 1000:>16.1f}")


if __name__ == "__main__":
    main()
