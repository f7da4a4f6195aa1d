"""What a published count counts: its population, named the same wherever it is printed.

Floor 1. Disclosure control links counts by what they count, not by where they are printed: a
count is keyed by its measure (episodes open, closed or opened; refusals; families), the day,
month or span it is counted over, and the cells of the breakdown it belongs to (a lead agency;
a closure reason). One lead agency's episodes open at 28 February 2014 are then one key whether
page 01 prints them in its table by lead agency or page 03 as its caseload's total, in this
edition or the next, and a year to date printed in June and again in July is one count.

A span that is whole months is written as months (``2015-04/2015-07``; one month alone,
``2015-07``), so that the refusals of July counted as a span of days and as a month are one key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

#: The measures counted (what one unit of the count is, and when it is counted).
OPEN = "episodes open"  # on a day
OPENED = "episodes opened"  # over months
CLOSED = "episodes closed"  # over months
REFUSALS = "refusals"  # over days or months
FAMILIES = "level-3 families"  # on a day
ATTACHED = "families attached"  # to a day
CLAIMED = "families claimed"  # to a day
UNCLAIMED = "families attached, not claimed"  # to a day


@dataclass(frozen=True, order=True)
class Population:
    """A count's population: ``measure`` over ``when``, within the cells ``by`` (sorted)."""

    measure: str
    when: str
    by: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        cells = ", ".join(f"{name} {value}" for name, value in self.by)
        return f"{self.measure}, {self.when}" + (f", {cells}" if cells else "")

    def get(self, name: str) -> str | None:
        """The cell of breakdown ``name`` this count is in, or None."""
        return dict(self.by).get(name)

    def within(self, **by: object) -> Population:
        """The same count narrowed to further cells of a breakdown."""
        return Population(self.measure, self.when, _cells({**dict(self.by), **by}))

    def to_json(self) -> dict:
        return {"measure": self.measure, "when": self.when, "by": dict(self.by)}

    @classmethod
    def from_json(cls, raw: Mapping) -> Population:
        """A population read back from a record; a malformed one raises ``ValueError``."""
        try:
            by = raw.get("by") or {}
            return cls(str(raw["measure"]), str(raw["when"]), _cells(dict(by)))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a population: {raw!r}") from error


def _cells(by: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(name), str(value)) for name, value in by.items()))


def on_day(measure: str, day: object, **by: object) -> Population:
    """A count taken on one day (open episodes, families)."""
    return Population(measure, pd.Timestamp(day).date().isoformat(), _cells(by))


def over_months(measure: str, months: pd.PeriodIndex | pd.Period, **by: object) -> Population:
    """A count over a run of whole months (one month, or first/last)."""
    months = pd.PeriodIndex([months] if isinstance(months, pd.Period) else months, freq="M")
    if len(months) == 0:
        raise ValueError("a count over months needs at least one month")
    first, last = months.min(), months.max()
    if len(months) != (last - first).n + 1:
        raise ValueError(f"months {list(map(str, months))} are not one run of months")
    when = str(first) if first == last else f"{first}/{last}"
    return Population(measure, when, _cells(by))


def over_days(measure: str, first: object, last: object, **by: object) -> Population:
    """A count from ``first`` to ``last`` (both included): as months when it is whole months."""
    start, end = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if start.is_month_start and end.is_month_end and start <= end:
        return over_months(measure, pd.period_range(start, end, freq="M"), **by)
    return Population(measure, f"{start.date().isoformat()}/{end.date().isoformat()}", _cells(by))


def months_of(population: Population) -> pd.PeriodIndex | None:
    """The months a count over months covers; None for a day or a span of days."""
    first, _, last = population.when.partition("/")
    try:
        start = pd.Period(first, freq="M")
        end = pd.Period(last or first, freq="M")
    except ValueError:
        return None
    if len(first) != 7 or (last and len(last) != 7):  # a day reads as its month too
        return None
    return pd.period_range(start, end, freq="M")
