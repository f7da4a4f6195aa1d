"""Strengthening Families (Troubled Families phase 2): who meets the criteria, attachments, claims.

A family "open to Children and Families First at level 3" has a CFF episode at CAF level 3
open at the date. It "meets the phase 2 criteria" when it has at least
``strengthening_families_min_criteria`` (two) of the six headline problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from helpers import metrics
from helpers.config import Categories, categories, config_dir, load_yaml
from helpers.formats import round_half_up


@dataclass(frozen=True)
class Programme:
    early_start: pd.Timestamp
    national_start: pd.Timestamp
    target_families_2015_16: int
    target_date_2015_16: pd.Timestamp
    families_over_five_years: int
    payment_per_family_gbp: int
    assumed_pbr_rate_pct: float


@cache
def programme() -> Programme:
    raw = load_yaml(config_dir() / "strengthening_families.yaml")
    return Programme(
        early_start=pd.Timestamp(raw["early_start"]),
        national_start=pd.Timestamp(raw["national_start"]),
        target_families_2015_16=int(raw["target_families_2015_16"]),
        target_date_2015_16=pd.Timestamp(raw["target_date_2015_16"]),
        families_over_five_years=int(raw["families_over_five_years"]),
        payment_per_family_gbp=int(raw["payment_per_family_gbp"]),
        assumed_pbr_rate_pct=float(raw["assumed_pbr_rate_pct"]),
    )


def meets_criteria(families: pd.DataFrame, cats: Categories | None = None) -> pd.Series:
    """Whether each family has at least the minimum number of the six criteria."""
    cats = cats or categories()
    met = metrics.criteria_met(families, cats.criteria_columns)
    return met >= cats.strengthening_families_min_criteria


def cff_level_3(episodes: pd.DataFrame, cats: Categories | None = None) -> pd.DataFrame:
    cats = cats or categories()
    mask = (episodes["lead_agency"] == cats.children_and_families_first) & (
        episodes["caf_level"] == 3
    )
    return episodes[mask]


def families_open_at(
    episodes: pd.DataFrame, when: str | pd.Timestamp, cats: Categories | None = None
) -> pd.Index:
    """Families with a CFF level-3 episode open at ``when``."""
    level_3 = cff_level_3(episodes, cats)
    return pd.Index(level_3.loc[metrics.open_at(level_3, when), "family_id"].unique())


def families_closed_between(
    episodes: pd.DataFrame,
    since: str | pd.Timestamp,
    when: str | pd.Timestamp,
    cats: Categories | None = None,
) -> pd.Index:
    """Families whose CFF level-3 episode ended from ``since`` to ``when`` and none is open."""
    level_3 = cff_level_3(episodes, cats)
    start, end = metrics.as_timestamp(since), metrics.as_timestamp(when)
    ended = level_3.loc[level_3["end_date"].between(start, end), "family_id"].unique()
    return pd.Index(ended).difference(families_open_at(episodes, end, cats))


#: The two groups every Strengthening Families count on a report date is drawn from.
OPEN_GROUP = "Open to CFF at level 3"


def closed_group_label() -> str:
    start = programme().early_start
    return f"Closed since {start.day} {start:%B %Y}, none open"


#: How the families counted on a report date are chosen, in the words the page prints.
POPULATION_DEFINITION = (
    "Families are counted on the report date. A family is open when one of its children has a "
    "Children and Families First episode at CAF level 3 open on that date; it is closed when "
    "such an episode ended between the programme's early start and that date and none is still "
    "open. A family counts as assessed when the Strengthening Families list holds its "
    "assessment, made on or before the report date; a family not yet assessed is counted, but "
    "neither as meeting the criteria nor as not meeting them. Shares of families meeting the "
    "criteria are of the families assessed."
)


def families_on_report_date(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    when: str | pd.Timestamp,
    cats: Categories | None = None,
) -> pd.DataFrame:
    """Every family a Strengthening Families figure on ``when`` counts: one row per family.

    Columns: ``family_id``; ``group`` (:data:`OPEN_GROUP` or :func:`closed_group_label`);
    ``assessed`` (its row in the families list was identified on or before ``when``);
    ``criteria_met`` (how many of the six, missing when not assessed); ``meets_criteria``
    (assessed and at least the minimum). Every table and sentence of the section is a count
    of this frame, so that their parts add up to their totals on any extract.
    """
    cats = cats or categories()
    day = metrics.as_timestamp(when)
    open_ids = families_open_at(episodes, day, cats)
    closed_ids = families_closed_between(episodes, programme().early_start, day, cats)
    people = pd.DataFrame(
        {
            "family_id": [*open_ids, *closed_ids],
            "group": [OPEN_GROUP] * len(open_ids) + [closed_group_label()] * len(closed_ids),
        }
    )
    known = families[families["identified_date"] <= day]
    met = pd.Series(
        metrics.criteria_met(known, cats.criteria_columns).to_numpy(),
        index=known["family_id"].to_numpy(),
    )
    people["criteria_met"] = people["family_id"].map(met).astype("Int64")
    people["assessed"] = people["criteria_met"].notna()
    people["meets_criteria"] = (
        (people["criteria_met"] >= cats.strengthening_families_min_criteria)
        .fillna(False)
        .astype(bool)
    )
    return people


def eligibility_summary(population: pd.DataFrame, when: str | pd.Timestamp) -> pd.DataFrame:
    """Families open at level 3, and closed since the early start: assessed, meeting criteria."""
    day = metrics.as_timestamp(when)
    rows = []
    for group in (OPEN_GROUP, closed_group_label()):
        members = population[population["group"] == group]
        assessed = int(members["assessed"].sum())
        eligible = int(members["meets_criteria"].sum())
        rows.append(
            {
                "as_at": day,
                "group": group,
                "families": len(members),
                "not_assessed": len(members) - assessed,
                "assessed": assessed,
                "meeting_criteria": eligible,
                "pct_meeting_criteria": metrics.pct(eligible, assessed),
            }
        )
    return pd.DataFrame(rows)


def assessment_in_words(eligibility: pd.DataFrame, families_listed: int) -> str:
    """What the page says about families it cannot judge against the criteria (or nothing)."""
    if families_listed == 0:
        return (
            "The Strengthening Families list in this extract is empty: no family has been "
            "assessed against the criteria, so none can be counted as meeting them."
        )
    open_row = eligibility.iloc[0]
    unassessed = open_row["not_assessed"]
    if isinstance(unassessed, str) or unassessed > 0:
        return (
            f"{unassessed if isinstance(unassessed, str) else f'{unassessed:,}'} of the "
            "families open at level 3 have not been assessed against the criteria by this "
            "date: they are counted, but neither as meeting the criteria nor as not meeting "
            "them, and the shares are of the families assessed."
        )
    return ""


def criteria_table(
    population: pd.DataFrame,
    families: pd.DataFrame,
    when: str | pd.Timestamp,
    cats: Categories | None = None,
) -> pd.DataFrame:
    """Open level-3 families meeting the criteria: how many have each criterion."""
    cats = cats or categories()
    eligible_ids = population.loc[
        (population["group"] == OPEN_GROUP) & population["meets_criteria"], "family_id"
    ]
    eligible = families[families["family_id"].isin(eligible_ids)]
    counts = eligible[list(cats.criteria_columns)].sum().astype("int64")
    return pd.DataFrame(
        {
            "as_at": metrics.as_timestamp(when),
            "criterion": counts.index,
            "description": [cats.strengthening_families_criteria[c] for c in counts.index],
            "families": counts.to_numpy(),
            "pct": metrics.pct(counts, len(eligible_ids)).to_numpy(),
        }
    )


def criteria_count_table(
    population: pd.DataFrame, when: str | pd.Timestamp, cats: Categories | None = None
) -> pd.DataFrame:
    """Open level-3 families assessed, by how many of the six criteria they meet (0 to 6)."""
    cats = cats or categories()
    assessed = population[(population["group"] == OPEN_GROUP) & population["assessed"]]
    counts = (
        assessed["criteria_met"]
        .astype("int64")
        .value_counts()
        .reindex(range(len(cats.criteria_columns) + 1), fill_value=0)
    )
    return pd.DataFrame(
        {
            "as_at": metrics.as_timestamp(when),
            "criteria_met": counts.index,
            "meets_criteria": counts.index >= cats.strengthening_families_min_criteria,
            "families": counts.to_numpy(dtype="int64"),
            "pct": metrics.share_pct(counts).to_numpy(),
        }
    )


def attachments(families: pd.DataFrame, when: str | pd.Timestamp) -> pd.DataFrame:
    """Families attached and claimed, by phase and period, up to ``when``."""
    prog = programme()
    day = metrics.as_timestamp(when)
    claimed = families["claimed_date"]
    # Every row counts only what was known on ``when``: attachments after it are not yet made.
    attached = families["attached_date"].where(families["attached_date"] <= day)
    phase_1 = families["phase"] == 1
    phase_2 = families["phase"] == 2
    periods = [
        (
            "Phase 1, still worked at the early start",
            phase_1 & (attached < prog.early_start) & ~(claimed < prog.early_start),
        ),
        (
            "Phase 2, early start (before national roll-out)",
            phase_2
            & attached.between(prog.early_start, prog.national_start - pd.Timedelta(days=1)),
        ),
        ("Phase 2, from national roll-out", phase_2 & attached.between(prog.national_start, day)),
        ("Phase 2, all", phase_2 & (attached <= day)),
    ]
    rows = []
    for label, mask in periods:
        mask = mask.fillna(False).astype(bool)
        rows.append(
            {
                "as_at": day,
                "group": label,
                "attached": int(mask.sum()),
                "claimed": int((mask & (claimed <= day)).sum()),
            }
        )
    table = pd.DataFrame(rows)
    target = prog.target_families_2015_16
    table["target_2015_16"] = [None, None, None, target]
    table["pct_of_target"] = [None, None, None, metrics.pct(int(table["attached"].iloc[3]), target)]
    return table


def families_turned_around(families: int, rate_pct: float) -> int:
    """How many whole families an assumed payment-by-results rate expects to be turned around:
    ``families`` x ``rate_pct`` %, rounded half up to a whole family (payment is by family, so
    688 families at 70% are 482 families, not 481.6)."""
    return int(round_half_up(families * rate_pct / 100, 0))


def pbr_forecast(
    families_2015_16: int | None = None, families_five_years: int | None = None
) -> pd.DataFrame:
    """Payment-by-results income: the whole families an assumed success rate turns around, times
    the payment per family, so that every line adds up as printed."""
    prog = programme()
    rows = [
        ("2015/16 target", families_2015_16 or prog.target_families_2015_16),
        ("Five-year programme", families_five_years or prog.families_over_five_years),
    ]
    forecast = []
    for scope, families in rows:
        turned_around = families_turned_around(families, prog.assumed_pbr_rate_pct)
        forecast.append(
            {
                "scope": scope,
                "families": families,
                "payment_per_family_gbp": prog.payment_per_family_gbp,
                "assumed_pbr_rate_pct": prog.assumed_pbr_rate_pct,
                "families_turned_around": turned_around,
                "forecast_income_gbp": turned_around * prog.payment_per_family_gbp,
            }
        )
    return pd.DataFrame(forecast)
