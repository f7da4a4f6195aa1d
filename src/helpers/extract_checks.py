"""Checks of a valid extract that warn rather than refuse: what is legal but worth a look.

The same child with two episodes open at once, and families in the Strengthening Families list
with no episode at all, are allowed by the contract (a transfer between teams, a family referred
by a partner) but are also what a duplicated or partial export looks like. Each is counted in a
warning and listed row by row for the analyst (never in a published report).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

NOTE_COLUMNS = ["file", "row", "column", "value", "note"]


def overlapping_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes that start while an earlier episode of the same child is still open.

    An episode starting on the day another ends is a hand-over, not an overlap.
    """
    if episodes.empty:
        return pd.DataFrame(columns=NOTE_COLUMNS)
    ordered = episodes[["child_id", "episode_id", "start_date", "end_date"]].sort_values(
        ["child_id", "start_date", "episode_id"], kind="stable"
    )
    still_open = pd.Timestamp("2200-01-01")  # later than any plausible date, in every unit
    ends = ordered["end_date"].fillna(still_open)
    open_until = ends.groupby(ordered["child_id"], sort=False).cummax()
    earlier_until = open_until.groupby(ordered["child_id"], sort=False).shift()
    overlaps = ordered[ordered["start_date"] < earlier_until]
    return pd.DataFrame(
        {
            "file": "caf_episodes.csv",
            "row": overlaps.index.to_numpy() + 2,
            "column": "child_id",
            "value": overlaps["child_id"].astype("string").to_numpy(),
            "note": [
                f"episode {e} starts while an earlier episode of the same child is open"
                for e in overlaps["episode_id"]
            ],
        },
        columns=NOTE_COLUMNS,
    ).sort_values("row", kind="stable")


def families_without_episode(families: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """Families in the Strengthening Families list with no CAF episode in the extract."""
    alone = families[~families["family_id"].isin(set(episodes["family_id"].dropna()))]
    return pd.DataFrame(
        {
            "file": "families.csv",
            "row": alone.index.to_numpy() + 2,
            "column": "family_id",
            "value": alone["family_id"].astype("string").to_numpy(),
            "note": "no CAF episode of this family is in the extract",
        },
        columns=NOTE_COLUMNS,
    )


def notes_and_warnings(
    episodes: pd.DataFrame, families: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """Every note, and one warning per kind with its count."""
    overlaps = overlapping_episodes(episodes)
    alone = families_without_episode(families, episodes)
    warnings = []
    if len(overlaps):
        children = overlaps["value"].nunique()
        warnings.append(
            f"{len(overlaps):,} episode(s) of {children:,} child(ren) start while another "
            "episode of the same child is open: each is counted as open in both (listed in the "
            "data-quality notes)."
        )
    if len(alone):
        warnings.append(
            f"{len(alone):,} family(ies) in the Strengthening Families list have no CAF episode "
            "in the extract (listed in the data-quality notes)."
        )
    frames = [frame for frame in (overlaps, alone) if len(frame)]
    notes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=NOTE_COLUMNS)
    return notes, warnings


def last_activity_date(episodes: pd.DataFrame, refusals: pd.DataFrame) -> dt.date | None:
    """The latest day anything happened in the extract: an episode started or ended, a refusal."""
    days = pd.concat([episodes["start_date"], episodes["end_date"], refusals["refusal_date"]])
    latest = days.max()
    return None if pd.isna(latest) else latest.date()
