"""The report period, and the dates derived from it, against dates worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import batch, metrics
from helpers.period import DateOverrideError, ReportPeriod, report_dates, snapshot_dates


@pytest.mark.parametrize(
    ("given", "end", "previous", "year_start"),
    [
        ("2015-09", "2015-09-30", "2015-08", "2015-04-01"),
        ("2016-02", "2016-02-29", "2016-01", "2015-04-01"),  # a leap year's February
        ("2016-04", "2016-04-30", "2016-03", "2016-04-01"),  # April starts a financial year
        (pd.Timestamp("2015-03-17"), "2015-03-31", "2015-02", "2014-04-01"),  # any day in it
        (pd.Period("2014-12", freq="M"), "2014-12-31", "2014-11", "2014-04-01"),
    ],
)
def test_dates_derived_from_the_period(given, end, previous, year_start):
    period = ReportPeriod.of(given)
    assert period.end == pd.Timestamp(end)
    assert period.end_iso == end
    assert period.previous == ReportPeriod.of(previous)
    assert period.financial_year_start == pd.Timestamp(year_start)
    # the same financial year as the metric definitions count it
    assert period.financial_year_start == metrics.financial_year_start(period.end)


def test_the_monthly_plan_gives_each_notebook_only_its_period():
    plan = batch.monthly_plan(ReportPeriod.of("2016-02"))
    assert plan == batch.monthly_plan("2016-02")
    by_month = ("01_open_by_lead_agency", "02_opened_closed_outcomes", "05_strengthening_families")
    for name in by_month:
        assert plan[name] == {"report_month": "2016-02"}
    # a section dated by a day is counted on the month's last day
    assert plan["03_cff_caseload_by_time_open"] == {"snapshot_date": "2016-02-29"}


def test_every_dependent_date_follows_the_month_unless_set():
    dates = report_dates("2016-02", snapshot_date="", refusals_period_end=None)
    assert dates.snapshot_date == dates.refusals_period_end == pd.Timestamp("2016-02-29")
    assert dates.set_explicitly == ()
    assert dates.latest == pd.Timestamp("2016-02-29")
    dates = report_dates("2015-09", snapshot_date="2015-08-31", refusals_period_end="")
    assert dates.snapshot_date == pd.Timestamp("2015-08-31")
    assert [d.name for d in dates.set_explicitly] == ["snapshot_date"]
    assert dates.latest == pd.Timestamp("2015-09-30")  # the month still ends when it ends
    # set to the month's own last day: nothing was set apart from the month
    assert report_dates("2015-09", as_at="2015-09-30").set_explicitly == ()


@pytest.mark.parametrize(
    ("month", "overrides", "named"),
    [
        ("2015-13", {}, "report_month"),
        ("next month", {}, "report_month"),
        ("2015-02", {"snapshot_date": "2015-02-30"}, "snapshot_date"),
        ("2015-02", {"as_at": "end of Feb"}, "as_at"),
        ("2015-02", {"period_end": "2015-02-28"}, "period_end"),  # not a dependent date
    ],
)
def test_a_date_that_cannot_be_meant_is_refused_by_name(month, overrides, named):
    with pytest.raises(DateOverrideError, match=named):
        report_dates(month, **overrides)


def test_a_section_dated_by_a_day_sets_nothing_apart():
    dates = snapshot_dates("2016-01-11")
    assert dates.period == ReportPeriod.of("2016-01")
    assert dates.snapshot_date == dates.latest == pd.Timestamp("2016-01-11")
    assert dates.set_explicitly == ()
    with pytest.raises(DateOverrideError, match="snapshot_date"):
        snapshot_dates("2016-01-32")


def test_the_financial_year_is_named_as_reports_write_it():
    assert ReportPeriod.of("2016-03").financial_year_label == "2015/16"
    assert ReportPeriod.of("2016-04").financial_year_label == "2016/17"
    assert ReportPeriod.of("2099-12").financial_year_label == "2099/00"


def test_an_edition_names_its_folder_by_its_period(tmp_path):
    edition = tmp_path / "edition.yaml"
    edition.write_text("name: test\nperiod: 2015-9\nnotebooks:\n  06_budget: {}\n")
    loaded = batch.Edition.load(edition)
    assert loaded.period == "2015-09"
    assert loaded.report_period.end == pd.Timestamp("2015-09-30")
