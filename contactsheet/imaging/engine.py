"""Thumbnails and previews: decode a source once, make every size from that one decode.

Decode once (docs/derivatives.md, "Making them"): the largest derivative (the preview) is made first
from the source, with libvips' shrink-on-load where the format has one (JPEG decodes at 1/2, 1/4 or
1/8 scale), and each smaller one (the thumbnail) from the previous result, never from the source
again. Output is 8-bit sRGB, upright (EXIF orientation applied), never upscaled, and carries no
metadata at all (no EXIF, no GPS, no ICC profile: browsers take untagged images as sRGB).

Which decoder opens which file, and how damaged files are still shown: `decode.py`. Shrinking,
encoding and ThumbHashes: `encode.py`. All libvips work holds the error-log guard (`error_log.py`),
and its computations in this process stop at the deadline (`deadline.py`).

Alpha: kept in WebP output (a transparent PNG stays transparent in the grid), flattened on white
for JPEG output, which has no alpha.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pyvips

from contactsheet.imaging import isolated
from contactsheet.imaging.decode import decode
from contactsheet.imaging.decode_errors import DecodeError
from contactsheet.imaging.encode import encode, shrink, thumbhash_of
from contactsheet.imaging.error_log import error_log
from contactsheet.imaging.formats import kind_of
from contactsheet.imaging.memory import limit_arenas
from contactsheet.imaging.specs import DEFAULT_PREVIEW, DEFAULT_THUMBNAIL, DerivativeSpec, Rendered

# The public face: what other packages import comes from here, whichever module holds it.
__all__ = [
    "DEFAULT_PREVIEW",
    "DEFAULT_THUMBNAIL",
    "ENGINE_REVISION",
    "ENGINE_VERSION",
    "DecodeError",
    "DerivativeSpec",
    "Rendered",
    "configure",
    "pick_source",
    "render",
    "thumbhash_of",
]

# Raise when a change alters any output for the same input: new encoder settings, a new colour
# pipeline, another way of choosing a RAW's source, a file that failed and now decodes (2: damaged
# files decoded leniently, old-style JPEG TIFFs through Pillow; a failure is retried only when the
# source or this version changes). The library versions below join it, so an
# upgrade of libvips, LibRaw or libheif also invalidates the derivative cache.
ENGINE_REVISION = 2


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


ENGINE_VERSION: str = (
    f"cs{ENGINE_REVISION}"
    f"-vips{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    f"-rawpy{_package_version('rawpy')}"
    f"-heif{_package_version('pillow-heif')}"
)


def configure(vips_concurrency: int, malloc_arenas: int = 0) -> None:
    """Threads libvips (and the isolated RAW/HEIF decoders) may use per worker process, and the
    C library's heaps the process keeps (`memory.limit_arenas`).

    Left alone (docs/derivatives.md, "Threads"), libvips starts one thread per core for every
    pipeline, and a pool of workers on a many-core server multiplies that into hundreds of threads.
    """
    threads = max(1, int(vips_concurrency))
    pyvips.concurrency_set(threads)
    isolated.set_threads(threads)
    limit_arenas(malloc_arenas)


def render(
    source: Path, specs: Sequence[DerivativeSpec], *, max_pixels: int, timeout: float
) -> list[Rendered]:
    """Decode `source` once and make every spec from it, largest first, each smaller one from the
    previous result. Returns the derivatives in the order of `specs`.

    A damaged source that a lenient decode (or Pillow) can still show is decoded again that way,
    and its results carry the `warning`. Raises DecodeError when the file has no accepted extension
    (docs/ingest.md) or no decoder here can read it, has more than `max_pixels` pixels (checked from
    the header, before any pixel is decoded), or takes longer than `timeout` seconds in all.
    """
    if not specs:
        return []
    deadline = time.monotonic() + timeout
    ordered = sorted(specs, key=lambda spec: spec.long_edge, reverse=True)
    decoded = decode(source, ordered[0].long_edge, max_pixels, deadline, timeout)
    current = decoded.image
    made: dict[int, Rendered] = {}
    # Shrinking and encoding write to libvips' error log too: they hold the guard like a decode.
    with error_log.shared():
        for index, spec in enumerate(ordered):
            if index:
                current = shrink(source, current, spec.long_edge, deadline, timeout)
            encoded = encode(source, current, spec, deadline, timeout)
            made[id(spec)] = Rendered(
                spec.kind,
                encoded.data,
                current.width,
                current.height,
                encoded.media_type,
                encoded.extension,
                decoded.decoded_with,
                decoded.warning,
            )
    return [made[id(spec)] for spec in specs]


def pick_source(filenames: Sequence[str]) -> str | None:
    """The file of a photo that derivatives are made from: its JPG, else its other image (PNG,
    TIFF, HEIF, WebP), else its RAW. None when no file is of an accepted type."""
    for wanted in ("jpg", "other", "raw"):
        matching = sorted(name for name in filenames if kind_of(name) == wanted)
        if matching:
            return matching[0]
    return None
