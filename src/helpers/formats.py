"""How the reports write numbers, percentages, dates and months, and how they round: once.

Floor 0: imports nothing from ``helpers``, so every module may use it. A value that is already
text (the suppression mark of a published report, ``"[c]"``) is written as it is: a figure that
disclosure control hid never reaches a number format.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def number(value: object) -> str:
    """A count as the reports print it: ``1,887`` (text, such as the mark, as it is)."""
    return value if isinstance(value, str) else f"{int(value):,}"


def percent(value: object) -> str:
    """A percentage to one decimal place: ``25.0%`` (text, such as the mark, as it is); ``n/a``
    for a share of nothing (no CAF closed, none open)."""
    if isinstance(value, str):
        return value
    return "n/a" if is_not_available(value) else f"{float(value):.1f}%"


def is_not_available(value: object) -> bool:
    """A figure with nothing to compute it from (a share of no CAFs), not a hidden one."""
    return not isinstance(value, str) and (value is None or bool(pd.isna(value)))


def whole_number(value: object) -> str:
    """An amount rounded to a whole number with separators: ``12,345`` (money, averages)."""
    return value if isinstance(value, str) else f"{float(value):,.0f}"


def long_date(day: object) -> str:
    """A date as the reports write it in sentences and titles: ``1 April 2015``."""
    day = pd.Timestamp(day)
    return f"{day.day} {day:%B %Y}"


def table_date(day: object) -> str:
    """A date in a table cell: ``01 Apr 2015``."""
    return pd.Timestamp(day).strftime("%d %b %Y")


def month_label(month: pd.Period) -> str:
    """A month as the dashboard prints it: ``Sep-14``."""
    return month.strftime("%b-%y")


def pct(numerator: int | pd.Series, denominator: int | pd.Series) -> float | pd.Series:
    """A percentage to one decimal place, rounded half up from the exact counts.

    Integer arithmetic, so that 0.05 boundaries round the way a person rounds them and a
    percentage is never built from rounded parts. A zero denominator gives NaN.
    """
    num = np.asarray(numerator, dtype="int64")
    den = np.asarray(denominator, dtype="int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        tenths = np.where(den > 0, (2000 * num + den) // np.where(den > 0, 2 * den, 1), 0)
        result = np.where(den > 0, tenths / 10.0, np.nan)
    if isinstance(numerator, pd.Series):
        return pd.Series(result, index=numerator.index, name=numerator.name)
    if isinstance(denominator, pd.Series):
        return pd.Series(result, index=denominator.index)
    return float(result)


def round_half_up(value: float, decimals: int) -> float:
    """``value`` to ``decimals`` places, halves away from zero, as the printed reports round.

    Python's ``round`` rounds halves to even (``round(0.125, 2) == 0.12``); a printed figure of
    0.13 was rounded by a person. The small allowance absorbs binary representation error (a
    computed 12.45 held as 12.4499999...).
    """
    scale = 10**decimals
    if value >= 0:
        return int(value * scale + 0.5 + 1e-9) / scale
    return -int(-value * scale + 0.5 + 1e-9) / scale


#: The extract's files as readers know them (a page never names a file).
FILE_WORDS = {
    "caf_episodes": "CAF episodes",
    "caf_refusals": "CAF refusals",
    "families": "Strengthening Families list",
    "budget": "budget",
}
_READER_WORDS = (
    (re.compile(r"tables/data_quality\.csv"), "the data-quality table"),
    (re.compile(r"tables/data_quality_notes\.csv"), "the data-quality notes"),
    (re.compile(r"--allow-invalid"), "leaving invalid rows out"),
    (re.compile(r"--strict"), "strict mode"),
    (re.compile(r"--publish"), "publishing"),
    (re.compile(r"config/annex_a\.yaml"), "the council's settings"),
    (re.compile(r"\b(\w+)\.(?:csv|xlsx)\b"), lambda m: f"the {FILE_WORDS.get(m[1], m[1])} file"),
    (re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])"), " "),
)


def reader_words(text: str) -> str:
    """A message written for analysts (file, option and column names) in a reader's words.

    The run log and the console keep the analyst's wording; a page shows this one.
    """
    for pattern, words in _READER_WORDS:
        text = pattern.sub(words, text)
    return text
