"""Where each file format keeps its EXIF and XMP, found without decoding a single pixel.

Every reader here is bounded: it walks a fixed number of segments, chunks or boxes and reads at most
`READ_BUDGET` bytes through `BoundedReader`, so a hostile or truncated file ends in an exception
(which `metadata.read_metadata` turns into `extra["error"]`), never in a long loop or a huge read.
The EXIF itself is parsed elsewhere (`metadata.py`, with exifread); this module only finds it.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from contactsheet.imaging.formats import Content

# Metadata lives in the first few hundred KiB of every format we accept, except TIFF-based RAWs
# whose IFDs may sit anywhere; 16 MiB of reads covers both and still bounds a looping IFD chain.
READ_BUDGET = 16 * 1024 * 1024
_MAX_SEGMENTS = 4096
_CR3_METADATA_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")


class MetadataFormatError(ValueError):
    """The container is damaged or not what its first bytes claimed."""


class BoundedReader(io.RawIOBase):
    """A read-only file that refuses to read more than `budget` bytes in total."""

    def __init__(self, raw: BinaryIO, budget: int = READ_BUDGET) -> None:
        super().__init__()
        self._raw = raw
        self._left = budget

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._left + 1  # "read everything" may not escape the budget either
        if size > self._left:
            raise MetadataFormatError("metadata read budget exhausted (damaged or looping file)")
        data = self._raw.read(size)
        self._left -= len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class ExifBlock:
    """One TIFF structure to parse. `ifd0_is` says what its first IFD really is: CR3 stores the
    EXIF and GPS directories as separate TIFFs, each with its directory in the IFD0 position."""

    source: bytes | BinaryIO
    ifd0_is: str = "Image"


@dataclass
class Found:
    blocks: list[ExifBlock] = field(default_factory=list)
    xmp: bytes | None = None
    width: int | None = None
    height: int | None = None
    # True when width/height are after the container's own rotation (HEIF), not as stored.
    displayed_size: bool = False


def find(path: Path, content: Content, handle: BinaryIO, found: Found) -> None:
    """Fill `found` with the EXIF, XMP and pixel size of an opened file whose content was sniffed.
    Fills it as it goes, so a file truncated after its metadata still yields that metadata before
    the error is raised."""
    handle.seek(0)
    reader = BoundedReader(handle)
    if content == "jpeg":
        _jpeg(reader, found)
    elif content == "png":
        _png(reader, found)
    elif content == "webp":
        _webp(reader, found)
    elif content == "heif":
        _heif(path, found)
    elif content == "cr3":
        _cr3(reader, found)
    elif content == "raf":
        _raf(reader, found)
    else:
        # TIFF and the TIFF-based RAWs (ORF and RW2 differ only in their magic): exifread walks
        # the file itself, through the budget.
        found.blocks.append(ExifBlock(reader))


# --- JPEG -----------------------------------------------------------------------------------------

_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"


def _jpeg(reader: BinaryIO, found: Found) -> None:
    if reader.read(2) != b"\xff\xd8":
        raise MetadataFormatError("not a JPEG (no SOI marker)")
    for _ in range(_MAX_SEGMENTS):
        marker = _next_marker(reader)
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata after this
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        length = struct.unpack(">H", _exactly(reader, 2))[0]
        if length < 2:
            raise MetadataFormatError("JPEG segment with an impossible length")
        body = _exactly(reader, length - 2)
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00") and not found.blocks:
            found.blocks.append(ExifBlock(body[6:]))
        elif marker == 0xE1 and body.startswith(_XMP_PREFIX) and found.xmp is None:
            found.xmp = body[len(_XMP_PREFIX) :]
        elif marker in _SOF_MARKERS and len(body) >= 5 and found.width is None:
            found.height, found.width = struct.unpack(">HH", body[1:5])


def _next_marker(reader: BinaryIO) -> int:
    byte = _exactly(reader, 1)
    if byte != b"\xff":
        raise MetadataFormatError("JPEG marker expected")
    while byte == b"\xff":  # fill bytes may pad any marker
        byte = _exactly(reader, 1)
    return byte[0]


def jpeg_exif_and_size(data: bytes) -> Found:
    """The EXIF, XMP and size of a JPEG held in memory (e.g. a RAW's embedded preview)."""
    found = Found()
    _jpeg(BoundedReader(io.BytesIO(data)), found)
    return found


# --- PNG ------------------------------------------------------------------------------------------


def _png(reader: BinaryIO, found: Found) -> None:
    _exactly(reader, 8)
    for _ in range(_MAX_SEGMENTS):
        header = reader.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            break
        if kind in (b"IDAT", b"fdAT") or length > 8 * 1024 * 1024:
            reader.seek(length + 4, io.SEEK_CUR)  # pixel data: skip without reading
            continue
        body = _exactly(reader, length)
        reader.seek(4, io.SEEK_CUR)  # CRC
        if kind == b"IHDR" and length >= 8:
            found.width, found.height = struct.unpack(">II", body[:8])
        elif kind == b"eXIf":
            found.blocks.insert(0, ExifBlock(_strip_exif_header(body)))
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            _png_text(kind, body, found)


def _png_text(kind: bytes, body: bytes, found: Found) -> None:
    keyword, _, rest = body.partition(b"\x00")
    if kind == b"zTXt":
        text = _inflate(rest[1:])
    elif kind == b"iTXt":
        compressed = rest[:1] == b"\x01"
        # compression flag, method, language tag\0, translated keyword\0, text
        parts = rest[2:].split(b"\x00", 2)
        text = parts[2] if len(parts) == 3 else b""
        text = _inflate(text) if compressed else text
    else:
        text = rest
    if keyword == b"XML:com.adobe.xmp" and found.xmp is None:
        found.xmp = text
    elif keyword in (b"Raw profile type exif", b"Raw profile type APP1") and not found.blocks:
        # ImageMagick/exiftool: "\nexif\n   <length>\n<hex lines>", the hex starting with Exif\0\0
        hex_digits = re.sub(rb"\s+", b"", b"".join(text.strip().split(b"\n")[2:]))
        blob = bytes.fromhex(hex_digits.decode("ascii", "replace"))
        found.blocks.append(ExifBlock(_strip_exif_header(blob)))
    elif keyword == b"exif" and text.startswith((b"Exif\x00\x00", b"II*\x00", b"MM\x00*")):
        found.blocks.append(ExifBlock(_strip_exif_header(text)))  # raw EXIF in a text chunk


def _inflate(data: bytes) -> bytes:
    # Bounded: a zip bomb in a text chunk stops at 4 MiB of output.
    return zlib.decompressobj().decompress(data, 4 * 1024 * 1024)


def _strip_exif_header(blob: bytes) -> bytes:
    return blob[6:] if blob.startswith(b"Exif\x00\x00") else blob


# --- WebP -----------------------------------------------------------------------------------------


def _webp(reader: BinaryIO, found: Found) -> None:
    _exactly(reader, 12)
    for _ in range(_MAX_SEGMENTS):
        header = reader.read(8)
        if len(header) < 8:
            break
        kind, length = struct.unpack("<4sI", header)
        padded = length + (length & 1)
        if kind in (b"VP8 ", b"VP8L", b"ANMF", b"ALPH") and found.width is not None:
            reader.seek(padded, io.SEEK_CUR)
            continue
        body = _exactly(reader, min(length, READ_BUDGET // 2))
        reader.seek(padded - len(body), io.SEEK_CUR)
        if kind == b"VP8X" and len(body) >= 10:
            found.width = 1 + int.from_bytes(body[4:7], "little")
            found.height = 1 + int.from_bytes(body[7:10], "little")
        elif kind == b"VP8 " and len(body) >= 10:
            found.width = struct.unpack("<H", body[6:8])[0] & 0x3FFF
            found.height = struct.unpack("<H", body[8:10])[0] & 0x3FFF
        elif kind == b"VP8L" and len(body) >= 5:
            bits = int.from_bytes(body[1:5], "little")
            found.width, found.height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        elif kind == b"EXIF":
            found.blocks.append(ExifBlock(_strip_exif_header(body)))
        elif kind == b"XMP ":
            found.xmp = body


# --- HEIF -----------------------------------------------------------------------------------------


def _heif(path: Path, found: Found) -> None:
    # libheif parses the box structure (and refuses absurd sizes by its own security limits); no
    # pixel is decoded here. Its size is the *displayed* one: libheif applies the container's
    # rotation, which `metadata.py` undoes to report the stored size like for every other format.
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=False)
    info = heif.info
    exif = info.get("exif")
    found.width, found.height = heif.size
    found.displayed_size = True
    found.xmp = info.get("xmp")
    if exif:
        found.blocks.append(ExifBlock(_strip_exif_header(exif)))


# --- Fujifilm RAF ---------------------------------------------------------------------------------


def _raf(reader: BinaryIO, found: Found) -> None:
    # The RAF header points at a full JPEG whose EXIF is the camera's; the raw data has none.
    header = _exactly(reader, 92)
    offset, length = struct.unpack(">II", header[84:92])
    reader.seek(offset)
    embedded = jpeg_exif_and_size(_exactly(reader, min(length, 1024 * 1024)))
    # The embedded JPEG's size is not the photo's: keep only its EXIF and XMP.
    found.blocks.extend(embedded.blocks)
    found.xmp = embedded.xmp


# --- Canon CR3 ------------------------------------------------------------------------------------


def _cr3(reader: BinaryIO, found: Found) -> None:
    # ftyp, then moov holding Canon's uuid box; CMT1 = IFD0, CMT2 = EXIF, CMT4 = GPS, each a TIFF.
    moov = _box_payload(reader, _boxes(reader, 0, None), b"moov")
    canon = None
    for kind, start, end in _boxes(io.BytesIO(moov), 0, len(moov)):
        if kind == b"uuid" and moov[start : start + 16] == _CR3_METADATA_UUID:
            canon = moov[start + 16 : end]
            break
    if canon is None:
        raise MetadataFormatError("CR3 without Canon's metadata box")
    labels = {b"CMT1": "Image", b"CMT2": "EXIF", b"CMT4": "GPS"}
    for kind, start, end in _boxes(io.BytesIO(canon), 0, len(canon)):
        if kind in labels:
            found.blocks.append(ExifBlock(canon[start:end], ifd0_is=labels[kind]))


def _boxes(reader: BinaryIO, start: int, end: int | None) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes between `start` and `end`."""
    boxes: list[tuple[bytes, int, int]] = []
    position = start
    for _ in range(_MAX_SEGMENTS):
        if end is not None and position + 8 > end:
            break
        reader.seek(position)
        header = reader.read(8)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header)
        payload = position + 8
        if size == 1:  # 64-bit size follows
            size = struct.unpack(">Q", _exactly(reader, 8))[0]
            payload += 8
        elif size == 0:  # box runs to the end of the file
            size = (end if end is not None else reader.seek(0, io.SEEK_END)) - position
        if size < payload - position:
            raise MetadataFormatError("ISO-BMFF box with an impossible size")
        boxes.append((kind, payload, position + size))
        position += size
    return boxes


def _box_payload(reader: BinaryIO, boxes: list[tuple[bytes, int, int]], kind: bytes) -> bytes:
    for box_kind, start, end in boxes:
        if box_kind == kind:
            reader.seek(start)
            return _exactly(reader, end - start)
    raise MetadataFormatError(f"no {kind.decode()} box")


def _exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise MetadataFormatError("file ends inside a header (truncated)")
    return data
