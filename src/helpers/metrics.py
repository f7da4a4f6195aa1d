"""The metric definitions. Each is defined once, here, and every notebook calls it.

Episodes are a DataFrame with at least ``start_date`` and ``end_date`` (``datetime64``,
``NaT`` while open). Months are ``pandas.Period`` with monthly frequency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Percentages are rounded half up from the counts, defined once with the other formats.
from helpers.formats import pct as pct

# Month ends and the financial year are defined once, with the report period.
from helpers.period import FINANCIAL_YEAR_START_MONTH, ReportPeriod

#: Time-open bands as the Cabinet Member report prints them, with the completed months each
#: holds (lower bound inclusive, upper bound exclusive; ``None`` = no upper bound).
TIME_OPEN_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0 - 3 Months", 0, 3),
    ("3-6 Months", 3, 6),
    ("6-9 Months", 6, 9),
    ("9-12 Months", 9, 12),
    ("12-18 Months", 12, 18),
    ("18+ Months", 18, None),
)
TIME_OPEN_BAND_LABELS: tuple[str, ...] = tuple(label for label, _, _ in TIME_OPEN_BANDS)
#: The bands of episodes open a year (12 completed months) or more.
BANDS_OF_A_YEAR_OR_MORE: tuple[str, ...] = tuple(
    label for label, lower, _ in TIME_OPEN_BANDS if lower >= 12
)


def as_timestamp(when: str | pd.Timestamp | np.datetime64) -> pd.Timestamp:
    return pd.Timestamp(when).normalize()


def as_month(month: str | pd.Period | pd.Timestamp) -> pd.Period:
    return pd.Period(month, freq="M")


def open_at(episodes: pd.DataFrame, when: str | pd.Timestamp) -> pd.Series:
    """Whether each episode is open at the date ``when``.

    Open means started on or before ``when`` and not yet ended: an episode that ends on
    ``when`` itself is not open at ``when``.
    """
    day = as_timestamp(when)
    started = episodes["start_date"] <= day
    not_ended = episodes["end_date"].isna() | (episodes["end_date"] > day)
    return started & not_ended


def previous_month_end(when: str | pd.Timestamp) -> pd.Timestamp:
    """The last day of the month before the one holding ``when``."""
    return ReportPeriod.of(as_timestamp(when)).previous.end


def month_earlier(when: str | pd.Timestamp) -> pd.Timestamp:
    """The same point a month earlier, for trends: a month end gives the previous month end
    (31 March -> 28/29 February, 30 April -> 31 March); another day, the same day (clipped)."""
    day = as_timestamp(when)
    return previous_month_end(day) if day.is_month_end else day - pd.DateOffset(months=1)


def month_of(dates: pd.Series) -> pd.Series:
    """The calendar month of each date (``NaT`` stays missing)."""
    return dates.dt.to_period("M")


def rolling_months(period_end: str | pd.Period, n: int = 13) -> pd.PeriodIndex:
    """The ``n`` calendar months ending with ``period_end`` (the dashboard shows 13)."""
    end = as_month(period_end)
    return pd.period_range(end=end, periods=n, freq="M")


def covered_months(
    months: pd.PeriodIndex, covers_from: str | pd.Timestamp | None
) -> pd.PeriodIndex:
    """The months of a window that an extract covers whole.

    All of them, unless the extract's records start on ``covers_from`` (an Annex A list holds
    about six months; any extract has a first record): then a month that starts before that
    day is left out, since counting part of its days (or none) would read as a fall to zero.
    """
    if covers_from is None or (isinstance(covers_from, str) and not covers_from):
        return months
    first = pd.Timestamp(covers_from)
    return months[[month.start_time >= first for month in months]]


def financial_year_start(when: str | pd.Timestamp | pd.Period) -> pd.Timestamp:
    """1 April of the financial year that holds ``when``."""
    if isinstance(when, pd.Period):
        when = when.start_time
    return ReportPeriod.of(as_timestamp(when)).financial_year_start


def financial_year_label(when: str | pd.Timestamp | pd.Period) -> str:
    """The financial year as the reports print it, e.g. ``2015/16``."""
    start = financial_year_start(when).year
    return f"{start}/{(start + 1) % 100:02d}"


def year_to_date_months(period_end: str | pd.Period) -> pd.PeriodIndex:
    """The months from April of the financial year holding ``period_end`` up to it."""
    end = as_month(period_end)
    start = as_month(financial_year_start(end))
    return pd.period_range(start=start, end=end, freq="M")


def financial_year_months(financial_year_start_year: int) -> pd.PeriodIndex:
    """The twelve months April..March of the financial year starting in that year."""
    start = pd.Period(year=financial_year_start_year, month=FINANCIAL_YEAR_START_MONTH, freq="M")
    return pd.period_range(start=start, periods=12, freq="M")


def count_by_month(dates: pd.Series, months: pd.PeriodIndex) -> pd.Series:
    """How many of ``dates`` fall in each of ``months`` (zeros included), indexed by month."""
    counts = month_of(dates.dropna()).value_counts()
    return counts.reindex(months, fill_value=0).astype("int64").rename_axis("month")


def opened_by_month(episodes: pd.DataFrame, months: pd.PeriodIndex) -> pd.Series:
    """Episodes opened in each month: ``start_date`` within the month."""
    return count_by_month(episodes["start_date"], months).rename("opened")


def closed_by_month(episodes: pd.DataFrame, months: pd.PeriodIndex) -> pd.Series:
    """Episodes closed in each month: ``end_date`` within the month."""
    return count_by_month(episodes["end_date"], months).rename("closed")


def completed_months(start: pd.Series, when: str | pd.Timestamp) -> pd.Series:
    """Completed calendar months from each ``start`` date to ``when``.

    A month is completed on its anniversary day; where the start day does not exist in the
    month of ``when`` (31 January -> February) the anniversary is that month's last day.
    Start dates after ``when`` give a negative number.
    """
    day = as_timestamp(when)
    month_gap = (day.year - start.dt.year) * 12 + (day.month - start.dt.month)
    anniversary_day = np.minimum(start.dt.day, day.days_in_month)
    not_yet = day.day < anniversary_day
    return (month_gap - not_yet.astype("int64")).astype("int64")


def time_open_band(months_open: pd.Series) -> pd.Series:
    """The report's time-open band for each number of completed months (categorical, ordered)."""
    if (months_open < 0).any():
        raise ValueError("time_open_band: completed months cannot be negative (start after date)")
    edges = [lower for _, lower, _ in TIME_OPEN_BANDS] + [np.inf]
    return pd.cut(
        months_open,
        bins=edges,
        right=False,
        labels=list(TIME_OPEN_BAND_LABELS),
    ).astype(pd.CategoricalDtype(list(TIME_OPEN_BAND_LABELS), ordered=True))


def share_pct(counts: pd.Series) -> pd.Series:
    """Each count as a percentage of their total, to one decimal place."""
    return pct(counts.astype("int64"), int(counts.sum()))


def criteria_met(families: pd.DataFrame, criteria: tuple[str, ...] | list[str]) -> pd.Series:
    """How many of the Strengthening Families criteria each family meets."""
    return families[list(criteria)].astype("int64").sum(axis=1)
