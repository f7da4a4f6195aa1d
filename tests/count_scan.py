"""Where a page shows a count, and whether any shown is from 1 to 4 (the published promise).

A count position is a table cell under a heading that counts people or their cases (or a month's
cell in a table with months across), a number directly before what it counts in a sentence, and
a label's number in a chart's alternative text. Numbers that are labels (phase 2, quarter 3,
decile 1, 2015/16) are not counts.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pandas as pd

#: Table headings under which every cell is a count of people or their cases.
COUNT_HEADING = re.compile(
    r"^(Count|Open episodes|Episodes|No\. of episodes|Families|Attached|Claimed|CAFs ended|"
    r"Opened|Closed|Open assessments|Assessments.*|Meeting the criteria|Not yet assessed|Assessed)$"
)
#: A number directly before what it counts, in a sentence.
COUNT_IN_WORDS = re.compile(
    r"(?<![\w.,£/-])([1-4]) (more )?(CAFs?|CAF episodes?|episodes?|open episodes?|famil(?:y|ies)|"
    r"refusals?|children|child|cases?|assessments?)\b"
)
#: In alternative text: "Health 87, Education 8": a label, then its count, then , ; or . .
COUNT_IN_ALT = re.compile(r"[A-Za-z)] ([1-4])(?=[,;]|\.(?!\d)|$)")
SMALL = {"1", "2", "3", "4"}
#: Numbers that name something rather than count it.
LABELS = re.compile(
    r"\b(phase|Phase|Qtr|quarter|Quarter|decile|deciles|Level|level|Theme|Appendix|List|"
    r"criterion|Criterion)[ -]\d+\b"
)


def _cells(table: pd.DataFrame):
    first = str(table.columns[0])
    for column in table.columns:
        name = str(column)
        if COUNT_HEADING.match(name):
            yield from ((name, v) for v in table[column].astype(str))
    if first in ("CAF outcomes", "") or first.startswith("Unnamed"):  # months across
        for _, row in table.iterrows():
            label = str(row.iloc[0])
            if label.startswith("%"):
                continue
            for column in table.columns[1:]:
                if not str(column).startswith("%"):
                    yield (f"{label}, {column}", str(row[column]))


def _tables(raw: str) -> list[pd.DataFrame]:
    """Each table of a page as its reader sees it: headings, then cell text (bs4: nbconvert's)."""
    from bs4 import BeautifulSoup

    tables = []
    for element in BeautifulSoup(raw, "html.parser").find_all("table"):
        rows = [
            [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in element.find_all("tr")
        ]
        if len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows):
            tables.append(pd.DataFrame(rows[1:], columns=rows[0]))
    return tables


def small_counts_on_page(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    found = []
    for table in _tables(raw):
        found += [f"table cell {where}: {v}" for where, v in _cells(table) if v.strip() in SMALL]
    text = htmllib.unescape(
        re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[\s\S]*?</\1>", " ", raw))
    )
    text = LABELS.sub(" ", text)
    found += [f"sentence: ...{m.group(0)}..." for m in COUNT_IN_WORDS.finditer(text)]
    for alt in re.findall(r'alt="([^"]*)"', raw):
        alt = LABELS.sub(" ", htmllib.unescape(alt))
        found += [
            f"alt text: ...{alt[max(0, m.start() - 30) : m.end() + 5]}..."
            for m in COUNT_IN_ALT.finditer(alt)
        ]
    return found
