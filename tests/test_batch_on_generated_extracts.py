"""The monthly batch, notebooks and all, on valid extracts nobody calibrated: a report is written.

The report identities are proved on many generated extracts in ``test_report_identities``; here
a handful of fixed awkward ones go through the real thing (validation, Papermill, every
notebook, HTML and CSV), as a council's monthly run would, and must come out whole.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from generated_extracts import Shape, generate, write

from helpers import batch

REGRESSION = Path(__file__).parent / "regression_extracts" / "programme_families_only"

pytestmark = pytest.mark.slow


def run_month(data_dir: Path, month: str, out: Path, *extra: str) -> Path:
    status = batch.main(
        ["--month", month, "--data-dir", str(data_dir), "--output-dir", str(out), "--jobs", "2"]
        + list(extra)
    )
    assert status == 0
    folder = out / (month + ("-published" if "--publish" in extra else ""))
    assert folder.is_dir()
    return folder


def page_text(folder: Path, notebook: str) -> str:
    html = (folder / "html" / f"{notebook}.html").read_text(encoding="utf-8")
    return re.sub(r"<[^>]+>", " ", html)


def assert_whole_report(folder: Path) -> None:
    """Every section a native extract feeds has its page; the demographics, which need the
    age, sex and ethnicity a native extract does not record, are left out, and said to be."""
    names = sorted(p.stem for p in (folder / "html").glob("*.html"))
    assert names == sorted(set(batch.monthly_plan("2015-06")) - {"08_demographics"})
    front = (folder / "index.html").read_text(encoding="utf-8")
    assert "Sections left out" in front and "age, sex and ethnicity" in front
    for name in names:
        text = page_text(folder, name)
        assert "Traceback" not in text and "nan%" not in text, name


def test_the_extract_that_stopped_the_monthly_report_now_gives_one(tmp_path):
    """Issue 10: 40 programme families, most episode families unlisted, --month 2015-06."""
    folder = run_month(REGRESSION, "2015-06", tmp_path)
    assert_whole_report(folder)
    eligibility = pd.read_csv(folder / "tables" / "families_eligibility.csv")
    by_count = pd.read_csv(folder / "tables" / "families_by_criteria_met.csv")
    assert (eligibility["families"] == eligibility["not_assessed"] + eligibility["assessed"]).all()
    assert by_count["families"].sum() == eligibility["assessed"].iloc[0]
    assert eligibility["not_assessed"].iloc[0] > 0
    assert "have not been assessed against the criteria" in page_text(
        folder, "05_strengthening_families"
    )


def test_one_episode_no_refusals_no_families_and_one_budget_line(tmp_path):
    shape = Shape(
        seed=1,
        first_day=dt.date(2015, 3, 1),
        months=4,
        episodes=1,
        agencies=("School",),
        families_listed=0.0,
        refusals=0,
        budget_lines=1,
        report_day=dt.date(2015, 6, 30),
    )
    tables = generate(shape)
    for row in tables["caf_episodes"]:  # still open: nothing closed in the year to date
        row[6], row[7] = "", ""
    extract = write(tmp_path / "extract", tables)
    folder = run_month(extract, "2015-06", tmp_path / "reports")
    assert_whole_report(folder)
    outcomes = page_text(folder, "02_opened_closed_outcomes")
    assert "No status" in outcomes  # no closures: indicator 1.2 is not judged
    assert "Strengthening Families list in this extract is empty" in page_text(
        folder, "05_strengthening_families"
    )


def test_awkward_extract_published(tmp_path):
    shape = Shape(
        seed=7,
        first_day=dt.date(2014, 2, 1),
        months=17,
        episodes=120,
        single_open_agency="Education",
        empty_months=(3, 14),
        families_listed=0.5,
        families_without_episode=4,
        families_meeting_none=3,
        on_report_day=4,
        blank_lsoa_share=0.1,
        outside_lsoa_share=0.05,
        refusals=5,
        budget_lines=2,
        report_day=dt.date(2015, 6, 30),
    )
    extract = write(tmp_path / "extract", generate(shape))
    folder = run_month(extract, "2015-06", tmp_path / "reports", "--publish")
    assert_whole_report(folder)
