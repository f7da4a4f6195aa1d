"""The report period: one month, and every date a monthly report derives from it.

Floor 0. A monthly run (``python -m helpers.batch --month 2015-09``) and an edition both name a
period; the snapshots, windows and year-to-date ends its notebooks use follow from it here, so
no module writes a report date of its own. Literal report dates belong in the edition files
(``config/editions/``) and in the published figures (``config/published/figures.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: The financial year starts on 1 April.
FINANCIAL_YEAR_START_MONTH = 4


@dataclass(frozen=True)
class ReportPeriod:
    """A report month (``pd.Period('M')``) and the dates that follow from it."""

    month: pd.Period

    @classmethod
    def of(cls, month: str | pd.Period | pd.Timestamp) -> ReportPeriod:
        """The period of a month given as ``YYYY-MM``, a monthly Period, or any day in it."""
        return cls(pd.Period(month, freq="M"))

    @property
    def name(self) -> str:
        """How the period names its report folder: ``2015-09``."""
        return str(self.month)

    @property
    def end(self) -> pd.Timestamp:
        """The last day of the month: snapshots are taken at its end."""
        return self.month.end_time.normalize()

    @property
    def end_iso(self) -> str:
        """:attr:`end` as a notebook parameter: ``2015-09-30``."""
        return self.end.date().isoformat()

    @property
    def previous(self) -> ReportPeriod:
        return ReportPeriod(self.month - 1)

    @property
    def financial_year_start(self) -> pd.Timestamp:
        """1 April of the financial year the month falls in (April to March)."""
        month = self.month
        year = month.year if month.month >= FINANCIAL_YEAR_START_MONTH else month.year - 1
        return pd.Timestamp(year=year, month=FINANCIAL_YEAR_START_MONTH, day=1)

    @property
    def financial_year_label(self) -> str:
        """The financial year as reports write it: ``2015/16``."""
        start = self.financial_year_start.year
        return f"{start}/{(start + 1) % 100:02d}"


#: The dates a section may be dated by, and what each one dates, in the reader's words. Each
#: follows from the report month (its last day) unless the notebook's parameter sets it.
DEPENDENT_DATES: dict[str, str] = {
    "snapshot_date": "open cases counted on",
    "refusals_period_end": "refusals counted to",
    "as_at": "families counted on",
    "attachments_as_at": "attachments and claims counted to",
}


class DateOverrideError(ValueError):
    """A date a notebook was given that is not a date: the message names it."""

    # As helpers.config.SentenceError (a floor above this one): in JupyterLab, the sentence
    # without a traceback.
    def _render_traceback_(self) -> list[str]:
        return [f"{self.__class__.__name__}: {self}"]


@dataclass(frozen=True)
class ReportDate:
    """One date a section uses: the day, and the day the report month alone would give."""

    name: str
    day: pd.Timestamp
    from_month: pd.Timestamp

    @property
    def set_explicitly(self) -> bool:
        return self.day != self.from_month

    @property
    def meaning(self) -> str:
        return DEPENDENT_DATES[self.name]


@dataclass(frozen=True)
class ReportDates:
    """A section's report month and every date it uses, each derived from the month or set."""

    period: ReportPeriod
    dates: tuple[ReportDate, ...] = ()
    #: True for a section dated by one day (a caseload on 11 January 2016), not by a month.
    dated_by_snapshot: bool = False

    def __getattr__(self, name: str) -> pd.Timestamp:
        for date in self.__dict__.get("dates", ()):
            if date.name == name:
                return date.day
        raise AttributeError(name)

    @property
    def latest(self) -> pd.Timestamp:
        """The last day any figure of the section covers."""
        if self.dated_by_snapshot:
            return self.dates[0].day
        return max([self.period.end, *(date.day for date in self.dates)])

    @property
    def set_explicitly(self) -> tuple[ReportDate, ...]:
        """The dates set for this report rather than taken from its month."""
        if self.dated_by_snapshot:
            return ()
        return tuple(date for date in self.dates if date.set_explicitly)


def report_dates(report_month: str | pd.Period | pd.Timestamp, **overrides: str) -> ReportDates:
    """The dates a section uses: each named date is the month's last day unless given.

    A blank override means "follow the month". ``overrides`` names only dates in
    :data:`DEPENDENT_DATES`; a value that is not a date is refused by name.
    """
    try:
        period = ReportPeriod.of(report_month)
    except (ValueError, TypeError) as error:
        raise DateOverrideError(
            f"report_month is {report_month!r}, which is not a month: write it as YYYY-MM."
        ) from error
    dates = []
    for name, given in overrides.items():
        if name not in DEPENDENT_DATES:
            raise DateOverrideError(f"{name} is not a date a report derives from its month.")
        day = period.end
        if given is not None and str(given).strip():
            try:
                day = pd.Timestamp(str(given).strip()).normalize()
            except (ValueError, TypeError) as error:
                raise DateOverrideError(
                    f"{name} is {given!r}, which is not a date: write it as YYYY-MM-DD, "
                    "or leave it blank to use the last day of the report month."
                ) from error
        dates.append(ReportDate(name, day, period.end))
    return ReportDates(period, tuple(dates))


def snapshot_dates(snapshot_date: str | pd.Timestamp) -> ReportDates:
    """The dates of a section dated by one day: the day itself, in the month it falls in."""
    try:
        day = pd.Timestamp(str(snapshot_date).strip()).normalize()
    except (ValueError, TypeError) as error:
        raise DateOverrideError(
            f"snapshot_date is {snapshot_date!r}, which is not a date: write it as YYYY-MM-DD."
        ) from error
    period = ReportPeriod.of(day)
    return ReportDates(period, (ReportDate("snapshot_date", day, period.end),), True)
