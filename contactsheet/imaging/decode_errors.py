"""Why a source could not be decoded, in words a person can act on, read from libvips' error text.

`DecodeError` is what the engine raises. `Unreadable` is the one kind another, more lenient
decoder may still get past: the data itself was refused (not a limit, not the file type).
"""

from __future__ import annotations

from pathlib import Path

import pyvips

from contactsheet.imaging.formats import EXPECTED_CONTENT, kind_of


class DecodeError(Exception):
    """A source that cannot be turned into derivatives; the message says which file and why."""

    def __init__(self, source: Path | str, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"cannot decode {Path(source).name}: {reason}")


class Unreadable(DecodeError):
    """A decoder refused the data itself (not a limit, not the file type): another, more lenient
    decoder may still read it. `detail` is the decoder's own telling line."""

    def __init__(
        self, source: Path | str, reason: str, detail: str, *, worded: bool = True
    ) -> None:
        super().__init__(source, reason)
        self.detail = detail
        # False when the decoder said only that it failed ("unable to copy to memory"): libvips
        # logs a warning it fails on without putting it into the error it raises.
        self.worded = worded

    @property
    def codec_missing(self) -> bool:
        # libtiff: "Old-style JPEG compression support is not configured", "Sorry, requested
        # compression method is not configured": ignoring errors cannot supply a missing codec.
        return "not configured" in self.detail


def vips_unreadable(source: Path, error: pyvips.Error) -> Unreadable:
    """What a libvips failure on `source` says about the file."""
    detail, worded = _vips_detail(error, source)
    lowered = detail.lower()
    if any(word in lowered for word in ("premature", "truncat", "corrupt", "invalid", "bad")):
        return Unreadable(source, f"the file is damaged or truncated ({detail})", detail)
    return Unreadable(source, detail, detail, worded=worded)


def _vips_detail(error: pyvips.Error, source: Path) -> tuple[str, bool]:
    """The most telling line of a libvips error about `source`, and whether it says what is wrong.

    The error carries libvips' process-wide log (see `error_log.py`); lines of another decoder or
    naming another file (libvips work outside this engine writes there too) are left out, and of
    the rest the last ones are this failure's."""
    lines = [line.strip() for line in f"{error.message}\n{error.detail or ''}".splitlines()]
    ours = _LOADER_PREFIX["jpeg" if kind_of(source.name) == "raw" else _expected(source)]
    useful = [
        line
        for line in lines
        if line
        and not line.startswith("VipsImage:")
        and not (line.startswith(_OTHER_PREFIXES) and not line.startswith(ours))
        and not (line.startswith("VipsForeignLoad:") and source.name not in line)
    ]
    telling = [line for line in useful if any(word in line.lower() for word in _TELLING)]
    # libtiff names the missing codec first, then repeats it in general terms.
    named = [line for line in telling if _GENERIC not in line.lower()]
    chosen = (named or telling or useful or ["libvips could not read the image"])[-1]
    return chosen[:200], bool(telling)


def _expected(source: Path) -> str:
    return str(EXPECTED_CONTENT.get(source.suffix.lower(), ""))


# How each of libvips' decoders signs its lines in the error log.
_LOADER_PREFIX = {
    "jpeg": "VipsJpeg:",
    "png": "vipspng:",
    "webp": "webp:",
    "tiff": "tiff2vips:",
    "": "VipsForeignLoad:",
}
_OTHER_PREFIXES = tuple(_LOADER_PREFIX[content] for content in ("jpeg", "png", "webp", "tiff"))


# Words of a line that says what is wrong with the data, rather than "unable to call thumbnail".
_TELLING = (
    "premature",
    "truncat",
    "corrupt",
    "invalid",
    "bad",
    "not configured",
    "unsupported",
    "not a known",
    "no image",
    "extraneous",
)


_GENERIC = "requested compression method is not configured"
