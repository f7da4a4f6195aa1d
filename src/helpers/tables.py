"""One function per report table, returning tidy frames (one fact per row, no total rows).

Notebooks, the batch and the golden tests all call these, so a test of a section is a test of
the report. Every figure is built from :mod:`helpers.metrics`.
"""

from __future__ import annotations

import pandas as pd

from helpers import metrics
from helpers.config import Categories, categories

HELD_BY_LA = "Local authority"
HELD_OUTSIDE_LA = "Outside the local authority"
NOT_GROUPED = "Not in a lead-agency group"


def _cats(cats: Categories | None) -> Categories:
    return cats or categories()


# --------------------------------------------------------------------------- indicator 1.1


def open_by_lead_agency(
    episodes: pd.DataFrame, snapshot_date: str | pd.Timestamp, cats: Categories | None = None
) -> pd.DataFrame:
    """Episodes open at ``snapshot_date`` by lead agency, every agency listed, with shares."""
    cats = _cats(cats)
    day = metrics.as_timestamp(snapshot_date)
    open_now = episodes[metrics.open_at(episodes, day)]
    # An agency outside the list (an Annex A organisation in no group) is shown as recorded,
    # after the listed ones.
    found = open_now["lead_agency"].value_counts()
    extra = sorted(str(a) for a in found.index if a not in set(cats.lead_agencies))
    counts = found.reindex([*cats.lead_agencies, *extra], fill_value=0)
    return pd.DataFrame(
        {
            "snapshot_date": day,
            "lead_agency": counts.index,
            "episodes": counts.to_numpy(dtype="int64"),
            "pct": metrics.share_pct(counts).to_numpy(),
        }
    )


def open_by_organisation(
    episodes: pd.DataFrame, snapshot_date: str | pd.Timestamp, open_table: pd.DataFrame
) -> pd.DataFrame:
    """Episodes open at ``snapshot_date`` by organisation as recorded (an Annex A list), within
    the lead agencies of ``open_table`` and in its order; the busiest organisation first."""
    day = metrics.as_timestamp(snapshot_date)
    open_now = episodes[metrics.open_at(episodes, day)]
    counts = (
        open_now.groupby(
            [open_now["lead_agency"].astype(str), open_now["organisation"].astype(str)]
        )
        .size()
        .rename("episodes")
        .reset_index()
    )
    order = {agency: i for i, agency in enumerate(open_table["lead_agency"])}
    counts = counts.assign(rank=counts["lead_agency"].map(order))
    counts = counts.sort_values(["rank", "episodes", "organisation"], ascending=[True, False, True])
    return pd.DataFrame(
        {
            "snapshot_date": day,
            "lead_agency": counts["lead_agency"].to_numpy(),
            "organisation": counts["organisation"].to_numpy(),
            "episodes": counts["episodes"].to_numpy(dtype="int64"),
        }
    )


def held_outside_local_authority(
    open_table: pd.DataFrame, cats: Categories | None = None
) -> pd.DataFrame:
    """Open episodes held by the local authority and outside it (``non_la_agencies``).

    An agency in no list (an Annex A organisation in no lead-agency group) is neither: its
    episodes are a third row, "Not in a lead-agency group", when there are any.
    """
    cats = _cats(cats)
    non_la = open_table["lead_agency"].isin(cats.non_la_agencies)
    listed = open_table["lead_agency"].isin(cats.lead_agencies)
    held = {
        HELD_BY_LA: int(open_table.loc[listed & ~non_la, "episodes"].sum()),
        HELD_OUTSIDE_LA: int(open_table.loc[non_la, "episodes"].sum()),
    }
    if (~listed).any():
        held[NOT_GROUPED] = int(open_table.loc[~listed, "episodes"].sum())
    counts = pd.Series(held)
    return pd.DataFrame(
        {
            "snapshot_date": open_table["snapshot_date"].iloc[0],
            "held_by": counts.index,
            "episodes": counts.to_numpy(),
            "pct": metrics.share_pct(counts).to_numpy(),
        }
    )


def refusals_year_to_date(
    refusals: pd.DataFrame, period_ends: list[str | pd.Timestamp]
) -> pd.DataFrame:
    """Refusals from 1 April of the financial year up to and including each period end."""
    rows = []
    for end in period_ends:
        day = metrics.as_timestamp(end)
        start = metrics.financial_year_start(day)
        count = int(refusals["refusal_date"].between(start, day).sum())
        rows.append({"period_end": day, "refusals_ytd": count})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- indicator 1.2


def opened_closed_by_month(episodes: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Episodes opened and closed in each month."""
    table = pd.concat(
        [metrics.opened_by_month(episodes, months), metrics.closed_by_month(episodes, months)],
        axis=1,
    )
    return table.reset_index()


def outcomes_by_month(
    episodes: pd.DataFrame, months: pd.PeriodIndex, cats: Categories | None = None
) -> pd.DataFrame:
    """Closures by month and closure reason, every month and reason (zeros included)."""
    cats = _cats(cats)
    closed = episodes.dropna(subset=["end_date"])
    grid = pd.MultiIndex.from_product(
        [months, list(cats.closure_reasons)], names=["month", "closure_reason"]
    )
    counts = (
        closed.assign(month=metrics.month_of(closed["end_date"]))
        .groupby(["month", "closure_reason"])
        .size()
        .reindex(grid, fill_value=0)
        .astype("int64")
    )
    return counts.rename("episodes").reset_index()


def outcomes_for_months(
    episodes: pd.DataFrame, months: pd.PeriodIndex, cats: Categories | None = None
) -> pd.DataFrame:
    """Closures by reason over a span of months, with each reason's share."""
    by_month = outcomes_by_month(episodes, months, cats)
    totals = by_month.groupby("closure_reason", sort=False)["episodes"].sum()
    return pd.DataFrame(
        {
            "financial_year": metrics.financial_year_label(months[-1]),
            "closure_reason": totals.index,
            "episodes": totals.to_numpy(dtype="int64"),
            "pct": metrics.share_pct(totals).to_numpy(),
        }
    )


def outcomes_year_to_date(
    episodes: pd.DataFrame, period_end: str | pd.Period, cats: Categories | None = None
) -> pd.DataFrame:
    """Closures by reason from April of the financial year to the period end."""
    return outcomes_for_months(episodes, metrics.year_to_date_months(period_end), cats)


def outcome_rates_by_month(
    episodes: pd.DataFrame, months: pd.PeriodIndex, cats: Categories | None = None
) -> pd.DataFrame:
    """The dashboard's two percentage rows for each month."""
    cats = _cats(cats)
    # Every configured reason as a column, whether or not any closure in the months has it.
    table = (
        outcomes_by_month(episodes, months, cats)
        .pivot(index="month", columns="closure_reason", values="episodes")
        .reindex(index=months, columns=list(cats.closure_reasons), fill_value=0)
    )
    total = table.sum(axis=1).astype("int64")
    return pd.DataFrame(
        {
            "month": table.index,
            "closed": total.to_numpy(),
            "pct_action_plan_completed_nfa": metrics.pct(
                table[cats.action_plan_completed_reason], total
            ).to_numpy(),
            "pct_referral_to_social_care": metrics.pct(
                table[cats.referral_to_social_care_reason], total
            ).to_numpy(),
        }
    )


def benchmark(
    episodes: pd.DataFrame, period_end: str | pd.Period, cats: Categories | None = None
) -> pd.DataFrame:
    """The previous full financial year against this one to date: ended, and two shares."""
    cats = _cats(cats)
    this_year = metrics.year_to_date_months(period_end)
    previous = metrics.financial_year_months(this_year[0].year - 1)
    rows = []
    for months in (previous, this_year):
        outcomes = outcomes_for_months(episodes, months, cats).set_index("closure_reason")
        total = int(outcomes["episodes"].sum())
        rows.append(
            {
                "financial_year": metrics.financial_year_label(months[0]),
                "months": f"{months[0]}..{months[-1]}",
                "cafs_ended": total,
                "pct_action_plan_completed_nfa": metrics.pct(
                    int(outcomes.at[cats.action_plan_completed_reason, "episodes"]), total
                ),
                "pct_referral_to_social_care": metrics.pct(
                    int(outcomes.at[cats.referral_to_social_care_reason, "episodes"]), total
                ),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- CFF caseload


def time_open_bands(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    lead_agency: str | None = None,
    cats: Categories | None = None,
) -> pd.DataFrame:
    """Open episodes of one lead agency (default CFF) by time-open band, with shares."""
    cats = _cats(cats)
    agency = lead_agency or cats.children_and_families_first
    day = metrics.as_timestamp(snapshot_date)
    mine = episodes[(episodes["lead_agency"] == agency) & metrics.open_at(episodes, day)]
    bands = metrics.time_open_band(metrics.completed_months(mine["start_date"], day))
    counts = bands.value_counts(sort=False).reindex(list(metrics.TIME_OPEN_BAND_LABELS))
    return pd.DataFrame(
        {
            "snapshot_date": day,
            "lead_agency": agency,
            "band": counts.index,
            "episodes": counts.to_numpy(dtype="int64"),
            "pct": metrics.share_pct(counts).to_numpy(),
        }
    )


# --------------------------------------------------------------------------- budget


def budget_table(budget: pd.DataFrame) -> pd.DataFrame:
    """Spend, income and net (derived: spend + income) by budget line."""
    table = budget[["line", "spend", "income"]].copy()
    table["net"] = table["spend"] + table["income"]
    for column in ("spend", "income", "net"):
        table[column] = table[column].round(0).astype("int64")
    return table.reset_index(drop=True)


def budget_with_total(budget: pd.DataFrame) -> pd.DataFrame:
    """The budget table as the report prints it: the lines, then their total."""
    total = pd.DataFrame(
        [["Total", *budget[["spend", "income", "net"]].sum()]], columns=budget.columns
    )
    return pd.concat([budget, total], ignore_index=True)
