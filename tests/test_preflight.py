"""The batch refuses what cannot be meant, before any notebook runs, with exit status 2.

Each refusal names what to fix, never ends in a traceback, and writes no report folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from helpers import batch, preflight
from helpers.extract import SYNTHETIC_DIR, extract_sha256

EDITIONS = Path(batch.PROJECT_ROOT) / "config" / "editions"


def run(argv: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = batch.main([*argv, "--output-dir", str(out)])
    return status, capsys.readouterr().err


def no_report(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def edition_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (EDITIONS / "board-2015-10.yaml").read_text(encoding="utf-8")
    assert old in text
    spec = tmp_path / "edition.yaml"
    spec.write_text(text.replace(old, new), encoding="utf-8")
    return spec


def test_an_unknown_edition_parameter_names_the_file_notebook_and_nearest_name(tmp_path, capsys):
    spec = edition_with(tmp_path, "    snapshot_date: 2015-08-31", "    snapshot_dat: 2015-08-31")
    out = tmp_path / "reports"
    status, message = run(["--edition", str(spec)], out, capsys)
    assert status == 2
    assert str(spec) in message
    assert "notebook 01_open_by_lead_agency has no parameter 'snapshot_dat'" in message
    assert "did you mean 'snapshot_date'?" in message
    assert "Traceback" not in message
    assert no_report(out)


def test_an_impossible_date_in_an_edition_is_named(tmp_path, capsys):
    spec = edition_with(tmp_path, "as_at: 2015-08-31", "as_at: 2015-02-30")
    out = tmp_path / "reports"
    status, message = run(["--edition", str(spec)], out, capsys)
    assert status == 2
    assert f"{spec}: notebook 05_strengthening_families, parameter as_at is 2015-02-30" in message
    assert "not a date" in message and "Traceback" not in message
    assert no_report(out)


def test_a_month_that_is_not_a_month_is_refused(tmp_path, capsys):
    status, message = run(["--month", "2015-13"], tmp_path / "reports", capsys)
    assert status == 2
    assert "--month is 2015-13, which is not a month" in message
    spec = edition_with(tmp_path, "report_month: 2015-09 ", "report_month: 2015-9 ")
    status, message = run(["--edition", str(spec)], tmp_path / "reports", capsys)
    assert status == 2
    assert "parameter report_month is '2015-9', which is not a month: write it as" in message


def test_p_values_are_checked_like_an_editions(tmp_path, capsys):
    out = tmp_path / "reports"
    status, message = run(["--month", "2016-03", "-p", "snapshot_dat", "2016-03-01"], out, capsys)
    assert status == 2
    assert "-p snapshot_dat" in message and "did you mean 'snapshot_date'?" in message
    status, message = run(["--month", "2016-03", "-p", "snapshot_date", "2016-02-30"], out, capsys)
    assert status == 2
    assert "parameter snapshot_date is 2016-02-30, which is not a date" in message
    status, message = run(["--month", "2016-03", "-p", "as_at", "2016-02-30"], out, capsys)
    assert status == 2
    assert "parameter as_at is 2016-02-30, which is not a date" in message
    status, message = run(["--month", "2016-03", "-p", "data_dir", "/elsewhere"], out, capsys)
    assert status == 2
    assert "use --data-dir" in message
    assert no_report(out)


def test_p_sets_the_parameter_in_every_notebook_that_takes_it():
    plan = {"03_cff_caseload_by_time_open": {}, "04_open_episodes_by_lsoa": {}, "06_budget": {}}
    changed = preflight.apply_overrides(
        plan, [("snapshot_date", "2016-02-01"), ("classes", "7")], batch.NOTEBOOKS_DIR
    )
    assert changed["03_cff_caseload_by_time_open"] == {"snapshot_date": "2016-02-01"}
    assert changed["04_open_episodes_by_lsoa"] == {"snapshot_date": "2016-02-01", "classes": 7}
    assert changed["06_budget"] == {}


def test_a_period_after_the_extracts_date_is_refused_with_both_dates(tmp_path, capsys):
    out = tmp_path / "reports"
    status, message = run(["--month", "2016-04"], out, capsys)
    assert status == 2
    assert "31 March 2016" in message and "30 April 2016" in message
    assert "recorded in manifest.json" in message
    assert no_report(out)


DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def extract_taken_mid_march(tmp_path: Path) -> Path:
    """The synthetic extract as taken on 20 March 2016: later rows gone, the manifest says so."""
    copy = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, copy)
    for csv in copy.glob("*.csv"):  # the synthetic dates are ISO: later ones sort after
        lines = csv.read_text(encoding="utf-8").splitlines()
        kept = [
            line
            for line in lines
            if not any(DAY.fullmatch(v) and v > "2016-03-20" for v in line.split(","))
        ]
        csv.write_text("\n".join(kept) + "\n", encoding="utf-8")
    manifest = copy / "manifest.json"
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(
        json.dumps({**recorded, "extract_date": "2016-03-20", "sha256": extract_sha256(copy)}),
        encoding="utf-8",
    )
    return copy


def test_a_partial_month_needs_the_flag_and_is_then_said(extract_taken_mid_march, tmp_path, capsys):
    out = tmp_path / "reports"
    argv = ["--month", "2016-03", "--data-dir", str(extract_taken_mid_march)]
    status, message = run(argv, out, capsys)
    assert status == 2
    assert "20 March 2016" in message and "31 March 2016" in message
    assert "--partial-month" in message
    assert no_report(out)

    plan = {"03_cff_caseload_by_time_open": {"snapshot_date": "2016-03-31"}}
    report = batch.run_batch(
        plan, "2016-03", extract_taken_mid_march, out, progress=False, partial_month=True
    )
    summary = capsys.readouterr().out
    assert "partial month: March 2016 is reported in part" in summary
    log = (report / "run.log").read_text(encoding="utf-8")
    assert "partial month: March 2016 is reported in part" in log
    assert "20 March 2016" in log


def test_partial_month_does_not_let_a_later_month_through(extract_taken_mid_march):
    plan = {"03_cff_caseload_by_time_open": {"snapshot_date": "2016-04-30"}}
    taken = dt.date(2016, 3, 20)
    with pytest.raises(preflight.RefusedError, match="reports only March 2016"):
        preflight.check_coverage(plan, batch.NOTEBOOKS_DIR, taken, "given", "test", True)


def test_an_extract_without_a_recorded_date_is_dated_by_when_its_files_were_written(tmp_path):
    from helpers.extract import load_extract

    copy = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, copy)
    (copy / "manifest.json").unlink()
    written = dt.datetime(2016, 4, 3, 9, 0).timestamp()  # exported on 3 April
    for file in copy.iterdir():
        os.utime(file, (written, written))
    taken, how = preflight.extract_date(load_extract(copy))
    assert taken == dt.date(2016, 4, 3)  # March is complete, though its last day was quiet
    assert how == "inferred: the day its files were last written"


def test_parameters_take_their_kind_from_the_annotation_or_default():
    params = preflight.notebook_parameters(batch.NOTEBOOKS_DIR / "01_open_by_lead_agency.ipynb")
    assert params["snapshot_date"].kind == "date"
    assert params["publish"].kind == "bool"
    outcomes = preflight.notebook_parameters(
        batch.NOTEBOOKS_DIR / "02_opened_closed_outcomes.ipynb"
    )
    assert outcomes["report_month"].kind == "month"
    assert outcomes["rolling_window_months"].kind == "int"
    assert preflight._kind("day", "str", "2015-08-31") == "date"
    assert preflight._kind("day", "date", "") == "date"
    assert preflight._kind("as_at", "str", "") == "date"  # blank: follows the report month
    assert preflight._kind("team", "str", "Health") == "text"


@pytest.mark.parametrize("path", sorted(batch.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")), ids=str)
def test_papermill_help_lists_typed_described_parameters(path):
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "Unknown type" not in shown
    for name, parameter in preflight.notebook_parameters(path).items():
        assert re.search(rf"^  {name}: [\w\[\]]+ \(default ", shown, re.MULTILINE), (name, shown)
        assert parameter.help, f"{path.name}: {name} has no comment saying what it means"
        assert parameter.help in shown
