"""Ofsted Annex A workbooks nobody calibrated: a seeded generator, and a hypothesis strategy.

The committed example is one workbook, made from the synthetic extract; councils' own lists
differ in every way it does not: ids that are numbers, or blank; ``Age`` or ``Age of Child
(Years)``, whole or with decimals; dates of birth left blank; ``Gender`` or (from 2026) ``Sex``;
organisations that no lead-agency group holds; one row, or none; title rows above the header;
dates as Excel dates or as ``dd/mm/yyyy`` text; assessments completed, or none yet.

A :class:`ListShape` says which of those a workbook has; :func:`write_workbook` makes it with
openpyxl, its file dated the day the list was taken (a workbook records no date of its own,
so the reader takes the day its file was written). Rows are valid (a date of birth before the
assessment started, each child once) except where a shape asks for what the reader must refuse
(blank ids, no rows): :attr:`ListShape.refused` says so, and the test then expects a sentence.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from helpers.annex_a import annex_a_settings

#: Organisations in no lead-agency group of config/annex_a.yaml (they are shown as recorded).
UNGROUPED = ("Positive Youth Foundation", "Community Link Team", "Brightstart CIC")
SEXES = ("Male", "Female", "Not stated/recorded")
ETHNICITIES = ("WBRI", "WOTH", "MWBC", "APKN", "BAFR", "CHNE", "REFU", "NOBT")


@dataclass(frozen=True)
class ListShape:
    """What a generated List 2 holds; every field is one way councils' lists differ."""

    seed: int = 0
    first_day: dt.date = dt.date(2020, 3, 16)  # the earliest assessment start
    days: int = 180  # the span of the start dates
    rows: int = 40
    completed_share: float = 0.4  # 0: no assessment completed yet
    ids: str = "numeric"  # "numeric", "text" or "blank"
    age_header: str = "Age of Child (Years)"  # or "Age"
    decimal_ages: bool = False
    dob_blank_share: float = 0.0
    sex_header: str = "Gender"  # or "Sex" (the 2026 template)
    ungrouped_share: float = 0.0
    title_rows: int = 0
    text_dates: bool = False  # dd/mm/yyyy text rather than Excel dates
    #: Days after the last start that the list was taken (its file's date).
    taken_after: int = 14

    @property
    def last_start(self) -> dt.date:
        return self.first_day + dt.timedelta(days=max(self.days, 0))

    @property
    def taken(self) -> dt.date:
        return self.last_start + dt.timedelta(days=self.taken_after)

    @property
    def refused(self) -> bool:
        """Whether the reader must refuse the workbook (with a sentence) rather than read it."""
        return self.rows == 0 or self.ids == "blank"


def _organisations() -> list[str]:
    """One organisation per lead-agency group, named by a word of its group."""
    return [words[0].title() + " Team" for _, words in annex_a_settings().groups]


def list_rows(shape: ListShape) -> list[dict[str, object]]:
    """The assessments of ``shape``, as the cells of List 2 (dates as ``datetime.date``)."""
    rng = random.Random(shape.seed)
    grouped = _organisations()
    rows = []
    for i in range(shape.rows):
        start = (
            shape.first_day
            if i == 0
            else (shape.first_day + dt.timedelta(days=rng.randint(0, max(shape.days, 0))))
        )
        end = None
        if rng.random() < shape.completed_share:
            end = min(start + dt.timedelta(days=rng.randint(0, 120)), shape.taken)
        years = rng.randint(0, 17) + (round(rng.random() * 0.9, 1) if shape.decimal_ages else 0)
        birth = start - dt.timedelta(days=int(years * 365.25) + rng.randint(1, 300))
        ungrouped = rng.random() < shape.ungrouped_share
        rows.append(
            {
                "id": {"numeric": 100000 + i, "text": f"CH{i:05d}", "blank": None}[shape.ids],
                "sex": rng.choice(SEXES),
                "ethnicity": rng.choice(ETHNICITIES),
                "birth": None if rng.random() < shape.dob_blank_share else birth,
                "age": years,
                "start": start,
                "end": end,
                "organisation": rng.choice(UNGROUPED if ungrouped else grouped),
            }
        )
    return rows


def _cell(value: object, text_dates: bool) -> object:
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}" if text_dates else dt.datetime.combine(value, dt.time())
    return value


def write_workbook(shape: ListShape, path: Path) -> Path:
    """The Annex A workbook of ``shape`` (List 2 and a List 1 beside it), dated ``taken``."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "List 1"
    workbook["List 1"].append(["Child Unique ID", "Referral date"])
    sheet = workbook.create_sheet("List 2")
    for n in range(shape.title_rows):
        sheet.append([f"Annex A - List 2: Early help ({n + 1})"])
    sheet.append(
        [
            "Child Unique ID",
            shape.sex_header,
            "Ethnicity",
            "Date of Birth",
            shape.age_header,
            "Assessment start date",
            "Assessment completion date",
            "Organisation completing assessment",
        ]
    )
    for row in list_rows(shape):
        sheet.append([_cell(row[k], shape.text_dates) for k in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    taken = dt.datetime.combine(shape.taken, dt.time(12)).timestamp()
    os.utime(path, (taken, taken))
    return path


@st.composite
def list_shapes(draw: st.DrawFn, valid: bool = False) -> ListShape:
    """Lists of any mix of the ways councils' lists differ (``valid``: none the reader refuses)."""
    return ListShape(
        seed=draw(st.integers(0, 2**32 - 1)),
        first_day=draw(st.dates(dt.date(2014, 1, 1), dt.date(2024, 12, 31))),
        days=draw(st.sampled_from([0, 2, 45, 180, 200])),
        rows=draw(st.sampled_from([1, 1, 5, 40, 120] if valid else [0, 1, 5, 40, 120])),
        completed_share=draw(st.sampled_from([0.0, 0.3, 1.0])),
        ids=draw(st.sampled_from(["numeric", "text"] if valid else ["numeric", "text", "blank"])),
        age_header=draw(st.sampled_from(["Age", "Age of Child (Years)"])),
        decimal_ages=draw(st.booleans()),
        dob_blank_share=draw(st.sampled_from([0.0, 0.2, 1.0])),
        sex_header=draw(st.sampled_from(["Gender", "Sex"])),
        ungrouped_share=draw(st.sampled_from([0.0, 0.1, 1.0])),
        title_rows=draw(st.integers(0, 2)),
        text_dates=draw(st.booleans()),
        taken_after=draw(st.sampled_from([0, 3, 14, 40])),
    )
