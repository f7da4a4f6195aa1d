"""The metric definitions in helpers.metrics, against expectations worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import metrics

# --------------------------------------------------------------------------- helpers


def episodes(*spans: tuple[str, str | None]) -> pd.DataFrame:
    """Episodes from (start, end) pairs; end None = still open."""
    return pd.DataFrame(
        {
            "start_date": pd.to_datetime([start for start, _ in spans]),
            "end_date": pd.to_datetime([end for _, end in spans]),
        }
    )


def months_between(start: str, when: str) -> int:
    """completed_months for a single start date, as a plain int."""
    return int(metrics.completed_months(pd.Series(pd.to_datetime([start])), when).iloc[0])


def band_of(months: int) -> str:
    return str(metrics.time_open_band(pd.Series([months])).iloc[0])


def periods(*months: str) -> pd.PeriodIndex:
    return pd.PeriodIndex(list(months), freq="M")


# --------------------------------------------------------------------------- small conversions


def test_as_timestamp_drops_the_time_of_day():
    assert metrics.as_timestamp("2015-10-11 13:45:00") == pd.Timestamp(2015, 10, 11)


def test_as_month_of_a_date_is_its_calendar_month():
    assert metrics.as_month("2015-10-31") == pd.Period("2015-10", freq="M")
    assert metrics.as_month(pd.Timestamp(2016, 2, 29)) == pd.Period("2016-02", freq="M")


def test_month_of_keeps_missing_dates_missing():
    result = metrics.month_of(pd.Series(pd.to_datetime(["2015-04-01", None, "2016-03-31"])))
    assert result.iloc[0] == pd.Period("2015-04", freq="M")
    assert pd.isna(result.iloc[1])
    assert result.iloc[2] == pd.Period("2016-03", freq="M")


# --------------------------------------------------------------------------- open_at


def test_open_at_an_episode_open_with_no_end_date():
    assert metrics.open_at(episodes(("2015-01-10", None)), "2015-06-30").tolist() == [True]


def test_open_at_an_episode_not_yet_started_is_not_open():
    assert metrics.open_at(episodes(("2015-07-01", None)), "2015-06-30").tolist() == [False]


def test_open_at_same_day_episode_is_never_open():
    same_day = episodes(("2015-06-15", "2015-06-15"))
    for when in ("2015-06-14", "2015-06-15", "2015-06-16"):
        assert metrics.open_at(same_day, when).tolist() == [False], when


def test_open_at_episode_ending_on_the_date_is_not_open_at_it():
    assert metrics.open_at(episodes(("2015-01-10", "2015-06-30")), "2015-06-30").tolist() == [False]


def test_open_at_episode_ending_on_the_date_is_open_the_day_before():
    assert metrics.open_at(episodes(("2015-01-10", "2015-06-30")), "2015-06-29").tolist() == [True]


def test_open_at_episode_starting_on_the_date_is_open_at_it():
    assert metrics.open_at(episodes(("2015-06-30", "2015-07-05")), "2015-06-30").tolist() == [True]


def test_open_at_ignores_the_time_of_day_in_the_date():
    started_that_day = episodes(("2015-06-30", None))
    assert metrics.open_at(started_that_day, "2015-06-30 00:00:01").tolist() == [True]


def test_open_at_keeps_the_episode_index():
    frame = episodes(("2015-01-01", None), ("2015-09-01", None))
    frame.index = ["a", "b"]
    result = metrics.open_at(frame, "2015-06-30")
    assert result.to_dict() == {"a": True, "b": False}


# --------------------------------------------------------------------------- months


def test_rolling_months_default_is_thirteen_months_ending_with_the_period():
    result = metrics.rolling_months("2015-09")
    assert len(result) == 13
    assert result[0] == pd.Period("2014-09", freq="M")
    assert result[-1] == pd.Period("2015-09", freq="M")
    assert list(result.strftime("%Y-%m")) == [
        "2014-09", "2014-10", "2014-11", "2014-12", "2015-01", "2015-02", "2015-03",
        "2015-04", "2015-05", "2015-06", "2015-07", "2015-08", "2015-09",
    ]  # fmt: skip


def test_rolling_months_other_length():
    assert metrics.rolling_months("2016-02", n=3).equals(periods("2015-12", "2016-01", "2016-02"))


@pytest.mark.parametrize(
    ("when", "start", "label"),
    [
        ("2015-03-31", "2014-04-01", "2014/15"),
        ("2015-04-01", "2015-04-01", "2015/16"),
        ("2016-03-31", "2015-04-01", "2015/16"),
        ("2016-01-15", "2015-04-01", "2015/16"),
        ("1999-12-31", "1999-04-01", "1999/00"),
        ("2000-03-31", "1999-04-01", "1999/00"),
        ("2009-06-01", "2009-04-01", "2009/10"),
    ],
)
def test_financial_year_start_and_label(when, start, label):
    assert metrics.financial_year_start(when) == pd.Timestamp(start)
    assert metrics.financial_year_label(when) == label


def test_financial_year_of_a_month_period():
    assert metrics.financial_year_start(pd.Period("2015-03", freq="M")) == pd.Timestamp(
        "2014-04-01"
    )
    assert metrics.financial_year_label(pd.Period("2015-04", freq="M")) == "2015/16"


def test_year_to_date_in_april_is_one_month():
    assert metrics.year_to_date_months("2015-04").equals(periods("2015-04"))


def test_year_to_date_in_september_is_six_months():
    assert metrics.year_to_date_months("2015-09").equals(
        periods("2015-04", "2015-05", "2015-06", "2015-07", "2015-08", "2015-09")
    )


def test_year_to_date_in_march_is_the_whole_year():
    result = metrics.year_to_date_months("2016-03")
    assert len(result) == 12
    assert result[0] == pd.Period("2015-04", freq="M")
    assert result[-1] == pd.Period("2016-03", freq="M")


def test_year_to_date_in_january_starts_the_april_before():
    result = metrics.year_to_date_months(pd.Period("2016-01", freq="M"))
    assert len(result) == 10
    assert result[0] == pd.Period("2015-04", freq="M")


def test_financial_year_months_april_to_march():
    result = metrics.financial_year_months(2015)
    assert len(result) == 12
    assert result[0] == pd.Period("2015-04", freq="M")
    assert result[-1] == pd.Period("2016-03", freq="M")
    assert result.is_monotonic_increasing and result.is_unique


# --------------------------------------------------------------------------- counting by month


def test_count_by_month_includes_zero_months_and_ignores_missing_dates():
    dates = pd.Series(pd.to_datetime(["2015-04-01", "2015-04-30", None, "2015-06-15", None]))
    result = metrics.count_by_month(dates, periods("2015-04", "2015-05", "2015-06"))
    assert result.tolist() == [2, 0, 1]
    assert list(result.index) == list(periods("2015-04", "2015-05", "2015-06"))
    assert result.index.name == "month"
    assert result.dtype == np.int64


def test_count_by_month_leaves_out_dates_outside_the_months():
    dates = pd.Series(pd.to_datetime(["2015-03-31", "2015-04-01", "2015-05-01"]))
    assert metrics.count_by_month(dates, periods("2015-04")).tolist() == [1]


def test_count_by_month_all_missing_gives_zeros():
    dates = pd.Series(pd.to_datetime([None, None]))
    assert metrics.count_by_month(dates, periods("2015-04", "2015-05")).tolist() == [0, 0]


def test_opened_and_closed_by_month():
    frame = episodes(
        ("2015-04-03", "2015-06-20"),
        ("2015-04-28", None),
        ("2015-05-02", "2015-05-30"),
    )
    months = periods("2015-04", "2015-05", "2015-06")
    opened = metrics.opened_by_month(frame, months)
    closed = metrics.closed_by_month(frame, months)
    assert opened.name == "opened"
    assert closed.name == "closed"
    assert opened.tolist() == [2, 1, 0]
    assert closed.tolist() == [0, 1, 1]


def test_same_day_episode_is_opened_and_closed_in_its_month():
    frame = episodes(("2015-05-15", "2015-05-15"))
    months = periods("2015-04", "2015-05", "2015-06")
    assert metrics.opened_by_month(frame, months).tolist() == [0, 1, 0]
    assert metrics.closed_by_month(frame, months).tolist() == [0, 1, 0]


# --------------------------------------------------------------------------- completed months


def test_completed_months_exactly_three_months():
    assert months_between("2015-10-11", "2016-01-11") == 3
    assert band_of(3) == "3-6 Months"


def test_completed_months_one_day_short_of_three_months():
    assert months_between("2015-10-12", "2016-01-11") == 2
    assert band_of(2) == "0 - 3 Months"


def test_completed_months_month_end_clipped_to_a_shorter_month():
    assert months_between("2016-01-31", "2016-02-29") == 1
    assert months_between("2016-01-31", "2016-02-28") == 0


def test_completed_months_from_a_leap_day():
    assert months_between("2016-02-29", "2017-02-28") == 12
    assert months_between("2016-02-29", "2017-02-27") == 11


def test_completed_months_same_day_is_zero():
    assert months_between("2015-10-11", "2015-10-11") == 0


def test_completed_months_start_after_the_date_is_negative():
    assert months_between("2015-11-01", "2015-10-11") == -1


def test_completed_months_whole_series_keeps_index_and_int_dtype():
    start = pd.Series(pd.to_datetime(["2015-01-15", "2014-10-01", "2015-10-11"]), index=[7, 8, 9])
    result = metrics.completed_months(start, "2015-10-11")
    # 2015-01-15 -> 2015-10-11: 9 month gap, 11 < 15 so 8; 2014-10-01: 12; same day: 0.
    assert result.to_dict() == {7: 8, 8: 12, 9: 0}
    assert result.dtype == np.int64


# --------------------------------------------------------------------------- time-open bands


@pytest.mark.parametrize(
    ("months", "band"),
    [
        (0, "0 - 3 Months"),
        (2, "0 - 3 Months"),
        (3, "3-6 Months"),
        (5, "3-6 Months"),
        (6, "6-9 Months"),
        (8, "6-9 Months"),
        (9, "9-12 Months"),
        (11, "9-12 Months"),
        (12, "12-18 Months"),
        (17, "12-18 Months"),
        (18, "18+ Months"),
        (240, "18+ Months"),
    ],
)
def test_time_open_band_boundaries(months, band):
    assert band_of(months) == band


def test_time_open_band_is_ordered_categorical_with_all_six_bands():
    result = metrics.time_open_band(pd.Series([0, 20]))
    assert isinstance(result.dtype, pd.CategoricalDtype)
    assert result.dtype.ordered
    assert list(result.dtype.categories) == [
        "0 - 3 Months",
        "3-6 Months",
        "6-9 Months",
        "9-12 Months",
        "12-18 Months",
        "18+ Months",
    ]
    assert result.iloc[0] < result.iloc[1]


def test_time_open_band_rejects_negative_months():
    with pytest.raises(ValueError, match="negative"):
        metrics.time_open_band(pd.Series([3, -1, 5]))


# --------------------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (1, 8, 12.5),  # exactly 12.5
        (1, 16, 6.3),  # 6.25 rounds half up
        (87, 1887, 4.6),  # 4.6105...
        (471, 1887, 25.0),  # 24.960...
        (1, 3, 33.3),
        (2, 3, 66.7),
        (3, 40, 7.5),  # exactly 7.5
        (1, 40, 2.5),  # exactly 2.5
        (1, 80, 1.3),  # 1.25 rounds half up
        (0, 5, 0.0),
        (5, 5, 100.0),
    ],
)
def test_pct_rounds_half_up_from_exact_counts(numerator, denominator, expected):
    result = metrics.pct(numerator, denominator)
    assert isinstance(result, float)
    assert result == expected


def test_pct_zero_denominator_is_nan():
    assert math.isnan(metrics.pct(0, 0))
    assert math.isnan(metrics.pct(3, 0))


def test_pct_series_numerator_keeps_index_and_name():
    numerator = pd.Series([1, 2, 0], index=["x", "y", "z"], name="count")
    result = metrics.pct(numerator, 3)
    assert isinstance(result, pd.Series)
    assert list(result.index) == ["x", "y", "z"]
    assert result.name == "count"
    assert result.tolist() == [33.3, 66.7, 0.0]


def test_pct_series_denominator_keeps_index():
    denominator = pd.Series([8, 16, 0], index=[10, 20, 30])
    result = metrics.pct(1, denominator)
    assert list(result.index) == [10, 20, 30]
    assert result.iloc[:2].tolist() == [12.5, 6.3]
    assert math.isnan(result.iloc[2])


def test_pct_elementwise_series():
    result = metrics.pct(pd.Series([87, 471]), pd.Series([1887, 1887]))
    assert result.tolist() == [4.6, 25.0]


def test_share_pct_is_not_forced_to_add_up_to_100():
    result = metrics.share_pct(pd.Series([1, 1, 1], index=["a", "b", "c"]))
    assert result.tolist() == [33.3, 33.3, 33.3]
    assert round(result.sum(), 1) == 99.9
    assert list(result.index) == ["a", "b", "c"]


def test_share_pct_can_add_up_to_more_than_100():
    # 1/16 = 6.25 rounds up to 6.3 (twice); 14/16 = 87.5 exactly: 6.3 + 6.3 + 87.5 = 100.1.
    result = metrics.share_pct(pd.Series([1, 1, 14]))
    assert result.tolist() == [6.3, 6.3, 87.5]
    assert round(result.sum(), 1) == 100.1


def test_share_pct_of_all_zeros_is_nan():
    assert metrics.share_pct(pd.Series([0, 0])).isna().all()


# --------------------------------------------------------------------------- Strengthening Families


def test_criteria_met_counts_true_criteria_per_family():
    families = pd.DataFrame(
        {
            "crime_asb": [True, False, False],
            "school_attendance": [True, False, True],
            "health": [False, False, True],
            "worklessness": [True, True, True],  # not one of the criteria asked about
        },
        index=["F1", "F2", "F3"],
    )
    result = metrics.criteria_met(families, ("crime_asb", "school_attendance", "health"))
    assert result.to_dict() == {"F1": 2, "F2": 0, "F3": 2}


def test_criteria_met_accepts_a_list():
    families = pd.DataFrame({"a": [True], "b": [True]})
    assert metrics.criteria_met(families, ["a", "b"]).tolist() == [2]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2015-09-30", "2015-08-31"),
        ("2015-09-15", "2015-08-31"),
        ("2016-03-01", "2016-02-29"),
        ("2015-01-31", "2014-12-31"),
    ],
)
def test_previous_month_end(day, expected):
    assert metrics.previous_month_end(day) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2015-08-31", "2015-07-31"),
        ("2016-03-31", "2016-02-29"),
        ("2015-04-30", "2015-03-31"),
        ("2016-03-15", "2016-02-15"),
        ("2015-03-30", "2015-02-28"),
    ],
)
def test_month_earlier(day, expected):
    assert metrics.month_earlier(day) == pd.Timestamp(expected)
