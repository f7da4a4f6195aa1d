"""The batch: validation before any notebook, failures reported, reports replaced atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import batch
from helpers.extract import SYNTHETIC_DIR


def test_monthly_plan_puts_snapshots_at_the_month_end():
    plan = batch.monthly_plan("2016-02")
    assert plan["01_open_by_lead_agency"] == {"report_month": "2016-02"}
    assert plan["04_open_episodes_by_lsoa"]["snapshot_date"] == "2016-02-29"  # leap year
    assert "07_reconciliation" not in plan  # compares with the published editions only


def test_an_invalid_extract_stops_the_batch_before_any_notebook(tmp_path, capsys):
    bad = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, bad)
    episodes = bad / "caf_episodes.csv"
    lines = episodes.read_text(encoding="utf-8").splitlines()
    lines[1] = (
        lines[1]
        .replace("Children's Centre", "Childrens Centre", 1)
        .replace("Children & Families First", "Children and Families First", 1)
    )
    episodes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status = batch.main(
        ["--month", "2015-09", "--data-dir", str(bad), "--output-dir", str(tmp_path / "reports")]
    )
    assert status == 2
    message = capsys.readouterr().err
    assert "caf_episodes.csv, row 2, column lead_agency" in message
    assert not (tmp_path / "reports" / "2015-09").exists()


@pytest.mark.slow  # runs notebooks through Papermill
def test_a_failing_notebook_leaves_the_previous_report_and_keeps_its_copy(tmp_path):
    out = tmp_path / "reports"
    good = {"06_budget": {}}
    first = batch.run_batch(good, "2015-12", output_dir=out, progress=False)
    marker = first / "earlier-run.txt"
    marker.write_text("the previous report", encoding="utf-8")
    failing = {"06_budget": {}, "03_cff_caseload_by_time_open": {"snapshot_date": "not a date"}}
    with pytest.raises(batch.BatchError) as error:
        batch.run_batch(failing, "2015-12", output_dir=out, progress=False)
    text = str(error.value)
    assert "03_cff_caseload_by_time_open" in text and "cell" in text
    assert marker.read_text(encoding="utf-8") == "the previous report"
    kept = out / "2015-12.failed" / "notebooks" / "03_cff_caseload_by_time_open.ipynb"
    assert kept.exists()
    assert not [p for p in out.iterdir() if "partial" in p.name]


@pytest.mark.slow  # runs notebooks through Papermill
def test_rerunning_a_period_replaces_its_report(tmp_path):
    out = tmp_path / "reports"
    first = batch.run_batch({"06_budget": {}}, "2016-01", output_dir=out, progress=False)
    (first / "stale.txt").write_text("old", encoding="utf-8")
    second = batch.run_batch({"06_budget": {}}, "2016-01", output_dir=out, progress=False)
    assert second == first
    assert not (second / "stale.txt").exists()
    assert (second / "tables" / "budget.csv").exists()
    assert sorted(p.name for p in out.iterdir()) == ["2016-01", "index.html"]


def test_an_edition_naming_a_missing_notebook_is_refused(tmp_path):
    spec = tmp_path / "edition.yaml"
    spec.write_text("name: x\nperiod: 2015-10\nnotebooks:\n  99_nothing: {}\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="99_nothing"):
        batch.Edition.load(spec)


def test_the_shipped_editions_load():
    root = Path(batch.PROJECT_ROOT) / "config" / "editions"
    october = batch.Edition.load(root / "board-2015-10.yaml")
    # Dates stay text until the preflight checks them (an impossible one is named, not raised).
    assert october.notebooks["01_open_by_lead_agency"]["snapshot_date"] == "2015-08-31"
    assert october.period == "2015-10"


@pytest.mark.slow  # runs notebooks through Papermill
def test_sigterm_mid_run_leaves_the_previous_report_and_no_partial_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "reports"
    edition = Path(batch.PROJECT_ROOT) / "config" / "editions" / "board-2015-10.yaml"
    previous = batch.run_batch(
        {"06_budget": {}}, "2015-10", output_dir=out, progress=False, edition=edition
    )
    (previous / "earlier-run.txt").write_text("the previous report", encoding="utf-8")
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpers.batch",
            "--edition",
            str(edition),
            "--output-dir",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list((out).glob(".board-2015-10.partial-*/notebooks/*.ipynb")):  # mid-run
        assert time.monotonic() < deadline and run.poll() is None, "the run never got going"
        time.sleep(0.2)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert "no report was written" in err
    assert (previous / "earlier-run.txt").read_text(encoding="utf-8") == "the previous report"
    assert sorted(p.name for p in out.iterdir()) == ["board-2015-10", "index.html"]


@pytest.mark.slow  # runs a notebook through Papermill
def test_a_page_that_cannot_be_made_is_a_sentence_not_a_traceback(tmp_path, monkeypatch, capsys):
    """Rendering comes after the notebooks: its failure names the page and keeps the run."""
    from helpers import edition_pages

    def broken(executed, target, facts):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(edition_pages, "render_page", broken)
    out = tmp_path / "reports"
    edition = tmp_path / "budget.yaml"
    edition.write_text("name: Budget\nperiod: 2015-12\nnotebooks:\n  06_budget: {}\n", "utf-8")
    status = batch.main(["--edition", str(edition), "--output-dir", str(out)])
    captured = capsys.readouterr()
    assert status != 0
    assert "Traceback" not in captured.err + captured.out
    assert (
        "the page for 06_budget could not be made" in captured.err
        and "No space left on device" in captured.err
    )
    kept = out / "budget.failed"  # the edition's folder is named after its file
    assert (kept / "run.log").exists() and not (out / "budget").exists()
    assert "FAILED: the page for" in (kept / "run.log").read_text(encoding="utf-8")
