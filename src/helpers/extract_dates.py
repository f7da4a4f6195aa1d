"""Reading an extract's dates so that each means one thing.

A date column is read in one format, decided from the whole column: ISO ``YYYY-MM-DD`` (or a
real Excel date), or dates with slashes, day first (UK) unless the council's settings say month
first. A column whose slashed dates only make sense month first, or that mixes two written
formats, stops the run with the formats found and example rows: guessing would change figures
without a word. Dates outside a plausible window (a typing error in the year) are refused by
row; placeholder dates such as ``9999-12-31`` are read as "not ended" in optional columns.

The settings live in ``config/extract.yaml`` (:class:`ExtractSettings`, read by
:func:`helpers.extract.extract_settings`). This module imports nothing else of the package.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

DATE_ORDERS = ("auto", "day-first", "month-first")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
EXCEL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$")  # a real Excel date
SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: An Excel serial number: days since the workbook's day 0 (42248 is 1 September 2015), as a
#: date cell formatted as a number shows it, or as a CSV saved from one writes it. Five digits
#: are the years 1927-2173; a fraction is the time of day, which is dropped like any time.
SERIAL = re.compile(r"^(\d{5})(\.\d+)?$")
#: Day 0 of Excel's 1900 date system (the one Excel for Windows writes).
EXCEL_DAY_0 = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class ExtractSettings:
    date_order: str
    earliest_date: dt.date
    latest_date: dt.date | None  # None: the extract's date
    open_end_dates: frozenset[str]
    allow_invalid_max_left_out_pct: float
    total_row_labels: frozenset[str]
    stale_after_days: int  # warn when the extract's last activity is this long before the end


def settings_from(raw: dict, source: str) -> ExtractSettings:
    """The settings from the parsed ``config/extract.yaml`` (``source`` names it in errors)."""
    order = str(raw.get("date_order") or "auto")
    if order not in DATE_ORDERS:
        raise ValueError(f"{source}: date_order is {order!r}; use one of {', '.join(DATE_ORDERS)}")
    latest = raw.get("latest_date")
    return ExtractSettings(
        date_order=order,
        earliest_date=pd.Timestamp(raw.get("earliest_date") or "2000-01-01").date(),
        latest_date=pd.Timestamp(latest).date() if latest else None,
        open_end_dates=frozenset(str(v).strip() for v in raw.get("open_end_dates") or []),
        allow_invalid_max_left_out_pct=float(raw.get("allow_invalid_max_left_out_pct", 1)),
        total_row_labels=frozenset(
            str(v).strip().lower() for v in raw.get("total_row_labels") or []
        ),
        stale_after_days=int(raw.get("stale_after_days", 14)),
    )


def long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class RowProblems:
    """Rows of a column with one problem: their index, their values as written, the message.

    Grouped by message rather than one object per row, so that a column of two million bad
    dates costs two million integers and strings held by pandas, not millions of objects.
    """

    index: pd.Index
    values: pd.Series
    message: str


@dataclass
class DateColumn:
    """One date column read: the dates, and what was wrong with it."""

    dates: pd.Series  # datetime64[ns], NaT where blank, placeholder or refused
    problem_groups: list[RowProblems]  # by message
    column_problem: str | None  # the whole column cannot be read: the run stops
    placeholders: int  # placeholder dates read as blank

    @property
    def row_problems(self) -> list[tuple[object, str, str]]:
        """Each row's problem as (index, value as written, message), in row order: for reading
        a few (one object per row: the reader of a large extract takes the groups)."""
        rows = [
            (index, value, group.message)
            for group in self.problem_groups
            for index, value in zip(group.index, group.values, strict=True)
        ]
        return sorted(rows, key=lambda row: row[0])


def _examples(text: pd.Series, mask: pd.Series, n: int = 2) -> str:
    rows = text[mask].head(n)
    return ", ".join(f"row {int(i) + 2}: {value!r}" for i, value in rows.items())


def read_date_column(
    text: pd.Series,
    required: bool,
    settings: ExtractSettings,
    latest: dt.date,
    day_0: dt.date = EXCEL_DAY_0,
) -> DateColumn:
    """Read a column of date cells (strings, stripped; blank = ``""`` or NA).

    ``latest`` is the last plausible date (the extract's date unless the settings name one);
    ``day_0`` the date Excel serial numbers count from (a workbook's date system).
    """
    text = text.astype("string").fillna("").str.strip()
    placeholder = text.isin(settings.open_end_dates) & text.ne("")
    row_problems: list[RowProblems] = []
    if required and placeholder.any():
        row_problems.append(
            RowProblems(
                text.index[placeholder],
                text[placeholder],
                "is a placeholder date, not a real one (the column is required)",
            )
        )
    text = text.mask(placeholder, "")
    # Only well-formed values decide a column's format: "2015-13-01" is a typing error in a row,
    # not a second format.
    iso = text.str.match(ISO) & _real_dates(text, ISO, ((0, 1, 2),))
    excel = text.str.match(EXCEL)
    slashed = text.str.match(SLASHED) & _real_dates(text, SLASHED, ((2, 1, 0), (2, 0, 1)))
    serial = text.str.match(SERIAL)
    empty = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")

    if iso.any() and slashed.any():
        return DateColumn(
            empty,
            [],
            f"mixes two ways of writing dates: YYYY-MM-DD in {int(iso.sum())} row(s) "
            f"({_examples(text, iso)}) and DD/MM/YYYY in {int(slashed.sum())} row(s) "
            f"({_examples(text, slashed)}). Export the column in one format.",
            0,
        )
    parts = _extract(text[slashed], SLASHED).astype("int64")
    first_over_12 = pd.Series(False, index=text.index)
    second_over_12 = pd.Series(False, index=text.index)
    if len(parts):
        first_over_12.loc[parts.index] = parts[0] > 12
        second_over_12.loc[parts.index] = parts[1] > 12
    order = settings.date_order
    if order == "auto":
        if first_over_12.any() and second_over_12.any():
            return DateColumn(
                empty,
                [],
                "has dates that only make sense day first "
                f"({_examples(text, first_over_12)}) and others that only make sense month "
                f"first ({_examples(text, second_over_12)}). Export the column in one format.",
                0,
            )
        if second_over_12.any():
            return DateColumn(
                empty,
                [],
                "has dates that only make sense month first, as a US-format export writes them "
                f"({_examples(text, second_over_12)}). If the whole extract is month first, set "
                "date_order: month-first in the extract settings (config/extract.yaml); "
                "otherwise export the dates as DD/MM/YYYY or YYYY-MM-DD.",
                0,
            )
        order = "day-first"

    year = pd.Series(pd.NA, index=text.index, dtype="Int64")
    month = year.copy()
    day = year.copy()
    for mask, pattern, (y, m, d) in (
        (iso, ISO, (0, 1, 2)),
        (excel, EXCEL, (0, 1, 2)),
        (slashed, SLASHED, (2, 1, 0) if order == "day-first" else (2, 0, 1)),
    ):
        if mask.any():
            found = _extract(text[mask], pattern).iloc[:, :3].astype("int64")
            year.loc[mask] = found[y]
            month.loc[mask] = found[m]
            day.loc[mask] = found[d]
    # Years pandas cannot hold (3015) are refused below with the window, not converted.
    known = year.notna() & year.between(1700, 2200).fillna(False)
    frame = pd.DataFrame({"year": year[known], "month": month[known], "day": day[known]})
    parsed = pd.to_datetime(frame.astype("int64"), errors="coerce") if len(frame) else None
    dates = empty.copy()
    if parsed is not None:
        # Out of pandas' range (a year 3015) is coerced to NaT too; it is refused below.
        dates.loc[known] = parsed.astype("datetime64[ns]")
    if serial.any():  # unambiguous whatever the column's other format: read alongside it
        days = _extract(text[serial], SERIAL)[0].astype("int64")
        dates.loc[serial] = pd.Timestamp(day_0) + pd.to_timedelta(days, unit="D")
    earliest = pd.Timestamp(settings.earliest_date)
    last = pd.Timestamp(latest)
    unread = text[text.ne("") & dates.isna()]
    years = _extract(unread, r"^(\d{4})-\d{1,2}-\d{1,2}|^\d{1,2}/\d{1,2}/(\d{4})$")
    year_written = pd.to_numeric(years[0].fillna(years[1]), errors="coerce")
    # A date whose year falls outside the window is a typing error in the year (3015), which
    # pandas could not even hold: say so, rather than "not a date".
    typo_year = year_written.notna() & ~year_written.between(earliest.year, last.year)
    outside = dates.notna() & ((dates < earliest) | (dates > last))
    outside_message = _outside(settings.earliest_date, latest)
    for rows, message in (
        (unread[~typo_year], "not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        (unread[typo_year], outside_message),
        (text[outside], outside_message),
    ):
        if len(rows):
            row_problems.append(RowProblems(rows.index, rows, message))
    dates = dates.mask(outside)
    return DateColumn(dates, row_problems, None, int(placeholder.sum()) if not required else 0)


#: Rows ``str.extract`` reads at a time: on a whole column of two million dates it held some
#: 800 MB while it ran (an extract where every row is wrong peaked there); in slices, a tenth.
EXTRACT_CHUNK_ROWS = 200_000


def _extract(text: pd.Series, pattern: re.Pattern | str) -> pd.DataFrame:
    """``text.str.extract(pattern)``, a slice of rows at a time (the same result)."""
    if len(text) <= EXTRACT_CHUNK_ROWS:
        return text.str.extract(pattern)
    return pd.concat(
        [
            text.iloc[start : start + EXTRACT_CHUNK_ROWS].str.extract(pattern)
            for start in range(0, len(text), EXTRACT_CHUNK_ROWS)
        ]
    )


def _real_dates(
    text: pd.Series, pattern: re.Pattern, orders: tuple[tuple[int, int, int], ...]
) -> pd.Series:
    """Whether each value is a real calendar date in at least one of ``orders`` (year, month,
    day positions among the pattern's groups)."""
    parts = _extract(text, pattern).iloc[:, :3].apply(pd.to_numeric, errors="coerce")
    real = pd.Series(False, index=text.index)
    for y, m, d in orders:
        frame = pd.DataFrame(
            {"year": parts.iloc[:, y], "month": parts.iloc[:, m], "day": parts.iloc[:, d]}
        )
        plausible = frame.notna().all(axis=1) & frame["year"].between(1700, 2200)
        if plausible.any():
            dates = pd.to_datetime(frame[plausible].astype("int64"), errors="coerce")
            real.loc[plausible] |= dates.notna()
    return real


def _outside(earliest: dt.date, latest: dt.date) -> str:
    return (
        f"is outside the plausible range {long(earliest)} to {long(latest)} "
        "(a typing error in the year?)"
    )
