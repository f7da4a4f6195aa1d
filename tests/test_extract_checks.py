"""Warnings that do not refuse: overlapping episodes, families with no episode, stale extracts."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.batch import NOTEBOOKS_DIR, monthly_plan
from helpers.extract_checks import (
    families_without_episode,
    last_activity_date,
    notes_and_warnings,
    overlapping_episodes,
)
from helpers.preflight import stale_warning


def episodes(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["episode_id", "child_id", "family_id", "start", "end"])
    return frame.assign(
        start_date=pd.to_datetime(frame["start"]), end_date=pd.to_datetime(frame["end"])
    )


def test_an_episode_starting_while_the_childs_earlier_one_is_open_overlaps():
    frame = episodes(
        [
            ("E1", "C1", "F1", "2015-01-01", "2015-03-01"),
            ("E2", "C1", "F1", "2015-03-01", None),  # starts the day E1 ends: a hand-over
            ("E3", "C1", "F1", "2015-06-01", "2015-07-01"),  # E2 still open: overlaps
            ("E4", "C2", "F2", "2015-02-01", "2015-02-10"),  # another child
            ("E5", "C3", "F3", "2015-01-01", None),
            ("E6", "C3", "F3", "2014-12-01", "2014-12-31"),  # earlier, and ended before E5
        ]
    )
    found = overlapping_episodes(frame)
    assert found["row"].tolist() == [4]  # E3, as the file numbers it
    assert found["value"].tolist() == ["C1"]
    assert "episode E3 starts while" in found["note"].iloc[0]


def test_families_listed_without_any_episode():
    frame = episodes([("E1", "C1", "F1", "2015-01-01", None)])
    families = pd.DataFrame({"family_id": ["F1", "F9"]})
    assert families_without_episode(families, frame)["value"].tolist() == ["F9"]
    notes, warnings = notes_and_warnings(frame, families)
    assert len(notes) == 1 and "1 family(ies)" in warnings[0]


def test_a_clean_extract_has_no_notes():
    frame = episodes([("E1", "C1", "F1", "2015-01-01", None)])
    notes, warnings = notes_and_warnings(frame, pd.DataFrame({"family_id": ["F1"]}))
    assert notes.empty and warnings == []


def test_a_stale_extract_is_a_warning_naming_both_dates():
    plan = monthly_plan("2015-09")
    warning = stale_warning(plan, NOTEBOOKS_DIR, dt.date(2015, 8, 15), 14)
    assert "15 August 2015, 46 days before the period ends on 30 September 2015" in warning
    assert stale_warning(plan, NOTEBOOKS_DIR, dt.date(2015, 9, 20), 14) is None
    refusals = pd.DataFrame({"refusal_date": pd.to_datetime(["2015-08-20"])})
    frame = episodes([("E1", "C1", "F1", "2015-01-01", "2015-08-15")])
    assert last_activity_date(frame, refusals) == dt.date(2015, 8, 20)
