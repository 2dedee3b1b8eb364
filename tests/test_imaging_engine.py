"""Derivatives: decode once, orientation, sizes, sRGB, no metadata, every source type, RAW preview
or demosaic, and the failures (damaged files, bombs, time limits) as readable DecodeErrors."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pyvips

from contactsheet.imaging import engine, isolated
from contactsheet.imaging.containers import jpeg_exif_and_size
from contactsheet.imaging.engine import (
    ENGINE_VERSION,
    DecodeError,
    DerivativeSpec,
    Rendered,
    pick_source,
    render,
    thumbhash_of,
)
from tests import imagefactory as make
from tests.threadprobe import measured

PREVIEW = DerivativeSpec("preview", 600, "webp", 80, 0)
THUMB = DerivativeSpec("thumbnail", 200, "webp", 80, 0)
LIMIT = 50_000_000
TIME = 60.0


def go(source: Path, *specs: DerivativeSpec) -> list[Rendered]:
    return render(source, specs or (PREVIEW, THUMB), max_pixels=LIMIT, timeout=TIME)


def decoded(rendered: Rendered) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(rendered.data, "")


def colour_at(image: pyvips.Image, x: float, y: float) -> list[float]:
    """Mean colour of a small patch around the fraction (x, y) of the image."""
    px, py = int(x * (image.width - 8)), int(y * (image.height - 8))
    patch = image.extract_area(px, py, 8, 8)
    return [patch.extract_band(band).avg() for band in range(3)]


def is_red(rgb: list[float]) -> bool:
    return rgb[0] > 150 and rgb[0] > rgb[1] + 80 and rgb[0] > rgb[2] + 80


def is_blue(rgb: list[float]) -> bool:
    # loose: a CMYK round trip through a generic print profile dulls the blue
    return rgb[2] > 110 and rgb[2] > rgb[0] + 40 and rgb[2] > rgb[1] + 40


# --- orientation, sizes, order --------------------------------------------------------------------


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_orientation_is_applied(tmp_path: Path, orientation: int) -> None:
    source = make.jpeg(tmp_path / "a.jpg", 900, 600, orientation=orientation)
    preview, thumb = go(source)
    portrait = orientation in (6, 8)
    assert (thumb.width, thumb.height) == ((133, 200) if portrait else (200, 133))
    assert (preview.width, preview.height) == ((400, 600) if portrait else (600, 400))
    image = decoded(thumb)
    assert (image.width, image.height) == (thumb.width, thumb.height)
    # the displayed picture has red top-left and blue top-right, whatever the stored rotation
    assert is_red(colour_at(image, 0.02, 0.02))
    assert is_blue(colour_at(image, 0.98, 0.02))


def test_results_follow_the_order_asked_and_decode_back(tmp_path: Path) -> None:
    source = make.jpeg(tmp_path / "a.jpg", 1200, 800)
    jpeg_thumb = DerivativeSpec("thumbnail", 300, "jpeg", 85, 1)
    thumb, preview = go(source, jpeg_thumb, PREVIEW)
    assert (thumb.kind, thumb.media_type, thumb.extension) == ("thumbnail", "image/jpeg", ".jpg")
    assert (preview.kind, preview.media_type, preview.extension) == (
        "preview",
        "image/webp",
        ".webp",
    )
    assert thumb.data.startswith(b"\xff\xd8\xff")
    assert preview.data[:4] == b"RIFF" and preview.data[8:12] == b"WEBP"
    assert decoded(thumb).get("vips-loader") == "jpegload_buffer"
    assert decoded(preview).get("vips-loader") == "webpload_buffer"
    assert (decoded(preview).width, decoded(thumb).width) == (600, 300)


def _decodes_of(monkeypatch: pytest.MonkeyPatch, source: Path) -> list[str]:
    """Every read of `source` this process asks for, from the two places all decoding passes: each
    libvips operation (pyvips runs every one through `Operation.call`) that loads the file by path
    or an image from memory, and each request to the out-of-process decoders."""
    reads: list[str] = []
    call = pyvips.Operation.call
    request = isolated.IsolatedDecoder.request

    def counting_call(operation_name: str, *args: object, **kwargs: object) -> object:
        name = operation_name.lower()
        if "load" in name or name in ("thumbnail", "thumbnail_buffer", "thumbnail_source"):
            by_path = any(str(arg) == str(source) for arg in args)
            reads.append(f"{operation_name}({'file' if by_path else 'memory'})")
        return call(operation_name, *args, **kwargs)

    def counting_request(
        self: isolated.IsolatedDecoder, wanted: dict[str, object], deadline: float
    ) -> tuple[dict[str, object], bytes]:
        reads.append(f"child:{wanted['op']}")
        return request(self, wanted, deadline)

    monkeypatch.setattr(pyvips.Operation, "call", staticmethod(counting_call))
    monkeypatch.setattr(isolated.IsolatedDecoder, "request", counting_request)
    return reads


@pytest.mark.parametrize(
    ("writer", "expected"),
    [
        # a lazy header read (size limit, colour profile), then the one decode
        (lambda p: make.jpeg(p / "a.jpg", 1200, 800), ["VipsForeignLoadJpegFile(file)"]),
        (lambda p: make.png(p / "a.png", 1200, 800), ["VipsForeignLoadPngFile(file)"]),
        (lambda p: make.tiff(p / "a.tif", 1200, 800), ["VipsForeignLoadTiffFile(file)"]),
        (lambda p: make.webp(p / "a.webp", 1200, 800), ["VipsForeignLoadWebpFile(file)"]),
    ],
    ids=["jpeg", "png", "tiff", "webp"],
)
def test_the_source_is_decoded_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    writer: Callable[[Path], Path],
    expected: list[str],
) -> None:
    source = writer(tmp_path)
    reads = _decodes_of(monkeypatch, source)
    go(source, PREVIEW, THUMB, DerivativeSpec("tiny", 64, "jpeg", 70, 0))
    assert reads == [*expected, "thumbnail(file)"]


@pytest.mark.parametrize(
    ("writer", "expected"),
    [
        (lambda p: make.heic(p / "a.heic", 800, 600), ["child:heif"]),
        (lambda p: make.dng_without_preview(p / "a.dng", 800, 532), ["child:raw"]),
        # the RAW's embedded JPEG arrives as bytes: its header, then its one decode
        (
            lambda p: make.dng_with_preview(p / "b.dng", 1600, 1066, 1200),
            ["child:raw", "VipsForeignLoadJpegBuffer(memory)", "thumbnail_buffer(memory)"],
        ),
    ],
    ids=["heic", "dng-demosaic", "dng-preview"],
)
def test_a_source_decoded_out_of_process_is_decoded_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    writer: Callable[[Path], Path],
    expected: list[str],
) -> None:
    source = writer(tmp_path)
    reads = _decodes_of(monkeypatch, source)
    go(source, PREVIEW, THUMB, DerivativeSpec("tiny", 64, "jpeg", 70, 0))
    assert reads == expected


def test_never_upscales(tmp_path: Path) -> None:
    source = make.jpeg(tmp_path / "small.jpg", 400, 300)
    preview, thumb = go(source)
    assert (preview.width, preview.height) == (400, 300)
    assert (thumb.width, thumb.height) == (200, 150)


def test_output_is_srgb_without_metadata(tmp_path: Path) -> None:
    source = make.jpeg(tmp_path / "a.jpg", 900, 600)  # full EXIF with GPS
    jpeg_spec = DerivativeSpec("thumbnail", 300, "jpeg", 85, 0)
    for rendered in go(source, PREVIEW, jpeg_spec):
        image = decoded(rendered)
        assert image.interpretation == "srgb" and image.bands == 3 and image.format == "uchar"
        fields = set(image.get_fields())
        assert not {name for name in fields if name.startswith("exif")}
        assert "icc-profile-data" not in fields and "xmp-data" not in fields
        assert b"Contax" not in rendered.data
    assert jpeg_exif_and_size(go(source, jpeg_spec)[0].data).blocks == []


def test_embedded_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    green = pyvips.Image.black(64, 64, bands=3).new_from_image([0, 255, 0])
    green = green.copy(interpretation="srgb").cast("uchar")
    path = tmp_path / "p3.jpg"
    green.icc_transform("p3").jpegsave(str(path), Q=95)  # Display P3 pixels, P3 profile
    r, g, b = colour_at(decoded(go(path, THUMB)[0]), 0.5, 0.5)
    assert r < 30 and g > 235 and b < 40  # unconverted P3 pixels would read about (117, 251, 76)


@pytest.mark.parametrize(
    "writer",
    [
        lambda p: make.cmyk_jpeg(p / "cmyk.jpg", 300, 200),
        lambda p: make.tiff(p / "16.tif", 300, 200, bits=16),
        lambda p: make.png(p / "a.png", 300, 200),
        lambda p: make.tiff(p / "a.tif", 300, 200),
        lambda p: make.webp(p / "a.webp", 300, 200),
        lambda p: make.heic(p / "a.heic", 300, 200),
    ],
    ids=["cmyk-jpeg", "16-bit-tiff", "png", "tiff", "webp", "heic"],
)
def test_source_types(tmp_path: Path, writer: Callable[[Path], Path]) -> None:
    preview, thumb = go(writer(tmp_path))
    assert (preview.width, preview.height, thumb.width, thumb.height) == (300, 200, 200, 133)
    image = decoded(thumb)
    assert (image.interpretation, image.bands, image.format) == ("srgb", 3, "uchar")
    assert is_red(colour_at(image, 0.02, 0.02)) and is_blue(colour_at(image, 0.98, 0.02))


def test_heic_rotation_is_applied_once(tmp_path: Path) -> None:
    _preview, thumb = go(make.heic(tmp_path / "a.heic", 300, 200, orientation=6))
    assert (thumb.width, thumb.height, thumb.decoded_with) == (133, 200, "libheif")
    image = decoded(thumb)
    assert is_red(colour_at(image, 0.02, 0.02)) and is_blue(colour_at(image, 0.98, 0.02))


def test_alpha_kept_in_webp_flattened_in_jpeg(tmp_path: Path) -> None:
    source = make.png(tmp_path / "a.png", 300, 200, alpha=True)  # transparent on the left
    webp, jpeg = go(source, THUMB, DerivativeSpec("flat", 200, "jpeg", 90, 0))
    assert decoded(webp).bands == 4
    flat = decoded(jpeg)
    assert flat.bands == 3
    assert min(colour_at(flat, 0.0, 0.5)) > 235  # transparent pixels became white


# --- RAW ------------------------------------------------------------------------------------------


def test_dng_large_preview_is_used(tmp_path: Path) -> None:
    source = make.dng_with_preview(tmp_path / "a.dng", 1600, 1066, preview_long_edge=1600)
    preview, thumb = go(source)
    assert preview.decoded_with == thumb.decoded_with == "libraw-preview"
    r, g, _b = colour_at(decoded(preview), 0.5, 0.5)
    assert r > 180 and g < 80  # the preview's red/magenta, not the mosaic's green


def test_a_damaged_embedded_preview_is_shown_with_a_warning(tmp_path: Path) -> None:
    source = make.dng_with_preview(tmp_path / "a.dng", 1600, 1066, preview_long_edge=1600)
    data = bytearray(source.read_bytes())
    scan = data.index(b"\xff\xda", data.index(b"\xff\xd8\xff"))
    data[scan + 3000 : scan + 3400] = bytes(400)  # a stretch of the preview's image data zeroed
    source.write_bytes(bytes(data))
    preview, thumb = go(source)
    assert preview.decoded_with == thumb.decoded_with == "libraw-preview"
    assert preview.warning is not None and "damaged embedded preview" in preview.warning
    assert "corrupt jpeg data" in preview.warning.lower(), preview.warning


def test_dng_too_small_preview_is_not_used(tmp_path: Path) -> None:
    source = make.dng_with_preview(tmp_path / "a.dng", 1600, 1066, preview_long_edge=320)
    preview, _thumb = go(source)
    assert preview.decoded_with == "libraw-demosaic"
    assert (preview.width, preview.height) == (600, 400)
    r, g, b = colour_at(decoded(preview), 0.5, 0.5)
    assert g > r and g > b  # the green scene of the mosaic


def test_dng_preview_follows_the_raw_orientation(tmp_path: Path) -> None:
    source = make.dng_with_preview(tmp_path / "a.dng", 1200, 800, 1200, orientation=6)
    preview, thumb = go(source)
    assert preview.decoded_with == "libraw-preview"
    assert (thumb.width, thumb.height) == (133, 200)


def test_dng_without_preview_is_demosaiced(tmp_path: Path) -> None:
    preview, thumb = go(make.dng_without_preview(tmp_path / "a.dng", 800, 532))
    assert preview.decoded_with == "libraw-demosaic"
    assert (preview.width, preview.height, thumb.width) == (600, 399, 200)


def test_damaged_raw_is_a_decode_error(tmp_path: Path) -> None:
    source = make.dng_without_preview(tmp_path / "a.dng", 800, 532)
    source.write_bytes(source.read_bytes()[:4000])
    with pytest.raises(DecodeError, match=r"a\.dng: .*(truncated|damaged)"):
        go(source)


# --- failures -------------------------------------------------------------------------------------


def test_truncated_jpeg_is_shown_with_a_warning(tmp_path: Path) -> None:
    preview, thumb = go(make.truncated_jpeg(tmp_path / "cut.jpg"))
    for made in (preview, thumb):
        assert made.decoded_with == "libvips-lenient"
        assert made.warning is not None and "premature end" in made.warning.lower()
        assert len(made.warning) < 300
    # what was there before the cut is the picture: the red corner marker is in place
    assert (preview.width, thumb.width) == (600, 200)
    assert is_red(colour_at(decoded(preview), 0.02, 0.03))


def test_a_decoder_warning_is_kept_with_the_picture(tmp_path: Path) -> None:
    # libjpeg decodes this whole but warns: the warning goes with the result, not only to the log
    preview, thumb = go(make.jpeg_with_stray_bytes(tmp_path / "stray.jpg"))
    for made in (preview, thumb):
        assert made.warning is not None and "extraneous bytes" in made.warning, made.warning
    assert is_red(colour_at(decoded(preview), 0.02, 0.03))
    assert is_blue(colour_at(decoded(preview), 0.98, 0.03))


def test_a_clean_file_has_no_warning(tmp_path: Path) -> None:
    for made in go(make.jpeg(tmp_path / "a.jpg", 1200, 800)):
        assert made.warning is None and made.decoded_with == "libvips"


def test_a_damaged_file_is_decoded_strictly_then_leniently_and_no_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make.truncated_jpeg(tmp_path / "cut.jpg")
    reads = _decodes_of(monkeypatch, source)
    go(source)
    header, decode = "VipsForeignLoadJpegFile(file)", "thumbnail(file)"
    # strictly beside other decodes, strictly alone (to read its own messages), leniently
    assert reads == [header, decode] * 3


def test_concurrent_damaged_files_each_keep_their_own_warning(tmp_path: Path) -> None:
    sources = {
        "cut": (make.truncated_jpeg(tmp_path / "cut.jpg"), "premature end"),
        "stray": (make.jpeg_with_stray_bytes(tmp_path / "stray.jpg"), "extraneous bytes"),
        "scan": (make.ojpeg_tiff(tmp_path / "scan.tif", 640, 480), "old-style jpeg"),
        "good": (make.jpeg(tmp_path / "good.jpg", 1200, 800), None),
    }
    jobs = [name for name in sources for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda name: go(sources[name][0], PREVIEW)[0], jobs))
    for name, made in zip(jobs, results, strict=True):
        words = sources[name][1]
        if words is None:
            assert made.warning is None, made.warning
        else:
            assert made.warning is not None and words in made.warning.lower(), (name, made)


def test_a_damaged_file_keeps_its_warning_while_thumbhashes_are_made_beside_it(
    tmp_path: Path,
) -> None:
    # A worker makes the ThumbHash of one photo while another decodes a damaged file: that small
    # libvips decode must not take the damaged file's messages from the shared error log.
    thumbnails = [go(make.jpeg(tmp_path / f"ok{i}.jpg", 800, 600), THUMB)[0] for i in range(3)]
    cut = make.truncated_jpeg(tmp_path / "cut.jpg")
    stop = threading.Event()

    def hash_until_stopped() -> None:
        while not stop.is_set():
            for thumbnail in thumbnails:
                assert engine.thumbhash_of(thumbnail) is not None

    with ThreadPoolExecutor(4) as pool:
        hashers = [pool.submit(hash_until_stopped) for _ in range(2)]
        try:
            warnings = list(pool.map(lambda _: go(cut, PREVIEW)[0].warning, range(24)))
        finally:
            stop.set()
        for hasher in hashers:
            hasher.result()
    assert all(w is not None and "premature end" in w.lower() for w in warnings), warnings


def test_a_tiff_codec_libvips_lacks_is_read_with_pillow(tmp_path: Path) -> None:
    source = make.ojpeg_tiff(tmp_path / "scan.tif", 640, 480)
    with pytest.raises(pyvips.Error):  # the premise: libvips cannot read it at all
        pyvips.Image.new_from_file(str(source), fail_on="none").avg()
    preview, thumb = go(source)
    assert preview.decoded_with == thumb.decoded_with == "pillow"
    assert preview.warning is not None and "old-style jpeg" in preview.warning.lower()
    assert (preview.width, preview.height, thumb.width) == (600, 450, 200)
    image = decoded(preview)
    assert is_red(colour_at(image, 0.02, 0.03)) and is_blue(colour_at(image, 0.98, 0.03))


def test_the_pixel_limit_applies_to_pillow(tmp_path: Path) -> None:
    source = make.ojpeg_tiff(tmp_path / "scan.tif", 640, 480)
    with pytest.raises(DecodeError, match=r"above the limit of 10,000 .*decompression-bomb"):
        render(source, [PREVIEW], max_pixels=10_000, timeout=TIME)


def test_the_time_limit_stops_pillow(tmp_path: Path) -> None:
    small = make.ojpeg_tiff(tmp_path / "small.tif", 64, 48)
    big = make.ojpeg_tiff(tmp_path / "big.tif", 8000, 6000)
    go(small)  # the decoder process is up; its start does not count
    started = time.monotonic()
    with pytest.raises(DecodeError, match=r"longer than the limit of 0\.05 s"):
        render(big, [PREVIEW], max_pixels=100_000_000, timeout=0.05)
    assert time.monotonic() - started < 1.5
    assert go(small)[0].decoded_with == "pillow"


def test_a_jpeg_nothing_can_read_is_a_decode_error(tmp_path: Path) -> None:
    with pytest.raises(DecodeError) as caught:
        go(make.unreadable_jpeg(tmp_path / "cut.jpg"))
    message = str(caught.value)
    assert message.startswith("cannot decode cut.jpg: ")
    assert "premature end" in message.lower() or "no image" in message.lower()
    assert "Traceback" not in message and len(message) < 300


def test_pdf_named_jpg(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match=r"doc\.jpg: not an image .* PDF"):
        go(make.not_an_image(tmp_path / "doc.jpg"))


@pytest.mark.parametrize("name", ["phone.heic", "DSC1.NEF", "scan.png"])
def test_content_must_match_the_extension(tmp_path: Path, name: str) -> None:
    jpeg_named_otherwise = make.jpeg(tmp_path / "a.jpg", 300, 200).rename(tmp_path / name)
    suffix = name.rsplit(".", 1)[1]
    with pytest.raises(DecodeError, match=rf"content \(JPEG\) does not match the \.{suffix}"):
        go(jpeg_named_otherwise)


def test_unaccepted_extension(tmp_path: Path) -> None:
    other = make.jpeg(tmp_path / "a.jpg", 64, 48).rename(tmp_path / "a.iiq")
    with pytest.raises(DecodeError, match=r"\.iiq is not an accepted photo type"):
        go(other)


def test_garbage_after_a_jpeg_header(tmp_path: Path) -> None:
    path = tmp_path / "noise.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    with pytest.raises(DecodeError, match=r"noise\.jpg"):
        go(path)


@pytest.mark.parametrize(
    "writer",
    [
        lambda p: make.jpeg(p / "a.jpg", 1200, 800),
        lambda p: make.png(p / "a.png", 1200, 800),
        lambda p: make.heic(p / "a.heic", 320, 240),
        lambda p: make.dng_without_preview(p / "a.dng", 400, 266),
    ],
    ids=["jpeg", "png", "heic", "dng"],
)
def test_decompression_bomb_limit(tmp_path: Path, writer: Callable[[Path], Path]) -> None:
    source = writer(tmp_path)
    with pytest.raises(DecodeError, match=r"above the limit of 10,000 .*decompression-bomb"):
        render(source, [PREVIEW], max_pixels=10_000, timeout=TIME)


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make.huge_png(tmp_path_factory.mktemp("huge") / "huge.png", 9000, 9000)


def test_timeout_stops_a_slow_libvips_decode(huge_png: Path) -> None:
    started = time.monotonic()
    with pytest.raises(DecodeError, match=r"longer than the limit of 0\.02 s"):
        render(huge_png, [PREVIEW], max_pixels=100_000_000, timeout=0.02)
    assert time.monotonic() - started < 1.5
    # the same file decodes when given time: it was stopped, not broken
    assert render(huge_png, [THUMB], max_pixels=100_000_000, timeout=TIME)[0].width == 200


def test_timeout_stops_a_slow_raw_decode(tmp_path: Path) -> None:
    small = make.dng_without_preview(tmp_path / "small.dng", 200, 134)
    big = make.dng_without_preview(tmp_path / "big.dng", 3000, 2000)
    go(small)  # the decoder process is up; its start does not count
    full = DerivativeSpec("preview", 3000, "webp", 80, 0)  # needs a full-size demosaic
    started = time.monotonic()
    with pytest.raises(DecodeError, match=r"longer than the limit of 0\.1 s"):
        render(big, [full], max_pixels=100_000_000, timeout=0.1)
    assert time.monotonic() - started < 1.5
    # the stopped decoder was replaced: the next RAW decodes
    assert go(small)[0].decoded_with == "libraw-demosaic"


# --- choosing the source, placeholders, version ---------------------------------------------------


@pytest.mark.parametrize(
    ("names", "chosen"),
    [
        (["DSC1.ARW", "DSC1.JPG"], "DSC1.JPG"),
        (["DSC1.ARW", "DSC1.HEIC"], "DSC1.HEIC"),
        (["DSC1.ARW", "DSC1.tif", "DSC1.jpeg"], "DSC1.jpeg"),
        (["DSC1.NEF"], "DSC1.NEF"),
        (["DSC1.png", "DSC1.xmp"], "DSC1.png"),
        (["DSC1.xmp", "DSC1.mov"], None),
        ([], None),
    ],
)
def test_pick_source(names: list[str], chosen: str | None) -> None:
    assert pick_source(names) == chosen


def test_thumbhash(tmp_path: Path) -> None:
    thumb = go(make.jpeg(tmp_path / "a.jpg", 600, 400), THUMB)[0]
    placeholder = thumbhash_of(thumb)
    assert placeholder is not None
    assert 5 <= len(base64.b64decode(placeholder)) <= 25
    broken = Rendered("thumbnail", b"not an image", 1, 1, "image/webp", ".webp")
    assert thumbhash_of(broken) is None


def test_engine_version_names_libvips() -> None:
    vips = f"vips{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    assert vips in ENGINE_VERSION
    assert ENGINE_VERSION.startswith(f"cs{engine.ENGINE_REVISION}-")


def test_configure_caps_the_libvips_threads_of_a_real_render(huge_png: Path) -> None:
    before = pyvips.concurrency_get()
    spec = DerivativeSpec("preview", 3000, "jpeg", 85, 0)

    def work() -> list[Rendered]:
        return render(huge_png, [spec], max_pixels=100_000_000, timeout=TIME)

    try:
        engine.configure(vips_concurrency=1)
        _, capped = measured(work)
        engine.configure(vips_concurrency=4)
        _, wide = measured(work)
    finally:
        engine.configure(vips_concurrency=before)
    # The probe sees parallel work when libvips is allowed it, and one thread at a time when not.
    assert wide.mean >= 1.6, str(wide)
    assert capped.mean <= 1.3, str(capped)
