"""Metadata of synthetic files is read back exactly; damaged files never raise or hang."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contactsheet.imaging.metadata import PhotoMetadata, read_metadata
from tests import imagefactory as make

EXIF = make.DEFAULT_EXIF


def _dms(value: float) -> float:
    """The value after the factory's degrees/minutes/seconds(1e-4) encoding."""
    value_abs = abs(value)
    degrees = int(value_abs)
    minutes = int((value_abs - degrees) * 60)
    seconds = round(((value_abs - degrees) * 60 - minutes) * 60 * 10000) / 10000
    return degrees + minutes / 60 + seconds / 3600


def assert_camera_fields(meta: PhotoMetadata) -> None:
    assert meta.extra.get("error") is None
    assert meta.date_time_original == "2024-05-01T14:03:22+02:00"
    # 14:03:22.250 at UTC+2 is 12:03:22.250 UTC
    assert meta.taken_at == datetime(2024, 5, 1, 12, 3, 22, 250000, tzinfo=UTC)
    assert meta.make == "Contax"
    assert meta.model == "Sheet One"
    assert meta.lens == "Sheet 35mm F1.4"
    assert meta.exposure_time == pytest.approx(1 / 250)
    assert meta.f_number == pytest.approx(2.8)
    assert meta.iso == 400
    assert meta.focal_length == pytest.approx(35.0)
    # south and west: both negative
    assert meta.gps_lat == pytest.approx(-_dms(EXIF.gps[0]), abs=1e-7)  # type: ignore[index]
    assert meta.gps_lon == pytest.approx(-_dms(EXIF.gps[1]), abs=1e-7)  # type: ignore[index]
    assert meta.extra["offset"] == "+02:00"
    assert meta.extra["subsec"] == "250"
    assert meta.extra["lens_make"] == "Sheet Optics"
    assert meta.extra["software"] == "Sheet firmware 1.0"
    assert meta.extra["exposure_program"] == "Aperture Priority"
    assert meta.extra["gps_altitude"] == pytest.approx(520.1)


def test_jpeg_every_field(tmp_path: Path) -> None:
    meta = read_metadata(make.jpeg(tmp_path / "a.jpg", 320, 240))
    assert_camera_fields(meta)
    assert (meta.width, meta.height, meta.orientation) == (320, 240, 1)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_jpeg_orientation_and_stored_size(tmp_path: Path, orientation: int) -> None:
    meta = read_metadata(make.jpeg(tmp_path / "a.jpg", 320, 240, orientation=orientation))
    assert meta.orientation == orientation
    assert (meta.width, meta.height) == (320, 240)  # as stored, before orientation


@pytest.mark.parametrize(
    "writer",
    [
        lambda p: make.png(p / "a.png", 160, 120, exif=EXIF),
        lambda p: make.tiff(p / "a.tif", 160, 120, exif=EXIF),
        lambda p: make.webp(p / "a.webp", 160, 120, exif=EXIF),
        lambda p: make.heic(p / "a.heic", 160, 120),
    ],
    ids=["png", "tiff", "webp", "heic"],
)
def test_other_formats_every_field(tmp_path: Path, writer: Callable[[Path], Path]) -> None:
    meta = read_metadata(writer(tmp_path))
    assert_camera_fields(meta)
    assert (meta.width, meta.height) == (160, 120)


def test_heic_rotated_reports_stored_size_and_orientation(tmp_path: Path) -> None:
    meta = read_metadata(make.heic(tmp_path / "a.heic", 160, 120, orientation=6))
    assert meta.orientation == 6
    assert (meta.width, meta.height) == (160, 120)


@pytest.mark.parametrize(
    "writer",
    [make.orf, make.rw2, make.raf, make.cr3],
    ids=["orf", "rw2", "raf", "cr3"],
)
def test_raw_containers(tmp_path: Path, writer: Callable[[Path], Path]) -> None:
    meta = read_metadata(writer(tmp_path / f"a.{writer.__name__}"))
    assert_camera_fields(meta)


def test_dng_reports_the_sensor_image_size(tmp_path: Path) -> None:
    meta = read_metadata(make.dng_with_preview(tmp_path / "a.dng", 640, 426, 320))
    assert (meta.make, meta.model) == ("Sheetmaker", "Sheet DNG")
    # IFD0 is the 320 px preview; the 640x426 mosaic lives in a SubIFD
    assert (meta.width, meta.height) == (640, 426)


def test_without_offset_the_local_time_is_labelled_utc(tmp_path: Path) -> None:
    exif = make.Exif(offset=None, subsec=None)
    meta = read_metadata(make.jpeg(tmp_path / "a.jpg", 64, 48, exif=exif))
    assert meta.date_time_original == "2024-05-01T14:03:22"
    assert meta.taken_at == datetime(2024, 5, 1, 14, 3, 22, tzinfo=UTC)
    assert "offset" not in meta.extra


def test_negative_offset(tmp_path: Path) -> None:
    exif = make.Exif(offset="-07:30", subsec=None)
    meta = read_metadata(make.jpeg(tmp_path / "a.jpg", 64, 48, exif=exif))
    assert meta.date_time_original == "2024-05-01T14:03:22-07:30"
    assert meta.taken_at == datetime(2024, 5, 1, 21, 33, 22, tzinfo=UTC)


def test_north_east_is_positive_and_zero_zero_is_no_position(tmp_path: Path) -> None:
    north_east = read_metadata(
        make.jpeg(tmp_path / "ne.jpg", 64, 48, exif=make.Exif(gps=(48.8583701, 2.2944813)))
    )
    assert north_east.gps_lat == pytest.approx(_dms(48.8583701), abs=1e-7)
    assert north_east.gps_lon == pytest.approx(_dms(2.2944813), abs=1e-7)
    nowhere = read_metadata(make.jpeg(tmp_path / "00.jpg", 64, 48, exif=make.Exif(gps=(0, 0))))
    assert (nowhere.gps_lat, nowhere.gps_lon) == (None, None)
    assert nowhere.extra["gps_ifd"] is True


def test_unknown_date_is_none(tmp_path: Path) -> None:
    exif = make.Exif(date_time_original="0000:00:00 00:00:00")
    meta = read_metadata(make.jpeg(tmp_path / "a.jpg", 64, 48, exif=exif))
    assert (meta.date_time_original, meta.taken_at) == (None, None)


def test_no_exif_at_all(tmp_path: Path) -> None:
    meta = read_metadata(make.png(tmp_path / "a.png", 64, 48))
    assert meta == PhotoMetadata(width=64, height=48)


def test_to_json_is_json(tmp_path: Path) -> None:
    meta = read_metadata(make.jpeg(tmp_path / "a.jpg", 64, 48))
    data = json.loads(meta.to_json())
    assert data["taken_at"] == "2024-05-01T12:03:22.250000+00:00"
    assert data["make"] == "Contax"
    assert data["extra"]["offset"] == "+02:00"


def test_truncated_jpeg_keeps_what_came_before_the_damage(tmp_path: Path) -> None:
    meta = read_metadata(make.truncated_jpeg(tmp_path / "a.jpg"))
    assert meta.make == "Contax"


def test_truncated_header_reports_an_error(tmp_path: Path) -> None:
    path = make.jpeg(tmp_path / "a.jpg", 64, 48)
    path.write_bytes(path.read_bytes()[:300])  # cut inside the EXIF segment
    meta = read_metadata(path)
    assert "truncated" in meta.extra["error"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xd8\xff",
        b"%PDF-1.4\n" * 10,
        b"II*\x00\xff\xff\xff\x7f",
        b"MM\x00*" + b"\xff" * 60,
    ],
    ids=["empty", "soi-only", "pdf", "tiff-offset-beyond-end", "tiff-garbage"],
)
def test_odd_files_never_raise(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.jpg"
    path.write_bytes(content)
    meta = read_metadata(path)
    assert isinstance(meta, PhotoMetadata)
    assert meta.extra.get("error")


def test_missing_file_never_raises(tmp_path: Path) -> None:
    assert "FileNotFoundError" in read_metadata(tmp_path / "gone.jpg").extra["error"]


@pytest.mark.parametrize("seed", range(12))
def test_fuzzed_headers_never_raise_or_hang(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    sources = [
        make.jpeg(tmp_path / "a.jpg", 64, 48),
        make.tiff(tmp_path / "a.tif", 32, 24, exif=EXIF),
        make.png(tmp_path / "a.png", 32, 24, exif=EXIF),
        make.webp(tmp_path / "a.webp", 32, 24, exif=EXIF),
        make.cr3(tmp_path / "a.cr3"),
        make.raf(tmp_path / "a.raf"),
    ]
    for source in sources:
        data = bytearray(source.read_bytes())
        for _ in range(40):  # damage the first 2 KiB, where the structure lives
            data[rng.randrange(min(len(data), 2048))] = rng.randrange(256)
        damaged = tmp_path / f"damaged{source.suffix}"
        damaged.write_bytes(bytes(data))
        started = time.monotonic()
        meta = read_metadata(damaged)
        assert isinstance(meta, PhotoMetadata)
        assert time.monotonic() - started < 2.0
        json.loads(meta.to_json())  # whatever was read is still serialisable
