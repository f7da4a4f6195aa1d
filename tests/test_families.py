"""Strengthening Families definitions on a tiny hand-made caseload."""

from __future__ import annotations

import pandas as pd

from helpers import families as sf

CFF = "Children & Families First"


def _episodes() -> pd.DataFrame:
    rows = [  # family, agency, level, start, end
        ("F1", CFF, 3, "2015-01-10", None),  # open at 2015-08-31
        ("F2", CFF, 3, "2014-06-01", "2015-03-01"),  # closed since 1 Jan 2015
        ("F3", CFF, 2, "2015-02-01", None),  # level 2: not counted
        ("F4", "School", 3, "2015-02-01", None),  # another agency: not counted
        ("F5", CFF, 3, "2014-01-01", "2014-12-31"),  # closed before the early start
        ("F6", CFF, 3, "2015-01-01", "2015-02-01"),  # closed, but ...
        ("F6", CFF, 3, "2015-05-01", None),  # ... open again: counts as open only
        ("F7", CFF, 3, "2015-03-01", "2015-08-31"),  # ends on the date: closed, not open
    ]
    frame = pd.DataFrame(
        rows, columns=["family_id", "lead_agency", "caf_level", "start_date", "end_date"]
    )
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


def _families() -> pd.DataFrame:
    criteria = {  # family: number of criteria met (first k of the six)
        "F1": 2,
        "F2": 1,
        "F3": 6,
        "F4": 6,
        "F5": 3,
        "F6": 3,
        "F7": 2,
    }
    columns = [
        "crime_asb",
        "school_attendance",
        "children_need_help",
        "worklessness",
        "domestic_abuse",
        "health",
    ]
    rows = [
        {
            "family_id": f,
            "identified_date": pd.Timestamp("2014-12-01"),
            **{c: i < k for i, c in enumerate(columns)},
        }
        for f, k in criteria.items()
    ]
    return pd.DataFrame(rows)


def test_families_open_at_level_3_with_cff():
    assert sorted(sf.families_open_at(_episodes(), "2015-08-31")) == ["F1", "F6"]


def test_families_closed_since_the_early_start_and_not_open():
    closed = sf.families_closed_between(_episodes(), "2015-01-01", "2015-08-31")
    assert sorted(closed) == ["F2", "F7"]


def test_meeting_at_least_two_criteria():
    met = sf.meets_criteria(_families()).tolist()
    assert met == [True, False, True, True, True, True, True]


def _population(families: pd.DataFrame | None = None, when: str = "2015-08-31"):
    return sf.families_on_report_date(
        _episodes(), _families() if families is None else families, when
    )


def test_eligibility_summary():
    summary = sf.eligibility_summary(_population(), "2015-08-31")
    assert summary["families"].tolist() == [2, 2]  # F1, F6 open; F2, F7 closed
    assert summary["meeting_criteria"].tolist() == [2, 1]  # F2 meets only one
    assert summary["not_assessed"].tolist() == [0, 0]


def test_criteria_count_table_includes_zero_rows():
    table = sf.criteria_count_table(_population(), "2015-08-31")
    assert table["families"].tolist() == [0, 0, 1, 1, 0, 0, 0]  # F1 has 2, F6 has 3


def test_open_families_with_no_assessment_are_counted_as_not_assessed():
    # Only the programme's families exported: F6 (open) and F2 (closed) have no row.
    listed = _families()[~_families()["family_id"].isin(["F6", "F2"])]
    population = _population(listed)
    summary = sf.eligibility_summary(population, "2015-08-31")
    assert summary["families"].tolist() == [2, 2]
    assert summary["not_assessed"].tolist() == [1, 1]
    assert summary["assessed"].tolist() == [1, 1]
    assert summary["meeting_criteria"].tolist() == [1, 1]  # F1; F7
    assert summary["pct_meeting_criteria"].tolist() == [100.0, 100.0]  # of those assessed
    by_count = sf.criteria_count_table(population, "2015-08-31")
    assert by_count["families"].sum() == summary["assessed"].iloc[0]


def test_an_assessment_made_after_the_report_date_does_not_count_yet():
    families = _families()
    families["identified_date"] = pd.Timestamp("2015-06-01")
    families.loc[families["family_id"] == "F1", "identified_date"] = pd.Timestamp("2015-09-01")
    summary = sf.eligibility_summary(_population(families), "2015-08-31")
    assert summary["not_assessed"].iloc[0] == 1  # F1 assessed the day after
    assert summary["meeting_criteria"].iloc[0] == 1  # F6 only
    summary = sf.eligibility_summary(_population(families, "2015-09-01"), "2015-09-01")
    assert summary["not_assessed"].iloc[0] == 0


def test_pbr_forecast_is_whole_families_at_the_rate_times_payment():
    forecast = sf.pbr_forecast(100, 1000)
    assert forecast["forecast_income_gbp"].tolist() == [70 * 1800, 700 * 1800]
    assert forecast["families_turned_around"].tolist() == [70, 700]


def test_attachments_by_phase_and_period():
    families = pd.DataFrame(
        {
            "family_id": ["A", "B", "C", "D", "E"],
            "phase": pd.array([1, 1, 2, 2, pd.NA], dtype="Int64"),
            "attached_date": pd.to_datetime(
                ["2014-06-01", "2014-07-01", "2015-02-01", "2015-06-01", None]
            ),
            "claimed_date": pd.to_datetime(["2014-12-01", None, "2015-09-01", None, None]),
        }
    )
    table = sf.attachments(families, "2016-03-31")
    # A was claimed before the early start, so only B is phase 1 still worked.
    assert table["attached"].tolist() == [1, 1, 1, 2]
    assert table["claimed"].tolist() == [0, 1, 0, 1]
