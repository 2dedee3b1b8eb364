"""Names: what a user typed, the key that says two names are the same, and safe names for disk.

Display names are text and may hold almost anything printable ("Smith/Jones wedding"); folder and
file names made from them are single, portable path components that can never climb out of their
parent, hide themselves, or collide on a case-insensitive filesystem.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

from contactsheet.errors import InvalidInput, UnsafeName

MAX_NAME_CHARS = 200
MAX_FOLDER_BYTES = 120
MAX_FILENAME_BYTES = 200
DEFAULT_FOLDER = "project"

# Characters no portable filesystem accepts in a name, plus both separators.
_FORBIDDEN_ON_DISK = set('<>:"/\\|?*')
# Bidirectional overrides make "gpj.exe" read as "exe.jpg": never part of a name.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"} or char in _BIDI_CONTROLS


def clean_display_name(raw: object, *, what: str = "name") -> str:
    """Validate and normalise a display name: NFC, single spaces, 1-200 characters."""
    if not isinstance(raw, str):
        raise InvalidInput(f"{what} must be a string")
    if any(_is_control(c) for c in raw):
        raise InvalidInput(f"{what} must not contain control characters")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise InvalidInput(f"{what} must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"{what} must be at most {MAX_NAME_CHARS} characters")
    return name


def name_key(name: str) -> str:
    """The identity of a name: equal for names differing only in case or Unicode form."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _disk_component(text: str, max_bytes: int) -> str:
    # NFKC first: fullwidth solidus and full stop (U+FF0F, U+FF0E) become "/" and "." here.
    text = unicodedata.normalize("NFKC", text)
    chars = []
    for char in text:
        if char.isspace():
            chars.append(" ")
        elif _is_control(char) or unicodedata.category(char) == "Cf":
            continue
        elif char in _FORBIDDEN_ON_DISK:
            chars.append("_")
        else:
            chars.append(char)
    # Again after removing characters: "A<ESC><combining grave>" must become "À", not "A" + grave,
    # or cleaning the result a second time would give another name.
    cleaned = unicodedata.normalize("NFKC", " ".join("".join(chars).split()))
    cleaned = _truncate_utf8(cleaned, max_bytes)
    # Leading dots hide a folder (and make "." or ".."); trailing dots and spaces break Windows.
    return cleaned.lstrip(" ._").rstrip(" .")


def _is_reserved(name: str) -> bool:
    # Windows reserves "CON" with any extension ("CON.txt") and ignores trailing spaces ("CON .x").
    return name.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED


def safe_folder_name(display_name: str) -> str:
    """A single, safe, portable folder name for a display name; never empty."""
    folder = _disk_component(display_name, MAX_FOLDER_BYTES)
    if _is_reserved(folder):
        # The suffix goes on the reserved part ("CON.txt" -> "CON_.txt"), within the byte limit.
        stem, dot, rest = folder.partition(".")
        folder = _truncate_utf8(f"{stem.rstrip(' ')}_{dot}{rest}", MAX_FOLDER_BYTES).rstrip(" .")
    return folder or DEFAULT_FOLDER


def with_suffix(name: str, n: int) -> str:
    """`name` for n=1, then `name (2)`, `name (3)`…"""
    return name if n == 1 else f"{name} ({n})"


def numbered_copy(stem: str, is_free: Callable[[str], bool]) -> str:
    """`<stem>_2`, `<stem>_3`…: the first that `is_free` accepts. The one way a photo whose name
    is taken by a different photo is named, whether it arrives (upload, import) or is moved in."""
    n = 2
    while not is_free(f"{stem}_{n}"):
        n += 1
    return f"{stem}_{n}"


def duplicate_name(stem: str, is_free: Callable[[str], bool]) -> str:
    """`<stem>_duplicate1`, `<stem>_duplicate2`…: the first that `is_free` accepts. How
    maintenance renames a photo whose basename another project holds too."""
    n = 1
    while not is_free(f"{stem}_duplicate{n}"):
        n += 1
    return f"{stem}_duplicate{n}"


def numbered(name: str) -> Iterator[tuple[int, str]]:
    n = 1
    while True:
        yield n, with_suffix(name, n)
        n += 1


def sanitize_filename(raw: str) -> str:
    """The safe last path component of an uploaded file's name, extension kept.

    Raises UnsafeName when nothing usable remains (empty, only dots, only separators).
    """
    text = unicodedata.normalize("NFKC", raw).replace("\\", "/")
    last = text.rsplit("/", 1)[-1]
    stem, dot, ext = last.rpartition(".")
    if not dot:
        stem, ext = last, ""
    # Spaces out before cleaning, so what they separated is normalised together ("A \u0301").
    ext = _disk_component("".join(ext.split()), 16)
    # The limit is in bytes: a multibyte extension takes more of it than its length in characters.
    stem = _disk_component(stem, MAX_FILENAME_BYTES - len(ext.encode("utf-8")) - 1)
    if not stem or _is_reserved(stem):
        raise UnsafeName(f"no safe file name remains of {raw!r}")
    if not ext and "." in stem:
        # 'a. b.' cleans to 'a. b', which splits differently when cleaned again; settle it now.
        return sanitize_filename(stem)
    return f"{stem}.{ext}" if ext else stem
