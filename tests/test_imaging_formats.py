"""Accepted types (docs/ingest.md) and recognising them by their first bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactsheet.imaging.formats import (
    ACCEPTED_EXTENSIONS,
    SNIFF_BYTES,
    content_matches,
    kind_of,
    sniff,
    split_name,
)
from tests import imagefactory as make


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(payload)).to_bytes(4, "big") + b"ftyp" + payload


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.jpg", "jpg"),
        ("A.JPEG", "jpg"),
        ("stereo.MPO", "jpg"),
        ("x.png", "other"),
        ("x.tif", "other"),
        ("x.TIFF", "other"),
        ("x.heic", "other"),
        ("x.HEIF", "other"),
        ("canon.HIF", "other"),
        ("x.webp", "other"),
        *[
            (f"DSC0001.{ext}", "raw")
            for ext in ["cr2", "cr3", "nef", "nrw", "arw", "dng", "raf", "orf", "rw2", "pef", "srw"]
        ],
        ("DSC0001.ARW", "raw"),
        ("DSC0001.xmp", None),
        ("clip.mp4", None),
        ("notes.pdf", None),
        ("no_extension", None),
        ("archive.jpg.zip", None),
    ],
)
def test_kind_of(name: str, kind: str | None) -> None:
    assert kind_of(name) == kind


@pytest.mark.parametrize(
    "name",
    [
        "DSC01234.JPG",
        "IMG_1 [v2].cr3",
        "archive.jpg.zip",
        "no_extension",
        ".hidden",
        ".tmp-abc.jpg",
        "trailing.",
        "a..b",
        "..",
        "a",
        "photo.JPEG ",
        "été.Jpg",
        "x.y.z.NEF",
    ],
)
def test_split_name_gives_what_purepath_gives(name: str) -> None:
    path = Path(name)
    assert split_name(name) == (path.stem, path.suffix)


def test_split_name_agrees_with_purepath_on_every_corpus_file() -> None:
    corpus = Path(__file__).parents[2] / "shared" / "corpus"
    names = [p.name for p in corpus.rglob("*")] if corpus.is_dir() else []
    names += [f"{name}.xmp" for name in names]
    for name in names:
        assert split_name(name) == (Path(name).stem, Path(name).suffix), name


def test_every_accepted_extension_is_lowercase_with_a_dot() -> None:
    assert all(ext.startswith(".") and ext == ext.lower() for ext in ACCEPTED_EXTENSIONS)
    assert len(ACCEPTED_EXTENSIONS) == 21


@pytest.mark.parametrize(
    ("head", "content"),
    [
        (b"\xff\xd8\xff\xe1\x00\x10Exif", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        (ftyp(b"heic", b"mif1", b"heic"), "heif"),
        (ftyp(b"heix", b"mif1"), "heif"),
        (ftyp(b"mif1", b"heic", b"miaf"), "heif"),
        (ftyp(b"msf1", b"hevc"), "heif"),
        (ftyp(b"crx ", b"crx ", b"isom"), "cr3"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"FUJIFILMCCD-RAW 0201FF383501", "raf"),
        (b"IIRO\x08\x00\x00\x00", "orf"),
        (b"IIRS\x08\x00\x00\x00", "orf"),
        (b"MMOR\x00\x00\x00\x08", "orf"),
        (b"IIU\x00\x18\x00\x00\x00", "rw2"),
        (b"%PDF-1.7\n", None),
        (ftyp(b"avif", b"mif1", b"avif")[:16], None),  # major brand avif, brands cut off
        (ftyp(b"isom", b"mp42"), None),  # a video
        (b"GIF89a", None),
        (b"", None),
        (b"\xff\xd8", None),
    ],
)
def test_sniff(head: bytes, content: str | None) -> None:
    assert sniff(head) == content


def test_sniff_bytes_covers_a_long_ftyp_box() -> None:
    head = ftyp(b"mif1", b"MiHE", b"MiPr", b"miaf", b"MiHB", b"heic", b"crx ")
    assert len(head) <= SNIFF_BYTES
    assert sniff(head) == "cr3"


@pytest.mark.parametrize(
    ("name", "head", "ok"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0", True),
        ("photo.JPG", b"%PDF-1.4", False),  # a PDF named .jpg
        ("photo.mpo", b"\xff\xd8\xff\xe1", True),
        ("photo.png", b"\xff\xd8\xff\xe0", False),
        ("photo.heic", b"\xff\xd8\xff\xe0", False),  # a JPEG named .heic
        ("photo.heic", ftyp(b"heic", b"mif1"), True),
        ("photo.hif", ftyp(b"heix", b"mif1"), True),
        ("photo.webp", b"RIFF\x00\x00\x00\x00WEBPVP8L", True),
        ("DSC.NEF", b"MM\x00*\x00\x00\x00\x08", True),
        ("DSC.nef", b"\xff\xd8\xff\xe0", False),  # RAW extension, JPEG content
        ("DSC.cr2", b"II*\x00\x10\x00\x00\x00CR", True),
        ("DSC.arw", b"II*\x00\x08\x00\x00\x00", True),
        ("DSC.dng", b"II*\x00\x08\x00\x00\x00", True),
        ("DSC.pef", b"MM\x00*\x00\x00\x00\x08", True),
        ("DSC.srw", b"II*\x00\x08\x00\x00\x00", True),
        ("DSC.nrw", b"II*\x00\x08\x00\x00\x00", True),
        ("DSC.cr3", ftyp(b"crx ", b"crx "), True),
        ("DSC.cr3", ftyp(b"heic", b"mif1"), False),
        ("DSC.raf", b"FUJIFILMCCD-RAW 0201", True),
        ("DSC.raf", b"II*\x00\x08\x00\x00\x00", False),
        ("DSC.orf", b"IIRO\x08\x00\x00\x00", True),
        ("DSC.orf", b"II*\x00\x08\x00\x00\x00", False),
        ("DSC.rw2", b"IIU\x00\x18\x00\x00\x00", True),
        ("movie.mp4", ftyp(b"isom", b"mp42"), False),
        ("notes.txt", b"hello", False),
    ],
)
def test_content_matches(name: str, head: bytes, ok: bool) -> None:
    assert content_matches(name, head) is ok


def test_real_files_are_recognised(tmp_path: Path) -> None:
    files = {
        make.jpeg(tmp_path / "a.jpg", 64, 48): "jpeg",
        make.png(tmp_path / "a.png", 64, 48): "png",
        make.tiff(tmp_path / "a.tif", 64, 48): "tiff",
        make.webp(tmp_path / "a.webp", 64, 48): "webp",
        make.heic(tmp_path / "a.heic", 64, 48): "heif",
        make.dng_without_preview(tmp_path / "a.dng", 64, 48): "tiff",
        make.cr3(tmp_path / "a.cr3"): "cr3",
        make.raf(tmp_path / "a.raf"): "raf",
        make.orf(tmp_path / "a.orf"): "orf",
        make.rw2(tmp_path / "a.rw2"): "rw2",
        make.not_an_image(tmp_path / "a.jpg.pdf"): None,
    }
    for path, content in files.items():
        head = path.read_bytes()[:SNIFF_BYTES]
        assert sniff(head) == content, path.name
        if content is not None:
            assert content_matches(path.name, head), path.name
