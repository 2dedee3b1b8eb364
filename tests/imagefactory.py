"""Small, real image files for tests, written into a folder the test owns.

Every picture has structure (gradients, a bright corner marker, stripes) so encoders do real work
and a test can tell which way up a result is: the *displayed* image always has a red square in its
top-left corner and a blue one in its top-right corner, whatever EXIF orientation it is stored with.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import piexif
import pillow_heif
import pyvips
import tifffile
from PIL import Image

RED = (230, 20, 20)
BLUE = (20, 40, 230)
# How Pillow turns a stored image into the displayed one, per EXIF orientation.
_DISPLAY = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_STORE = {**_DISPLAY, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


@dataclass(frozen=True)
class Exif:
    """What a camera writes. GPS south and west, so signs are tested."""

    date_time_original: str | None = "2024:05:01 14:03:22"
    offset: str | None = "+02:00"
    subsec: str | None = "250"
    make: str = "Contax"
    model: str = "Sheet One"
    lens_make: str = "Sheet Optics"
    lens_model: str = "Sheet 35mm F1.4"
    exposure_time: tuple[int, int] = (1, 250)
    f_number: tuple[int, int] = (28, 10)
    iso: int = 400
    focal_length: tuple[int, int] = (35, 1)
    gps: tuple[float, float] | None = (-33.8567844, -70.6482541)  # lat, lon
    software: str = "Sheet firmware 1.0"


DEFAULT_EXIF = Exif()


def scene(width: int, height: int, alpha: bool = False) -> Image.Image:
    """A displayed picture: gradients, stripes, and the two corner markers."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 80 + 120 * x / max(width - 1, 1)
    g = 60 + 150 * y / max(height - 1, 1)
    b = 110 + 60 * np.sin(x / 9.0) * np.cos(y / 13.0)
    pixels = np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)
    mark = max(2, min(width, height) // 6)
    pixels[:mark, :mark] = RED
    pixels[:mark, width - mark :] = BLUE
    if alpha:
        opacity = (255 * x / max(width - 1, 1)).astype(np.uint8)[..., None]
        return Image.fromarray(np.concatenate([pixels, opacity], axis=-1), "RGBA")
    return Image.fromarray(pixels, "RGB")


def stored(width: int, height: int, orientation: int = 1, alpha: bool = False) -> Image.Image:
    """The pixels as stored (`width` x `height`), which display as `scene` under `orientation`."""
    turned = orientation in (5, 6, 7, 8)
    shown = scene(height, width, alpha) if turned else scene(width, height, alpha)
    return shown.transpose(_STORE[orientation]) if orientation in _STORE else shown


def exif_bytes(exif: Exif | None = DEFAULT_EXIF, orientation: int = 1) -> bytes:
    """An EXIF block ("Exif\\0\\0" + TIFF) as a camera writes it."""
    zeroth: dict[int, object] = {piexif.ImageIFD.Orientation: orientation}
    exif_ifd: dict[int, object] = {}
    gps: dict[int, object] = {}
    if exif is not None:
        e = exif
        zeroth.update(
            {
                piexif.ImageIFD.Make: e.make,
                piexif.ImageIFD.Model: e.model,
                piexif.ImageIFD.Software: e.software,
            }
        )
        exif_ifd.update(
            {
                piexif.ExifIFD.LensMake: e.lens_make,
                piexif.ExifIFD.LensModel: e.lens_model,
                piexif.ExifIFD.ExposureTime: e.exposure_time,
                piexif.ExifIFD.FNumber: e.f_number,
                piexif.ExifIFD.ISOSpeedRatings: e.iso,
                piexif.ExifIFD.FocalLength: e.focal_length,
                piexif.ExifIFD.ExposureProgram: 3,
            }
        )
        if e.date_time_original:
            exif_ifd[piexif.ExifIFD.DateTimeOriginal] = e.date_time_original
        if e.offset:
            exif_ifd[piexif.ExifIFD.OffsetTimeOriginal] = e.offset
        if e.subsec:
            exif_ifd[piexif.ExifIFD.SubSecTimeOriginal] = e.subsec
        if e.gps:
            gps = _gps(*e.gps)
    return piexif.dump({"0th": zeroth, "Exif": exif_ifd, "GPS": gps, "1st": {}})


def _gps(lat: float, lon: float) -> dict[int, object]:
    def dms(value: float) -> tuple[tuple[int, int], ...]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round(((value - degrees) * 60 - minutes) * 60 * 10000)
        return ((degrees, 1), (minutes, 1), (seconds, 10000))

    return {
        piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
        piexif.GPSIFD.GPSLatitudeRef: "S" if lat < 0 else "N",
        piexif.GPSIFD.GPSLatitude: dms(lat),
        piexif.GPSIFD.GPSLongitudeRef: "W" if lon < 0 else "E",
        piexif.GPSIFD.GPSLongitude: dms(lon),
        piexif.GPSIFD.GPSAltitudeRef: 0,
        piexif.GPSIFD.GPSAltitude: (5201, 10),
    }


# --- formats --------------------------------------------------------------------------------------


def jpeg(
    path: Path,
    width: int,
    height: int,
    orientation: int = 1,
    exif: Exif | None = DEFAULT_EXIF,
    quality: int = 90,
) -> Path:
    stored(width, height, orientation).save(
        path, "JPEG", quality=quality, exif=exif_bytes(exif, orientation)
    )
    return path


def cmyk_jpeg(path: Path, width: int, height: int) -> Path:
    """A CMYK JPEG without a profile (as print workflows export them)."""
    stored(width, height).convert("CMYK").save(path, "JPEG", quality=90)
    return path


def png(path: Path, width: int, height: int, alpha: bool = False, exif: Exif | None = None) -> Path:
    extra = {"exif": exif_bytes(exif)} if exif else {}
    stored(width, height, alpha=alpha).save(path, "PNG", **extra)
    return path


def tiff(path: Path, width: int, height: int, bits: int = 8, exif: Exif | None = None) -> Path:
    if bits == 16:
        pixels = np.asarray(stored(width, height)).astype(np.uint16) * 257
        tifffile.imwrite(path, pixels, photometric="rgb")
        return path
    extra = {"exif": exif_bytes(exif)} if exif else {}
    stored(width, height).save(path, "TIFF", **extra)
    return path


def webp(
    path: Path, width: int, height: int, alpha: bool = False, exif: Exif | None = None
) -> Path:
    extra = {"exif": exif_bytes(exif)} if exif else {}
    stored(width, height, alpha=alpha).save(path, "WEBP", quality=85, **extra)
    return path


def heic(
    path: Path, width: int, height: int, orientation: int = 1, exif: Exif | None = DEFAULT_EXIF
) -> Path:
    """An HEVC-coded HEIC, as phones write it (libheif's x265 encoder). The EXIF orientation becomes
    the container's rotation, as on a phone; decoders show the pixels upright."""
    image = stored(width, height, orientation)
    heif = pillow_heif.from_pillow(image)
    heif.info["exif"] = exif_bytes(exif, orientation)
    heif.save(path, quality=80)
    return path


def truncated_jpeg(path: Path, width: int = 1200, height: int = 800) -> Path:
    jpeg(path, width, height)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


def unreadable_jpeg(path: Path, width: int = 1200, height: int = 800) -> Path:
    """A JPEG cut before its frame header: its EXIF is whole but it has no image at all, so no
    decoder can show anything."""
    jpeg(path, width, height)
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\xff\xc0")])
    return path


def jpeg_with_stray_bytes(path: Path, width: int = 1200, height: int = 800) -> Path:
    """A JPEG with two stray bytes before its quantisation tables, as some camera firmware writes:
    libjpeg decodes it whole but warns ("Corrupt JPEG data: 2 extraneous bytes")."""
    jpeg(path, width, height)
    data = path.read_bytes()
    tables = data.index(b"\xff\xdb")
    path.write_bytes(data[:tables] + b"\x00\x00" + data[tables:])
    return path


def ojpeg_tiff(path: Path, width: int, height: int) -> Path:
    """A TIFF with old-style JPEG compression (compression 6, from before TIFF 6.0 fixed JPEG in
    TIFF): the JPEG stream is stored whole and the tags point at it. Old scanners and cameras wrote
    these; libtiff reads them only when built with OJPEG support."""
    buffer = io.BytesIO()
    stored(width, height).save(buffer, "JPEG", quality=90, subsampling=2)  # 4:2:0, as tagged
    stream = buffer.getvalue()
    start = 8
    ifd = start + len(stream) + len(stream) % 2
    short, long = 3, 4
    tags: list[tuple[int, int, int, bytes]] = [
        (256, long, 1, struct.pack("<I", width)),
        (257, long, 1, struct.pack("<I", height)),
        (258, short, 3, b""),  # BitsPerSample 8,8,8: stored after the directory
        (259, short, 1, struct.pack("<HH", 6, 0)),  # old-style JPEG
        (262, short, 1, struct.pack("<HH", 6, 0)),  # YCbCr
        (273, long, 1, struct.pack("<I", start)),
        (277, short, 1, struct.pack("<HH", 3, 0)),
        (278, long, 1, struct.pack("<I", height)),
        (279, long, 1, struct.pack("<I", len(stream))),
        (284, short, 1, struct.pack("<HH", 1, 0)),
        (513, long, 1, struct.pack("<I", start)),  # JPEGInterchangeFormat
        (514, long, 1, struct.pack("<I", len(stream))),  # JPEGInterchangeFormatLength
        (530, short, 2, struct.pack("<HH", 2, 2)),  # YCbCrSubSampling
    ]
    bits_at = ifd + 2 + 12 * len(tags) + 4
    directory = struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        directory += struct.pack("<HHI", tag, kind, count) + (value or struct.pack("<I", bits_at))
    padding = b"\x00" * (ifd - start - len(stream))
    header = b"II*\x00" + struct.pack("<I", ifd)
    path.write_bytes(
        header + stream + padding + directory + struct.pack("<I", 0) + struct.pack("<HHH", 8, 8, 8)
    )
    return path


def not_an_image(path: Path) -> Path:
    """A PDF wearing an image's name."""
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    return path


def huge_png(path: Path, width: int, height: int) -> Path:
    """A large but valid PNG that is slow to decode and small on disk."""
    image = pyvips.Image.xyz(width, height)[0].cast("uchar")
    image.bandjoin([image, image]).copy(interpretation="srgb").pngsave(str(path), compression=1)
    return path


# --- DNG ------------------------------------------------------------------------------------------

# Sensor values are 12-bit; the scene is mostly green, so a demosaic looks green while the embedded
# preview (red to magenta) does not: a test can tell which one a derivative came from.
_WHITE = 4095


def _mosaic(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    red, green, blue = 0.15 + 0.2 * x / width, 0.75 + 0.1 * np.sin(x / 7.0), 0.1 + 0.2 * y / height
    mosaic = np.empty((height, width), np.uint16)
    mosaic[0::2, 0::2] = (red[0::2, 0::2] * _WHITE).astype(np.uint16)  # R G
    mosaic[0::2, 1::2] = (green[0::2, 1::2] * _WHITE).astype(np.uint16)  # G B
    mosaic[1::2, 0::2] = (green[1::2, 0::2] * _WHITE).astype(np.uint16)
    mosaic[1::2, 1::2] = (blue[1::2, 1::2] * _WHITE).astype(np.uint16)
    return mosaic


def _dng_tags(orientation: int) -> list[tuple[int, str, int, object, bool]]:
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    return [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, "Sheet DNG", True),  # UniqueCameraModel
        (50721, "2i", 9, identity, True),  # ColorMatrix1
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
        (271, "s", 0, "Sheetmaker", True),  # Make
        (272, "s", 0, "Sheet DNG", True),  # Model
        (274, "H", 1, orientation, True),  # Orientation
    ]


_CFA_TAGS = [
    (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
    (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
    (50714, "H", 1, 0, True),  # BlackLevel
    (50717, "H", 1, _WHITE, True),  # WhiteLevel
]


def preview_colour(width: int, height: int) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[..., 0] = 220
    pixels[..., 2] = (255 * x / max(width - 1, 1)).astype(np.uint8)
    pixels[..., 1] = (40 * (y % 20 < 10)).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def dng_with_preview(
    path: Path,
    width: int = 1600,
    height: int = 1066,
    preview_long_edge: int = 1200,
    orientation: int = 1,
) -> Path:
    """A DNG as cameras write it: a JPEG preview in IFD0, the Bayer mosaic in a SubIFD."""
    preview_height = round(preview_long_edge * height / width)
    preview = preview_colour(preview_long_edge, preview_height)
    with tifffile.TiffWriter(path) as tif:
        tif.write(
            np.asarray(preview),
            photometric="rgb",
            subfiletype=1,
            subifds=1,
            rowsperstrip=preview_height,
            extratags=_dng_tags(orientation),
        )
        tif.write(_mosaic(width, height), photometric=32803, subfiletype=0, extratags=_CFA_TAGS)
    _jpeg_compress_first_strip(path, preview)
    return path


def _jpeg_compress_first_strip(path: Path, preview: Image.Image) -> None:
    # tifffile writes JPEG strips only with the large imagecodecs package; a JPEG is always
    # smaller than the raw strip, so it is written in place and IFD0's tags are patched to match.
    buffer = io.BytesIO()
    preview.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        strip = tags["StripOffsets"].value[0]
        counts = tags["StripByteCounts"].valueoffset
        compression = tags["Compression"].valueoffset
        photometric = tags["PhotometricInterpretation"].valueoffset
    with path.open("r+b") as handle:
        handle.seek(strip)
        handle.write(data)
        handle.seek(counts)
        handle.write(struct.pack("<I", len(data)))
        handle.seek(compression)
        handle.write(struct.pack("<H", 7))  # JPEG
        handle.seek(photometric)
        handle.write(struct.pack("<H", 6))  # YCbCr


def dng_without_preview(path: Path, width: int = 1600, height: int = 1066) -> Path:
    """A DNG with only the mosaic (as converters often write): it must be demosaiced."""
    tags = _dng_tags(1) + _CFA_TAGS
    with tifffile.TiffWriter(path) as tif:
        tif.write(_mosaic(width, height), photometric=32803, subfiletype=0, extratags=tags)
    return path


# --- RAW containers for metadata (no pixels) -----------------------------------------------------


def tiff_blob(exif: Exif = DEFAULT_EXIF, magic: bytes = b"II*\x00") -> bytes:
    """The EXIF as a bare TIFF structure, with the given magic (ORF: IIRO, RW2: IIU\\0)."""
    blob = exif_bytes(exif)[6:]
    return magic + blob[4:] if blob.startswith(b"II") else blob


def orf(path: Path, exif: Exif = DEFAULT_EXIF) -> Path:
    path.write_bytes(_little_endian_blob(exif, b"IIRO"))
    return path


def rw2(path: Path, exif: Exif = DEFAULT_EXIF) -> Path:
    path.write_bytes(_little_endian_blob(exif, b"IIU\x00"))
    return path


def _little_endian_blob(exif: Exif, magic: bytes) -> bytes:
    # piexif writes big-endian ("MM"); re-dump through Pillow's little-endian writer.
    data = Image.Exif()
    data.load(exif_bytes(exif))
    for ifd in (0x8769, 0x8825):
        data.get_ifd(ifd)
    data.endian = "<"
    blob = data.tobytes()[6:]  # without "Exif\0\0"
    return magic + blob[4:]


def raf(path: Path, exif: Exif = DEFAULT_EXIF) -> Path:
    """Fujifilm's container: a header pointing at a full JPEG that carries the EXIF."""
    buffer = io.BytesIO()
    scene(320, 240).save(buffer, "JPEG", quality=80, exif=exif_bytes(exif))
    embedded = buffer.getvalue()
    header = b"FUJIFILMCCD-RAW 0201FF383501" + b"\x00" * 56
    offset = len(header) + 8 + 100
    header += struct.pack(">II", offset, len(embedded))
    path.write_bytes(header + b"\x00" * (offset - len(header)) + embedded)
    return path


def cr3(path: Path, exif: Exif = DEFAULT_EXIF) -> Path:
    """Canon's ISO-BMFF container with CMT1 (IFD0), CMT2 (EXIF) and CMT4 (GPS) boxes."""
    data = Image.Exif()
    data.load(exif_bytes(exif))
    exif_ifd, gps_ifd = dict(data.get_ifd(0x8769)), dict(data.get_ifd(0x8825))
    ifd0 = {tag: value for tag, value in data.items() if tag not in (0x8769, 0x8825)}
    cmt = [_tiff_of(ifd0), _tiff_of(exif_ifd), b"", _tiff_of(gps_ifd)]
    boxes = b"".join(_box(f"CMT{i + 1}".encode(), blob) for i, blob in enumerate(cmt) if blob)
    canon = _box(b"uuid", bytes.fromhex("85c0b687820f11e08111f4ce462b6a48") + boxes)
    ftyp = _box(b"ftyp", b"crx " + b"\x00\x00\x00\x01" + b"crx isom")
    path.write_bytes(ftyp + _box(b"moov", canon) + _box(b"mdat", b"\x00" * 64))
    return path


def _tiff_of(tags: dict[int, object]) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[tag] = value
    return exif.tobytes()[6:]  # a bare TIFF, without "Exif\0\0"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def variant(data: bytes, tag: str) -> bytes:
    """Other bytes, the same picture: a JPEG gets a comment segment after its start marker; a
    TIFF-based file (DNG) gets `tag` after its end, where no offset of the file points."""
    text = tag.encode()
    if data[:2] == b"\xff\xd8":
        return data[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + data[2:]
    return data + text


def variant_file(source: Path, target: Path, tag: str) -> Path:
    """A copy of `source` at `target` with distinct content (see `variant`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(variant(source.read_bytes(), tag))
    return target
