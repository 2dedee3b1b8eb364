"""Which metadata library: coverage over the real-camera corpus, and speed.

For every file of the corpus (`MANIFEST.tsv`), each candidate reads date taken, make, model,
orientation and GPS presence; a field counts as a match when it equals what the manifest states
(an empty manifest cell means "absent"). Prints, per folder and candidate, the fraction of files
where each field matches, the fraction where all five do, and the time per file.

    .venv/bin/python bench/metadata.py [--corpus PATH] [--repeat N]

The manifest's `gps` column records whether a file has a GPS directory (many hold no position),
so that is what the gps column compares.

Candidates: Pillow (+ pillow-heif for HEIF), exifread, pyvips `get_fields`, rawpy (RAW only: it has
no make/model/GPS API), and `contactsheet` (the reader the app uses, for comparison).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIELDS = ("date", "make", "model", "orientation", "gps")
ORIENTATION_NAMES = {
    "Horizontal (normal)": 1,
    "Mirrored horizontal": 2,
    "Rotated 180": 3,
    "Mirrored vertical": 4,
    "Mirrored horizontal then rotated 90 CCW": 5,
    "Rotated 90 CW": 6,
    "Mirrored horizontal then rotated 90 CW": 7,
    "Rotated 90 CCW": 8,
}


@dataclass
class Found:
    date: str | None = None  # "YYYY:MM:DD HH:MM:SS"
    make: str | None = None
    model: str | None = None
    orientation: int | None = None
    gps: bool = False


def default_corpus() -> Path:
    env = os.environ.get("CONTACTSHEET_CORPUS")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def expected_of(row: dict[str, str]) -> Found:
    orientation_text = row["orientation"].strip()
    orientation: int | None
    if orientation_text in ORIENTATION_NAMES:
        orientation = ORIENTATION_NAMES[orientation_text]
    elif orientation_text.isdigit() and 1 <= int(orientation_text) <= 8:
        orientation = int(orientation_text)
    else:
        orientation = None  # empty, or 0 (not a valid orientation)
    return Found(
        date=row["datetime_original"].strip() or None,
        make=row["make"].strip() or None,
        model=row["model"].strip() or None,
        orientation=orientation,
        gps=row["gps"].strip() == "yes",
    )


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


# --- candidates ---------------------------------------------------------------------------------


def read_pillow(path: Path) -> Found:
    from PIL import Image

    with Image.open(path) as image:
        exif = image.getexif()
    ifd = exif.get_ifd(0x8769)
    gps = exif.get_ifd(0x8825)
    orientation = exif.get(0x0112)
    return Found(
        date=_clean(ifd.get(0x9003)),
        make=_clean(exif.get(0x010F)),
        model=_clean(exif.get(0x0110)),
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        gps=bool(gps),
    )


def read_exifread(path: Path) -> Found:
    import exifread

    with path.open("rb") as handle:
        tags = exifread.process_file(handle, details=False)
    orientation_tag = tags.get("Image Orientation")
    orientation = orientation_tag.values[0] if orientation_tag is not None else None
    return Found(
        date=_clean(tags.get("EXIF DateTimeOriginal")),
        make=_clean(tags.get("Image Make")),
        model=_clean(tags.get("Image Model")),
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        gps=any(key.startswith("GPS ") for key in tags),
    )


def _vips_text(image: Any, fields: set[str], name: str) -> str | None:
    if name not in fields:
        return None
    # libvips renders EXIF strings as "value (value, ASCII, n components, m bytes)".
    return _clean(re.sub(r" \([^()]*\)$", "", str(image.get(name))))


def read_pyvips(path: Path) -> Found:
    import pyvips

    image = pyvips.Image.new_from_file(str(path), access="sequential")
    fields = set(image.get_fields())
    orientation = image.get("orientation") if "orientation" in fields else None
    date = _vips_text(image, fields, "exif-ifd2-DateTimeOriginal")
    return Found(
        date=date,
        make=_vips_text(image, fields, "exif-ifd0-Make"),
        model=_vips_text(image, fields, "exif-ifd0-Model"),
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        gps=any(name.startswith("exif-ifd3-") for name in fields),
    )


_RAW_SUFFIXES = {".nef", ".dng", ".arw", ".cr2", ".cr3", ".rw2", ".orf", ".raf", ".pef", ".srw"}
_LIBRAW_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}


def read_rawpy(path: Path) -> Found:
    import rawpy

    if path.suffix.lower() not in _RAW_SUFFIXES:
        raise ValueError("rawpy reads RAW files only")
    with rawpy.imread(str(path)) as raw:
        other = raw.other
        flip = raw.sizes.flip
    stamp = other.timestamp
    return Found(
        date=stamp.strftime("%Y:%m:%d %H:%M:%S") if stamp and stamp.year > 1970 else None,
        orientation=_LIBRAW_FLIP_TO_ORIENTATION.get(flip),
    )


def read_contactsheet(path: Path) -> Found:
    from contactsheet.imaging.metadata import read_metadata

    meta = read_metadata(path)
    date = meta.date_time_original
    return Found(
        date=date[:19].replace("-", ":", 2).replace("T", " ") if date else None,
        make=meta.make,
        model=meta.model,
        orientation=meta.orientation,
        gps=meta.gps_lat is not None or bool(meta.extra.get("gps_ifd")),
    )


CANDIDATES: dict[str, Callable[[Path], Found]] = {
    "pillow": read_pillow,
    "exifread": read_exifread,
    "pyvips": read_pyvips,
    "rawpy": read_rawpy,
    "contactsheet": read_contactsheet,
}


# --- measuring ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--repeat", type=int, default=3, help="timing repetitions per file")
    parser.add_argument("--only", nargs="*", default=list(CANDIDATES))
    args = parser.parse_args()
    manifest = args.corpus / "MANIFEST.tsv"
    if not manifest.exists():
        sys.exit(f"no corpus at {args.corpus} (set CONTACTSHEET_CORPUS or --corpus)")
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))

    import pillow_heif

    pillow_heif.register_heif_opener()
    warnings.simplefilter("ignore")

    # folder -> candidate -> field -> matches; plus all-fields, errors, seconds
    score: dict[str, dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float))
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        folder = row["file"].split("/", 1)[0]
        counts[folder] += 1
        path = args.corpus / row["file"]
        expected = expected_of(row)
        for name in args.only:
            reader = CANDIDATES[name]
            cell = score[folder][name]
            started = time.perf_counter()
            try:
                for _ in range(args.repeat):
                    found = reader(path)
            except Exception:
                found = Found()
                cell["errors"] += 1
            cell["seconds"] += (time.perf_counter() - started) / args.repeat
            matches = [getattr(found, field) == getattr(expected, field) for field in FIELDS]
            for field, ok in zip(FIELDS, matches, strict=True):
                cell[field] += ok
            cell["all"] += all(matches)

    _print_table(score, counts, args.only)


def _print_table(
    score: dict[str, dict[str, dict[str, float]]], counts: dict[str, int], names: list[str]
) -> None:
    header = f"{'folder':<18}{'library':<14}" + "".join(f"{f:>8}" for f in (*FIELDS, "all"))
    header += f"{'errors':>8}{'ms/file':>9}"
    print(header)
    print("-" * len(header))
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for folder in sorted(score):
        n = counts[folder]
        for name in names:
            cell = score[folder][name]
            for key, value in cell.items():
                totals[name][key] += value
            print(_line(folder, name, cell, n))
        print()
    total = sum(counts.values())
    for name in names:
        print(_line("ALL", name, totals[name], total))


def _line(folder: str, name: str, cell: dict[str, float], n: int) -> str:
    text = f"{folder:<18}{name:<14}"
    text += "".join(f"{cell[f] / n:>8.0%}" for f in (*FIELDS, "all"))
    return text + f"{int(cell['errors']):>8}{cell['seconds'] / n * 1000:>9.2f}"


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 64 * 1024
    main()
