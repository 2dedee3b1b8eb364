"""The cache rules (docs/derivatives.md), one decision at a time: a derivative is skipped only when
the source fingerprint, the parameters and the file (its size) all agree with a `generated` record;
`force` ignores the record; a failed source is retried only when it (or the engine) changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from contactsheet.catalog.projects import create_project
from contactsheet.config import Settings
from contactsheet.db.enums import DerivativeStatus
from contactsheet.db.tables import Derivative, Project
from contactsheet.derivatives.cache import Decision, Reason, decide, file_size_of
from contactsheet.derivatives.generate import generate_photo, plan_photo
from contactsheet.derivatives.params import derivative_path, specs
from contactsheet.runtime import Runtime, open_runtime
from tests import imagefactory
from tests.fileaccess import OpenCounter
from tests.ingestsupport import Samples, make_samples, store

FP = "xxh3_128:" + "a" * 32
KEY = "k" * 32
SIZE = 12_345


def record(
    status: DerivativeStatus = DerivativeStatus.GENERATED,
    fingerprint: str | None = FP,
    key: str | None = KEY,
    file_size: int | None = SIZE,
) -> Derivative:
    return Derivative(
        photo_id=1,
        kind="thumbnail",
        status=status,
        source_fingerprint=fingerprint,
        params_key=key,
        file_size=file_size,
    )


@dataclass(frozen=True)
class Case:
    record: Derivative | None
    file_size: int | None
    expected: Decision
    fingerprint: str = FP
    key: str = KEY
    force: bool = False


G, F, M, P = (
    DerivativeStatus.GENERATED,
    DerivativeStatus.FAILED,
    DerivativeStatus.MISSING,
    DerivativeStatus.PENDING,
)
CASES = {
    "hit: record, source, parameters and file agree": Case(
        record(), SIZE, Decision(False, Reason.CACHE_HIT)
    ),
    "forced over a valid record": Case(record(), SIZE, Decision(True, Reason.FORCED), force=True),
    "forced over a failed record": Case(
        record(F, file_size=None), None, Decision(True, Reason.FORCED), force=True
    ),
    "forced without a record": Case(None, None, Decision(True, Reason.FORCED), force=True),
    "no record": Case(None, None, Decision(True, Reason.NEVER_MADE)),
    "no record, though a file is there": Case(None, SIZE, Decision(True, Reason.NEVER_MADE)),
    "pending record": Case(record(P), SIZE, Decision(True, Reason.NEVER_MADE)),
    "source bytes changed": Case(
        record(), SIZE, Decision(True, Reason.SOURCE_CHANGED), fingerprint="xxh3_128:" + "b" * 32
    ),
    "record without a fingerprint": Case(
        record(fingerprint=None), SIZE, Decision(True, Reason.SOURCE_CHANGED)
    ),
    "failed, source changed since": Case(
        record(F, file_size=None),
        None,
        Decision(True, Reason.SOURCE_CHANGED),
        fingerprint="xxh3_128:" + "c" * 32,
    ),
    "parameters changed (size, quality, format or engine)": Case(
        record(), SIZE, Decision(True, Reason.PARAMS_CHANGED), key="other-key"
    ),
    "failed, engine changed since": Case(
        record(F, file_size=None), None, Decision(True, Reason.PARAMS_CHANGED), key="new-engine"
    ),
    "failed, nothing changed": Case(
        record(F, file_size=None), None, Decision(False, Reason.FAILED_UNCHANGED)
    ),
    "failed, nothing changed, a stray file present": Case(
        record(F, file_size=None), SIZE, Decision(False, Reason.FAILED_UNCHANGED)
    ),
    "generated but the file is gone": Case(record(), None, Decision(True, Reason.FILE_MISSING)),
    "marked missing": Case(record(M), None, Decision(True, Reason.FILE_MISSING)),
    "marked missing, though a file came back": Case(
        record(M), SIZE, Decision(True, Reason.FILE_MISSING)
    ),
    "file of another size (damaged, replaced)": Case(
        record(), SIZE - 1, Decision(True, Reason.FILE_SIZE_DIFFERS)
    ),
    "empty file": Case(record(), 0, Decision(True, Reason.FILE_SIZE_DIFFERS)),
    "record without a size": Case(
        record(file_size=None), SIZE, Decision(True, Reason.FILE_SIZE_DIFFERS)
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_decide(case: Case) -> None:
    decision = decide(
        case.record,
        source_fingerprint=case.fingerprint,
        params_key=case.key,
        file_size=case.file_size,
        force=case.force,
    )
    assert decision == case.expected


# --- each reason produced by real records and files, decided by the real generation ---------------

# The only reasons that leave a derivative as it is; every other one must make it again.
SKIPPING = {Reason.CACHE_HIT, Reason.FAILED_UNCHANGED}
# A JPEG header, then nothing any decoder can read.
NOISE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


@dataclass
class Library:
    runtime: Runtime
    settings: Settings
    samples: Samples
    project: Project
    opened: ExitStack

    def stored(self, name: str, source: Path | bytes) -> int:
        if isinstance(source, Path):  # each photo its own bytes: identical ones are one photo
            source = imagefactory.variant(source.read_bytes(), name)
        path = self.samples.jpg.parent / name
        path.write_bytes(source)
        source = path
        report = store(self.runtime, self.project, {name: source})
        photo_id = report.files[0].photo_id
        assert photo_id is not None
        return photo_id

    def made(self, name: str, source: Path | bytes) -> int:
        """A photo whose derivatives the real generation has made (or failed to make) once."""
        photo_id = self.stored(name, source)
        generate_photo(self.runtime, photo_id, force=False)
        return photo_id

    def original(self, name: str) -> Path:
        return self.runtime.paths.project_dir(self.project.folder) / name

    def file(self, basename: str, kind: str, runtime: Runtime | None = None) -> Path:
        runtime = runtime or self.runtime
        spec = specs(runtime.settings.processing)[kind]
        return derivative_path(runtime.paths, self.project.folder, basename, spec)

    def other_runtime(self, **processing: object) -> Runtime:
        """The same library and database under other derivative settings."""
        changed = self.settings.processing.model_copy(update=processing)
        runtime = open_runtime(self.settings.model_copy(update={"processing": changed}))
        self.opened.callback(runtime.close)
        return runtime


@dataclass(frozen=True)
class Scene:
    runtime: Runtime
    photo_id: int
    source: Path
    kind: str = "thumbnail"
    force: bool = False

    @property
    def basename(self) -> str:
        return self.source.stem


def _cache_hit(lib: Library) -> Scene:
    return Scene(lib.runtime, lib.made("HIT.JPG", lib.samples.jpg), lib.original("HIT.JPG"))


def _forced(lib: Library) -> Scene:
    photo_id = lib.made("FORCE.JPG", lib.samples.jpg)
    return Scene(lib.runtime, photo_id, lib.original("FORCE.JPG"), force=True)


def _never_made(lib: Library) -> Scene:
    return Scene(lib.runtime, lib.stored("NEW.JPG", lib.samples.jpg), lib.original("NEW.JPG"))


def _source_changed(lib: Library) -> Scene:
    photo_id = lib.made("EDITED.JPG", lib.samples.jpg)
    lib.original("EDITED.JPG").write_bytes(lib.samples.jpg_other.read_bytes())
    return Scene(lib.runtime, photo_id, lib.original("EDITED.JPG"))


def _params_changed(lib: Library) -> Scene:
    photo_id = lib.made("RESIZED.JPG", lib.samples.jpg)
    quality = lib.settings.processing.thumbnail_quality
    other = lib.other_runtime(thumbnail_quality=quality - 10)
    return Scene(other, photo_id, lib.original("RESIZED.JPG"))


def _file_missing(lib: Library) -> Scene:
    photo_id = lib.made("GONE.JPG", lib.samples.jpg)
    lib.file("GONE", "thumbnail").unlink()
    return Scene(lib.runtime, photo_id, lib.original("GONE.JPG"))


def _file_size_differs(lib: Library) -> Scene:
    photo_id = lib.made("DAMAGED.JPG", lib.samples.jpg)
    with lib.file("DAMAGED", "thumbnail").open("ab") as handle:
        handle.write(b"\0")
    return Scene(lib.runtime, photo_id, lib.original("DAMAGED.JPG"))


def _failed_unchanged(lib: Library) -> Scene:
    photo_id = lib.made("NOISE.JPG", NOISE)
    return Scene(lib.runtime, photo_id, lib.original("NOISE.JPG"))


SCENES: dict[Reason, Callable[[Library], Scene]] = {
    Reason.CACHE_HIT: _cache_hit,
    Reason.FORCED: _forced,
    Reason.NEVER_MADE: _never_made,
    Reason.SOURCE_CHANGED: _source_changed,
    Reason.PARAMS_CHANGED: _params_changed,
    Reason.FILE_MISSING: _file_missing,
    Reason.FILE_SIZE_DIFFERS: _file_size_differs,
    Reason.FAILED_UNCHANGED: _failed_unchanged,
}


@pytest.fixture
def library(runtime: Runtime, settings: Settings, tmp_path: Path) -> Iterator[Library]:
    with ExitStack() as opened:
        project = create_project(runtime.db, runtime.paths, runtime.tenant, "Cache rules")
        yield Library(runtime, settings, make_samples(tmp_path / "samples"), project, opened)


def _file_state(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _record_state(runtime: Runtime, photo_id: int, kind: str) -> tuple[object, ...] | None:
    with runtime.db.read() as session:
        record = session.scalar(
            select(Derivative).where(Derivative.photo_id == photo_id, Derivative.kind == kind)
        )
    if record is None:
        return None
    return (
        record.status,
        record.source_fingerprint,
        record.params_key,
        record.file_size,
        record.generated_at,
        record.updated_at,
    )


@pytest.mark.parametrize("reason", list(Reason))
def test_each_reason_arises_from_real_records_and_files(library: Library, reason: Reason) -> None:
    """Every reason the rules know, produced on disk and in the database, then decided by the real
    planning and generation; a reason added to the rules without a scene here fails."""
    scene_of = SCENES.get(reason)
    assert scene_of is not None, f"no scene produces {reason!r}: add one to SCENES"
    scene = scene_of(library)
    target = library.file(scene.basename, scene.kind, scene.runtime)
    file_before = _file_state(target)
    record_before = _record_state(scene.runtime, scene.photo_id, scene.kind)

    planned = plan_photo(scene.runtime, scene.photo_id, force=scene.force)
    with OpenCounter([scene.source]) as reads:
        outcome = generate_photo(scene.runtime, scene.photo_id, force=scene.force)

    assert planned[scene.kind] == reason
    assert outcome.reasons[scene.kind] == reason
    # The fingerprint reads the source once; only a decision to make it again decodes it.
    opens = reads.opens[scene.source]
    file_after = _file_state(target)
    record_after = _record_state(scene.runtime, scene.photo_id, scene.kind)
    if reason in SKIPPING:
        assert opens == 1, f"the source was opened {opens} times"
        assert file_after == file_before, "a skipped derivative's file was touched"
        assert record_after == record_before, "a skipped derivative's record was written"
    else:
        assert opens >= 2, "the source was not decoded"
        assert file_after is not None and file_after != file_before, "the file was not remade"
        assert record_after is not None and record_after != record_before
        assert record_after[0] == DerivativeStatus.GENERATED
        assert record_after[3] == file_after[2], "the record does not describe the new file"
        assert outcome.generated


def test_only_the_skipping_reasons_leave_a_photo_unmade(library: Library) -> None:
    """A photo whose every derivative is a cache hit, or failed with nothing changed since, is
    reported as not generated; any other reason on any kind makes it generated."""
    hit = _cache_hit(library)
    failed = _failed_unchanged(library)
    for scene in (hit, failed):
        outcome = generate_photo(scene.runtime, scene.photo_id, force=False)
        assert set(outcome.reasons.values()) <= SKIPPING and not outcome.generated
    missing = _file_missing(library)
    outcome = generate_photo(missing.runtime, missing.photo_id, force=False)
    assert outcome.reasons == {"preview": Reason.CACHE_HIT, "thumbnail": Reason.FILE_MISSING}
    assert outcome.generated


def test_file_size_of(tmp_path: Path) -> None:
    path = tmp_path / "thumb.webp"
    assert file_size_of(path) is None
    path.write_bytes(b"x" * 17)
    assert file_size_of(path) == 17
    path.write_bytes(b"")
    assert file_size_of(path) == 0
