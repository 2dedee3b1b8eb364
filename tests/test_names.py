"""Names: display names, their identity keys, and the folder and file names made from them."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from contactsheet.errors import InvalidInput, UnsafeName
from contactsheet.library.names import (
    MAX_FILENAME_BYTES,
    MAX_FOLDER_BYTES,
    clean_display_name,
    name_key,
    safe_folder_name,
    sanitize_filename,
)

# Hypothesis caches files in ./.hypothesis, even at collection time: use a private temporary folder.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="cs-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)

CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co"}
BIDI_CONTROLS = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in "123456789"
}

# Text that leans on the awkward parts: dots, separators, controls, fullwidth and combining forms.
nasty_chars = st.sampled_from(
    [
        *[".", "..", "/", "\\", "\x00", "\x1f", "\x7f", " ", "\t", "\n", "\u202e", "\u200b"],
        *["\ufeff", "\uff0f", "\uff0e", "\uff3c", "\u2215", "\u2044", "\u0301", "\u00e9"],
        *["e\u0301", "\u3000", "CON", "nul", "Com1", "lpt9", ":", "*", "?", '"', "<", ">", "|"],
        *["~", "-", "_", "\u00e9" * 70, "\u00b4", "A\x1b\u0300"],
    ]
)
names = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8"), max_size=400),
    st.lists(st.one_of(nasty_chars, st.text(max_size=5)), max_size=40).map("".join),
)


def assert_safe_component(name: str, max_bytes: int, root: Path) -> None:
    assert isinstance(name, str)
    assert name
    assert name not in {".", ".."}
    assert not name.startswith(".")
    assert "/" not in name
    assert "\\" not in name
    assert "\x00" not in name
    assert not any(unicodedata.category(c) in CONTROL_CATEGORIES for c in name), ascii(name)
    assert not any(c in BIDI_CONTROLS for c in name)
    assert not name.endswith((" ", "."))
    assert len(name.encode("utf-8")) <= max_bytes
    assert name.split(".")[0].strip().upper() not in WINDOWS_RESERVED
    assert (root / name).resolve().parent == root


@pytest.fixture(scope="module", autouse=True)
def _remove_hypothesis_home() -> Iterator[None]:
    # xdist workers may leave without running atexit hooks.
    yield
    shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("root").resolve()


@settings(max_examples=400, deadline=None, database=None)
@given(text=names)
@example(text="")
@example(text="..")
@example(text="CON." + "a" * 200)
@example(text="nul")
@example(text="é" * 100)
@example(text="\u0301" * 10 + "x")
def test_safe_folder_name_properties(root: Path, text: str) -> None:
    folder = safe_folder_name(text)
    assert_safe_component(folder, MAX_FOLDER_BYTES, root)
    assert safe_folder_name(folder) == folder


@settings(max_examples=400, deadline=None, database=None)
@given(text=names)
@example(text="a" * 300 + "." + "é" * 8)
@example(text="a" * 300 + ".jpg")
@example(text="CON.jpg")
@example(text=".hidden")
@example(text="x.\u202ejpg")
def test_sanitize_filename_properties(root: Path, text: str) -> None:
    try:
        name = sanitize_filename(text)
    except UnsafeName:
        return
    assert_safe_component(name, MAX_FILENAME_BYTES, root)
    assert sanitize_filename(name) == name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/x.jpg", "x.jpg"),
        ("a\\b.JPG", "b.JPG"),
        ("C:\\Users\\me\\DSC01234.ARW", "DSC01234.ARW"),
        ("DSC\x00001.jpg", "DSC001.jpg"),
        ("..\uff0f..\uff0fx.jpg", "x.jpg"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("DSC01234.JPG", "DSC01234.JPG"),
        ("  spaced name .jpg", "spaced name.jpg"),
        ("what?.jpg", "what_.jpg"),
    ],
)
def test_sanitize_filename_examples(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize("raw", ["..", ".", "", "///", "a/", "\\\\", "\x00", "\u202e", "../.."])
def test_sanitize_filename_refuses_names_with_nothing_left(raw: str) -> None:
    with pytest.raises(UnsafeName):
        sanitize_filename(raw)


def test_unsafe_name_is_invalid_input() -> None:
    # The API maps InvalidInput to 400; an unusable upload name must answer the same way.
    with pytest.raises(InvalidInput):
        sanitize_filename("..")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CON", "CON_"),
        ("nul", "nul_"),
        ("Com1", "Com1_"),
        ("lpt9.txt", "lpt9_.txt"),
        ("CON .txt", "CON_.txt"),
        ("..", "project"),
        ("", "project"),
        ("...", "project"),
        ("Smith/Jones", "Smith_Jones"),
        ("../x", "x"),
        ("Wedding 2026", "Wedding 2026"),
        ("\uff37edding", "Wedding"),
    ],
)
def test_safe_folder_name_examples(raw: str, expected: str) -> None:
    assert safe_folder_name(raw) == expected


def test_reserved_name_suffix_stays_within_the_byte_limit() -> None:
    folder = safe_folder_name("CON." + "a" * 300)
    assert len(folder.encode("utf-8")) <= MAX_FOLDER_BYTES
    assert folder.split(".")[0].upper() != "CON"


def test_long_multibyte_extension_stays_within_the_byte_limit() -> None:
    name = sanitize_filename("a" * 300 + "." + "é" * 8)
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert name.endswith(".éééééééé")


@pytest.mark.parametrize("raw", ["", " ", "   \u3000  ", "\u00a0"])
def test_clean_display_name_refuses_empty(raw: str) -> None:
    with pytest.raises(InvalidInput):
        clean_display_name(raw)


@pytest.mark.parametrize(
    "raw", ["a\x00b", "tab\there", "line\nbreak", "bell\x07", "x\u202ey", "\x7f"]
)
def test_clean_display_name_refuses_control_characters(raw: str) -> None:
    with pytest.raises(InvalidInput):
        clean_display_name(raw)


@pytest.mark.parametrize("raw", [123, None, ["a"], {"name": "a"}, b"bytes"])
def test_clean_display_name_refuses_non_strings(raw: object) -> None:
    with pytest.raises(InvalidInput):
        clean_display_name(raw)


def test_clean_display_name_length_limit() -> None:
    assert clean_display_name("x" * 200) == "x" * 200
    with pytest.raises(InvalidInput):
        clean_display_name("x" * 201)
    with pytest.raises(InvalidInput):
        clean_display_name("x" * 10_000)
    # The limit counts the cleaned name: collapsed whitespace does not count.
    assert clean_display_name("a" + " " * 500 + "b") == "a b"


def test_clean_display_name_collapses_whitespace_and_applies_nfc() -> None:
    assert clean_display_name("  Smith   Jones \u3000 wedding ") == "Smith Jones wedding"
    cleaned = clean_display_name("Cafe\u0301")
    assert cleaned == "Caf\u00e9"
    assert unicodedata.is_normalized("NFC", cleaned)
    # Display names keep what the user typed otherwise: separators are text here.
    assert clean_display_name("Smith/Jones ../x") == "Smith/Jones ../x"


@settings(max_examples=300, deadline=None, database=None)
@given(text=names)
def test_clean_display_name_is_normalised_and_idempotent(text: str) -> None:
    try:
        cleaned = clean_display_name(text)
    except InvalidInput:
        return
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert 1 <= len(cleaned) <= 200
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_display_name(cleaned) == cleaned


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Wedding", "WEDDING"),
        ("Wedding", "wedding"),
        ("Wedding", "\uff37\uff45\uff44\uff44\uff49\uff4e\uff47"),
        ("Caf\u00e9", "Cafe\u0301"),
        ("CAF\u00c9", "cafe\u0301"),
        ("Stra\u00dfe", "STRASSE"),
    ],
)
def test_name_key_equates_variants(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_name_key_tells_different_names_apart() -> None:
    assert name_key("Wedding") != name_key("Wedding (2)")
    assert name_key("Cafe") != name_key("Caf\u00e9")


@settings(max_examples=300, deadline=None, database=None)
@given(text=names)
def test_name_key_is_idempotent_and_case_blind(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    assert name_key(text.upper()) == name_key(text.lower()) or text.upper().lower() != text.lower()
