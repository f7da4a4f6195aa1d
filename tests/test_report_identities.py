"""Identities every report must keep on any valid extract, not only the calibrated one.

Each test draws small valid extracts nobody tuned (see ``generated_extracts``), runs every
section's figures, for the analysts and under ``--publish``, on a report month inside the
extract, and checks what a reader takes for granted: nothing raises, parts add to the totals
printed beside them, shares add to 100% within rounding, open at D is opened before D less
closed before D, every open episode is on the map or listed, and under disclosure control no
small count is shown and no hidden one can be worked out.
"""

from __future__ import annotations

import math
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from generated_extracts import Shape, generate, shapes, write
from hypothesis import HealthCheck, Phase, given, settings

from helpers import families as sf
from helpers import figures as protected
from helpers import metrics, reconcile
from helpers.config import categories
from helpers.disclosure import audit, is_suppressed, policy
from helpers.extract import Extract, load_extract
from helpers.reference import load_lsoa_boundaries

CATS = categories()
#: No shrinking: each example runs whole reports, and a failure prints its extract's shape,
#: which :func:`generated_extracts.generate` turns back into the same files.
FAST = [Phase.explicit, Phase.reuse, Phase.generate]
IDENTITY_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    phases=FAST,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def boundaries():
    return load_lsoa_boundaries()


def load(shape: Shape) -> Extract:
    with tempfile.TemporaryDirectory() as folder:
        return load_extract(write(Path(folder) / "extract", generate(shape)))


def report_day(shape: Shape) -> pd.Timestamp:
    """The end of the month holding the shape's report day, as ``--month`` would use."""
    return pd.Period(shape.report_day, freq="M").end_time.normalize()


def counts_of(column: pd.Series) -> list[int]:
    return [int(v) for v in column if not is_suppressed(v)]


def assert_shares_add_to_100(shares: pd.Series) -> None:
    """Percentages rounded to one decimal add to 100 within half a tenth per share."""
    values = [float(v) for v in shares if not is_suppressed(v) and not pd.isna(v)]
    if len(values) == len(shares) and values:
        assert math.isclose(sum(values), 100.0, abs_tol=0.05 * len(values) + 1e-9), values


def assert_nothing_small_shown_or_recoverable(figures) -> None:
    assert audit(figures.counts, figures.hidden) == []
    shown_small = [
        key
        for key, value in figures.counts.values.items()
        if figures.counts.printed[key]
        and key not in figures.hidden
        and policy().is_small(int(value))
    ]
    assert shown_small == []


def open_identity(episodes: pd.DataFrame, day: pd.Timestamp) -> int:
    """Opened on or before D, less closed on or before D."""
    return int((episodes["start_date"] <= day).sum() - (episodes["end_date"] <= day).sum())


# --------------------------------------------------------------------------- 1.1


@IDENTITY_SETTINGS
@given(shape=shapes())
def test_lead_agency_figures_add_up_on_any_extract(shape):
    extract = load(shape)
    day = report_day(shape)
    figures = protected.lead_agency_figures(extract.episodes, extract.refusals, day, day)
    total = figures.total
    assert total == int(metrics.open_at(extract.episodes, day).sum())
    assert total == open_identity(extract.episodes, day)
    assert sum(figures.open_table["episodes"]) == total
    assert sum(figures.held["episodes"]) == total
    assert list(figures.open_table["lead_agency"]) == list(CATS.lead_agencies)
    if total:
        assert_shares_add_to_100(figures.open_table["pct"])
        assert_shares_add_to_100(figures.held["pct"])
    refusals = figures.refusals["refusals_ytd"].tolist()
    assert refusals[-1] == int(
        extract.refusals["refusal_date"]
        .between(metrics.financial_year_start(day), day, inclusive="both")
        .sum()
    )
    published = protected.lead_agency_figures(
        extract.episodes, extract.refusals, day, day, publish=True
    )
    assert_nothing_small_shown_or_recoverable(published)


# --------------------------------------------------------------------------- 1.2


@IDENTITY_SETTINGS
@given(shape=shapes())
def test_outcomes_figures_add_up_on_any_extract(shape):
    extract = load(shape)
    month = pd.Period(shape.report_day, freq="M")
    figures = protected.outcomes_figures(extract.episodes, month, 13)
    closed = figures.opened_closed.set_index("month")["closed"]
    by_month = figures.by_month.groupby("month")["episodes"].sum()
    assert by_month.reindex(closed.index, fill_value=0).tolist() == closed.tolist()
    assert closed.tolist() == metrics.closed_by_month(extract.episodes, figures.months).tolist()
    opened = figures.opened_closed["opened"].tolist()
    assert opened == metrics.opened_by_month(extract.episodes, figures.months).tolist()
    assert sum(figures.ytd["episodes"]) == figures.ytd_total
    year_to_date = metrics.year_to_date_months(month)
    assert figures.ytd_total == int(metrics.closed_by_month(extract.episodes, year_to_date).sum())
    if figures.ytd_total:
        assert_shares_add_to_100(figures.ytd["pct"])


# Protecting every month by reason of three financial years audits hundreds of counts by linear
# programming (seconds an extract): fewer examples, the fixed awkward cases below add more.
@settings(max_examples=6, deadline=None, phases=FAST, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes())
def test_published_outcomes_hide_every_small_count_on_any_extract(shape):
    extract = load(shape)
    month = pd.Period(shape.report_day, freq="M")
    published = protected.outcomes_figures(extract.episodes, month, 13, publish=True)
    assert_nothing_small_shown_or_recoverable(published)


# --------------------------------------------------------------------------- CFF caseload


@IDENTITY_SETTINGS
@given(shape=shapes())
def test_time_open_bands_add_up_on_any_extract(shape):
    extract = load(shape)
    day = report_day(shape)
    cff = CATS.children_and_families_first
    figures = protected.time_open_figures(extract.episodes, day, cff)
    episodes = extract.episodes[extract.episodes["lead_agency"] == cff]
    assert sum(figures.bands["episodes"]) == open_identity(episodes, day)
    if sum(figures.bands["episodes"]):
        assert_shares_add_to_100(figures.bands["pct"])
    published = protected.time_open_figures(extract.episodes, day, cff, publish=True)
    assert_nothing_small_shown_or_recoverable(published)


# --------------------------------------------------------------------------- Strengthening Families


@IDENTITY_SETTINGS
@given(shape=shapes())
def test_strengthening_families_figures_add_up_on_any_extract(shape):
    extract = load(shape)
    day = report_day(shape)
    figures = protected.families_figures(extract.episodes, extract.families, day, day)
    eligibility = figures.eligibility
    assert (eligibility["families"] == eligibility["not_assessed"] + eligibility["assessed"]).all()
    assert (eligibility["meeting_criteria"] <= eligibility["assessed"]).all()
    open_row = eligibility.iloc[0]
    assert open_row["families"] == len(sf.families_open_at(extract.episodes, day))
    by_count = figures.by_count
    assert by_count["families"].sum() == open_row["assessed"]
    meeting = by_count.loc[by_count["meets_criteria"], "families"].sum()
    assert meeting == open_row["meeting_criteria"]
    assert (figures.criteria["families"] <= open_row["meeting_criteria"]).all()
    if open_row["assessed"]:
        assert_shares_add_to_100(by_count["pct"])
    attached = figures.attached["attached"].tolist()
    assert attached[3] >= attached[1] + attached[2]
    published = protected.families_figures(
        extract.episodes, extract.families, day, day, publish=True
    )
    assert_nothing_small_shown_or_recoverable(published)


# --------------------------------------------------------------------------- the map


@IDENTITY_SETTINGS
@given(shape=shapes())
def test_every_open_episode_is_on_the_map_or_listed(shape):
    extract = load(shape)
    day = report_day(shape)
    figures = protected.lsoa_figures(extract.episodes, day, None, boundaries())
    open_now = int(metrics.open_at(extract.episodes, day).sum())
    assert figures.total_open == open_now
    assert figures.placed + figures.unmatched_total == open_now
    assert sum(figures.table["episodes"]) == figures.placed
    assert len(figures.unmatched) == figures.unmatched_total
    assert sum(figures.unmatched_by_reason["episodes"]) == figures.unmatched_total
    published = protected.lsoa_figures(extract.episodes, day, None, boundaries(), publish=True)
    assert_nothing_small_shown_or_recoverable(published)


# --------------------------------------------------------------------------- reconciliation


@cache
def synthetic_reconciliation_rows() -> list[tuple[str, str, str]]:
    from helpers.extract import load_report_extract

    table = reconcile.reconciliation_table(load_report_extract(""))
    return list(zip(table["document"], table["section"], table["figure"], strict=True))


@settings(max_examples=10, deadline=None, phases=FAST, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes())
def test_the_reconciliation_checks_every_printed_figure_on_any_extract(shape):
    extract = load(shape)
    for publish in (False, True):
        table = reconcile.reconciliation_table(extract, publish=publish)
        rows = list(zip(table["document"], table["section"], table["figure"], strict=True))
        assert rows == synthetic_reconciliation_rows()
        assert table["status"].notna().all()


# --------------------------------------------------------------------------- fixed awkward cases


@pytest.mark.parametrize(
    "shape",
    [
        Shape(episodes=1, agencies=("School",), refusals=0, budget_lines=1),
        Shape(families_listed=0.0, families_without_episode=0, refusals=0),
        Shape(on_report_day=4, report_day=pd.Timestamp("2015-06-30").date()),
        Shape(empty_months=tuple(range(0, 24, 2)), blank_lsoa_share=1.0),
        Shape(single_open_agency="Education", agencies=("Education", "Health")),
    ],
    ids=["one-episode", "no-families", "on-report-day", "empty-months", "single-open"],
)
def test_fixed_awkward_extracts_keep_every_identity(shape):
    test_lead_agency_figures_add_up_on_any_extract.hypothesis.inner_test(shape)
    test_outcomes_figures_add_up_on_any_extract.hypothesis.inner_test(shape)
    test_published_outcomes_hide_every_small_count_on_any_extract.hypothesis.inner_test(shape)
    test_time_open_bands_add_up_on_any_extract.hypothesis.inner_test(shape)
    test_strengthening_families_figures_add_up_on_any_extract.hypothesis.inner_test(shape)
    test_every_open_episode_is_on_the_map_or_listed.hypothesis.inner_test(shape)
