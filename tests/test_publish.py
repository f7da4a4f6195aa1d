"""--publish: both editions run with disclosure control; no count of 1-4 leaves in any table."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from count_scan import small_counts_on_page

from helpers import batch
from helpers.config import PROJECT_ROOT
from helpers.disclosure_record import RECORD, read_published_counts
from helpers.extract import SYNTHETIC_DIR
from helpers.populations import OPEN, on_day

#: Every test here runs notebooks through Papermill (the batch).
pytestmark = pytest.mark.slow

MARK = "[c]"
NOTE = "confidential: a count from 1 to 4"

#: Every table a published report writes, and its columns that count people (or their cases).
#: A new table must be added here, so that someone decides what in it is a count.
COUNT_COLUMNS = {
    "open_by_lead_agency": ["episodes"],
    "open_by_holder": ["episodes"],
    "refusals": ["refusals_ytd"],
    "opened_closed_by_month": ["opened", "closed"],
    "outcomes_by_month": ["episodes"],
    "outcomes_ytd": ["episodes"],
    "outcome_rates_by_month": ["closed"],
    "benchmark": ["cafs_ended"],
    "families_eligibility": ["families", "meeting_criteria"],
    "families_criteria": ["families"],
    "families_by_criteria_met": ["families"],
    "families_attached": ["attached", "claimed"],
    "pbr_forecast": [],  # programme settings: targets and money
    "time_open_bands": ["episodes"],
    "budget": [],  # money
    "open_by_lsoa": ["episodes"],
    "open_by_msoa": ["episodes"],  # the published map by MSOA: "lsoas" counts areas
    "open_by_imd_decile": ["episodes"],
    "unmatched_by_reason": ["episodes"],
    "reconciliation": [],  # checked below: suppressed figures carry the mark
}


def _run(edition: str, out: Path, **options) -> Path:
    spec = batch.Edition.load(PROJECT_ROOT / "config" / "editions" / f"{edition}.yaml")
    return batch.run_batch(
        spec.notebooks,
        spec.period,
        output_dir=out,
        progress=False,
        publish=True,
        edition=spec.path,
        **options,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory, imd_mirror) -> list[Path]:
    out = tmp_path_factory.mktemp("published")
    return [_run("board-2015-10", out), _run("cabinet-2016-03", out)]


def _tables(report: Path) -> dict[str, pd.DataFrame]:
    return {
        path.stem: pd.read_csv(path, dtype=str, keep_default_na=False)
        for path in sorted((report / "tables").glob("*.csv"))
    }


def test_published_reports_go_beside_the_analysts_edition(published):
    assert [p.name for p in published] == [
        "board-2015-10-published",
        "cabinet-2016-03-published",
    ]
    for report in published:
        for path in (report / "notebooks").glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            assert nb.metadata["earlyhelp"]["parameters"]["publish"] is True


def test_no_count_of_1_to_4_is_in_any_published_table(published):
    seen = set()
    for report in published:
        for name, frame in _tables(report).items():
            assert name in COUNT_COLUMNS, f"{name}.csv: say which of its columns are counts"
            seen.add(name)
            for column in COUNT_COLUMNS[name]:
                values = frame[column]
                small = values[values.isin(["1", "2", "3", "4"])]
                assert small.empty, f"{report.name}/{name}.csv {column}: {list(small)}"
    assert {"outcomes_by_month", "open_by_msoa", "time_open_bands"} <= seen


def test_small_counts_are_marked_and_explained_on_the_page(published):
    october = published[0]
    outcomes = _tables(october)["outcomes_by_month"]
    assert (outcomes["episodes"] == MARK).sum() > 0
    html = (october / "html" / "02_opened_closed_outcomes.html").read_text(encoding="utf-8")
    assert MARK in html and NOTE in html
    for report in published:
        for page in (report / "html").glob("*.html"):
            text = page.read_text(encoding="utf-8")
            assert "Published with statistical disclosure control" in text, page.name


def test_the_reconciliation_hides_what_the_reports_hide(published):
    rows = _tables(published[0])["reconciliation"]
    suppressed = rows[rows["status"] == "suppressed"]
    assert len(suppressed) > 0
    assert (suppressed["recomputed"] == MARK).all()
    assert set(rows.loc[rows["recomputed"] == MARK, "status"]) == {"suppressed"}
    # The printed value of a hidden figure would give it away (issue 13, part 7): hidden too.
    assert (suppressed["published"] == MARK).all()
    assert suppressed["note"].str.contains("hidden in the published edition").all()


def test_published_data_quality_gives_counts_not_rows(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    episodes = pd.read_csv(folder / "caf_episodes.csv", dtype=str, keep_default_na=False)
    episodes.loc[3, "lead_agency"] = "Childrens Centre"
    episodes.to_csv(folder / "caf_episodes.csv", index=False, lineterminator="\n")
    report = batch.run_batch(
        {"06_budget": {}},
        "2016-03",
        folder,
        tmp_path / "reports",
        progress=False,
        allow_invalid=True,
        publish=True,
    )
    assert not (report / "tables" / "data_quality.csv").exists()
    assert (report / "tables" / "data_quality_counts.csv").exists()
    html = (report / "html" / "06_budget.html").read_text(encoding="utf-8")
    assert "Data quality" in html and "Childrens Centre" not in html


def test_no_count_of_1_to_4_on_any_published_page(published):
    """Every page and front page: table cells, sentences and charts' alternative text."""
    found = [
        f"{report.name}/{page.name}: {where}"
        for report in published
        for page in [report / "index.html", *sorted((report / "html").glob("*.html"))]
        for where in small_counts_on_page(page)
    ]
    assert not found, "\n".join(found)


def test_the_published_front_page_gives_each_indicators_headline(published):
    front = (published[0] / "index.html").read_text(encoding="utf-8")
    indicators = re.search(r"<ul class='indicators'>(.*?)</ul>", front, re.S)
    assert indicators, "the board edition's front page lists its indicators"
    for notebook in ("01_open_by_lead_agency", "02_opened_closed_outcomes"):
        assert f"html/{notebook}.html" in indicators.group(1)


def test_each_published_report_records_what_it_printed_and_nothing_else(published):
    board, cabinet = (read_published_counts(report) for report in published)
    assert board.shown and board.hidden and cabinet.shown
    cabinet_check = json.loads((published[1] / RECORD).read_text(encoding="utf-8"))["check"]
    assert cabinet_check["checked against"] == ["board-2015-10-published"]
    assert cabinet_check["pages rerun"] == []  # the shipped editions share no hidden count
    # Every count of the lead-agency table is in the record: its value where the table prints
    # it, hidden (and no value) where the table shows the mark.
    table = _tables(published[0])["open_by_lead_agency"]
    for row in table.itertuples():
        key = on_day(OPEN, row.snapshot_date, lead_agency=row.lead_agency)
        if row.episodes == MARK:
            assert key in board.hidden and key not in board.shown
        else:
            assert board.shown[key] == int(row.episodes)
