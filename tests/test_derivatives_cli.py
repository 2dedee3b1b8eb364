"""`contactsheet derivatives regenerate --project FOLDER [--force]`: brings a project's derivatives
up to date here (missing ones made, valid ones kept), or with --force remakes them all."""

from __future__ import annotations

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contactsheet.cli import app as cli
from contactsheet.runtime import Runtime
from tests import imagefactory
from tests.derivsupport import (
    KINDS,
    assert_all_generated,
    create_project,
    derivative_file,
    distinct_jpegs,
    records,
    run_jobs,
    upload,
)

FILES = distinct_jpegs(3, 400, 300)
NAMES = [name.rsplit(".", 1)[0] for name, _ in FILES]


pytestmark = pytest.mark.usefixtures("restore_logging")


def _regenerate(runtime: Runtime, *args: str) -> Result:
    env = {
        "CONTACTSHEET_DATA": str(runtime.settings.data),
        "CONTACTSHEET_DATABASE_URL": runtime.db.url,
        "CONTACTSHEET_PIPELINE__POLL_INTERVAL_MS": "50",
        "CONTACTSHEET_PIPELINE__SCHEDULER_ENABLED": "false",
    }
    return CliRunner().invoke(
        cli, ["derivatives", "regenerate", *args, "--timeout", "120"], env=env
    )


def _stats(
    runtime: Runtime, folder: str, kinds: tuple[str, ...] = KINDS
) -> dict[tuple[str, str], tuple[int, int]]:
    """(inode, mtime) of each derivative file: a rewritten file changes them."""
    stats = {}
    for name in NAMES:
        for kind in kinds:
            stat = derivative_file(runtime, folder, name, kind).stat()
            stats[name, kind] = (stat.st_ino, stat.st_mtime_ns)
    return stats


def test_regenerate_makes_missing_keeps_valid_and_force_remakes_all(
    admin: TestClient, runtime: Runtime
) -> None:
    folder = create_project(admin, "Command line")
    other = create_project(admin, "Untouched")
    upload(admin, folder, FILES)
    upload(admin, other, [("OTHER.JPG", imagefactory.variant(FILES[0][1], "other"))])
    run_jobs(runtime)
    other_thumb = derivative_file(runtime, other, "OTHER", "thumbnail")
    other_stat = other_thumb.stat().st_mtime_ns

    # Files deleted by hand are made again; the valid ones are kept.
    for path in runtime.paths.thumb_dir(folder).iterdir():
        path.unlink()
    kept = _stats(runtime, folder, ("preview",))
    result = _regenerate(runtime, "--project", folder)
    assert result.exit_code == 0, result.output
    assert "generated: 3" in result.output, result.output
    assert_all_generated(runtime, folder, NAMES)
    assert _stats(runtime, folder, ("preview",)) == kept

    # Nothing to do: every derivative is a cache hit, no file is rewritten.
    before = _stats(runtime, folder)
    result = _regenerate(runtime, "--project", folder)
    assert result.exit_code == 0, result.output
    assert "cache_hits: 3" in result.output, result.output
    assert _stats(runtime, folder) == before

    # --force remakes every file of that project, and only of that project.
    made_at = records(runtime, folder)
    result = _regenerate(runtime, "--project", folder, "--force")
    assert result.exit_code == 0, result.output
    assert "generated: 3" in result.output, result.output
    after = _stats(runtime, folder)
    assert all(after[key] != value for key, value in before.items()), "every file rewritten"
    remade = records(runtime, folder)
    for name in NAMES:
        for kind in KINDS:
            old, new = made_at[name][kind].generated_at, remade[name][kind].generated_at
            assert old is not None and new is not None and new > old
    assert_all_generated(runtime, folder, NAMES)
    assert other_thumb.stat().st_mtime_ns == other_stat


def test_regenerate_of_an_unknown_project_fails_cleanly(runtime: Runtime) -> None:
    result = _regenerate(runtime, "--project", "no-such-project")
    assert result.exit_code == 2, result.output
    assert "no-such-project" in result.output
