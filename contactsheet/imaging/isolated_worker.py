"""The child side of `isolated.py`: decodes HEIF (libheif) and RAW (LibRaw) files on request,
and, with Pillow, the JPEG/PNG/TIFF/WebP files libvips could not read.

Run as `python -m contactsheet.imaging.isolated_worker`. It reads one JSON request per line on
stdin and answers each with one JSON header line on stdout followed by the payload bytes the
header announces. It exits when stdin closes (its parent is gone).

These decoders cannot be interrupted from Python and, being C/C++ parsers of untrusted files
(Pillow's TIFF reader is libtiff), are the likeliest to crash; running them here lets the parent
kill a decode that overruns its time limit and survive a segfault.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

# LibRaw's demosaic and libheif's decoder use their own threads; the parent caps them like libvips.
_THREADS = max(1, int(os.environ.get("CONTACTSHEET_DECODE_THREADS", "1")))


class WorkerError(Exception):
    """A decode that failed for a reason worth showing to the photographer."""


def main() -> None:
    import pillow_heif
    import rawpy  # noqa: F401 - imported now so that no request pays for it

    pillow_heif.options.DECODE_THREADS = _THREADS
    # The protocol owns the real stdout; anything a C library prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    _answer(replies, {"ready": True}, b"")
    for line in requests:
        try:
            request = json.loads(line)
            if request["op"] == "heif":
                header, payload = _heif(request)
            elif request["op"] == "raw":
                header, payload = _raw(request)
            elif request["op"] == "pillow":
                header, payload = _pillow(request)
            else:
                raise WorkerError(f"unknown request {request['op']!r}")
            header["ok"] = True
        except WorkerError as error:
            header, payload = {"ok": False, "error": str(error)}, b""
        except Exception as error:  # any decoder failure is an answer, not a crash
            header, payload = {"ok": False, "error": _describe(error)}, b""
        _answer(replies, header, payload)


def _answer(out: BinaryIO, header: dict[str, Any], payload: bytes) -> None:
    header["length"] = len(payload)
    out.write(json.dumps(header).encode() + b"\n")
    out.write(payload)
    out.flush()


# LibRaw's own words are terse ("Input/output error" for a file that ends early).
_LIBRAW_MEANING = {
    "LibRawIOError": "the RAW file is truncated or damaged",
    "LibRawFileUnsupportedError": "LibRaw cannot read this RAW file (unsupported or damaged)",
    "LibRawDataError": "the RAW image data is corrupt",
    "LibRawTooBigError": "the RAW image is too large for LibRaw",
    "LibRawUnsufficientMemoryError": "not enough memory to decode this RAW",
}


def _describe(error: BaseException) -> str:
    name = type(error).__name__
    text = str(error).strip()
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    if name in _LIBRAW_MEANING:
        return f"{_LIBRAW_MEANING[name]} (LibRaw: {text or name})"
    return f"{name}: {text}" if text else name


# --- HEIF -----------------------------------------------------------------------------------------


def _heif(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    import pillow_heif

    heif = pillow_heif.open_heif(request["path"], convert_hdr_to_8bit=True)
    width, height = heif.size
    if width * height > request["max_pixels"]:
        raise WorkerError(_too_many_pixels(width, height, request["max_pixels"]))
    # libheif decodes here, applying the container's rotation and mirroring (irot/imir): the
    # pixels arrive upright and the EXIF orientation must not be applied again.
    image = heif[heif.primary_index]
    mode = image.mode
    bands = {"RGB": 3, "RGBA": 4, "L": 1, "LA": 2}.get(mode)
    if bands is None:
        raise WorkerError(f"unsupported HEIF pixel mode {mode}")
    data = _compact(memoryview(image.data), image.stride, width * bands, height)
    icc = image.info.get("icc_profile") or b""
    header = {
        "kind": "pixels",
        "width": width,
        "height": height,
        "bands": bands,
        "icc_length": len(icc),
        "decoded_with": "libheif",
        "flip": 0,
    }
    return header, bytes(icc) + data


def _compact(data: memoryview, stride: int, row: int, height: int) -> bytes:
    """Rows without the padding some decoders add at the end of each."""
    if stride == row:
        return bytes(data[: row * height])
    return b"".join(bytes(data[y * stride : y * stride + row]) for y in range(height))


# --- Pillow ---------------------------------------------------------------------------------------

# Pillow may open only what the parent sniffed the file to be: never a format chosen by Pillow.
_PILLOW_FORMATS = {"jpeg": ["JPEG", "MPO"], "png": ["PNG"], "tiff": ["TIFF"], "webp": ["WEBP"]}


def _pillow(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """A file libvips refused, read by Pillow as leniently as it can: the first frame, upright,
    8-bit, shrunk by a whole factor to no less than the size asked for."""
    import warnings

    from PIL import Image, ImageFile, ImageOps

    formats = _PILLOW_FORMATS.get(request.get("content", ""))
    if formats is None:
        raise WorkerError(f"Pillow is not used for {request.get('content')!r} files")
    # The request's own limit is checked below, from the header, before any pixel is decoded.
    Image.MAX_IMAGE_PIXELS = None
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    with (
        warnings.catch_warnings(record=True) as said,
        Image.open(request["path"], formats=formats) as image,
    ):
        warnings.simplefilter("always")
        width, height = image.size
        if width * height > request["max_pixels"]:
            raise WorkerError(_too_many_pixels(width, height, request["max_pixels"]))
        wanted = max(1, int(request["long_edge"]))
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (wanted, wanted))  # DCT scaling, never below the size asked for
        icc = image.info.get("icc_profile") or b""
        image.load()
        pixels, icc = _eight_bit(ImageOps.exif_transpose(image), icc)
        factor = max(1, max(pixels.size) // wanted)
        if factor > 1:
            pixels = pixels.reduce(factor)
    bands = len(pixels.getbands())
    warning = "; ".join(dict.fromkeys(str(w.message) for w in said)) or None
    header = {
        "kind": "pixels",
        "width": pixels.width,
        "height": pixels.height,
        "bands": bands,
        "icc_length": len(icc),
        "decoded_with": "pillow",
        "flip": 0,
        "warning": warning,
    }
    return header, bytes(icc) + pixels.tobytes()


def _eight_bit(image: Any, icc: bytes) -> tuple[Any, bytes]:
    """8-bit grey, grey + alpha, RGB or RGBA, and the ICC profile when it still describes them."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image, icc
    if mode == "1":
        return image.convert("L"), icc
    if mode in ("P", "PA"):
        transparent = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB"), icc
    if mode.startswith("I;16") or mode == "I":
        # 16-bit (or 32-bit integer) grey: scaled, not clipped, to 8 bits
        scale = 1 / 256 if mode.startswith("I;16") else 1 / 16_777_216
        return image.convert("I").point(lambda value: value * scale).convert("L"), icc
    # CMYK, LAB, YCbCr, floats: converted by Pillow; a profile of the old space no longer applies.
    return image.convert("RGBA" if "A" in mode else "RGB"), b""


# --- RAW ------------------------------------------------------------------------------------------

_MIN_BITS_PER_PIXEL = 0.5  # no camera compresses its sensor data further than this


def _raw(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    import rawpy

    path, max_pixels, wanted = request["path"], request["max_pixels"], request["long_edge"]
    with rawpy.imread(path) as raw:
        sizes = raw.sizes
        if sizes.raw_width * sizes.raw_height > max_pixels:
            raise WorkerError(_too_many_pixels(sizes.raw_width, sizes.raw_height, max_pixels))
        long_edge = max(sizes.width, sizes.height)
        # The embedded preview serves when it is at least as large as the largest derivative
        # (or as the photo itself, if that is smaller): a smaller one is never used silently.
        needed = min(wanted, long_edge) if long_edge > 0 else wanted
        preview = _embedded_preview(raw, needed, max_pixels)
        if preview is not None:
            header, payload = preview
            header["flip"] = sizes.flip
            return header, payload
        file_size = Path(path).stat().st_size
        if file_size * 8 < sizes.raw_width * sizes.raw_height * _MIN_BITS_PER_PIXEL:
            raise WorkerError(
                f"the RAW image data is missing or truncated ({file_size} bytes for a "
                f"{sizes.raw_width}x{sizes.raw_height} sensor)"
            )
        # Half size (2x2 binning, no interpolation) is 4x faster and still large enough
        # whenever half the photo's long edge reaches the largest derivative.
        half = long_edge // 2 >= needed
        rgb = raw.postprocess(half_size=half, use_camera_wb=True, output_bps=8)
    height, width, bands = rgb.shape
    if int(rgb.max()) - int(rgb.min()) < 2:
        raise WorkerError("the RAW decoded to a blank image (its image data is damaged)")
    header = {
        "kind": "pixels",
        "width": width,
        "height": height,
        "bands": bands,
        "icc_length": 0,
        "decoded_with": "libraw-demosaic",
        "flip": 0,  # postprocess() already applied the RAW's orientation
    }
    return header, rgb.tobytes()


def _embedded_preview(
    raw: Any, needed: int, max_pixels: int
) -> tuple[dict[str, Any], bytes] | None:
    import rawpy

    from contactsheet.imaging.containers import jpeg_exif_and_size

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawError, rawpy.NotSupportedError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        data = bytes(thumb.data)
        try:
            found = jpeg_exif_and_size(data)
        except ValueError:
            return None
        width, height = found.width or 0, found.height or 0
        if max(width, height) < needed or width * height > max_pixels:
            return None
        header = {"kind": "jpeg", "width": width, "height": height, "bands": 3}
        header.update({"icc_length": 0, "decoded_with": "libraw-preview"})
        return header, data
    if thumb.format == rawpy.ThumbFormat.BITMAP:
        height, width, bands = thumb.data.shape
        if max(width, height) < needed:
            return None
        header = {"kind": "pixels", "width": width, "height": height, "bands": bands}
        header.update({"icc_length": 0, "decoded_with": "libraw-preview"})
        return header, thumb.data.tobytes()
    return None


def _too_many_pixels(width: int, height: int, limit: int) -> str:
    return (
        f"{width}x{height} is {width * height:,} pixels, above the limit of {limit:,} "
        "(decompression-bomb protection)"
    )


if __name__ == "__main__":
    main()
