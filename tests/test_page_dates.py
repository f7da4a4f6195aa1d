"""Every date a page prints follows from its report period, or the page says it was set.

The notebooks take one period parameter (``report_month``, or ``snapshot_date`` for a section
dated by a day) and derive the rest through ``helpers.period``. Run with papermill and only the
period changed, a page may print no date but those the period gives.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from helpers import report
from helpers.batch import KERNEL, NOTEBOOKS_DIR
from helpers.coverage import coverage_of
from helpers.extract import TAKEN_INFERRED, load_report_extract
from helpers.kernels import BatchKernelManager
from helpers.period import ReportPeriod, report_dates, snapshot_dates

LONG_DATE = re.compile(
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|"
    r"November|December) (\d{4})\b"
)
MONTH_LABEL = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{2})\b")


def _page_text(path: Path) -> str:
    """What the page's code shows: every text or HTML output. (The narrative may cite the
    source documents by their own dates: "the Cabinet Member report of 9 March 2016".)"""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [str(data.get(kind, "")) for kind in ("text/html", "text/markdown")]
            parts.append(str(output.get("text", "")))
    return "\n".join(parts)


def _run(tmp_path: Path, notebook: str, parameters: dict) -> str:
    executed = tmp_path / f"{notebook}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / f"{notebook}.ipynb"),
        str(executed),
        parameters=parameters,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        kernel_name=KERNEL,
        progress_bar=False,
        kernel_manager_class=BatchKernelManager,
    )
    return _page_text(executed)


def _dates_printed(text: str) -> set[pd.Timestamp]:
    return {pd.Timestamp(f"{d} {m} {y}") for d, m, y in LONG_DATE.findall(text)}


def _months_printed(text: str) -> set[pd.Period]:
    return {pd.Period(f"{m} 20{y}", freq="M") for m, y in MONTH_LABEL.findall(text)}


@pytest.mark.slow  # executes notebooks
@pytest.mark.parametrize(
    ("notebook", "month"),
    [
        ("01_open_by_lead_agency", "2015-12"),
        ("02_opened_closed_outcomes", "2015-12"),
        ("05_strengthening_families", "2015-12"),
        ("06_budget", "2016-02"),  # the forecast is named by the budget's financial year
    ],
)
def test_only_the_period_changed_gives_a_page_dated_by_it(tmp_path, notebook, month):
    period = ReportPeriod.of(month)
    text = _run(tmp_path, notebook, {"report_month": month})
    assert f"Report month: {period.month:%B %Y}. Every date on this page follows from it." in text
    if notebook == "06_budget":
        assert "2015/16 forecast" in text  # the year the extract records for its budget
        return
    # The dates a month's page may print: its end, the month before's end (the trend and the
    # refusals before), the financial year's start, and for the previous year's benchmark the
    # year before that; the programme's fixed target dates come from config, not the month.
    year_start = period.financial_year_start
    allowed = {
        period.end,
        period.previous.end,
        year_start,
        year_start - pd.DateOffset(years=1),
        year_start - pd.Timedelta(days=1),
    }
    from helpers.families import programme

    prog = programme()
    allowed |= {
        pd.Timestamp(day)
        for day in (prog.target_date_2015_16, prog.early_start, prog.national_start)
    }
    allowed |= _input_and_narrative_dates(notebook)
    printed = _dates_printed(text)
    assert period.end in printed or period.month in _months_printed(text)
    assert printed <= allowed, f"dates not derived from {month}: {sorted(printed - allowed)}"
    # month labels (Sep-14 ...) only in the rolling window ending with the month
    window = set(pd.period_range(end=period.month, periods=13, freq="M"))
    assert _months_printed(text) <= window


@pytest.mark.slow  # executes a notebook
def test_an_explicit_date_is_named_on_the_page(tmp_path):
    text = _run(
        tmp_path,
        "01_open_by_lead_agency",
        {"report_month": "2015-12", "snapshot_date": "2015-11-30"},
    )
    assert (
        "Report month: December 2015, which ends on 31 December 2015. Dates set for this report "
        "rather than taken from the month: open cases counted on 30 November 2015."
    ) in text


@pytest.mark.slow  # executes a notebook
@pytest.mark.parametrize("notebook", ["03_cff_caseload_by_time_open", "04_open_episodes_by_lsoa"])
def test_a_section_dated_by_a_day_says_so(tmp_path, notebook, imd_mirror):
    text = _run(tmp_path, notebook, {"snapshot_date": "2015-12-15"})
    assert "The figures on this page are counted on 15 December 2015." in text
    printed = _dates_printed(text) - _input_and_narrative_dates(notebook)
    assert printed == {pd.Timestamp("2015-12-15")}


def _input_and_narrative_dates(notebook: str) -> set[pd.Timestamp]:
    """Dates a page prints that are not report dates: the days the extract covers (its first
    record, the day it was taken) and those its introduction cites the source documents by."""
    coverage = coverage_of(load_report_extract(""))
    introduction = report.introduction(notebook, load_report_extract(""))
    return {coverage.first_day, coverage.last_day} | _dates_printed(introduction)


@pytest.mark.slow  # executes a notebook
def test_a_budget_for_another_financial_year_is_refused_with_both_years(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as refused:
        _run(tmp_path, "06_budget", {"report_month": "2015-03"})
    assert refused.value.ename == "CoverageError"
    assert "for 2015/16, but March 2015 is in 2014/15" in refused.value.evalue


def test_a_month_not_over_when_the_extract_was_taken_is_said_to_be_partial():
    extract = load_report_extract("")
    assert extract.taken_on == "2016-03-31"  # the synthetic extract's recorded date
    partial = report.partial_month_statement(report_dates("2016-04"), extract)
    assert partial == (
        "This month is reported in part. The extract was taken on 31 March 2016, before the "
        "period ends on 30 April 2016: anything recorded after 31 March 2016 is missing from "
        "these figures."
    )
    assert report.partial_month_statement(report_dates("2016-03"), extract) == ""
    assert report.partial_month_statement(snapshot_dates("2016-03-31"), extract) == ""
    inferred = type(extract)(**{**extract.__dict__, "taken_how": TAKEN_INFERRED})
    assert "(the day its files were last saved)" in report.partial_month_statement(
        report_dates("2016-04"), inferred
    )
    html = report.dates_html(report_dates("2016-04"), extract)
    assert "Partial month." in html and "Report month: April 2016." in html


def test_numbers_as_text_are_aligned_as_numbers():
    table = pd.DataFrame({"Reason": ["A", "Total", "%"], "Sep-15": ["102", "1,094", "66.5%"]})
    html = report.table_html(table).data
    # the number column is right-aligned cell by cell, the text column left
    assert re.search(r"_col1[^{]*\{[^}]*text-align: right", html)
    assert re.search(r"_col0[^{]*\{[^}]*text-align: left", html)


def test_the_readme_lists_every_notebooks_parameters():
    """The README's parameter table names each notebook and each parameter it takes."""
    from helpers.batch import PROJECT_ROOT
    from helpers.preflight import BATCH_PARAMETERS, notebook_parameters

    readme = (Path(PROJECT_ROOT) / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Each notebook's parameters", 1)[1].split("\n### ", 1)[0]
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in table.splitlines()
        if line.startswith("| `")
    }
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        assert path.stem in rows, f"README: no row for {path.stem}"
        for name in notebook_parameters(path):
            if name not in BATCH_PARAMETERS:
                assert f"`{name}`" in rows[path.stem], f"README: {path.stem} lacks {name}"
