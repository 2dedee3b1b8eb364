"""The processes indicator and panel in a real browser: a running job's progress shown live from
the event stream, canceling it, retrying a failed one, and starting maintenance. The jobs are the
observable test steps of tests.jobsupport (loaded through `pipeline.handler_modules`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import browsersupport
from tests.browsersupport import WebApp, serious_violations, wait_until


@pytest.fixture(autouse=True)
def test_steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server of these tests knows the test tasks (t_items, t_sleep, t_fail), one attempt each
    so a failure is final at once. Autouse fixtures come first, so `web` is built with these."""
    monkeypatch.setitem(browsersupport.WEB_PIPELINE, "handler_modules", ["tests.jobsupport"])
    monkeypatch.setitem(browsersupport.WEB_PIPELINE, "max_attempts", 1)
    yield


def start(web: WebApp, task_type: str, payload: dict[str, Any] | None = None) -> int:
    with web.runtime.db.write() as session:
        job = web.runtime.queue.start_task(session, task_type, payload=payload or {})
    return int(job.id)


def job(web: WebApp, job_id: int) -> dict[str, Any]:
    response = web.http.get(f"/api/jobs/{job_id}")
    response.raise_for_status()
    return dict(response.json())


def open_panel(page: Any) -> Any:
    page.get_by_role("button", name=re.compile("^Processes")).click()
    panel = page.get_by_role("complementary", name="Processes")
    expect(panel).to_be_visible()
    return panel


def test_progress_shows_live_and_cancel_stops_the_job(page: Any, web: WebApp) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Projects", level=1)).to_be_visible()
    job_id = start(web, "t_items", {"count": 40, "delay": 0.1})
    # The indicator counts the running job without the panel open.
    expect(page.get_by_role("button", name="Processes: 1 (1 running)")).to_be_visible()
    panel = open_panel(page)
    row = panel.locator(f'[data-job-id="{job_id}"]')
    expect(row).to_contain_text("items")  # the task catalogue's label
    expect(row).to_contain_text("Whole library")
    expect(row).to_contain_text("Running")
    # Progress moves while we watch: the numbers and the bar follow job_update events.
    expect(row.locator(".job-numbers")).to_have_text(re.compile(r"^\d+ / 40$"))
    bar = row.get_by_role("progressbar")
    page.wait_for_function(
        "el => Number(el.value) >= 3 && Number(el.max) === 40", arg=bar.element_handle()
    )
    first = int(bar.get_attribute("value") or 0)
    page.wait_for_function(f"el => Number(el.value) > {first}", arg=bar.element_handle())
    row.get_by_role("button", name=re.compile(r"^Cancel items")).click()
    expect(row).to_contain_text("Canceled")
    assert wait_until(lambda: job(web, job_id)["status"] == "canceled", "the job canceled")
    done = job(web, job_id)["progress"]["done"]
    assert 0 < done < 40
    expect(row.get_by_role("button", name=re.compile("^Retry"))).to_be_visible()
    expect(page.get_by_role("button", name="Processes: nothing running")).to_be_visible()


def test_a_failed_job_shows_its_error_and_retry_queues_it_again(page: Any, web: WebApp) -> None:
    page.goto("/")
    panel = open_panel(page)
    failing = start(web, "t_fail")
    row = panel.locator(f'[data-job-id="{failing}"]')
    expect(row).to_contain_text("Failed")
    expect(row.locator(".job-error")).to_have_text("RuntimeError: boom on attempt 1")
    assert serious_violations(page, ".processes-panel", ".processes-button") == []
    row.get_by_role("button", name=f"Retry fail (job {failing})").click()
    # The retry is a new job of the same step; it is listed above the old one and fails too.
    retried = wait_until(
        lambda: [
            j
            for j in web.http.get("/api/jobs", params={"type": "t_fail"}).json()["items"]
            if j["id"] != failing
        ],
        "the retried job",
    )[0]
    new_row = panel.locator(f'[data-job-id="{retried["id"]}"]')
    expect(new_row).to_contain_text("Failed")
    ids = panel.locator(".job").evaluate_all("rows => rows.map(r => Number(r.dataset.jobId))")
    assert ids.index(retried["id"]) < ids.index(failing), ids
    assert retried["status"] in {"queued", "running", "failed"}


def test_run_maintenance_lists_its_job_and_esc_closes_the_panel(page: Any, web: WebApp) -> None:
    page.goto("/")
    panel = open_panel(page)
    panel.get_by_role("button", name="Run maintenance").click()
    first = wait_until(
        lambda: web.http.get("/api/jobs", params={"type": "trash_maintenance"}).json()["items"],
        "the maintenance job",
    )[0]
    row = panel.locator(f'[data-job-id="{first["id"]}"]')
    expect(row).to_contain_text("Purging the trash")
    expect(row).to_contain_text("Done")
    # Its task goes on step by step; each step appears in the panel as it is queued.
    steps = len(web.http.get("/api/tasks/definitions").json()["maintenance_global"]["steps"])
    expect(panel.locator(".job")).to_have_count(steps, timeout=15_000)
    # Esc closes the panel and gives the focus back to the button that opened it.
    panel.get_by_role("button", name="Run maintenance").focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^Processes"))).to_be_focused()


def test_panel_lists_jobs_that_ran_before_the_page_opened(page: Any, web: WebApp) -> None:
    sleeping = start(web, "t_sleep", {"seconds": 30})
    wait_until(lambda: job(web, sleeping)["status"] == "running", "the job running")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    expect(page.get_by_role("button", name="Processes: 1 (1 running)")).to_be_visible()
    panel = open_panel(page)
    row = panel.locator(f'[data-job-id="{sleeping}"]')
    expect(row).to_contain_text("sleep")
    expect(row).to_contain_text("Running")
    box = panel.bounding_box()
    assert box and box["width"] <= 390
    row.get_by_role("button", name=re.compile("^Cancel sleep")).click()
    expect(row).to_contain_text("Canceled")
    assert wait_until(lambda: job(web, sleeping)["status"] == "canceled", "the job canceled")
