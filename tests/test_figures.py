"""Each report's figures under disclosure control: the synthetic extract, and variants."""

from __future__ import annotations

import pandas as pd
import pytest
from sdc_oracle import RULES, recoverable

from helpers import families as sf
from helpers import formats, report, tables
from helpers.disclosure import audit, is_suppressed, suppression_note
from helpers.extract import load_report_extract
from helpers.figures import (
    families_figures,
    lead_agency_figures,
    outcomes_figures,
    outcomes_grid,
    time_open_figures,
)

MARK = "[c]"


@pytest.fixture(scope="module")
def extract():
    return load_report_extract("")


def _shown_small(table: pd.DataFrame, columns: list[str]) -> list:
    return [v for c in columns for v in table[c] if not is_suppressed(v) and RULES.is_small(int(v))]


def _assert_safe(figures) -> None:
    assert audit(figures.counts, figures.hidden) == []
    assert recoverable(figures.counts, set(figures.hidden)) == []
    shown = [k for k in figures.counts.values if k not in figures.hidden]
    printed_small = [
        k for k in shown if figures.counts.printed[k] and RULES.is_small(figures.counts.values[k])
    ]
    assert printed_small == []


def _same_where_shown(masked: pd.DataFrame, plain: pd.DataFrame, column: str) -> None:
    for m, p in zip(masked[column], plain[column], strict=True):
        assert is_suppressed(m) or m == p


# --------------------------------------------------------------------------- without --publish


def test_unpublished_figures_are_the_sections_own(extract):
    figures = lead_agency_figures(extract.episodes, extract.refusals, "2015-08-31", "2015-09-30")
    pd.testing.assert_frame_equal(
        figures.open_table, tables.open_by_lead_agency(extract.episodes, "2015-08-31")
    )
    assert figures.hidden == frozenset() and figures.total == 1887
    outcomes = outcomes_figures(extract.episodes, "2015-09", 13)
    pd.testing.assert_frame_equal(outcomes.benchmark, tables.benchmark(extract.episodes, "2015-09"))
    bands = time_open_figures(extract.episodes, "2016-01-11")
    assert (bands.total, bands.year_or_more) == (985, 97 + 67)
    fam = families_figures(extract.episodes, extract.families, "2015-08-31", "2015-09-30")
    pd.testing.assert_frame_equal(fam.attached, sf.attachments(extract.families, "2015-09-30"))


# --------------------------------------------------------------------------- the synthetic extract


def test_outcomes_published_hide_every_small_count_and_nothing_is_recoverable(extract):
    plain = outcomes_figures(extract.episodes, "2015-09", 13)
    figures = outcomes_figures(extract.episodes, "2015-09", 13, publish=True)
    by_month = figures.by_month
    assert _shown_small(by_month, ["episodes"]) == []
    small = plain.by_month["episodes"].between(1, 4)
    assert small.any()  # the synthetic extract has small counts to protect
    assert by_month.loc[small, "episodes"].map(is_suppressed).all()
    secondary = by_month["episodes"].map(is_suppressed) & ~small
    assert secondary.any()
    _same_where_shown(by_month, plain.by_month, "episodes")
    _assert_safe(figures)
    grid = outcomes_grid(figures)
    assert (grid.drop(columns="CAF outcomes") == MARK).sum().sum() == by_month["episodes"].map(
        is_suppressed
    ).sum()


def test_percentages_built_on_a_hidden_count_are_hidden(extract):
    figures = outcomes_figures(extract.episodes, "2015-09", 13, publish=True)
    cells = figures.by_month.set_index(["month", "closure_reason"])["episodes"]
    rates = figures.rates.set_index("month")
    for month in figures.months:
        nfa = cells[(month, "Action Plan completed NFA")]
        shown_rate = rates.at[month, "pct_action_plan_completed_nfa"]
        assert is_suppressed(shown_rate) == is_suppressed(nfa)


def test_the_other_synthetic_reports_need_no_suppression_and_stay_safe(extract):
    for figures in (
        lead_agency_figures(
            extract.episodes, extract.refusals, "2015-08-31", "2015-09-30", publish=True
        ),
        time_open_figures(extract.episodes, "2016-01-11", publish=True),
        families_figures(
            extract.episodes, extract.families, "2015-08-31", "2015-09-30", publish=True
        ),
    ):
        _assert_safe(figures)


# ------------------------------------------------------------------ variants with small counts


def _leave_open(episodes: pd.DataFrame, agency: str, keep: int, day: str) -> pd.DataFrame:
    """Close all but ``keep`` of an agency's episodes open on ``day``, the day before it."""
    day = pd.Timestamp(day)
    open_now = (
        (episodes["lead_agency"] == agency)
        & (episodes["start_date"] < day)
        & (episodes["end_date"].isna() | (episodes["end_date"] > day))
    )
    to_close = episodes.index[open_now][keep:]
    out = episodes.copy()
    out.loc[to_close, "end_date"] = day - pd.Timedelta(days=1)
    out.loc[to_close, "closure_reason"] = "Action Plan completed NFA"
    return out


def test_a_small_agency_hides_with_the_next_smallest_outside_the_la(extract):
    episodes = _leave_open(extract.episodes, "Education", 3, "2015-08-31")
    figures = lead_agency_figures(
        episodes, extract.refusals, "2015-08-31", "2015-09-30", publish=True
    )
    shown = figures.open_table.set_index("lead_agency")
    assert shown.at["Education", "episodes"] == MARK and shown.at["Education", "pct"] == MARK
    assert shown.at["Health", "episodes"] == MARK  # 87: the smallest other non-LA agency
    assert shown.at["School", "episodes"] == 376
    assert not figures.held["episodes"].map(is_suppressed).any()  # totals still printed
    _assert_safe(figures)


def test_a_small_month_of_refusals_hides_the_earlier_year_to_date(extract):
    refusals = extract.refusals
    september = refusals["refusal_date"].between("2015-09-01", "2015-09-30")
    keep = refusals[~september | (september.cumsum() <= 2)]
    figures = lead_agency_figures(extract.episodes, keep, "2015-08-31", "2015-09-30", publish=True)
    assert list(figures.refusals["refusals_ytd"]) == [MARK, 209]
    _assert_safe(figures)


def test_a_small_band_hides_its_partner_and_the_year_or_more_sum(extract):
    episodes = extract.episodes
    day = pd.Timestamp("2016-01-11")
    long_open = (
        (episodes["lead_agency"] == "Children & Families First")
        & (episodes["start_date"] <= day - pd.DateOffset(months=18))
        & (episodes["end_date"].isna() | (episodes["end_date"] > day))
    )
    closed = episodes.copy()
    close = closed.index[long_open][2:]
    closed.loc[close, "end_date"] = day - pd.Timedelta(days=1)
    closed.loc[close, "closure_reason"] = "Action Plan completed NFA"
    figures = time_open_figures(closed, day, publish=True)
    bands = figures.bands.set_index("band")
    assert bands.at["18+ Months", "episodes"] == MARK
    assert bands.at["12-18 Months", "episodes"] == MARK  # else 'a year or more' gives it away
    assert figures.year_or_more == 99 and figures.pct_year_or_more != MARK
    _assert_safe(figures)


# --------------------------------------------------------------------------- presentation


def test_sentences_and_badges_print_the_mark_not_a_value():
    from helpers.plotting import indicator_badge_html
    from helpers.rag import gap_to_target, indicator

    assert formats.number(1887) == "1,887" and formats.number(MARK) == MARK
    assert formats.percent(25.0) == "25.0%" and formats.percent(MARK) == MARK
    ind = indicator("1.2")
    assert gap_to_target(66.5, ind) == " (3.5 points below it)"
    assert gap_to_target(MARK, ind) == ""
    badge = indicator_badge_html(ind, MARK, 64.6)
    assert "Not published" in badge and MARK in badge and "Amber" not in badge
    assert "no earlier figure" in indicator_badge_html(ind, 66.5, MARK)


def test_a_table_with_the_mark_keeps_numbers_formatted_and_explains_the_mark():
    table = pd.DataFrame(
        {"reason": ["a", "b", "c"], "episodes": [1234, MARK, 7], "pct": [50.0, MARK, 0.3]},
    ).astype({"episodes": object, "pct": object})
    html = report.table_html(table, "t").data
    assert "1,234" in html and "50.0%" in html and MARK in html
    assert suppression_note() in html
    plain = report.table_html(table.iloc[[0, 2]].astype({"episodes": "int64"}), "t").data
    assert suppression_note() not in plain
