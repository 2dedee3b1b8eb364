"""From the decoded image to the files: each smaller size shrunk from the previous one, encoded
without any metadata, and the ThumbHash placeholder of a thumbnail."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pyvips

from contactsheet.imaging.deadline import run
from contactsheet.imaging.error_log import error_log
from contactsheet.imaging.specs import DerivativeSpec, Rendered


@dataclass(frozen=True)
class Encoded:
    data: bytes
    media_type: str
    extension: str


def shrink(
    source: Path, image: pyvips.Image, long_edge: int, deadline: float, timeout: float
) -> pyvips.Image:
    def smaller(current: pyvips.Image) -> pyvips.Image:
        shrunk = pyvips.Image.thumbnail_image(
            current, long_edge, height=long_edge, size="down", no_rotate=True
        )
        return shrunk.copy_memory()

    return run(source, image, deadline, timeout, smaller)


def encode(
    source: Path, image: pyvips.Image, spec: DerivativeSpec, deadline: float, timeout: float
) -> Encoded:
    """`image` as the file `spec` asks for; JPEG has no alpha, so it is flattened on white."""
    if spec.format == "webp":
        data = run(
            source,
            image,
            deadline,
            timeout,
            lambda current: current.write_to_buffer(
                ".webp", Q=spec.quality, effort=max(0, min(6, spec.effort)), keep="none"
            ),
        )
        return Encoded(data, "image/webp", ".webp")
    flat = image.flatten(background=[255, 255, 255]) if image.hasalpha() else image
    data = run(
        source,
        flat,
        deadline,
        timeout,
        lambda current: current.write_to_buffer(
            ".jpg", Q=spec.quality, optimize_coding=spec.effort > 0, keep="none"
        ),
    )
    return Encoded(data, "image/jpeg", ".jpg")


def thumbhash_of(rendered_thumbnail: Rendered) -> str | None:
    """A ThumbHash (base64, ~25 bytes) of a rendered derivative: a blurred placeholder the grid can
    paint before thumbnails arrive. None when the image cannot be read or the library is absent."""
    try:
        import thumbhash
    except ImportError:
        return None
    try:
        # libvips work outside the guard would disturb a damaged file's decode (see error_log.py)
        with error_log.shared():
            # ThumbHash takes at most 100x100 RGBA and keeps only ~7x7 frequencies: 100 px is ample.
            small = pyvips.Image.thumbnail_buffer(rendered_thumbnail.data, 100, height=100)
            if not small.hasalpha():
                small = small.bandjoin(255)
            rgba = small.colourspace("srgb").cast("uchar")
            if rgba.bands != 4:
                return None
            pixels = bytes(rgba.write_to_memory())
        digest = thumbhash.rgba_to_thumb_hash(rgba.width, rgba.height, pixels)
    except (pyvips.Error, ValueError):
        return None
    return base64.b64encode(bytes(digest)).decode("ascii")
