"""How much memory image work keeps once it is done.

glibc gives each thread that allocates its own heap (an arena), up to eight per core, and a
decode buffer freed by one thread stays in that thread's arena for it to reuse. With image threads,
request threads and libvips' own all touching 20-70 MB buffers, the server's RSS grew with the
number of threads instead of the number of images in flight (bench/ingest.py: a 100-photo ingest
peaked at 405 MB; with two arenas, 275 MB, at the same throughput).
"""

from __future__ import annotations

import ctypes

M_ARENA_MAX = -8  # glibc's <malloc.h>


def limit_arenas(count: int) -> bool:
    """Cap glibc's arenas for this process (0: leave glibc's default). False where there is no
    such setting (another C library) or it was refused."""
    if count <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_ARENA_MAX, count))
