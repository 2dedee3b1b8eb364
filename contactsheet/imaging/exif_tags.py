"""EXIF directories as plain dictionaries of tag id -> exifread tag, and typed access to them.

exifread names its results "IFD TagName"; only the tag ids are stable, so everything here works by
id. Values of damaged files are of any type and any length: every accessor returns None rather than
raising when a value is not what the standard says.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, BinaryIO

import exifread

from contactsheet.imaging.containers import BoundedReader, ExifBlock

# IFD0
IMAGE_WIDTH = 0x0100
IMAGE_LENGTH = 0x0101
MAKE = 0x010F
MODEL = 0x0110
ORIENTATION = 0x0112
SOFTWARE = 0x0131
ARTIST = 0x013B
COPYRIGHT = 0x8298
NEW_SUBFILE_TYPE = 0x00FE
XMP_PACKET = 0x02BC
SUB_IFDS = 0x014A
# EXIF IFD
EXPOSURE_TIME = 0x829A
F_NUMBER = 0x829D
EXPOSURE_PROGRAM = 0x8822
ISO = 0x8827
RECOMMENDED_EXPOSURE_INDEX = 0x8832
ISO_SPEED = 0x8833
DATE_TIME_ORIGINAL = 0x9003
DATE_TIME_DIGITIZED = 0x9004
OFFSET_TIME = 0x9010
OFFSET_TIME_ORIGINAL = 0x9011
OFFSET_TIME_DIGITIZED = 0x9012
SHUTTER_SPEED_VALUE = 0x9201
APERTURE_VALUE = 0x9202
EXPOSURE_BIAS = 0x9204
METERING_MODE = 0x9207
FLASH = 0x9209
FOCAL_LENGTH = 0x920A
SUBSEC_ORIGINAL = 0x9291
PIXEL_X = 0xA002
PIXEL_Y = 0xA003
EXPOSURE_MODE = 0xA402
WHITE_BALANCE = 0xA403
FOCAL_LENGTH_35MM = 0xA405
BODY_SERIAL = 0xA431
LENS_MAKE = 0xA433
LENS_MODEL = 0xA434
# GPS IFD
GPS_LATITUDE_REF = 0x0001
GPS_LATITUDE = 0x0002
GPS_LONGITUDE_REF = 0x0003
GPS_LONGITUDE = 0x0004
GPS_ALTITUDE_REF = 0x0005
GPS_ALTITUDE = 0x0006

# What goes into PhotoMetadata.extra: (directory, tag, key).
EXTRA_TEXT = (
    ("ifd0", SOFTWARE, "software"),
    ("ifd0", ARTIST, "artist"),
    ("ifd0", COPYRIGHT, "copyright"),
    ("exif", LENS_MAKE, "lens_make"),
    ("exif", BODY_SERIAL, "body_serial"),
)
EXTRA_NUMBER = (
    ("exif", EXPOSURE_BIAS, "exposure_bias"),
    ("exif", FOCAL_LENGTH_35MM, "focal_length_35mm"),
)
# Enumerations, kept in exifread's words ("Aperture Priority", "Flash did not fire").
EXTRA_ENUM = (
    (EXPOSURE_PROGRAM, "exposure_program"),
    (EXPOSURE_MODE, "exposure_mode"),
    (METERING_MODE, "metering_mode"),
    (FLASH, "flash"),
    (WHITE_BALANCE, "white_balance"),
)

_PREFIXES = {"Image": "ifd0", "EXIF": "exif", "GPS": "gps"}


@dataclass
class Directories:
    ifd0: dict[int, Any] = field(default_factory=dict)
    exif: dict[int, Any] = field(default_factory=dict)
    gps: dict[int, Any] = field(default_factory=dict)


def parse_blocks(blocks: list[ExifBlock], errors: list[str]) -> Directories:
    """Parse each TIFF structure with exifread; the first value of a tag wins. A block that fails
    adds to `errors` and the others still count."""
    directories = Directories()
    for block in blocks:
        source = block.source
        handle = BoundedReader(io.BytesIO(source)) if isinstance(source, bytes) else source
        try:
            # details=False: no MakerNotes (vendor-specific, the usual home of parser bugs) and
            # no thumbnail extraction; strict=False: a bad field is skipped, not fatal.
            found = exifread.process_file(
                handle, details=False, strict=False, extract_thumbnail=False, truncate_tags=False
            )
        except Exception as error:
            errors.append(f"EXIF: {type(error).__name__}: {error}".strip())
            continue
        if not found:
            # Every TIFF structure has a first directory; exifread found none: it is damaged.
            errors.append("EXIF: no readable directory (damaged TIFF structure)")
            continue
        for key, tag in found.items():
            prefix = key.split(" ", 1)[0]
            name = _PREFIXES.get(prefix)
            if name == "ifd0":
                name = _PREFIXES.get(block.ifd0_is, "ifd0")
            if name is None or not hasattr(tag, "tag"):
                continue
            getattr(directories, name).setdefault(tag.tag, tag)
    return directories


def xmp_packet(directories: Directories) -> bytes | None:
    """The XMP that TIFF files (and TIFF-based RAWs) keep in IFD0."""
    entry = directories.ifd0.get(XMP_PACKET)
    values = entry.values if entry is not None else None
    if isinstance(values, bytes):
        return values
    if isinstance(values, list) and all(isinstance(v, int) and 0 <= v < 256 for v in values):
        return bytes(values)
    if isinstance(values, str):
        return values.encode("utf-8", "replace")
    return None


def text(directory: dict[int, Any], tag: int) -> str | None:
    entry = directory.get(tag)
    if entry is None:
        return None
    values = entry.values
    if isinstance(values, bytes):
        values = values.decode("utf-8", "replace")
    if not isinstance(values, str):
        return None
    # Cameras pad with NULs and sometimes leave garbage after the first one.
    cleaned = values.split("\x00", 1)[0].strip()
    return cleaned or None


def printable(directory: dict[int, Any], tag: int) -> str | None:
    entry = directory.get(tag)
    if entry is None:
        return None
    value = str(entry.printable).replace("\x00", "").strip()
    return value or None


def numbers(directory: dict[int, Any], tag: int) -> list[float]:
    entry = directory.get(tag)
    if entry is None or isinstance(entry.values, str | bytes):
        return []
    result: list[float] = []
    try:
        for value in list(entry.values)[:16]:
            result.append(_to_float(value))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return []
    return result


def number(directory: dict[int, Any], tag: int) -> float | None:
    values = numbers(directory, tag)
    return values[0] if values and not math.isnan(values[0]) else None


def integer(directory: dict[int, Any], tag: int) -> int | None:
    value = number(directory, tag)
    return int(value) if value is not None and math.isfinite(value) else None


def _to_float(value: Any) -> float:
    if isinstance(value, Fraction):
        # exifread keeps n/0 as a Fraction whose float() divides by zero: that is "no value".
        return float(value.numerator) / float(value.denominator)
    return float(value)


# --- the size of a RAW's main image ---------------------------------------------------------------


def largest_raw_image(handle: BinaryIO, directories: Directories) -> tuple[int, int] | None:
    """The largest full-resolution image (NewSubFileType 0) among IFD0 and its SubIFDs.

    exifread does not follow SubIFDs without also decoding MakerNotes, and a RAW's IFD0 is often
    a small preview (NEF) while the sensor image sits in a SubIFD (NEF, DNG, ARW).
    """
    reader = BoundedReader(handle, 1024 * 1024)
    header = reader.read(8)
    endian = "<" if header[:2] == b"II" else ">"
    offsets = [struct.unpack(endian + "I", header[4:8])[0]]
    sub_ifds = directories.ifd0.get(SUB_IFDS)
    if sub_ifds is not None and not isinstance(sub_ifds.values, str | bytes):
        offsets += [int(v) for v in list(sub_ifds.values)[:8]]
    best: tuple[int, int] | None = None
    for offset in offsets:
        entries = _ifd_entries(reader, endian, offset)
        if entries.get(NEW_SUBFILE_TYPE, 0) != 0:
            continue  # a preview or a mask
        width, height = entries.get(IMAGE_WIDTH, 0), entries.get(IMAGE_LENGTH, 0)
        if width > 0 and height > 0 and (best is None or width * height > best[0] * best[1]):
            best = (width, height)
    return best


def _ifd_entries(reader: BinaryIO, endian: str, offset: int) -> dict[int, int]:
    """The SHORT/LONG scalar entries of one IFD (enough for sizes and subfile types)."""
    try:
        reader.seek(offset)
        (count,) = struct.unpack(endian + "H", reader.read(2))
        data = reader.read(12 * min(count, 512))
    except (struct.error, OSError, ValueError):
        return {}
    entries: dict[int, int] = {}
    for i in range(len(data) // 12):
        tag, kind, _count = struct.unpack(endian + "HHI", data[i * 12 : i * 12 + 8])
        if kind == 3:  # SHORT
            entries[tag] = struct.unpack(endian + "H", data[i * 12 + 8 : i * 12 + 10])[0]
        elif kind == 4:  # LONG
            entries[tag] = struct.unpack(endian + "I", data[i * 12 + 8 : i * 12 + 12])[0]
    return entries
