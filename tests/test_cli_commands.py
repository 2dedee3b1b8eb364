"""The job, maintenance and trash commands as a user runs them: each does its work and prints it,
and a mistake (a task that is not maintenance, an unknown project or job) is one red line and an
exit code, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contactsheet.cli import app as cli
from contactsheet.runtime import Runtime
from tests.derivsupport import create_project, distinct_jpegs, run_jobs, upload

pytestmark = pytest.mark.usefixtures("restore_logging")


def _run(runtime: Runtime, *args: str) -> Result:
    env = {
        "CONTACTSHEET_DATA": str(runtime.settings.data),
        "CONTACTSHEET_DATABASE_URL": runtime.db.url,
        "CONTACTSHEET_PIPELINE__POLL_INTERVAL_MS": "50",
        "CONTACTSHEET_PIPELINE__SCHEDULER_ENABLED": "false",
        "COLUMNS": "200",  # tables whole, as in a wide terminal
    }
    return CliRunner().invoke(cli, list(args), env=env)


def test_maintenance_of_a_project_runs_here_to_its_end(admin: TestClient, runtime: Runtime) -> None:
    folder = create_project(admin, "Wedding")
    upload(admin, folder, distinct_jpegs(2, 300, 200))
    run_jobs(runtime)
    result = _run(runtime, "maintenance", "run", "maintenance", "--project", folder)
    assert result.exit_code == 0, result.output
    for step in ("trash_maintenance", "folder_check", "cache_validation"):
        assert step in result.output
    assert "completed" in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["maintenance", "run", "change_commit"], "task_type must be one of"),
        (["maintenance", "run", "maintenance"], "needs a project"),
        (["maintenance", "run", "maintenance", "--project", "nowhere"], "nowhere"),
        (["maintenance", "run", "maintenance_global", "--project", "x"], "omit project"),
        (["trash", "list", "--project", "nowhere"], "nowhere"),
        (["jobs", "list", "--status", "sleeping"], "Unknown status"),
    ],
)
def test_a_command_that_cannot_run_says_why_and_exits_2(
    runtime: Runtime, args: list[str], words: str
) -> None:
    result = _run(runtime, *args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("action", ["cancel", "retry"])
def test_an_unknown_job_fails_with_exit_1(runtime: Runtime, action: str) -> None:
    result = _run(runtime, "jobs", action, "987654")
    assert result.exit_code == 1, result.output
    assert "987654" in result.output


def test_jobs_list_shows_the_queue(admin: TestClient, runtime: Runtime) -> None:
    folder = create_project(admin, "Portraits")
    upload(admin, folder, distinct_jpegs(1, 300, 200))
    result = _run(runtime, "jobs", "list")
    assert result.exit_code == 0, result.output
    assert "generate_derivatives" in result.output and "queued" in result.output
