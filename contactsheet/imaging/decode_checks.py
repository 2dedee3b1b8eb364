"""What is checked before a source is decoded: that it may be decoded at all, and its size."""

from __future__ import annotations

from pathlib import Path

from contactsheet.imaging.decode_errors import DecodeError
from contactsheet.imaging.formats import SNIFF_BYTES, content_matches, kind_of, sniff


def checked_content(source: Path) -> str:
    """What the file is, when it may be decoded at all (the type and content checks of every file,
    docs/ingest.md): readable, of an accepted type, its content what its extension says."""
    try:
        with source.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise DecodeError(source, f"cannot read the file ({error.strerror or error})") from None
    if kind_of(source.name) is None:
        raise DecodeError(
            source, f"{source.suffix or 'no extension'} is not an accepted photo type"
        )
    content = sniff(head)
    if content is None:
        raise DecodeError(source, f"not an image this app can read ({_describe_content(head)})")
    if not content_matches(source.name, head):
        # The same rule as upload (docs/ingest.md): a ".nef" holding a JPEG is not a RAW, whatever
        # it is.
        raise DecodeError(
            source, f"the content ({content.upper()}) does not match the {source.suffix} extension"
        )
    return content


def check_pixels(source: Path, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise DecodeError(
            source,
            f"{width}x{height} is {width * height:,} pixels, above the limit of {max_pixels:,} "
            "(decompression-bomb protection)",
        )


def _describe_content(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if head.startswith(b"%PDF"):
        return "it is a PDF document"
    if head.lstrip().startswith((b"<?xml", b"<svg", b"<!DOCTYPE", b"<html")):
        return "it is a text/markup document"
    if head[4:8] == b"ftyp":
        return f"an ISO media file of brand {head[8:12].decode('latin-1')!r}"
    return "unrecognised content"
