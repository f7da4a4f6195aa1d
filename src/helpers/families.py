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


def _criteria_of(families: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    return families[families["family_id"].isin(ids)]


def eligibility_summary(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    when: str | pd.Timestamp,
    cats: Categories | None = None,
) -> pd.DataFrame:
    """Families open at level 3, and closed since the early start, meeting the criteria."""
    cats = cats or categories()
    prog = programme()
    day = metrics.as_timestamp(when)
    groups = {
        "Open to CFF at level 3": families_open_at(episodes, day, cats),
        f"Closed since {prog.early_start.day} {prog.early_start:%B %Y}, none open": (
            families_closed_between(episodes, prog.early_start, day, cats)
        ),
    }
    rows = []
    for group, ids in groups.items():
        assessed = _criteria_of(families, ids)
        eligible = int(meets_criteria(assessed, cats).sum())
        rows.append(
            {
                "as_at": day,
                "group": group,
                "families": len(ids),
                "meeting_criteria": eligible,
                "pct_meeting_criteria": metrics.pct(eligible, len(ids)),
            }
        )
    return pd.DataFrame(rows)


def criteria_table(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    when: str | pd.Timestamp,
    cats: Categories | None = None,
) -> pd.DataFrame:
    """Open level-3 families meeting the criteria: how many have each criterion."""
    cats = cats or categories()
    open_ids = families_open_at(episodes, when, cats)
    assessed = _criteria_of(families, open_ids)
    eligible = assessed[meets_criteria(assessed, cats)]
    counts = eligible[list(cats.criteria_columns)].sum().astype("int64")
    return pd.DataFrame(
        {
            "as_at": metrics.as_timestamp(when),
            "criterion": counts.index,
            "description": [cats.strengthening_families_criteria[c] for c in counts.index],
            "families": counts.to_numpy(),
            "pct": metrics.pct(counts, len(eligible)).to_numpy(),
        }
    )


def criteria_count_table(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    when: str | pd.Timestamp,
    cats: Categories | None = None,
) -> pd.DataFrame:
    """Open level-3 families by how many of the six criteria they meet (0 to 6)."""
    cats = cats or categories()
    assessed = _criteria_of(families, families_open_at(episodes, when, cats))
    met = metrics.criteria_met(assessed, cats.criteria_columns)
    counts = met.value_counts().reindex(range(len(cats.criteria_columns) + 1), fill_value=0)
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
    attached, claimed = families["attached_date"], families["claimed_date"]
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


def pbr_forecast(
    families_2015_16: int | None = None, families_five_years: int | None = None
) -> pd.DataFrame:
    """Payment-by-results income: families x payment per family x assumed success rate."""
    prog = programme()
    rows = [
        ("2015/16 target", families_2015_16 or prog.target_families_2015_16),
        ("Five-year programme", families_five_years or prog.families_over_five_years),
    ]
    rate = prog.assumed_pbr_rate_pct / 100
    return pd.DataFrame(
        [
            {
                "scope": scope,
                "families": families,
                "payment_per_family_gbp": prog.payment_per_family_gbp,
                "assumed_pbr_rate_pct": prog.assumed_pbr_rate_pct,
                "families_turned_around": round(families * rate),
                "forecast_income_gbp": round(families * prog.payment_per_family_gbp * rate),
            }
            for scope, families in rows
        ]
    )
