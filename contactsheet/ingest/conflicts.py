"""The upload analysis: what each file of a batch would be in a project, without placing any.

The same classes placement acts on (`contactsheet.ingest.classify`), with the default choices
(a taken name keeps both, a twin elsewhere is skipped unless `import_anyway`). Files of the
request see each other as if the earlier ones were placed: a RAW after its JPG is a completion,
two files taking the same name get `_2` and `_3`. Without a client fingerprint, content
cannot be compared: a taken name is `unknown` ("same name, content unknown") and nothing is
said to be identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from contactsheet.catalog.photos import split_name
from contactsheet.catalog.projects import find_project
from contactsheet.db.tables import Project
from contactsheet.errors import ContactSheetError
from contactsheet.ingest.batches import source_folder, source_key
from contactsheet.ingest.classify import (
    COMPLETION,
    IDENTICAL,
    IDENTICAL_ELSEWHERE,
    REJECTED,
    Classifier,
    Incoming,
    Plan,
)
from contactsheet.ingest.staging import check_name
from contactsheet.library.paths import LibraryPaths
from contactsheet.runtime import Runtime


@dataclass(frozen=True)
class Announced:
    """A file a client is about to send: its name, and what it knows of it."""

    name: str
    size: int | None = None
    fingerprint: str | None = None
    folder: str | None = None


def analyze(
    runtime: Runtime,
    folder: str,
    files: list[Announced],
    *,
    batch: str,
    import_anyway: bool = False,
) -> dict[str, Any]:
    """What uploading `files` as one batch into the project in `folder` would do, per file."""
    # A write transaction: fingerprints of library files it had to read are recorded.
    with runtime.db.write() as session:
        project = find_project(session, runtime.tenant, folder)
        return _analyze(session, runtime.paths, project, files, batch, import_anyway)


def _analyze(
    session: Session,
    paths: LibraryPaths,
    project: Project,
    files: list[Announced],
    batch: str,
    import_anyway: bool,
) -> dict[str, Any]:
    plan = Plan()
    classifier = Classifier(session, paths, project, import_anyway=import_anyway, plan=plan)
    entries: list[dict[str, Any]] = []
    for announced in files:
        folder = source_folder(announced.name, announced.folder)
        entry: dict[str, Any] = {"name": announced.name, "folder": folder}
        try:
            safe, _kind = check_name(announced.name)
        except ContactSheetError as exc:
            entry |= {"class": REJECTED, "error": {"code": exc.code, "message": exc.message}}
            entries.append(entry)
            continue
        item = Incoming(
            name=safe,
            size=announced.size,
            fingerprint=announced.fingerprint,
            batch=batch,
            source_key=source_key(folder, safe),
        )
        verdict = classifier.classify(item)
        plan.add(item, verdict)
        entry["class"] = verdict.kind
        if verdict.kind in (IDENTICAL, IDENTICAL_ELSEWHERE):
            assert verdict.twin is not None
            entry["identical_to"] = verdict.twin.as_dict()
        else:
            entry["stored_as"] = f"{verdict.basename}{split_name(safe)[1]}"
            joins = verdict.kind == COMPLETION and verdict.photo is not None
            entry["photo_id"] = verdict.photo.id if joins else None  # type: ignore[union-attr]
        if verdict.taken_by is not None:
            entry["taken_by"] = verdict.taken_by
        entries.append(entry)
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["class"]] = counts.get(entry["class"], 0) + 1
    return {"batch": batch, "files": entries, "counts": counts}
