"""The engine and the metadata reader against 342 real camera and phone files.

The corpus lives beside the repository (`../shared/corpus`, or `$CONTACTSHEET_CORPUS`) and is
never copied into it; without it these tests skip and say so. Every folder is covered: every JPEG,
TIFF and PNG renders; HEIC decoding costs about a second per 12-megapixel photo, so a sample of
HEIC files renders unless CONTACTSHEET_CORPUS_ALL=1 (every file's metadata is read either way).
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from contactsheet.imaging.engine import (
    DEFAULT_PREVIEW,
    DEFAULT_THUMBNAIL,
    DecodeError,
    DerivativeSpec,
    render,
)
from contactsheet.imaging.metadata import read_metadata

CORPUS = Path(
    os.environ.get("CONTACTSHEET_CORPUS")
    or Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
)
MISSING = f"no real-camera corpus at {CORPUS} (set CONTACTSHEET_CORPUS to run these tests)"
RENDER_ALL = os.environ.get("CONTACTSHEET_CORPUS_ALL") == "1"
THUMB = DerivativeSpec("thumbnail", 320, "webp", 75, 0)
MAX_PIXELS = 120_000_000
TIMEOUT = 60.0

# Damaged or unusual files every viewer shows, each shown here with the decoder's warning:
# name -> (the decoder that made it, words of its warning).
KNOWN_DAMAGED = {
    # old-style JPEG-in-TIFF (compression 6) on its last page, which pyvips-binary's libtiff is
    # built without: Pillow reads the first page
    "9b286add70871bbbef1601997b429344.tif": ("pillow", "Old-style JPEG"),
    # corrupt CCITT data: "Bad code word at line 85 of strip 0"
    "m1-f228b1103fd7b629c08c1bbba94708e0.tif": ("libvips-lenient", "Bad code word"),
    # corrupt JPEG-in-TIFF data: "Unsupported marker type 0x86"
    "m2-f4830e8d4fa458f78a09fcaaf260569c.tif": ("libvips-lenient", "Unsupported marker"),
    # two stray bytes before a marker: libjpeg decodes it whole, and warns
    "Issue 308.jpg": ("libvips-lenient", "extraneous bytes"),
}
ORIENTATIONS = {
    "Horizontal (normal)": 1,
    "Mirrored horizontal": 2,
    "Rotated 180": 3,
    "Mirrored vertical": 4,
    "Mirrored horizontal then rotated 90 CCW": 5,
    "Rotated 90 CW": 6,
    "Mirrored horizontal then rotated 90 CW": 7,
    "Rotated 90 CCW": 8,
}


def _rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


ROWS = _rows()


def _folder(row: dict[str, str]) -> str:
    return row["file"].split("/", 1)[0]


def _heic_sample(rows: list[dict[str, str]]) -> set[str]:
    """The smallest HEIC/HIF files by pixel count, plus rotated phone photos."""
    heic = [row for row in rows if _folder(row) == "heic"]

    def pixels(row: dict[str, str]) -> int:
        width, _, height = row["dimensions"].partition("x")
        return int(width) * int(height) if width.isdigit() and height.isdigit() else 0

    smallest = sorted(heic, key=pixels)[:3]
    rotated = [row for row in heic if row["orientation"] == "Rotated 90 CW"][:1]
    return {row["file"] for row in smallest + rotated}


RENDERED_FOLDERS = ("jpeg", "jpeg_orientation", "heic", "tiff", "png")
HEIC_SAMPLE = _heic_sample(ROWS)
TO_RENDER = [
    row
    for row in ROWS
    if _folder(row) in RENDERED_FOLDERS
    and (_folder(row) != "heic" or RENDER_ALL or row["file"] in HEIC_SAMPLE)
]


def _params(rows: list[dict[str, str]]) -> list[object]:
    if not rows:
        return [pytest.param(None, id="no-corpus")]
    return [pytest.param(row, id=row["file"]) for row in rows]


def _need(row: dict[str, str] | None) -> dict[str, str]:
    if row is None:
        pytest.skip(MISSING)
    return row


@pytest.mark.parametrize("row", _params(TO_RENDER))
def test_renders_a_thumbnail(row: dict[str, str] | None) -> None:
    row = _need(row)
    path = CORPUS / row["file"]
    (thumb,) = render(path, [THUMB], max_pixels=MAX_PIXELS, timeout=TIMEOUT)
    if path.name in KNOWN_DAMAGED:
        decoder, words = KNOWN_DAMAGED[path.name]
        assert thumb.decoded_with == decoder
        assert thumb.warning is not None and words in thumb.warning, thumb.warning
    else:
        assert thumb.warning is None, thumb.warning
    assert 0 < max(thumb.width, thumb.height) <= 320
    assert thumb.data[:4] == b"RIFF"
    name = path.name.lower()
    if _folder(row) == "jpeg_orientation" and name.startswith(("landscape_", "portrait_")):
        # these pictures are landscape or portrait *as displayed*, whatever their stored rotation
        assert (thumb.width > thumb.height) == ("landscape" in name), (thumb.width, thumb.height)


@pytest.mark.parametrize("row", _params(ROWS))
def test_metadata_never_raises(row: dict[str, str] | None) -> None:
    row = _need(row)
    started = time.monotonic()
    meta = read_metadata(CORPUS / row["file"])
    assert time.monotonic() - started < 5.0
    for field, column in (("make", "make"), ("model", "model")):
        expected = row[column].strip() or None
        if expected is None or expected.startswith("b'"):  # the manifest's own unreadable bytes
            continue
        assert getattr(meta, field) == expected, field
    if _folder(row) == "jpeg_orientation":
        stated = row["orientation"].strip()
        expected_orientation = ORIENTATIONS.get(stated) or (
            int(stated) if stated.isdigit() and 1 <= int(stated) <= 8 else None
        )
        assert meta.orientation == expected_orientation


@pytest.mark.parametrize("row", _params([r for r in ROWS if _folder(r) == "raw_metadata_only"]))
def test_damaged_raw_ends_in_a_decode_error(row: dict[str, str] | None) -> None:
    row = _need(row)
    path = CORPUS / row["file"]
    started = time.monotonic()
    with pytest.raises(DecodeError) as caught:
        # the sizes the app makes: a damaged RAW's small embedded thumbnail never stands in
        specs = [DEFAULT_PREVIEW, DEFAULT_THUMBNAIL]
        render(path, specs, max_pixels=MAX_PIXELS, timeout=TIMEOUT)
    assert str(caught.value).startswith(f"cannot decode {path.name}: ")
    assert time.monotonic() - started < 30
