"""The report period, and the dates derived from it, against dates worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import batch, metrics
from helpers.period import ReportPeriod


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


def test_the_monthly_plan_takes_every_date_from_the_period():
    plan = batch.monthly_plan(ReportPeriod.of("2016-02"))
    assert plan == batch.monthly_plan("2016-02")
    assert plan["01_open_by_lead_agency"] == {
        "snapshot_date": "2016-02-29",
        "refusals_period_end": "2016-02-29",
    }
    assert plan["02_opened_closed_outcomes"] == {"period_end": "2016-02"}
    assert plan["05_strengthening_families"]["as_at"] == "2016-02-29"


def test_an_edition_names_its_folder_by_its_period(tmp_path):
    edition = tmp_path / "edition.yaml"
    edition.write_text("name: test\nperiod: 2015-9\nnotebooks:\n  06_budget: {}\n")
    loaded = batch.Edition.load(edition)
    assert loaded.period == "2015-09"
    assert loaded.report_period.end == pd.Timestamp("2015-09-30")
