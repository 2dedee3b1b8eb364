"""Thumbnails and previews: decode a source once, make every size from that one decode.

SPEC §2 "decode once": the largest derivative (the preview) is made first from the source, with
libvips' shrink-on-load where the format has one (JPEG decodes at 1/2, 1/4 or 1/8 scale), and each
smaller one (the thumbnail) from the previous result, never from the source again. Output is 8-bit
sRGB, upright (EXIF orientation applied), never upscaled, and carries no metadata at all (no EXIF,
no GPS, no ICC profile: browsers take untagged images as sRGB).

A file is decoded only when its content matches its extension (the rule of upload, SPEC §3), and
the decoder is chosen by that content:
- JPEG, PNG, TIFF, WebP: libvips, in this process, stopped at the deadline by libvips' own kill
  flag (checked between tiles, so a stop is prompt and frees its memory);
- HEIF/HEIC/HIF: libheif (pyvips-binary cannot decode HEVC), and RAW: LibRaw (its embedded
  preview when large enough, else a demosaic): both in a child process (`isolated.py`) that is
  killed at the deadline, because neither library can be interrupted from Python.

Damaged but readable files are shown, as browsers and other viewers show them. libvips decodes
strictly first, failing on any warning about the image data; on such a failure it decodes again
ignoring errors (a truncated JPEG shows what was there; a few bad codes in a fax TIFF cost a few
lines), and where libvips lacks the codec (old-style JPEG in TIFF) Pillow decodes the file in the
child process, under the same pixel and time limits. Each such result carries a `warning` saying
what was wrong; a file none of them can read is a DecodeError. Limits (pixels, time) are never
retried: a decompression bomb is not handed to a second decoder.

Alpha: kept in WebP output (a transparent PNG stays transparent in the grid), flattened on white
for JPEG output, which has no alpha.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal, TypeVar

import pyvips

from contactsheet.imaging import isolated
from contactsheet.imaging.formats import (
    EXPECTED_CONTENT,
    SNIFF_BYTES,
    content_matches,
    kind_of,
    sniff,
)

# Raise when a change alters any output for the same input: new encoder settings, a new colour
# pipeline, another way of choosing a RAW's source, a file that failed and now decodes (2: damaged
# files decoded leniently, old-style JPEG TIFFs through Pillow; a failure is retried only when the
# source or this version changes). The library versions below join it, so an
# upgrade of libvips, LibRaw or libheif also invalidates the derivative cache.
ENGINE_REVISION = 2

_T = TypeVar("_T")


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


ENGINE_VERSION: str = (
    f"cs{ENGINE_REVISION}"
    f"-vips{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    f"-rawpy{_package_version('rawpy')}"
    f"-heif{_package_version('pillow-heif')}"
)

# The operation cache keys `thumbnail(filename)` by path: a file replaced in place would come back
# stale, and a server that sees each upload once gains nothing from caching it.
pyvips.cache_set_max(0)
# Loaders libvips marks as unsafe for hostile input (e.g. via ImageMagick, MATLAB) stay off; the
# engine only routes sniffed JPEG/PNG/TIFF/WebP to libvips anyway.
pyvips.block_untrusted_set(True)


@dataclass(frozen=True)
class DerivativeSpec:
    kind: str  # "thumbnail", "preview"
    long_edge: int
    format: Literal["webp", "jpeg"]
    quality: int  # 1-100
    # WebP: libwebp's method 0 (fastest) .. 6 (smallest files). JPEG: 0 = standard Huffman
    # tables, 1 or more = optimised tables (a few % smaller, a few % slower).
    effort: int


# Chosen by bench/derivatives.py (24 MP JPEGs, per core): a 3000 px WebP costs about as much to
# encode as the whole JPEG costs to decode, even at effort 0, so WebP previews miss the target of
# "thumbnail + preview within twice a plain full decode" (ratio ~2.3; libvips' default effort 4:
# ~4.1). A JPEG preview (q85, standard Huffman tables) meets it (ratio ~1.3, PSNR 40 dB). The
# thumbnail stays WebP: at 800 px it costs little and is 3x smaller than a JPEG, which counts in a
# grid that loads hundreds of them.
DEFAULT_PREVIEW = DerivativeSpec("preview", 3000, "jpeg", 85, 0)
DEFAULT_THUMBNAIL = DerivativeSpec("thumbnail", 800, "webp", 80, 0)


@dataclass(frozen=True)
class Rendered:
    kind: str
    data: bytes
    width: int
    height: int
    media_type: str
    extension: str
    # Which decoder produced the pixels: "libvips", "libvips-lenient" (errors in the data
    # ignored), "pillow", "libheif", "libraw-preview" (a RAW's embedded JPEG) or
    # "libraw-demosaic". Recorded so a too-small preview can never hide.
    decoded_with: str = ""
    # What was wrong with a source shown anyway (damaged data, a codec libvips lacks), in the
    # decoder's words; None for a clean decode.
    warning: str | None = None


class DecodeError(Exception):
    """A source that cannot be turned into derivatives; the message says which file and why."""

    def __init__(self, source: Path | str, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"cannot decode {Path(source).name}: {reason}")


class _Unreadable(DecodeError):
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


@dataclass(frozen=True)
class _Decoded:
    image: pyvips.Image  # in memory, upright 8-bit sRGB, about the largest derivative's size
    decoded_with: str
    warning: str | None = None


class _ErrorLogGuard:
    """Who may decode while a damaged file's messages are read.

    libvips keeps one error log for the whole process: its decoders write their warnings there, even
    in decodes that succeed, and pyvips empties it at any failure. Decodes running at the same time
    would take each other's messages, or lose their own, and so would any other libvips work: a
    ThumbHash computed beside a damaged TIFF's decode took its "Bad code word" from 42 of 80
    decodes. So all libvips work here runs shared, and a file that fails is decoded again alone
    (the others wait, briefly: damaged files are rare): the messages read then are its own.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting_alone = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            while self._alone or self._waiting_alone:
                self._changed.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._changed:
                self._shared -= 1
                self._changed.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._changed:
            self._waiting_alone += 1
            while self._alone or self._shared:
                self._changed.wait()
            self._waiting_alone -= 1
            self._alone = True
        pyvips.vips_lib.vips_error_clear()
        try:
            yield
        finally:
            # what the lenient decode ignored must not be read as part of a later failure
            pyvips.vips_lib.vips_error_clear()
            with self._changed:
                self._alone = False
                self._changed.notify_all()


_error_log = _ErrorLogGuard()


def configure(vips_concurrency: int) -> None:
    """Threads libvips (and the isolated RAW/HEIF decoders) may use per worker process.

    SPEC §2: left alone, libvips starts one thread per core for every pipeline, and a pool of
    workers on a many-core server multiplies that into hundreds of threads.
    """
    threads = max(1, int(vips_concurrency))
    pyvips.concurrency_set(threads)
    isolated.set_threads(threads)


def render(
    source: Path, specs: Sequence[DerivativeSpec], *, max_pixels: int, timeout: float
) -> list[Rendered]:
    """Decode `source` once and make every spec from it, largest first, each smaller one from the
    previous result. Returns the derivatives in the order of `specs`.

    A damaged source that a lenient decode (or Pillow) can still show is decoded again that way,
    and its results carry the `warning`. Raises DecodeError when the file has no accepted extension
    (SPEC §3) or no decoder here can read it, has more than `max_pixels` pixels (checked from the
    header, before any pixel is decoded), or takes longer than `timeout` seconds in all.
    """
    if not specs:
        return []
    deadline = time.monotonic() + timeout
    ordered = sorted(specs, key=lambda spec: spec.long_edge, reverse=True)
    decoded = _decode(source, ordered[0].long_edge, max_pixels, deadline, timeout)
    current = decoded.image
    made: dict[int, Rendered] = {}
    # Shrinking and encoding write to libvips' error log too: they hold the guard like a decode.
    with _error_log.shared():
        for index, spec in enumerate(ordered):
            if index:
                current = _shrink(source, current, spec.long_edge, deadline, timeout)
            made[id(spec)] = _encode(source, current, spec, decoded, deadline, timeout)
    return [made[id(spec)] for spec in specs]


def pick_source(filenames: Sequence[str]) -> str | None:
    """The file of a photo that derivatives are made from: its JPG, else its other image (PNG,
    TIFF, HEIF, WebP), else its RAW. None when no file is of an accepted type."""
    for wanted in ("jpg", "other", "raw"):
        matching = sorted(name for name in filenames if kind_of(name) == wanted)
        if matching:
            return matching[0]
    return None


def thumbhash_of(rendered_thumbnail: Rendered) -> str | None:
    """A ThumbHash (base64, ~25 bytes) of a rendered derivative: a blurred placeholder the grid can
    paint before thumbnails arrive. None when the image cannot be read or the library is absent."""
    try:
        import thumbhash
    except ImportError:
        return None
    try:
        # libvips work outside the guard would disturb a damaged file's decode (see _ErrorLogGuard)
        with _error_log.shared():
            # ThumbHash takes at most 100x100 RGBA and keeps only ~7x7 frequencies: 100 px is ample.
            small = pyvips.Image.thumbnail_buffer(rendered_thumbnail.data, 100, height=100)
            if not small.hasalpha():
                small = small.bandjoin(255)
            rgba = small.colourspace("srgb").cast("uchar")
            if rgba.bands != 4:
                return None
            pixels = bytes(rgba.write_to_memory())
        digest = thumbhash.rgba_to_thumb_hash(rgba.width, rgba.height, pixels)
    except (pyvips.Error, ValueError):
        return None
    return base64.b64encode(bytes(digest)).decode("ascii")


# --- opening each kind of source ------------------------------------------------------------------


def _decode(
    source: Path, long_edge: int, max_pixels: int, deadline: float, timeout: float
) -> _Decoded:
    """The source decoded once (more only when damaged), at about the largest derivative's size."""
    content = _checked_content(source)
    if kind_of(source.name) == "raw":
        return _decode_isolated(source, "raw", long_edge, max_pixels, deadline, timeout)
    if content == "heif":
        return _decode_isolated(source, "heif", long_edge, max_pixels, deadline, timeout)

    def with_vips(fail_on: str) -> pyvips.Image:
        image = _open_with_vips(source, long_edge, max_pixels, fail_on)
        return _in_memory(source, image, deadline, timeout)

    try:
        # "warning": libvips counts every complaint of the decoder about the data as a failure,
        # so a damaged file never passes as a clean one.
        with _error_log.shared():
            return _Decoded(with_vips("warning"), "libvips")
    except _Unreadable:
        pass
    with _error_log.alone():
        try:
            return _Decoded(with_vips("warning"), "libvips")  # the file was replaced meanwhile
        except _Unreadable as error:
            strict = _detached(error)
        if not strict.codec_missing:
            if not strict.worded:
                # A warning libvips did not put into words: failing only on errors says whether
                # the data is damaged, and how.
                try:
                    return _Decoded(with_vips("error"), "libvips")
                except _Unreadable as error:
                    strict = _detached(error)
            try:
                return _Decoded(
                    with_vips("none"),
                    "libvips-lenient",
                    _warning(f"damaged, shown as far as it could be read ({strict.detail})"),
                )
            except _Unreadable:
                pass
    try:
        request = {"op": "pillow", "content": content}
        header, payload = _ask_child(source, request, long_edge, max_pixels, deadline, timeout)
        with _error_log.shared():
            image = _payload_image(source, header, payload, long_edge, "none")
            pillow = _in_memory(source, image, deadline, timeout)
    except _Unreadable:
        raise DecodeError(source, strict.reason) from None
    said = f"; Pillow: {header['warning']}" if header.get("warning") else ""
    return _Decoded(
        pillow, "pillow", _warning(f"libvips cannot read it ({strict.detail}), Pillow can{said}")
    )


def _detached(error: _Unreadable) -> _Unreadable:
    """The error without the frames it was raised through. Kept beyond its `except`, it would
    otherwise hold them, and the lazy libvips images in them, in a reference cycle that only the
    garbage collector frees, at any moment, perhaps inside pyvips' log handler on a libvips
    thread: an image's disposal logs ("read gave 2 warnings"), and GLib aborts the process on a
    message logged from within its own log handler."""
    error.__traceback__ = None
    error.__context__ = None
    return error


def _checked_content(source: Path) -> str:
    """What the file is, when it may be decoded at all (SPEC §3): readable, of an accepted type,
    its content what its extension says."""
    try:
        with source.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise DecodeError(source, f"cannot read the file ({error.strerror or error})") from None
    if kind_of(source.name) is None:
        raise DecodeError(
            source, f"{source.suffix or 'no extension'} is not an accepted photo type"
        )
    content = sniff(head)
    if content is None:
        raise DecodeError(source, f"not an image this app can read ({_describe_content(head)})")
    if not content_matches(source.name, head):
        # The same rule as upload (SPEC §3): a ".nef" holding a JPEG is not a RAW, whatever it is.
        raise DecodeError(
            source, f"the content ({content.upper()}) does not match the {source.suffix} extension"
        )
    return content


def _open_with_vips(source: Path, long_edge: int, max_pixels: int, fail_on: str) -> pyvips.Image:
    try:
        header = pyvips.Image.new_from_file(_vips_name(source))
        _check_pixels(source, header.width, header.height, max_pixels)
        # thumbnail shrinks on load (JPEG: DCT scaling; WebP: scaled decode), applies the EXIF
        # orientation, and turns CMYK and 16-bit into 8-bit sRGB.
        return pyvips.Image.thumbnail(
            _vips_name(source),
            long_edge,
            height=long_edge,
            size="down",
            fail_on=fail_on,
            **_colour_management(header),
        )
    except pyvips.Error as error:
        raise _unreadable(source, error) from None


def _vips_name(source: Path) -> str:
    name = str(source)
    if name.endswith("]"):
        # libvips reads a trailing "[...]" as load options; an explicit empty option list keeps
        # such a name whole.
        return name + "[]"
    return name


def _colour_management(header: pyvips.Image) -> dict[str, str]:
    """Convert through the embedded ICC profile to sRGB, only when there is one: without a profile
    the pixels are taken as sRGB already, and asking libvips to colour-manage them anyway costs
    ten times the decode (measured: 1.7 s against 0.16 s for a 6-megapixel JPEG)."""
    return {"output_profile": "srgb"} if header.get_typeof("icc-profile-data") else {}


def _decode_isolated(
    source: Path, op: str, long_edge: int, max_pixels: int, deadline: float, timeout: float
) -> _Decoded:
    header, payload = _ask_child(source, {"op": op}, long_edge, max_pixels, deadline, timeout)
    decoded_with = str(header["decoded_with"])

    def pixels(fail_on: str) -> pyvips.Image:
        image = _payload_image(source, header, payload, long_edge, fail_on)
        return _in_memory(source, image, deadline, timeout)

    try:
        with _error_log.shared():
            return _Decoded(pixels("warning"), decoded_with)
    except _Unreadable:
        if header["kind"] != "jpeg":
            raise
    # A RAW's embedded JPEG that is damaged: shown as far as it can be read, like any JPEG.
    with _error_log.alone():
        try:
            return _Decoded(pixels("warning"), decoded_with)
        except _Unreadable as strict:
            warning = (
                f"damaged embedded preview, shown as far as it could be read ({strict.detail})"
            )
        return _Decoded(pixels("none"), decoded_with, _warning(warning))


def _ask_child(
    source: Path,
    request: dict[str, object],
    long_edge: int,
    max_pixels: int,
    deadline: float,
    timeout: float,
) -> tuple[dict[str, object], bytes]:
    """The child process's answer (header and payload) for one decode of `source`."""
    request = request | {"path": str(source), "max_pixels": max_pixels, "long_edge": long_edge}
    try:
        return isolated.decoder().request(request, deadline)
    except isolated.IsolatedTimeout:
        raise DecodeError(source, _timeout_reason(timeout)) from None
    except isolated.IsolatedCrash as error:
        raise DecodeError(source, str(error)) from None
    except isolated.IsolatedError as error:
        reason = str(error)
        if "decompression-bomb" in reason:  # a limit, never handed to another decoder
            raise DecodeError(source, reason) from None
        raise _Unreadable(source, reason, reason[:200]) from None


def _payload_image(
    source: Path, header: dict[str, object], payload: bytes, long_edge: int, fail_on: str
) -> pyvips.Image:
    try:
        image = _image_from_payload(header, payload, long_edge, fail_on)
    except pyvips.Error as error:
        raise _unreadable(source, error) from None
    return _apply_libraw_flip(image, int(header.get("flip") or 0))  # type: ignore[call-overload]


def _image_from_payload(
    header: dict[str, object], payload: bytes, long_edge: int, fail_on: str
) -> pyvips.Image:
    icc_length = int(header["icc_length"])  # type: ignore[call-overload]
    if header["kind"] == "jpeg":
        # A RAW's embedded JPEG: its own EXIF orientation (if any) is ignored, the RAW's flip
        # (applied by the caller) is the one that counts.
        return pyvips.Image.thumbnail_buffer(
            payload,
            long_edge,
            height=long_edge,
            size="down",
            no_rotate=True,
            # thumbnail_buffer ignores its own fail_on; the loader's option string does not.
            option_string=f"fail_on={fail_on}",
            **_colour_management(pyvips.Image.new_from_buffer(payload, "")),
        )
    width, height, bands = (int(header[key]) for key in ("width", "height", "bands"))  # type: ignore[call-overload]
    image = pyvips.Image.new_from_memory(payload[icc_length:], width, height, bands, "uchar")
    image = image.copy(interpretation="srgb" if bands >= 3 else "b-w")
    if icc_length:
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", payload[:icc_length])
    return pyvips.Image.thumbnail_image(
        image, long_edge, height=long_edge, size="down", no_rotate=True, **_colour_management(image)
    )


def _apply_libraw_flip(image: pyvips.Image, flip: int) -> pyvips.Image:
    # LibRaw's flip: 3 = upside down, 5 = rotate 90 counter-clockwise, 6 = rotate 90 clockwise.
    turn = {3: "d180", 5: "d270", 6: "d90"}.get(flip)
    return image.rot(turn) if turn else image


def _check_pixels(source: Path, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise DecodeError(
            source,
            f"{width}x{height} is {width * height:,} pixels, above the limit of {max_pixels:,} "
            "(decompression-bomb protection)",
        )


# --- the pipeline after decoding ------------------------------------------------------------------


def _in_memory(source: Path, image: pyvips.Image, deadline: float, timeout: float) -> pyvips.Image:
    """The lazy decode computed, upright and sRGB: errors in the data surface here."""
    return _run(source, image, deadline, timeout, lambda lazy: _upright_srgb(lazy).copy_memory())


def _upright_srgb(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (with its alpha, if any), whatever came out of the loader, and marked upright:
    the pixels already are, and a leftover orientation tag would turn the next size again."""
    image = image.copy()
    if image.get_typeof("orientation"):
        image.remove("orientation")
    if image.interpretation not in ("srgb", "b-w") or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.bands in (1, 2):  # grey (and grey + alpha): three channels for every encoder
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def _shrink(
    source: Path, image: pyvips.Image, long_edge: int, deadline: float, timeout: float
) -> pyvips.Image:
    def shrink(current: pyvips.Image) -> pyvips.Image:
        smaller = pyvips.Image.thumbnail_image(
            current, long_edge, height=long_edge, size="down", no_rotate=True
        )
        return smaller.copy_memory()

    return _run(source, image, deadline, timeout, shrink)


def _encode(
    source: Path,
    image: pyvips.Image,
    spec: DerivativeSpec,
    decoded: _Decoded,
    deadline: float,
    timeout: float,
) -> Rendered:
    how = {"decoded_with": decoded.decoded_with, "warning": decoded.warning}
    if spec.format == "webp":
        data = _run(
            source,
            image,
            deadline,
            timeout,
            lambda current: current.write_to_buffer(
                ".webp", Q=spec.quality, effort=max(0, min(6, spec.effort)), keep="none"
            ),
        )
        return Rendered(spec.kind, data, image.width, image.height, "image/webp", ".webp", **how)
    flat = image.flatten(background=[255, 255, 255]) if image.hasalpha() else image
    data = _run(
        source,
        flat,
        deadline,
        timeout,
        lambda current: current.write_to_buffer(
            ".jpg", Q=spec.quality, optimize_coding=spec.effort > 0, keep="none"
        ),
    )
    return Rendered(spec.kind, data, image.width, image.height, "image/jpeg", ".jpg", **how)


def _run(
    source: Path,
    image: pyvips.Image,
    deadline: float,
    timeout: float,
    action: Callable[[pyvips.Image], _T],
) -> _T:
    """Evaluate `action(image)` under the deadline: libvips reports progress while it computes, and
    the handler sets the image's kill flag once time is up, which ends the computation."""
    if time.monotonic() >= deadline:
        raise DecodeError(source, _timeout_reason(timeout))
    expired = False

    def on_eval(watched: pyvips.Image, _progress: object) -> None:
        nonlocal expired
        if time.monotonic() >= deadline:
            expired = True
            watched.set_kill(True)

    image.set_progress(True)
    image.signal_connect("eval", on_eval)
    try:
        return action(image)
    except pyvips.Error as error:
        if expired or time.monotonic() >= deadline:
            raise DecodeError(source, _timeout_reason(timeout)) from None
        raise _unreadable(source, error) from None


def _timeout_reason(timeout: float) -> str:
    return f"decoding took longer than the limit of {timeout:g} s and was stopped"


def _unreadable(source: Path, error: pyvips.Error) -> _Unreadable:
    detail, worded = _vips_detail(error, source)
    lowered = detail.lower()
    if any(word in lowered for word in ("premature", "truncat", "corrupt", "invalid", "bad")):
        return _Unreadable(source, f"the file is damaged or truncated ({detail})", detail)
    return _Unreadable(source, detail, detail, worded=worded)


def _vips_detail(error: pyvips.Error, source: Path) -> tuple[str, bool]:
    """The most telling line of a libvips error about `source`, and whether it says what is wrong.

    The error carries libvips' process-wide log (see `_ErrorLogGuard`); lines of another decoder or
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


def _warning(text: str) -> str:
    return text[:300]


def _describe_content(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if head.startswith(b"%PDF"):
        return "it is a PDF document"
    if head.lstrip().startswith((b"<?xml", b"<svg", b"<!DOCTYPE", b"<html")):
        return "it is a text/markup document"
    if head[4:8] == b"ftyp":
        return f"an ISO media file of brand {head[8:12].decode('latin-1')!r}"
    return "unrecognised content"
