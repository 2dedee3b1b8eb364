"""Decodes done in the isolated child process (`isolated.py`: RAW, HEIF, Pillow), and their answers
as libvips images: a RAW's embedded JPEG as it came, or decoded pixels with their ICC profile."""

from __future__ import annotations

from pathlib import Path

import pyvips

from contactsheet.imaging import isolated
from contactsheet.imaging.deadline import timeout_reason
from contactsheet.imaging.decode_errors import DecodeError, Unreadable, vips_unreadable
from contactsheet.imaging.srgb import colour_management


def ask_child(
    source: Path,
    request: dict[str, object],
    long_edge: int,
    max_pixels: int,
    deadline: float,
    timeout: float,
) -> tuple[dict[str, object], bytes]:
    """The child process's answer (header and payload) for one decode of `source`."""
    request = request | {"path": str(source), "max_pixels": max_pixels, "long_edge": long_edge}
    try:
        return isolated.decoder().request(request, deadline)
    except isolated.IsolatedTimeout:
        raise DecodeError(source, timeout_reason(timeout)) from None
    except isolated.IsolatedCrash as error:
        raise DecodeError(source, str(error)) from None
    except isolated.IsolatedError as error:
        reason = str(error)
        if "decompression-bomb" in reason:  # a limit, never handed to another decoder
            raise DecodeError(source, reason) from None
        raise Unreadable(source, reason, reason[:200]) from None


def payload_image(
    source: Path, header: dict[str, object], payload: bytes, long_edge: int, fail_on: str
) -> pyvips.Image:
    """The child's answer as a lazy libvips image at about `long_edge`, turned upright."""
    try:
        image = _image_from_payload(header, payload, long_edge, fail_on)
    except pyvips.Error as error:
        raise vips_unreadable(source, error) from None
    return _apply_libraw_flip(image, int(header.get("flip") or 0))  # type: ignore[call-overload]


def _image_from_payload(
    header: dict[str, object], payload: bytes, long_edge: int, fail_on: str
) -> pyvips.Image:
    icc_length = int(header["icc_length"])  # type: ignore[call-overload]
    if header["kind"] == "jpeg":
        # A RAW's embedded JPEG: its own EXIF orientation (if any) is ignored, the RAW's flip
        # (applied by the caller) is the one that counts.
        return pyvips.Image.thumbnail_buffer(
            payload,
            long_edge,
            height=long_edge,
            size="down",
            no_rotate=True,
            # thumbnail_buffer ignores its own fail_on; the loader's option string does not.
            option_string=f"fail_on={fail_on}",
            **colour_management(pyvips.Image.new_from_buffer(payload, "")),
        )
    width, height, bands = (int(header[key]) for key in ("width", "height", "bands"))  # type: ignore[call-overload]
    image = pyvips.Image.new_from_memory(payload[icc_length:], width, height, bands, "uchar")
    image = image.copy(interpretation="srgb" if bands >= 3 else "b-w")
    if icc_length:
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", payload[:icc_length])
    return pyvips.Image.thumbnail_image(
        image, long_edge, height=long_edge, size="down", no_rotate=True, **colour_management(image)
    )


def _apply_libraw_flip(image: pyvips.Image, flip: int) -> pyvips.Image:
    # LibRaw's flip: 3 = upside down, 5 = rotate 90 counter-clockwise, 6 = rotate 90 clockwise.
    turn = {3: "d180", 5: "d270", 6: "d90"}.get(flip)
    return image.rot(turn) if turn else image
