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
