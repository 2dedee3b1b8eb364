"""Opening a source: the decoder chosen by its content, at about the largest derivative's size.

A file is decoded only when its content matches its extension (`decode_checks.py`), and then:
- JPEG, PNG, TIFF, WebP: libvips, in this process, stopped at the deadline (`deadline.py`);
- HEIF/HEIC/HIF: libheif (pyvips-binary cannot decode HEVC), and RAW: LibRaw (its embedded
  preview when large enough, else a demosaic): both in a child process (`isolated_decode.py`) that
  is killed at the deadline, because neither library can be interrupted from Python.

Damaged but readable files are shown, as browsers and other viewers show them. libvips decodes
strictly first, failing on any warning about the image data; on such a failure it decodes again
ignoring errors (a truncated JPEG shows what was there; a few bad codes in a fax TIFF cost a few
lines), and where libvips lacks the codec (old-style JPEG in TIFF) Pillow decodes the file in the
child process, under the same pixel and time limits. Each such result carries a `warning` saying
what was wrong; a file none of them can read is a DecodeError. Limits (pixels, time) are never
retried: a decompression bomb is not handed to a second decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyvips

from contactsheet.imaging.deadline import run
from contactsheet.imaging.decode_checks import check_pixels, checked_content
from contactsheet.imaging.decode_errors import DecodeError, Unreadable, vips_unreadable
from contactsheet.imaging.error_log import error_log
from contactsheet.imaging.formats import kind_of
from contactsheet.imaging.isolated_decode import ask_child, payload_image
from contactsheet.imaging.srgb import colour_management, upright_srgb


@dataclass(frozen=True)
class Decoded:
    image: pyvips.Image  # in memory, upright 8-bit sRGB, about the largest derivative's size
    decoded_with: str
    warning: str | None = None


def decode(
    source: Path, long_edge: int, max_pixels: int, deadline: float, timeout: float
) -> Decoded:
    """The source decoded once (more only when damaged), at about the largest derivative's size."""
    content = checked_content(source)
    if kind_of(source.name) == "raw":
        return _decode_isolated(source, "raw", long_edge, max_pixels, deadline, timeout)
    if content == "heif":
        return _decode_isolated(source, "heif", long_edge, max_pixels, deadline, timeout)

    def with_vips(fail_on: str) -> pyvips.Image:
        image = _open_with_vips(source, long_edge, max_pixels, fail_on)
        return _in_memory(source, image, deadline, timeout)

    try:
        # "warning": libvips counts every complaint of the decoder about the data as a failure,
        # so a damaged file never passes as a clean one.
        with error_log.shared():
            return Decoded(with_vips("warning"), "libvips")
    except Unreadable:
        pass
    with error_log.alone():
        try:
            return Decoded(with_vips("warning"), "libvips")  # the file was replaced meanwhile
        except Unreadable as error:
            strict = _detached(error)
        if not strict.codec_missing:
            if not strict.worded:
                # A warning libvips did not put into words: failing only on errors says whether
                # the data is damaged, and how.
                try:
                    return Decoded(with_vips("error"), "libvips")
                except Unreadable as error:
                    strict = _detached(error)
            try:
                return Decoded(
                    with_vips("none"),
                    "libvips-lenient",
                    _warning(f"damaged, shown as far as it could be read ({strict.detail})"),
                )
            except Unreadable:
                pass
    try:
        request = {"op": "pillow", "content": content}
        header, payload = ask_child(source, request, long_edge, max_pixels, deadline, timeout)
        with error_log.shared():
            image = payload_image(source, header, payload, long_edge, "none")
            pillow = _in_memory(source, image, deadline, timeout)
    except Unreadable:
        raise DecodeError(source, strict.reason) from None
    said = f"; Pillow: {header['warning']}" if header.get("warning") else ""
    return Decoded(
        pillow, "pillow", _warning(f"libvips cannot read it ({strict.detail}), Pillow can{said}")
    )


def _detached(error: Unreadable) -> Unreadable:
    """The error without the frames it was raised through. Kept beyond its `except`, it would
    otherwise hold them, and the lazy libvips images in them, in a reference cycle that only the
    garbage collector frees, at any moment, perhaps inside pyvips' log handler on a libvips
    thread: an image's disposal logs ("read gave 2 warnings"), and GLib aborts the process on a
    message logged from within its own log handler."""
    error.__traceback__ = None
    error.__context__ = None
    return error


def _open_with_vips(source: Path, long_edge: int, max_pixels: int, fail_on: str) -> pyvips.Image:
    try:
        header = pyvips.Image.new_from_file(_vips_name(source))
        check_pixels(source, header.width, header.height, max_pixels)
        # thumbnail shrinks on load (JPEG: DCT scaling; WebP: scaled decode), applies the EXIF
        # orientation, and turns CMYK and 16-bit into 8-bit sRGB.
        return pyvips.Image.thumbnail(
            _vips_name(source),
            long_edge,
            height=long_edge,
            size="down",
            fail_on=fail_on,
            **colour_management(header),
        )
    except pyvips.Error as error:
        raise vips_unreadable(source, error) from None


def _vips_name(source: Path) -> str:
    name = str(source)
    if name.endswith("]"):
        # libvips reads a trailing "[...]" as load options; an explicit empty option list keeps
        # such a name whole.
        return name + "[]"
    return name


def _decode_isolated(
    source: Path, op: str, long_edge: int, max_pixels: int, deadline: float, timeout: float
) -> Decoded:
    header, payload = ask_child(source, {"op": op}, long_edge, max_pixels, deadline, timeout)
    decoded_with = str(header["decoded_with"])

    def pixels(fail_on: str) -> pyvips.Image:
        image = payload_image(source, header, payload, long_edge, fail_on)
        return _in_memory(source, image, deadline, timeout)

    try:
        with error_log.shared():
            return Decoded(pixels("warning"), decoded_with)
    except Unreadable:
        if header["kind"] != "jpeg":
            raise
    # A RAW's embedded JPEG that is damaged: shown as far as it can be read, like any JPEG.
    with error_log.alone():
        try:
            return Decoded(pixels("warning"), decoded_with)
        except Unreadable as strict:
            warning = (
                f"damaged embedded preview, shown as far as it could be read ({strict.detail})"
            )
        return Decoded(pixels("none"), decoded_with, _warning(warning))


def _in_memory(source: Path, image: pyvips.Image, deadline: float, timeout: float) -> pyvips.Image:
    """The lazy decode computed, upright and sRGB: errors in the data surface here."""
    return run(source, image, deadline, timeout, lambda lazy: upright_srgb(lazy).copy_memory())


def _warning(text: str) -> str:
    return text[:300]
