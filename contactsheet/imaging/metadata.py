"""What a photo says about itself: date taken, camera, lens, exposure, size, orientation, GPS.

`read_metadata` never raises and never decodes pixels. `containers.py` finds the EXIF (and XMP) in
each format with bounded reads; exifread (pure Python, so a damaged file cannot crash the process)
parses every EXIF structure the same way. exifread was chosen by measuring the real-camera corpus
(`bench/metadata.py`): it read date, make, model and orientation of every RAW and TIFF, where
Pillow and libvips could not open most of them.

Time zones: a camera writes local time. When the file also states its UTC offset
(OffsetTimeOriginal, else OffsetTime), `date_time_original` carries that offset and `taken_at` is
the true instant in UTC.
Without an offset, `taken_at` is the camera's wall-clock time *labelled* UTC (not converted): every
photo of a shoot then sorts in the order and at the hour the photographer saw on the camera, and no
server time zone leaks in. Such a value is not a true instant; `extra["offset"]` is absent for it.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from contactsheet.imaging import exif_tags as tags
from contactsheet.imaging.containers import Found, find
from contactsheet.imaging.formats import SNIFF_BYTES, kind_of, sniff

# exifread logs a warning for every file without EXIF ("File format not recognized") and for each
# odd field; the reader reports what matters in extra["error"], so only its errors are worth a line.
logging.getLogger("exifread").setLevel(logging.ERROR)


@dataclass(frozen=True)
class PhotoMetadata:
    date_time_original: str | None = None
    taken_at: datetime | None = None
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """A JSON object of every field (`taken_at` as ISO 8601 in UTC)."""
        data = asdict(self)
        data["taken_at"] = self.taken_at.isoformat() if self.taken_at else None
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def read_metadata(path: Path) -> PhotoMetadata:
    """Read the metadata of any accepted file. Never raises: what could not be read is missing,
    and `extra["error"]` says why."""
    errors: list[str] = []
    found = Found()
    directories = tags.Directories()
    raw_size: tuple[int, int] | None = None
    try:
        with path.open("rb") as handle:
            content = sniff(handle.read(SNIFF_BYTES))
            if content is None:
                raise ValueError("not a recognised image format")
            try:
                find(path, content, handle, found)
            except Exception as error:
                errors.append(_describe(error))
            directories = tags.parse_blocks(found.blocks, errors)
            if content in ("tiff", "orf", "rw2"):
                handle.seek(0)
                raw_size = tags.largest_raw_image(handle, directories)
    except Exception as error:
        errors.append(_describe(error))
    try:
        return _build(found, directories, raw_size, kind=kind_of(path.name), errors=errors)
    except Exception as error:
        errors.append(_describe(error))
        return PhotoMetadata(extra={"error": "; ".join(errors)})


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _build(
    found: Found,
    d: tags.Directories,
    raw_size: tuple[int, int] | None,
    *,
    kind: str | None,
    errors: list[str],
) -> PhotoMetadata:
    extra: dict[str, Any] = {}
    packet = found.xmp or tags.xmp_packet(d)
    xmp = packet.decode("utf-8", "replace") if packet else ""

    date_text, offset, date_source = _date_parts(d, xmp)
    subsec = tags.text(d.exif, tags.SUBSEC_ORIGINAL)
    date_time_original, taken_at = _iso_and_instant(date_text, offset, subsec)
    if date_time_original and date_source != "DateTimeOriginal":
        extra["date_source"] = date_source
    if offset and date_time_original:
        extra["offset"] = offset
    if subsec and subsec.isdigit():
        extra["subsec"] = subsec

    orientation = tags.integer(d.ifd0, tags.ORIENTATION)
    if orientation is None:
        orientation = _xmp_int(xmp, "tiff:Orientation")
    if orientation is not None and not 1 <= orientation <= 8:
        orientation = None

    width, height = _size(found, d, raw_size, orientation, is_raw=kind == "raw")
    lat, lon = _gps(d)
    _extras(d, extra)
    if errors:
        extra["error"] = "; ".join(errors)
    return PhotoMetadata(
        date_time_original=date_time_original,
        taken_at=taken_at,
        orientation=orientation,
        width=width,
        height=height,
        make=tags.text(d.ifd0, tags.MAKE),
        model=tags.text(d.ifd0, tags.MODEL),
        lens=tags.text(d.exif, tags.LENS_MODEL) or _xmp_text(xmp, "aux:Lens"),
        exposure_time=_exposure_time(d),
        f_number=_f_number(d),
        iso=_iso(d),
        focal_length=_positive(tags.number(d.exif, tags.FOCAL_LENGTH)),
        gps_lat=lat,
        gps_lon=lon,
        extra=extra,
    )


# --- dates ----------------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})[:\-/.](\d{2})[:\-/.](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _date_parts(d: tags.Directories, xmp: str) -> tuple[str | None, str | None, str]:
    """(date text, UTC offset text, where it came from): the moment the shutter fired, preferring
    DateTimeOriginal, then DateTimeDigitized (the same moment for a camera), then XMP."""
    general_offset = tags.text(d.exif, tags.OFFSET_TIME)
    for tag, offset_tag, source in (
        (tags.DATE_TIME_ORIGINAL, tags.OFFSET_TIME_ORIGINAL, "DateTimeOriginal"),
        (tags.DATE_TIME_DIGITIZED, tags.OFFSET_TIME_DIGITIZED, "DateTimeDigitized"),
    ):
        value = tags.text(d.exif, tag)
        if value and _parse_date(value):
            return value, tags.text(d.exif, offset_tag) or general_offset, source
    for name in ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"):
        value = _xmp_text(xmp, name)
        if value and _parse_date(value):
            # XMP dates are ISO 8601 and may end with their own offset ("...+02:00" or "Z")
            match = re.search(r"(Z|[+-]\d{2}:\d{2})$", value)
            offset = "+00:00" if match and match.group(1) == "Z" else (match and match.group(1))
            return value, offset or None, "XMP " + name
    return None, None, ""


def _parse_date(text: str) -> datetime | None:
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if year < 1800:  # "0000:00:00 00:00:00" is how cameras say "unknown"
        return None
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _iso_and_instant(
    text: str | None, offset: str | None, subsec: str | None
) -> tuple[str | None, datetime | None]:
    local = _parse_date(text) if text else None
    if local is None:
        return None, None
    zone = _zone(offset)
    iso = local.isoformat()
    if zone is not None and offset:
        iso += _OFFSET.sub(r"\1\2:\3", offset.strip())
    precise = local
    if subsec and subsec.isdigit():
        # Sub-second digits keep a burst in shutter order; "5" means .5 s, "050" means .05 s.
        precise = local + timedelta(microseconds=int((subsec + "000000")[:6]))
    if zone is None:
        return iso, precise.replace(tzinfo=UTC)
    return iso, precise.replace(tzinfo=zone).astimezone(UTC)


def _zone(offset: str | None) -> timezone | None:
    match = _OFFSET.match(offset.strip()) if offset else None
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


# --- size, exposure, GPS --------------------------------------------------------------------------


def _size(
    found: Found,
    d: tags.Directories,
    raw_size: tuple[int, int] | None,
    orientation: int | None,
    *,
    is_raw: bool,
) -> tuple[int | None, int | None]:
    if found.width and found.height:
        width, height = found.width, found.height
        if found.displayed_size and orientation in (5, 6, 7, 8):
            # libheif reported the displayed size; the stored one is the other way round.
            width, height = height, width
        return width, height
    exif_size = (tags.integer(d.exif, tags.PIXEL_X), tags.integer(d.exif, tags.PIXEL_Y))
    ifd0_size = (tags.integer(d.ifd0, tags.IMAGE_WIDTH), tags.integer(d.ifd0, tags.IMAGE_LENGTH))
    # A RAW's EXIF states the developed image's size (its IFD0 is often a small preview); a TIFF's
    # own directory is the truth, its EXIF may predate a resize.
    order = (exif_size, raw_size, ifd0_size) if is_raw else (raw_size, ifd0_size, exif_size)
    for width, height in (size for size in order if size):
        if width and height and width > 0 and height > 0:
            return width, height
    return None, None


def _exposure_time(d: tags.Directories) -> float | None:
    value = _positive(tags.number(d.exif, tags.EXPOSURE_TIME))
    if value is None:
        apex = tags.number(d.exif, tags.SHUTTER_SPEED_VALUE)
        if apex is not None and -20 < apex < 40:
            value = 2.0 ** (-apex)  # APEX: Tv = -log2(t)
    return value


def _f_number(d: tags.Directories) -> float | None:
    value = _positive(tags.number(d.exif, tags.F_NUMBER))
    if value is None:
        apex = tags.number(d.exif, tags.APERTURE_VALUE)
        if apex is not None and 0 <= apex < 30:
            value = round(2.0 ** (apex / 2), 1)  # APEX: Av = 2 log2(N)
    return value


def _iso(d: tags.Directories) -> int | None:
    # 65535 is what cameras write when the real value does not fit; ISOSpeed then has it.
    for tag in (tags.ISO, tags.ISO_SPEED, tags.RECOMMENDED_EXPOSURE_INDEX):
        value = tags.integer(d.exif, tag)
        if value and 0 < value < 65535:
            return value
    return None


def _gps(d: tags.Directories) -> tuple[float | None, float | None]:
    lat = _degrees(d.gps, tags.GPS_LATITUDE, tags.GPS_LATITUDE_REF, "S", 90)
    lon = _degrees(d.gps, tags.GPS_LONGITUDE, tags.GPS_LONGITUDE_REF, "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None, None  # 0/0 is what a phone writes before it has a fix
    return lat, lon


def _degrees(
    gps: dict[int, Any], tag: int, ref_tag: int, negative: str, limit: float
) -> float | None:
    parts = tags.numbers(gps, tag)
    if not parts:
        return None
    degrees = sum(part / 60**i for i, part in enumerate(parts[:3]))
    if math.isnan(degrees) or not 0 <= degrees <= limit:
        return None
    ref = (tags.text(gps, ref_tag) or "").upper()
    return round(-degrees if ref.startswith(negative) else degrees, 7)


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 and math.isfinite(value) else None


def _extras(d: tags.Directories, extra: dict[str, Any]) -> None:
    for directory, tag, key in tags.EXTRA_TEXT:
        value = tags.text(getattr(d, directory), tag)
        if value:
            extra[key] = value
    for directory, tag, key in tags.EXTRA_NUMBER:
        value = tags.number(getattr(d, directory), tag)
        if value is not None and math.isfinite(value):
            extra[key] = round(value, 6)
    for tag, key in tags.EXTRA_ENUM:
        printable = tags.printable(d.exif, tag)
        if printable:
            extra[key] = printable
    altitude = tags.number(d.gps, tags.GPS_ALTITUDE)
    if altitude is not None and math.isfinite(altitude) and (d.gps or {}):
        below_sea = tags.integer(d.gps, tags.GPS_ALTITUDE_REF) == 1
        extra["gps_altitude"] = round(-altitude if below_sea else altitude, 2)
    if d.gps:
        extra["gps_ifd"] = True  # the file has a GPS directory, even when it holds no position


# --- XMP (a fallback: cameras put the truth in EXIF) ---------------------------------------------


def _xmp_text(xmp: str, name: str) -> str | None:
    if not xmp:
        return None
    match = re.search(rf'{re.escape(name)}="([^"]*)"', xmp) or re.search(
        rf"<{re.escape(name)}>([^<]*)</{re.escape(name)}>", xmp
    )
    value = match.group(1).strip() if match else ""
    return value or None


def _xmp_int(xmp: str, name: str) -> int | None:
    value = _xmp_text(xmp, name)
    return int(value) if value and value.isdigit() else None
