"""Valid extracts nobody calibrated: a seeded generator, and a hypothesis strategy that drives it.

The committed synthetic extract was tuned until every figure came out as printed, so it hides
any fault that only shows on other data. These extracts are small, always pass validation, and
carry the awkward cases a council's own export has: empty months, categories with no rows, an
agency with a single open episode, families with no episode, episodes whose family has no row
in the families list, families meeting no criterion, episodes opening and closing on the report
date, blank LSOAs and LSOAs outside the authority, a financial year boundary inside the window,
no refusals at all, and a budget of one line.

A :class:`Shape` says which of those cases an extract has; :func:`generate` turns a shape into
the four tables (as the strings a CSV export holds); :func:`write` saves them as an extract
folder. :func:`shapes` is the hypothesis strategy.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from helpers.config import categories
from helpers.extract import CONTRACT

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES = PROJECT_ROOT / "data" / "external" / "lsoa11_coventry_bsc.geojson"
HEADERS = {name: [spec.name for spec in specs] for name, specs in CONTRACT.items()}
#: English LSOA codes that exist but lie outside Coventry (Warwickshire, Solihull).
OUTSIDE_LSOAS = ("E01031090", "E01010134", "E01031201")

Tables = dict[str, list[list[str]]]


def authority_lsoas() -> list[str]:
    features = json.loads(BOUNDARIES.read_text(encoding="utf-8"))["features"]
    return sorted(feature["properties"]["lsoa11cd"] for feature in features)


@dataclass(frozen=True)
class Shape:
    """What a generated extract holds. Every field is one awkward case, on or off, or a size."""

    seed: int = 0
    first_day: dt.date = dt.date(2014, 1, 1)  # the earliest start date
    months: int = 24  # how many months of activity, up to the extract's date
    episodes: int = 200
    #: Lead agencies with any episode (a subset: the others have no rows at all).
    agencies: tuple[str, ...] = ()
    #: A lead agency whose only episode is open on ``report_day``.
    single_open_agency: str | None = None
    #: Months (as offsets from ``first_day``) in which no episode starts or ends.
    empty_months: tuple[int, ...] = ()
    #: Share of episode families that have a row in the families list (0: none do).
    families_listed: float = 1.0
    families_without_episode: int = 0
    families_meeting_none: int = 0
    #: Episodes that start, and others that start and end, on ``report_day``.
    on_report_day: int = 0
    blank_lsoa_share: float = 0.0
    outside_lsoa_share: float = 0.0
    refusals: int = 30
    budget_lines: int = 4
    report_day: dt.date = dt.date(2015, 6, 30)  # a date the tests report on; inside the span
    closure_reasons: tuple[str, ...] = field(default=())

    @property
    def last_day(self) -> dt.date:
        """The extract's date: the last day of its last month."""
        year, month = divmod(self.first_day.month - 1 + self.months, 12)
        return dt.date(self.first_day.year + year, month + 1, 1) - dt.timedelta(days=1)


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _month_offset(shape: Shape, day: dt.date) -> int:
    return (day.year - shape.first_day.year) * 12 + day.month - shape.first_day.month


def _avoid_empty_months(shape: Shape, rng: random.Random, day: dt.date, latest: dt.date) -> dt.date:
    """Move ``day`` forward out of the months meant to be empty (or to ``latest``)."""
    while _month_offset(shape, day) in shape.empty_months and day < latest:
        day = min(day + dt.timedelta(days=rng.randint(20, 40)), latest)
    return day


def generate(shape: Shape) -> Tables:
    """The four files of a valid extract with the cases ``shape`` names, as CSV cells."""
    cats = categories()
    rng = random.Random(shape.seed)
    agencies = list(shape.agencies or cats.lead_agencies)
    reasons = list(shape.closure_reasons or cats.closure_reasons)
    lsoas = authority_lsoas()
    last = shape.last_day
    report_day = min(max(shape.report_day, shape.first_day), last)

    def lsoa() -> str:
        draw = rng.random()
        if draw < shape.blank_lsoa_share:
            return ""
        if draw < shape.blank_lsoa_share + shape.outside_lsoa_share:
            return rng.choice(OUTSIDE_LSOAS)
        return rng.choice(lsoas)

    episodes: list[list[str]] = []
    family_of_child: dict[str, str] = {}
    home_of_family: dict[str, str] = {}

    def add_episode(agency: str, start: dt.date, end: dt.date | None) -> None:
        n = len(episodes) + 1
        child = f"C{rng.randint(1, max(shape.episodes, 1)):05d}"
        new_family = f"F{rng.randint(1, max(shape.episodes // 2, 1)):05d}"
        family = family_of_child.setdefault(child, new_family)
        home = home_of_family.setdefault(family, lsoa())
        level = 3 if agency == cats.children_and_families_first and rng.random() < 0.8 else 2
        episodes.append(
            [
                f"E{n:06d}",
                child,
                family,
                agency,
                str(level if rng.random() < 0.9 else 5 - level),
                start.isoformat(),
                "" if end is None else end.isoformat(),
                "" if end is None else rng.choice(reasons),
                home,
            ]
        )

    ordinary = [a for a in agencies if a != shape.single_open_agency]
    for _ in range(shape.episodes if ordinary else 0):
        start = _avoid_empty_months(shape, rng, _day_in(rng, shape.first_day, last), last)
        kind = rng.random()
        if kind < 0.3:
            end = None
        elif kind < 0.35:
            end = start  # opened and closed the same day
        else:
            end = start + dt.timedelta(days=int(rng.expovariate(1 / 150)))
            end = _avoid_empty_months(shape, rng, end, last)
            end = None if end > last else end
        if end is not None and _month_offset(shape, end) in shape.empty_months:
            end = None
        if _month_offset(shape, start) in shape.empty_months:
            continue
        add_episode(rng.choice(ordinary), start, end)
    if shape.single_open_agency:
        add_episode(shape.single_open_agency, _day_in(rng, shape.first_day, report_day), None)
    for i in range(shape.on_report_day):
        add_episode(rng.choice(agencies), report_day, report_day if i % 2 else None)
    if not episodes:  # every start fell in an empty month: an extract needs one episode
        add_episode(agencies[0], report_day, None)

    criteria = list(cats.criteria_columns)
    family_ids = sorted({row[2] for row in episodes})
    listed = [f for f in family_ids if rng.random() < shape.families_listed]
    listed += [f"G{i + 1:05d}" for i in range(shape.families_without_episode)]
    families: list[list[str]] = []
    for i, family in enumerate(listed):
        identified = _day_in(rng, shape.first_day, last)
        if i < shape.families_meeting_none:
            problems = [False] * len(criteria)
        else:
            problems = [rng.random() < 0.4 for _ in criteria]
        phase, attached, claimed = "", "", ""
        if rng.random() < 0.3:
            phase = rng.choice(["1", "2"])
            attached_day = _day_in(rng, shape.first_day, last)
            attached = attached_day.isoformat()
            if rng.random() < 0.4 and attached_day < last:
                claimed = _day_in(rng, attached_day + dt.timedelta(days=1), last).isoformat()
        families.append(
            [
                family,
                identified.isoformat(),
                *("true" if p else "false" for p in problems),
                phase,
                attached,
                claimed,
            ]
        )

    refusals = [
        [
            f"R{i + 1:05d}",
            _avoid_empty_months(shape, rng, _day_in(rng, shape.first_day, last), last).isoformat(),
            rng.choice(cats.refused_by),
            rng.choice(agencies),
        ]
        for i in range(shape.refusals)
    ]
    budget = []
    for i in range(shape.budget_lines):
        spend = rng.randint(0, 2_000_000)
        income = -rng.randint(0, spend) if rng.random() < 0.7 else 0
        budget.append([f"Budget line {i + 1}", str(spend), str(income)])
    return {
        "caf_episodes": episodes,
        "caf_refusals": refusals,
        "families": families,
        "budget": budget,
    }


def write(folder: Path, tables: Tables) -> Path:
    """Save ``tables`` as an extract folder of CSV files (UTF-8, ISO dates)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADERS[name])
            writer.writerows(rows)
    return folder


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    """Small extracts with any mix of the awkward cases."""
    cats = categories()
    first_day = draw(st.dates(dt.date(2013, 1, 1), dt.date(2016, 6, 1))).replace(day=1)
    months = draw(st.integers(1, 30))
    shape = Shape(seed=draw(st.integers(0, 2**32 - 1)), first_day=first_day, months=months)
    agencies = draw(
        st.lists(st.sampled_from(cats.lead_agencies), min_size=1, unique=True).map(tuple)
    )
    report_day = draw(st.dates(first_day, shape.last_day))
    return Shape(
        seed=shape.seed,
        first_day=first_day,
        months=months,
        episodes=draw(st.integers(1, 250)),
        agencies=agencies,
        single_open_agency=draw(st.none() | st.sampled_from(agencies)),
        empty_months=tuple(draw(st.sets(st.integers(0, months - 1), max_size=3))),
        families_listed=draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])),
        families_without_episode=draw(st.integers(0, 10)),
        families_meeting_none=draw(st.integers(0, 5)),
        on_report_day=draw(st.integers(0, 4)),
        blank_lsoa_share=draw(st.sampled_from([0.0, 0.1, 1.0])),
        outside_lsoa_share=draw(st.sampled_from([0.0, 0.05])),
        refusals=draw(st.sampled_from([0, 1, 5, 40])),
        budget_lines=draw(st.integers(1, 5)),
        report_day=report_day,
        closure_reasons=draw(
            st.lists(st.sampled_from(cats.closure_reasons), min_size=1, unique=True).map(tuple)
        ),
    )
