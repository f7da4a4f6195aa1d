"""What an input covers, and the figures it cannot give: shown as "not known", never as zero.

Floor 2. Every input covers a span of days: from its first record (the earliest episode start)
to the day it was taken. A native extract holds every episode of the case-management system, so
any case open on a day it covers is in it. An Ofsted Annex A list holds only the assessments
started in the months before the inspection (``started_only``): a case started earlier and still
open is not in it, so a time-open band longer than the list reaches back is not known, and a
caseload counted from it counts only the assessments started in the list's window.

A figure the input cannot support is a :class:`NotKnown`: text (the not-known mark of
``config/disclosure.yaml``, ``[x]`` by default, beside the suppression mark) that carries the
reason. Tables, charts and CSVs show the mark, sentences say "not known", and every table or
chart that shows it says why. It is not a count: disclosure control never sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from helpers import metrics
from helpers.config import SentenceError, config_dir, load_yaml
from helpers.disclosure import is_suppressed
from helpers.extract import SYNTHETIC_MANIFEST, TAKEN_INFERRED, Extract
from helpers.formats import long_date, number

#: The Government Statistical Service's shorthand for "not available"; a council may change it.
DEFAULT_NOT_KNOWN_MARK = "[x]"
#: How a sentence writes a figure that is not known.
NOT_KNOWN_WORDS = "not known"
#: The manifest's key for the financial year the budget lines are for (``2015/16``).
BUDGET_YEAR_KEY = "budget_financial_year"
FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


class CoverageError(SentenceError, ValueError):
    """A report period the input does not cover, or an undated budget asked for: what to fix."""


# --------------------------------------------------------------------------- the mark


@cache
def _mark_at(path: Path) -> str:
    raw = load_yaml(path) if path.is_file() else {}
    mark = str((raw or {}).get("not_known_mark") or DEFAULT_NOT_KNOWN_MARK)
    if mark == str((raw or {}).get("mark")):
        raise ValueError(
            f"{path}: not_known_mark and mark are both {mark!r}; a figure that is not known must "
            "not read as one that is hidden. Give them different marks."
        )
    return mark


def not_known_mark() -> str:
    """What a table cell, chart label or CSV cell shows for a figure that is not known."""
    return _mark_at(config_dir() / "disclosure.yaml")


class NotKnown(str):
    """A figure the input cannot support: the not-known mark, carrying why."""

    reason: str

    def __new__(cls, reason: str) -> NotKnown:
        value = super().__new__(cls, not_known_mark())
        value.reason = reason
        return value


def is_not_known(value: object) -> bool:
    """Whether a cell holds the not-known mark (pandas may have copied it as plain text, which
    keeps the mark though not the reason: a table's note reads the reasons before that)."""
    return isinstance(value, str) and value == not_known_mark()


def is_mark(value: object) -> bool:
    """A cell that holds a mark rather than a figure: hidden by disclosure control, or not known."""
    return is_suppressed(value) or is_not_known(value)


def reason_of(value: object) -> str:
    """Why a figure is not known ("" where its reason was lost with a copy of the mark)."""
    return getattr(value, "reason", "")


def reasons_in(values: Iterable[object]) -> list[str]:
    """The reasons of the not-known figures among ``values``, each once, in order."""
    return list(dict.fromkeys(v.reason for v in values if isinstance(v, NotKnown)))


#: Why a figure is not known, where a table rebuilt from the figures kept the mark, not why.
NOT_COVERED = "the data does not cover the days this figure needs."


def not_known_note(values: Iterable[object]) -> str:
    """What the mark means, under a table or chart that shows it; blank when none does."""
    values = list(values)
    if not any(is_not_known(v) for v in values):
        return ""
    return f"{not_known_mark()} not known: " + (" ".join(reasons_in(values)) or NOT_COVERED)


def in_words(value: object, words: Callable[[object], str] = number) -> str:
    """A figure as a sentence writes it: "not known" for one the input cannot give."""
    return NOT_KNOWN_WORDS if is_not_known(value) else words(value)


# --------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class FileCoverage:
    """The first and last day one file of the input holds a record for (None: no record)."""

    file: str
    first_day: pd.Timestamp | None
    last_day: pd.Timestamp | None


@dataclass(frozen=True)
class Coverage:
    """The days an input covers. The default covers everything (a frame built in a test)."""

    first_day: pd.Timestamp | None = None  # its first record
    last_day: pd.Timestamp | None = None  # the day it was taken
    #: It holds only the work started from ``first_day`` (an Annex A list), not every open case.
    started_only: bool = False
    #: How the pages name the input: "the extract", "the early help list".
    name: str = "the extract"
    files: tuple[FileCoverage, ...] = field(default=())
    #: The financial year the budget lines are for, where the input records it (``2015/16``).
    budget_financial_year: str | None = None
    #: How ``last_day`` is known, for the page: recorded with the input, or inferred.
    last_day_known_by: str = "the day it was taken"

    @property
    def known_until(self) -> pd.Timestamp | None:
        """The last day a figure may count to: the end of the month the input was taken in
        (a period ending after the day it was taken is reported in part, and the page says so)."""
        if self.last_day is None:
            return None
        return pd.Period(self.last_day, freq="M").end_time.normalize()

    def covers_day(self, day: object) -> bool:
        day = metrics.as_timestamp(day)
        after_start = self.first_day is None or day >= self.first_day
        return after_start and (self.known_until is None or day <= self.known_until)

    def covers_month(self, month: object) -> bool:
        """A month is covered when it starts on or after the first record and by the last day."""
        month = metrics.as_month(month)
        after_start = len(metrics.covered_months(pd.PeriodIndex([month]), self.first_day)) == 1
        return after_start and (self.last_day is None or month.start_time <= self.last_day)

    def covers_months(self, months: Iterable[pd.Period]) -> bool:
        return all(self.covers_month(m) for m in months)

    def covers_band(self, upper_months: int | None, day: object) -> bool:
        """Whether every case open at ``day`` for less than ``upper_months`` completed months is
        in the input: always for a full extract; for a list, when its window reaches that far."""
        if not self.started_only or self.first_day is None:
            return True
        if upper_months is None:
            return False
        day_before = pd.Series([self.first_day - pd.Timedelta(days=1)])
        return int(metrics.completed_months(day_before, day).iloc[0]) >= upper_months

    @property
    def sentence_name(self) -> str:
        return self.name[:1].upper() + self.name[1:]

    def day_reason(self, day: object) -> str:
        day, name = metrics.as_timestamp(day), self.sentence_name
        if self.first_day is not None and day < self.first_day:
            return f"{name} starts on {long_date(self.first_day)}, after {long_date(day)}."
        return f"{name} was taken on {long_date(self.last_day)}, before {long_date(day)}."

    def month_reason(self, month: object) -> str:
        month, name = metrics.as_month(month), self.sentence_name
        if self.first_day is not None and month.start_time < self.first_day:
            return (
                f"{name} starts on {long_date(self.first_day)}: a month that begins before "
                "then is not wholly in it."
            )
        return (
            f"{name} was taken on {long_date(self.last_day)}: a month that begins after then "
            "is not in it."
        )

    def span_reason(self, months: pd.PeriodIndex, what: str) -> str:
        """Why a figure over ``months`` (a year to date, a financial year) is not known."""
        early = [m for m in months if not self.covers_month(m)]
        return f"{what.capitalize()} needs {early[0]:%B %Y}. " + self.month_reason(early[0])

    def band_reason(self) -> str:
        return (
            f"{self.sentence_name} holds only the work started from {long_date(self.first_day)}: "
            "a case open since before then is not in it, so it cannot say how many have been "
            "open longer."
        )

    @property
    def population(self) -> str:
        """Who a count from a list counts, for captions and sentences ("" for a full extract)."""
        if not self.started_only or self.first_day is None:
            return ""
        return f"started from {long_date(self.first_day)}"

    def words(self) -> str:
        """The span, for the page: "The extract covers 6 March 2009 (its first record) to ..."."""
        if self.first_day is None or self.last_day is None:
            return ""
        what = "its earliest assessment" if self.started_only else "its first record"
        return (
            f"{self.sentence_name} covers {long_date(self.first_day)} ({what}) to "
            f"{long_date(self.last_day)} ({self.last_day_known_by})."
        )

    def record(self) -> dict:
        """The coverage as the run log and each notebook's metadata record it (ISO dates)."""

        def iso(day: pd.Timestamp | None) -> str | None:
            return None if day is None else day.date().isoformat()

        return {
            "first_day": iso(self.first_day),
            "last_day": iso(self.last_day),
            "started_only": self.started_only,
            "name": self.name,
            "files": {f.file: [iso(f.first_day), iso(f.last_day)] for f in self.files},
            BUDGET_YEAR_KEY: self.budget_financial_year,
            "last_day_known_by": self.last_day_known_by,
        }

    @classmethod
    def from_record(cls, record: dict | None) -> Coverage:
        if not record:
            return cls()

        def day(text: str | None) -> pd.Timestamp | None:
            return None if not text else pd.Timestamp(text)

        return cls(
            first_day=day(record.get("first_day")),
            last_day=day(record.get("last_day")),
            started_only=bool(record.get("started_only")),
            name=str(record.get("name") or "the extract"),
            files=tuple(
                FileCoverage(name, day(first), day(last))
                for name, (first, last) in (record.get("files") or {}).items()
            ),
            budget_financial_year=record.get(BUDGET_YEAR_KEY),
            last_day_known_by=str(record.get("last_day_known_by") or "the day it was taken"),
        )


def _earliest(*columns: pd.Series) -> pd.Timestamp | None:
    found = (
        pd.concat([c for c in columns if len(c)]).min() if any(len(c) for c in columns) else None
    )
    return None if found is None or pd.isna(found) else pd.Timestamp(found).normalize()


def coverage_of(extract: Extract) -> Coverage:
    """The days ``extract`` covers, file by file, and whether it holds every open case."""
    last = pd.Timestamp(extract.taken_on) if extract.taken_on else None
    episodes = extract.episodes
    first = _earliest(episodes["start_date"])
    files = [
        FileCoverage("CAF episodes", first, last),
        FileCoverage("CAF refusals", _earliest(extract.refusals["refusal_date"]), last),
        FileCoverage(
            "Strengthening Families list", _earliest(extract.families["identified_date"]), last
        ),
    ]
    started_only = extract.covers_from is not None
    return Coverage(
        first_day=first,
        last_day=last,
        started_only=started_only,
        name="the early help list" if started_only else "the extract",
        files=tuple(f for f in files if f.first_day is not None),
        budget_financial_year=budget_financial_year(extract),
        last_day_known_by=(
            "the day its files were last written: it records no date"
            if extract.taken_how == TAKEN_INFERRED
            else "the day it was taken"
        ),
    )


# --------------------------------------------------------------------------- the budget's year


def _manifest(extract: Extract) -> dict:
    """The extract's manifest, when it describes this extract (its checksum matches)."""
    source = Path(extract.source)
    path = source / SYNTHETIC_MANIFEST if source.is_dir() else source.parent / SYNTHETIC_MANIFEST
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(recorded, dict) or recorded.get("sha256") != extract.sha256:
        return {}
    return recorded


def budget_financial_year(extract: Extract) -> str | None:
    """The financial year of the budget lines, where the extract's manifest records it."""
    value = _manifest(extract).get(BUDGET_YEAR_KEY)
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = FINANCIAL_YEAR.match(text)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise CoverageError(
            f"{Path(extract.source).name}: {SYNTHETIC_MANIFEST} gives {BUDGET_YEAR_KEY} as "
            f"{text!r}: write the financial year as the reports do, for example 2015/16."
        )
    return text


#: The heading of a budget whose financial year the extract does not record.
UNDATED_BUDGET = (
    "Budget forecast, undated: the extract does not record which financial year its budget is for"
)


def budget_year_problem(coverage: Coverage, month: object) -> str | None:
    """Why the budget cannot be shown for ``month``: its lines are for another financial year."""
    year = coverage.budget_financial_year
    asked = metrics.financial_year_label(metrics.as_month(month))
    if year is None or year == asked:
        return None
    return (
        f"The budget in the extract is for {year}, but {metrics.as_month(month):%B %Y} is in "
        f"{asked}: choose a month of {year} for the budget, or supply the budget of {asked}."
    )


# --------------------------------------------------------------------------- the report period


def period_problem(coverage: Coverage, first: object, last: object) -> str | None:
    """Why a period from ``first`` to ``last`` cannot be reported from the input, or None.

    A period that ends before the first record, or starts after the month the input was taken
    in, has no figure the input can give: every one would print as zero.
    """
    first, last = metrics.as_timestamp(first), metrics.as_timestamp(last)
    if coverage.first_day is not None and last < coverage.first_day:
        return (
            f"{coverage.sentence_name} covers {long_date(coverage.first_day)} to "
            f"{long_date(coverage.last_day)}, and the period ends on {long_date(last)}, before "
            f"its first record: every figure would be missing, not zero. Choose a period that "
            f"ends on or after {long_date(coverage.first_day)}, or supply an extract that "
            "reaches back that far."
        )
    if coverage.known_until is not None and first > coverage.known_until:
        return (
            f"{coverage.sentence_name} covers {long_date(coverage.first_day)} to "
            f"{long_date(coverage.last_day)}, and the period starts on {long_date(first)}, after "
            f"it was taken: choose a period that ends by {long_date(coverage.last_day)}, or "
            "supply a later extract."
        )
    return None


def _active_months(extract: Extract) -> set[pd.Period]:
    """The months in which a case started or ended, or a refusal was recorded."""
    episodes = extract.episodes
    dates = [episodes["start_date"], episodes["end_date"], extract.refusals["refusal_date"]]
    return {m for column in dates for m in metrics.month_of(column.dropna())}


def months_without_activity(extract: Extract) -> list[str]:
    """The months the input covers (from its first record to the day it was taken) in which
    nothing at all was recorded, as ``YYYY-MM``."""
    coverage = coverage_of(extract)
    if coverage.first_day is None or coverage.last_day is None:
        return []
    active = _active_months(extract)
    span = pd.period_range(coverage.first_day, coverage.last_day, freq="M")
    return [str(m) for m in span if m not in active and coverage.covers_month(m)]


def no_activity_sentence(extract: Extract, month: object) -> str | None:
    """A note for a month inside the input in which nothing was recorded at all; else None."""
    month = metrics.as_month(month)
    coverage = coverage_of(extract)
    if not coverage.covers_month(month) or month in _active_months(extract):
        return None
    return nothing_recorded(month, coverage)


def nothing_recorded(month: object, coverage: Coverage) -> str:
    """What a page and the run say of a month the input covers in which nothing was recorded."""
    return (
        f"Nothing was recorded in {metrics.as_month(month):%B %Y}: no case started or ended, and "
        f"no refusal was recorded, though {coverage.name} covers the month. Its counts are zero "
        "because nothing was recorded; check that the extract is complete."
    )
