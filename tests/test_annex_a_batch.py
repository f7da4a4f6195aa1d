"""The monthly batch on an Annex A workbook, and List 2 against the native contract.

The synthetic extract, converted to List 2 (every episode an assessment, the organisation its
lead agency), must give the same shared tables as the synthetic extract itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import batch
from helpers.config import PROJECT_ROOT
from helpers.dev.synthetic_annex_a import ANNEX_A_DIR, WORKBOOK, list_2_rows, write_list_2_workbook
from helpers.extract import SYNTHETIC_DIR, load_extract

pytestmark = pytest.mark.slow  # runs notebooks through Papermill

EXAMPLE = ANNEX_A_DIR / WORKBOOK
SHARED = ("open_by_lead_agency", "opened_closed_by_month", "time_open_bands")


@pytest.fixture(scope="module")
def example_report(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("annex_a_reports")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.batch",
            "--month",
            "2016-03",
            "--data-dir",
            str(EXAMPLE),
            "--output-dir",
            str(out),
            "--jobs",
            "2",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "EARLYHELP_NO_PROGRESS": "1"},
        check=False,
    )
    return out / "2016-03", run


def _page(report: Path, name: str) -> str:
    return (report / "html" / f"{name}.html").read_text(encoding="utf-8")


def test_the_monthly_batch_runs_on_the_example_without_a_traceback(example_report):
    report, run = example_report
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    pages = {p.stem for p in (report / "html").glob("*.html")}
    left_out = {"04_open_episodes_by_lsoa", "05_strengthening_families", "06_budget"}
    assert pages == set(batch.monthly_plan("2016-03")) - left_out
    for name in SHARED + ("demographics", "open_by_holder", "open_by_organisation"):
        assert (report / "tables" / f"{name}.csv").is_file(), name
    notes = pd.read_csv(report / "tables" / "data_quality_notes.csv")
    assert list(notes["value"]) == ["Positive Youth Foundation"]


def test_sections_needing_what_list_2_lacks_are_left_out_and_the_front_page_says_why(
    example_report,
):
    report, _ = example_report
    lacks = "The Ofsted Annex A early help list (List 2) does not record"
    assert f"{lacks} why an assessment ended" in _page(report, "02_opened_closed_outcomes")
    assert f"{lacks} early help that a parent or child refused" in _page(
        report, "01_open_by_lead_agency"
    )
    front = (report / "index.html").read_text(encoding="utf-8")
    assert "Sections left out" in front
    for name, what in (
        ("04_open_episodes_by_lsoa", "where the child lives"),
        ("05_strengthening_families", "which children belong to the same family"),
        ("06_budget", "the budget"),
    ):
        assert not (report / "html" / f"{name}.html").exists()  # no page of nothing
        assert f"{lacks} {what}" in front
    for name in ("01_open_by_lead_agency", "02_opened_closed_outcomes", "08_demographics"):
        page = _page(report, name)
        assert "covers 1 October 2015 (its earliest assessment) to 31 March 2016" in page
        assert "Improvement Board" not in page  # the list's own report, not the dashboard
    # the months before the list starts are not known, never zero
    months = pd.read_csv(report / "tables" / "opened_closed_by_month.csv", dtype=str)
    assert list(months["month"]) == [
        str(m) for m in pd.period_range("2015-03", "2016-03", freq="M")
    ]
    before = months["month"] < "2015-10"
    assert (months.loc[before, ["opened", "closed"]] == "[x]").all().all()
    assert not (months.loc[~before, ["opened", "closed"]] == "[x]").any().any()
    assert (report / "tables" / "opened_closed_by_month.not_known.csv").is_file()
    bands = pd.read_csv(report / "tables" / "time_open_bands.csv", dtype=str)
    assert list(bands["episodes"][2:]) == ["[x]"] * 4  # 6-9 months and longer: not known
    assert "have been open a year or more is not known" in _page(
        report, "03_cff_caseload_by_time_open"
    )
    assert not (report / "tables" / "refusals.csv").exists()
    assert not (report / "tables" / "outcomes_by_month.csv").exists()


def test_list_2_counts_agree_with_the_same_episodes_run_through_the_native_contract(tmp_path):
    episodes = load_extract(SYNTHETIC_DIR).episodes
    workbook = write_list_2_workbook(
        list_2_rows(episodes, as_recorded=True), tmp_path / "native_as_list_2.xlsx"
    )
    plan = {
        "01_open_by_lead_agency": {"report_month": "2015-08"},
        "02_opened_closed_outcomes": {"report_month": "2015-09"},
        "03_cff_caseload_by_time_open": {"snapshot_date": "2016-01-11"},
    }
    native = batch.run_batch(plan, "2015-09", output_dir=tmp_path / "native", progress=False)
    listed = batch.run_batch(
        plan, "2015-09", workbook, output_dir=tmp_path / "list_2", progress=False, jobs=2
    )
    for name in SHARED:
        left = pd.read_csv(native / "tables" / f"{name}.csv", dtype=str)
        right = pd.read_csv(listed / "tables" / f"{name}.csv", dtype=str)
        if name == "time_open_bands":
            # A list holds the assessments from its earliest one: however far back that is, a
            # case open since before it would not be on the list, so the open-ended band and
            # every share of the whole caseload are not known from a list, even this one.
            assert list(right["episodes"]) == [*left["episodes"][:-1], "[x]"]
            assert (right["pct"] == "[x]").all()
            left, right = (
                left.drop(columns=["episodes", "pct"]),
                right.drop(columns=["episodes", "pct"]),
            )
        pd.testing.assert_frame_equal(left, right, obj=name)
    assert len(pd.read_csv(native / "tables" / "opened_closed_by_month.csv")) == 13


def test_a_period_before_the_list_starts_is_refused_with_what_to_choose(tmp_path, capsys):
    status = batch.main(
        ["--month", "2015-08", "--data-dir", str(EXAMPLE), "--output-dir", str(tmp_path)]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "covers 1 October 2015 to 31 March 2016" in err and "31 August 2015" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("2015-08*"))


def test_published_annex_a_report_shows_no_count_of_1_to_4(tmp_path):
    from count_scan import small_counts_on_page

    status = batch.main(
        [
            "--month",
            "2016-03",
            "--data-dir",
            str(EXAMPLE),
            "--output-dir",
            str(tmp_path),
            "--publish",
            "--jobs",
            "2",
        ]
    )
    assert status == 0
    report = tmp_path / "2016-03-published"
    counts = {
        "open_by_lead_agency": ["episodes"],
        "open_by_organisation": ["episodes"],
        "open_by_holder": ["episodes"],
        "opened_closed_by_month": ["opened", "closed"],
        "time_open_bands": ["episodes"],
        "demographics": ["open", "started"],
    }
    demographics = pd.read_csv(report / "tables" / "demographics.csv", dtype=str)
    assert (demographics["open"] == "[c]").any()  # the example has groups of 1-4
    for name, columns in counts.items():
        frame = pd.read_csv(report / "tables" / f"{name}.csv", dtype=str)
        for column in columns:
            small = frame[column][frame[column].isin(["1", "2", "3", "4"])]
            assert small.empty, f"{name}.csv {column}: {list(small)}"
    assert not (report / "tables" / "data_quality_notes.csv").exists()  # rows: analysts only
    pages = [report / "index.html", *sorted((report / "html").glob("*.html"))]
    found = [f"{page.name}: {where}" for page in pages for where in small_counts_on_page(page)]
    assert not found, "\n".join(found)
