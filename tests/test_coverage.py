"""What an input covers, and how a figure it cannot give is carried: at the edges.

Each rule of :mod:`helpers.coverage` is tested on hand-made dates, so that a change of meaning
shows here before it shows on a page: a month is covered only from its first day, a time-open
band only when a list reaches back further than its upper bound, and a not-known figure is the
configured mark, carrying its reason, never a count.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers import coverage as cov
from helpers.disclosure import LinkedCounts
from helpers.extract import SYNTHETIC_DIR, load_extract
from helpers.figures import known_counts, time_open_figures

LIST = cov.Coverage(
    first_day=pd.Timestamp("2015-10-01"),
    last_day=pd.Timestamp("2016-03-31"),
    started_only=True,
    name="the early help list",
)
NATIVE = cov.Coverage(first_day=pd.Timestamp("2009-03-06"), last_day=pd.Timestamp("2016-03-31"))


def test_a_month_is_covered_from_its_first_day_to_the_month_the_input_was_taken_in():
    assert LIST.covers_month("2015-10") and LIST.covers_month("2016-03")
    assert not LIST.covers_month("2015-09")
    mid_month = cov.Coverage(first_day=pd.Timestamp("2015-10-02"))
    assert not mid_month.covers_month("2015-10")  # part of its days would read as a fall
    assert mid_month.covers_month("2015-11")
    assert not LIST.covers_month("2016-04")  # begins after the day it was taken
    assert cov.Coverage().covers_month("1899-01")  # a frame built in a test covers all


def test_a_day_is_covered_to_the_end_of_the_month_the_input_was_taken_in():
    assert LIST.covers_day("2015-10-01") and not LIST.covers_day("2015-09-30")
    assert LIST.covers_day("2016-03-31") and not LIST.covers_day("2016-04-01")
    partial = cov.Coverage(
        first_day=pd.Timestamp("2015-01-01"), last_day=pd.Timestamp("2016-03-10")
    )
    assert partial.covers_day("2016-03-31")  # a partial month: the page says so


@pytest.mark.parametrize(
    ("upper", "day", "covered"),
    [
        (3, "2016-03-31", True),  # from 30 September: six completed months >= 3
        (6, "2016-03-31", True),  # exactly six: the band 3-6 is whole
        (9, "2016-03-31", False),
        (None, "2016-03-31", False),  # 18+ has no upper bound: never from a list
        (3, "2015-12-30", True),  # a start on 30 September has three months: not in the band
        (3, "2015-12-29", False),  # ... but on the 29th it has two, and is not in the list
    ],
)
def test_a_band_is_covered_by_a_list_only_when_the_list_reaches_back_past_its_upper_bound(
    upper, day, covered
):
    assert LIST.covers_band(upper, day) is covered
    assert NATIVE.covers_band(upper, day)  # every open case is in a full extract


def test_not_known_is_the_configured_mark_with_its_reason_and_says_so_in_words(
    tmp_path, monkeypatch
):
    value = cov.NotKnown("The list starts on 1 October 2015.")
    assert value == "[x]" and value.reason == "The list starts on 1 October 2015."
    assert cov.in_words(value) == "not known" and cov.in_words(1234) == "1,234"
    assert cov.is_mark(value) and cov.is_mark("[c]") and not cov.is_mark("Health")
    assert (
        cov.not_known_note([1, value, value]) == "[x] not known: The list starts on 1 October 2015."
    )
    assert cov.not_known_note([1, 2]) == ""
    (tmp_path / "disclosure.yaml").write_text('mark: "[c]"\nnot_known_mark: "n/k"\n', "utf-8")
    monkeypatch.setenv("EARLYHELP_CONFIG_DIR", str(tmp_path))
    assert cov.NotKnown("why") == "n/k"


def test_a_not_known_mark_that_is_the_suppression_mark_is_refused(tmp_path, monkeypatch):
    (tmp_path / "disclosure.yaml").write_text('mark: "[c]"\nnot_known_mark: "[c]"\n', "utf-8")
    monkeypatch.setenv("EARLYHELP_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="different marks"):
        cov.not_known_mark()


def test_not_known_figures_and_the_sums_holding_them_are_no_counts():
    counts = LinkedCounts()
    a, b = counts.add(("band", 1), 3), counts.add(("band", 2), 7)
    total = counts.add(("open",), 10)
    counts.add_sum(total, [a, b])
    known = known_counts(counts, {b: "before the list"})
    assert set(known.values) == {a, total}
    assert known.sums == []  # the reader knows nothing of b, so nothing of a follows


def test_a_list_gives_the_bands_it_reaches_back_to_and_no_share_of_the_caseload():
    episodes = pd.DataFrame(
        {
            "lead_agency": ["Team"] * 3,
            "start_date": pd.to_datetime(["2015-10-05", "2016-01-20", "2016-03-01"]),
            "end_date": pd.to_datetime([pd.NaT, pd.NaT, pd.NaT]),
        }
    )
    figures = time_open_figures(episodes, "2016-03-31", "Team", coverage=LIST)
    bands = figures.bands.set_index("band")["episodes"]
    assert bands["0 - 3 Months"] == 2 and bands["3-6 Months"] == 1
    assert all(cov.is_not_known(v) for v in bands.iloc[2:])
    assert all(cov.is_not_known(v) for v in figures.bands["pct"])
    assert cov.is_not_known(figures.year_or_more) and figures.total == 3
    bands_linked = {k.get("time_open_band") for k in figures.counts.values}
    assert "6-9 Months" not in bands_linked and "0 - 3 Months" in bands_linked  # not a count


def test_a_period_before_the_first_record_or_after_the_extract_is_a_sentence_naming_both():
    before = cov.period_problem(NATIVE, "2005-01-01", "2005-01-31")
    assert "6 March 2009 to 31 March 2016" in before and "31 January 2005" in before
    after = cov.period_problem(NATIVE, "2022-03-01", "2022-03-31")
    assert "1 March 2022" in after and "ends by 31 March 2016" in after
    assert cov.period_problem(NATIVE, "2016-03-01", "2016-03-31") is None
    assert cov.period_problem(NATIVE, "2009-03-01", "2009-03-31") is None  # the first month


def test_the_synthetic_extract_covers_its_first_record_to_its_date_by_file():
    coverage = cov.coverage_of(load_extract(SYNTHETIC_DIR))
    assert coverage.first_day == pd.Timestamp("2009-03-06")
    assert coverage.last_day == pd.Timestamp("2016-03-31")
    assert not coverage.started_only and coverage.budget_financial_year == "2015/16"
    files = {f.file: f.first_day for f in coverage.files}
    assert files["CAF refusals"] == pd.Timestamp("2014-04-01")
    assert cov.Coverage.from_record(coverage.record()) == coverage


def test_the_budget_of_another_financial_year_is_named_with_the_month_asked():
    dated = cov.Coverage(budget_financial_year="2015/16")
    assert cov.budget_year_problem(dated, "2016-01") is None
    assert cov.budget_year_problem(dated, "2016-03") is None
    problem = cov.budget_year_problem(dated, "2016-04")
    assert "for 2015/16" in problem and "April 2016 is in 2016/17" in problem
    assert cov.budget_year_problem(cov.Coverage(), "1898-04") is None  # undated: the page says


def test_a_manifest_budget_year_counts_only_for_its_own_extract_and_must_be_a_year(tmp_path):
    extract = load_extract(SYNTHETIC_DIR)
    folder = tmp_path / "extract"
    folder.mkdir()
    for name in ("caf_episodes", "caf_refusals", "families", "budget"):
        (folder / f"{name}.csv").write_bytes((SYNTHETIC_DIR / f"{name}.csv").read_bytes())
    copy = load_extract(folder)
    manifest = {"sha256": copy.sha256, "budget_financial_year": "2015-16"}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(cov.CoverageError, match="write the financial year as the reports do"):
        cov.budget_financial_year(copy)
    manifest["sha256"] = "another extract's"
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert cov.budget_financial_year(copy) is None
    assert cov.budget_financial_year(extract) == "2015/16"


def test_a_month_with_nothing_recorded_inside_the_extract_is_found_and_said():
    extract = load_extract(SYNTHETIC_DIR)
    episodes = extract.episodes
    quiet = pd.Period("2015-06", freq="M")
    moved = episodes.copy()
    for column in ("start_date", "end_date"):
        in_june = moved[column].dt.to_period("M") == quiet
        moved.loc[in_june, column] = moved.loc[in_june, column] + pd.DateOffset(months=1)
    moved = moved[~(moved["end_date"] < moved["start_date"])]
    refusals = extract.refusals[extract.refusals["refusal_date"].dt.to_period("M") != quiet]
    emptied = type(extract)(**{**extract.__dict__, "episodes": moved, "refusals": refusals})
    assert "2015-06" in cov.months_without_activity(emptied)
    assert "2015-07" not in cov.months_without_activity(emptied)
    assert "Nothing was recorded in June 2015" in cov.no_activity_sentence(emptied, "2015-06")
    assert cov.no_activity_sentence(extract, "2015-06") is None


def test_families_closed_since_the_early_start_are_not_known_from_an_extract_starting_later():
    from helpers.families import programme
    from helpers.figures import families_figures

    extract = load_extract(SYNTHETIC_DIR)
    later = cov.Coverage(
        first_day=programme().early_start + pd.Timedelta(days=1), last_day=NATIVE.last_day
    )
    figures = families_figures(
        extract.episodes, extract.families, "2015-08-31", "2016-03-31", coverage=later
    )
    open_row, closed_row = figures.eligibility.iloc[0], figures.eligibility.iloc[1]
    assert open_row["meeting_criteria"] == 490  # the open families are all in it
    assert all(cov.is_not_known(closed_row[c]) for c in ("families", "meeting_criteria"))
    linked_groups = {k.get("group") for k in figures.counts.values}
    assert closed_row["group"] not in linked_groups and open_row["group"] in linked_groups


def test_the_batch_leaves_out_a_budget_of_another_financial_year_saying_why():
    from helpers.batch import sections_not_shown

    source = {"coverage": cov.Coverage(budget_financial_year="2015/16").record()}
    assert sections_not_shown({"06_budget": {"report_month": "2016-01"}}, source) == {}
    left_out = sections_not_shown({"06_budget": {"report_month": "2015-03"}}, source)
    assert list(left_out) == ["06_budget"]
    assert "for 2015/16, but March 2015 is in 2014/15" in left_out["06_budget"][0]
