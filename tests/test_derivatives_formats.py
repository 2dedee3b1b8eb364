"""What the served derivatives look like (docs/derivatives.md): upright whatever the EXIF
orientation, made from PNG, TIFF and DNG sources too, long edge 800 (thumbnail) and 3000 (preview),
never upscaled, and in the configured format."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from contactsheet.config import Settings
from contactsheet.runtime import Runtime
from tests import imagefactory
from tests.derivsupport import (
    assert_all_generated,
    create_project,
    decoded,
    derivative_file,
    dng_bytes,
    jpeg_bytes,
    opened_client,
    png_bytes,
    preview,
    records,
    run_jobs,
    thumbnail,
    tiff_bytes,
    upload,
)


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 60) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def _upright(image: Image.Image) -> bool:
    """The displayed scene has red in its top-left corner and blue in its top-right one."""
    rgb = image.convert("RGB")
    inset = max(2, min(rgb.size) // 24)
    left = rgb.getpixel((inset, inset))
    right = rgb.getpixel((rgb.width - 1 - inset, inset))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    return _close(left, imagefactory.RED) and _close(right, imagefactory.BLUE)


def test_exif_orientation_is_applied_to_thumbnails_and_previews(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Turned")
    # All stored landscape, 1200x800.
    files = [(f"O{o}.JPG", jpeg_bytes(1200, 800, orientation=o)) for o in (1, 3, 6, 8)]
    upload(admin, folder, files)
    run_jobs(runtime)
    assert_all_generated(runtime, folder, ["O1", "O3", "O6", "O8"])
    for orientation, expected in {
        1: (800, 533),
        3: (800, 533),
        6: (533, 800),
        8: (533, 800),
    }.items():
        answer = thumbnail(admin, folder, f"O{orientation}")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/webp"
        image = decoded(answer.content)
        assert image.format == "WEBP"
        assert image.size == expected, (orientation, image.size)
        assert _upright(image), f"orientation {orientation} is not shown upright"
        if orientation in (6, 8):
            assert image.width < image.height and max(image.size) == 800
        shown = decoded(preview(admin, folder, f"O{orientation}").content)
        assert shown.size == ((800, 1200) if orientation in (6, 8) else (1200, 800))
        assert _upright(shown)
        assert "exif" not in image.info and "exif" not in shown.info, "no metadata is carried"


def test_png_tiff_and_dng_sources_all_get_derivatives(admin: TestClient, runtime: Runtime) -> None:
    folder = create_project(admin, "Formats")
    upload(
        admin,
        folder,
        [
            ("FLAT.PNG", png_bytes(1000, 700)),
            ("SCAN.TIF", tiff_bytes(900, 1200)),
            ("RAW1.DNG", dng_bytes(1600, 1066, 1200)),
        ],
    )
    run_jobs(runtime)
    assert_all_generated(runtime, folder, ["FLAT", "SCAN", "RAW1"])
    expected = {"FLAT": (800, 560), "SCAN": (600, 800), "RAW1": (800, 533)}
    for basename, size in expected.items():
        answer = thumbnail(admin, folder, basename)
        assert answer.status_code == 200, answer.text
        image = decoded(answer.content)
        assert image.size == size, (basename, image.size)
    assert _upright(decoded(thumbnail(admin, folder, "FLAT").content))
    assert _upright(decoded(thumbnail(admin, folder, "SCAN").content))
    found = records(runtime, folder)
    # The DNG's 1200 px embedded preview is smaller than the 3000 px preview, so it is not
    # silently used for it: the mosaic (1600 px) is demosaiced, and not upscaled.
    assert found["RAW1"]["preview"].params["decoded_with"] == "libraw-demosaic"
    assert decoded(preview(admin, folder, "RAW1").content).size == (1600, 1066)


def test_preview_long_edge_is_3000_and_small_sources_are_never_upscaled(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Sizes")
    upload(
        admin, folder, [("BIG.JPG", jpeg_bytes(3200, 2000)), ("SMALL.JPG", jpeg_bytes(320, 240))]
    )
    run_jobs(runtime)
    assert_all_generated(runtime, folder, ["BIG", "SMALL"])
    assert decoded(preview(admin, folder, "BIG").content).size == (3000, 1875)
    assert decoded(thumbnail(admin, folder, "BIG").content).size == (800, 500)
    assert decoded(preview(admin, folder, "SMALL").content).size == (320, 240)
    assert decoded(thumbnail(admin, folder, "SMALL").content).size == (320, 240)
    found = records(runtime, folder)
    assert (found["BIG"]["preview"].params["width"], found["BIG"]["preview"].params["height"]) == (
        3000,
        1875,
    )
    assert found["SMALL"]["thumbnail"].params["long_edge"] == 800


def test_processing_format_jpeg_gives_jpeg_files(data_dir: Path, database_url: str) -> None:
    settings = Settings(
        data=data_dir,
        database_url=database_url,
        processing={"thumbnail_format": "jpeg", "preview_format": "jpeg"},  # type: ignore[arg-type]
        pipeline={"scheduler_enabled": False, "workers_in_serve": False},  # type: ignore[arg-type]
    )
    with opened_client(settings) as (runtime, client):
        folder = create_project(client, "As JPEG")
        upload(client, folder, [("J1.JPG", jpeg_bytes(1200, 800, orientation=6))])
        run_jobs(runtime)
        assert_all_generated(runtime, folder, ["J1"])
        for kind, fetch in (("thumbnail", thumbnail), ("preview", preview)):
            path = derivative_file(runtime, folder, "J1", kind)
            assert path.suffix == ".jpg"
            answer = fetch(client, folder, "J1")
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "image/jpeg"
            image = decoded(answer.content)
            assert image.format == "JPEG"
            assert image.width < image.height
            assert answer.content == path.read_bytes()
        assert not list(runtime.paths.thumb_dir(folder).glob("*.webp"))
