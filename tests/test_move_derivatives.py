"""After an `image_move`, the generation step brings up to date the photos that moved and those a
moved file joined, and reads no other original of the destination, however many it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from contactsheet.db.tables import Derivative, Job, JobItem
from contactsheet.runtime import Runtime
from tests.fileaccess import OpenCounter
from tests.ingestsupport import (
    Samples,
    make_project,
    make_samples,
    photos,
    run_all,
    start,
    store,
)

CROWD = 40


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))


def _generation_items(runtime: Runtime, task_id: int) -> list[int | None]:
    with runtime.db.read() as session:
        [job_id] = session.scalars(
            select(Job.id).where(Job.task_id == task_id, Job.type == "generate_derivatives")
        ).all()
        return list(session.scalars(select(JobItem.photo_id).where(JobItem.job_id == job_id)))


def _crowded(runtime: Runtime, samples: Samples, tmp_path: Path, extra: dict[str, Path]) -> tuple:
    dest, source = make_project(runtime, "Crowded"), make_project(runtime, "Source")
    crowd = {
        f"CROWD{i:03d}.JPG": samples.variant("jpg", tmp_path / "crowd" / f"{i}.jpg", str(i))
        for i in range(CROWD)
    }
    store(runtime, dest, crowd | extra)
    run_all(runtime)
    dest_dir = runtime.paths.project_dir(dest.folder)
    originals = sorted(p for p in dest_dir.iterdir() if p.is_file() and p.name[0] != ".")
    return dest, source, originals


def test_moving_one_photo_reads_only_that_photo_at_the_destination(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    dest, source, originals = _crowded(runtime, samples, tmp_path, {})
    store(runtime, source, {"MOVER.JPG": samples.jpg_other})
    run_all(runtime)
    mover = photos(runtime, source.id)["MOVER"]

    with OpenCounter(originals) as reads:
        move = start(
            runtime,
            "image_move",
            project_id=dest.id,
            payload={"photo_ids": [mover.id], "dest_project_id": dest.id},
        )
        run_all(runtime)

    assert photos(runtime, dest.id)["MOVER"].id == mover.id
    assert _generation_items(runtime, move.task_id) == [mover.id]  # type: ignore[arg-type]
    assert reads.opened() == [], "the move read photos that did not move"


def test_a_file_joining_a_photo_remakes_that_photo_only(
    runtime: Runtime, samples: Samples, tmp_path: Path
) -> None:
    dest, source, originals = _crowded(runtime, samples, tmp_path, {})
    store(runtime, source, {"JOIN.JPG": samples.jpg_other})
    run_all(runtime)
    mover = photos(runtime, source.id)["JOIN"]
    # The destination's RAW of the same name was copied in by hand (an upload would have renamed
    # it) and indexed there.
    raw = samples.copy("raw", runtime.paths.project_dir(dest.folder) / "JOIN.DNG")
    start(runtime, "folder_check", project_id=dest.id)
    run_all(runtime)
    joined = photos(runtime, dest.id)["JOIN"]
    with runtime.db.read() as session:
        made_from = set(
            session.scalars(select(Derivative.source_name).where(Derivative.photo_id == joined.id))
        )
    assert made_from == {"JOIN.DNG"}
    originals.append(raw)

    with OpenCounter(originals) as reads:
        move = start(
            runtime,
            "image_move",
            project_id=dest.id,
            payload={"photo_ids": [mover.id], "dest_project_id": dest.id},
        )
        run_all(runtime)

    arrived = photos(runtime, dest.id)["JOIN"]
    assert arrived.id == joined.id and arrived.filenames == ["JOIN.DNG", "JOIN.JPG"]
    # The photo's JPG is now what its derivatives are made from: only it is remade.
    assert _generation_items(runtime, move.task_id) == [joined.id]  # type: ignore[arg-type]
    with runtime.db.read() as session:
        made_from = set(
            session.scalars(select(Derivative.source_name).where(Derivative.photo_id == joined.id))
        )
    assert made_from == {"JOIN.JPG"}
    assert reads.opened() == [], "the move read photos that did not change"
