"""What the engine is asked to make (`DerivativeSpec`) and what it gives back (`Rendered`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DerivativeSpec:
    kind: str  # "thumbnail", "preview"
    long_edge: int
    format: Literal["webp", "jpeg"]
    quality: int  # 1-100
    # WebP: libwebp's method 0 (fastest) .. 6 (smallest files). JPEG: 0 = standard Huffman
    # tables, 1 or more = optimised tables (a few % smaller, a few % slower).
    effort: int


# Chosen by bench/derivatives.py (24 MP JPEGs, per core): a 3000 px WebP costs about as much to
# encode as the whole JPEG costs to decode, even at effort 0, so WebP previews miss the target of
# "thumbnail + preview within twice a plain full decode" (ratio ~2.3; libvips' default effort 4:
# ~4.1). A JPEG preview (q85, standard Huffman tables) meets it (ratio ~1.3, PSNR 40 dB). The
# thumbnail stays WebP: at 800 px it costs little and is 3x smaller than a JPEG, which counts in a
# grid that loads hundreds of them.
DEFAULT_PREVIEW = DerivativeSpec("preview", 3000, "jpeg", 85, 0)
DEFAULT_THUMBNAIL = DerivativeSpec("thumbnail", 800, "webp", 80, 0)


@dataclass(frozen=True)
class Rendered:
    kind: str
    data: bytes
    width: int
    height: int
    media_type: str
    extension: str
    # Which decoder produced the pixels: "libvips", "libvips-lenient" (errors in the data
    # ignored), "pillow", "libheif", "libraw-preview" (a RAW's embedded JPEG) or
    # "libraw-demosaic". Recorded so a too-small preview can never hide.
    decoded_with: str = ""
    # What was wrong with a source shown anyway (damaged data, a codec libvips lacks), in the
    # decoder's words; None for a clean decode.
    warning: str | None = None
