"""The file types Contact Sheet accepts (docs/ingest.md), as data, and how to recognise them by
content.

An upload is accepted only when its extension is known *and* its first bytes say the same thing:
a `.jpg` that is really a PDF, or a `.nef` that is really a JPEG, is refused. The engine routes a
file to a decoder by what `sniff` says, never by its name.
"""

from __future__ import annotations

from typing import Final, Literal

Kind = Literal["jpg", "raw", "other"]
# What `sniff` can recognise. TIFF-based RAWs (NEF, CR2, ARW, DNG, PEF, SRW, NRW) are "tiff":
# their first bytes are a plain TIFF header, so content alone cannot tell them apart.
Content = Literal["jpeg", "png", "tiff", "heif", "webp", "cr3", "raf", "orf", "rw2"]

# Extension (lowercase, with the dot) -> kind of file within a photo.
KINDS: Final[dict[str, Kind]] = {
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".mpo": "jpg",  # multi-picture JPEG (3D cameras, some phones): the first frame is a JPEG
    ".png": "other",
    ".tif": "other",
    ".tiff": "other",
    ".heic": "other",
    ".heif": "other",
    ".hif": "other",  # Canon, Sony and Fujifilm cameras name their HEIF files .HIF
    ".webp": "other",
    ".cr2": "raw",
    ".cr3": "raw",
    ".nef": "raw",
    ".nrw": "raw",
    ".arw": "raw",
    ".dng": "raw",
    ".raf": "raw",
    ".orf": "raw",
    ".rw2": "raw",
    ".pef": "raw",
    ".srw": "raw",
}

# Extension -> the content its first bytes must show.
EXPECTED_CONTENT: Final[dict[str, Content]] = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".mpo": "jpeg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".heic": "heif",
    ".heif": "heif",
    ".hif": "heif",
    ".webp": "webp",
    ".cr2": "tiff",
    ".nef": "tiff",
    ".nrw": "tiff",
    ".arw": "tiff",
    ".dng": "tiff",
    ".pef": "tiff",
    ".srw": "tiff",
    ".cr3": "cr3",
    ".raf": "raf",
    ".orf": "orf",
    ".rw2": "rw2",
}

ACCEPTED_EXTENSIONS: Final[frozenset[str]] = frozenset(KINDS)

# Enough for every signature below, including an ISO-BMFF `ftyp` box with a few compatible brands.
SNIFF_BYTES: Final[int] = 64

# HEIF brands of still images (HEVC-coded or generic image collections). AVIF ("avif") is not an
# accepted type, so it is not listed; "mif1"/"msf1" alone mean a HEIF image (sequence).
_HEIF_BRANDS: Final[frozenset[bytes]] = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
)
_CR3_BRAND: Final[bytes] = b"crx "


def split_name(filename: str) -> tuple[str, str]:
    """("DSC01234", ".JPG") for "DSC01234.JPG": the stem and extension `PurePath` would give,
    without building a path (maintenance asks this of every file in the library)."""
    name = filename.rpartition("/")[2]
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot:]
    return name, ""


def kind_of(filename: str) -> Kind | None:
    """The kind of an accepted file by its extension (case-insensitive), else None."""
    return KINDS.get(split_name(filename)[1].lower())


def sniff(head: bytes) -> Content | None:
    """What the first bytes of a file (at least `SNIFF_BYTES` of them when the file is that long)
    show it to be, or None when it is nothing accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "raf"
    # Olympus and Panasonic write TIFF structures with their own magic instead of 42.
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "orf"
    if head.startswith(b"IIU\x00"):
        return "rw2"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return _sniff_iso_bmff(head)


def _sniff_iso_bmff(head: bytes) -> Content | None:
    if head[4:8] != b"ftyp" or len(head) < 12:
        return None
    box_size = int.from_bytes(head[0:4], "big")
    # major brand, minor version, then compatible brands up to the end of the box (or of `head`)
    end = min(box_size, len(head)) if box_size >= 16 else len(head)
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    if _CR3_BRAND in brands:
        return "cr3"
    if any(brand in _HEIF_BRANDS for brand in brands):
        return "heif"
    return None


def content_matches(filename: str, head: bytes) -> bool:
    """True when `filename` has an accepted extension and `head` (its first bytes) shows the
    content that extension promises."""
    expected = EXPECTED_CONTENT.get(split_name(filename)[1].lower())
    return expected is not None and sniff(head) == expected
