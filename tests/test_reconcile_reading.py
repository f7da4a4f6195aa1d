"""The reconciliation as its readers meet it (issue 13, part 4): a finished table."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from helpers import outputs, reconcile
from helpers.extract import SYNTHETIC_DIR, load_extract


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return reconcile.reconciliation_table(load_extract(SYNTHETIC_DIR))


def test_the_csv_has_whole_counts_and_money_and_no_nan(table, tmp_path):
    text = outputs.write_table(table, "reconciliation", tmp_path).read_text(encoding="utf-8")
    assert "nan" not in text.lower().replace("financ", "")  # no NaN, NaT or nan anywhere
    written = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for unit in ("count", "money"):
        values = written.loc[written["unit"] == unit, ["published", "recomputed"]].stack()
        values = values[values != ""]
        assert values.str.fullmatch(r"-?\d+").all(), values[~values.str.fullmatch(r"-?\d+")]
    recomputed = written.loc[written["unit"] == "percent", "recomputed"]
    assert recomputed[recomputed != ""].str.fullmatch(r"\d+\.\d").all()
    blank = written[written["recomputed"] == ""]
    assert (blank["note"] != "").all()  # every gap says why
    assert not written["document"].str.contains("_").any()


def test_the_page_reads_in_words(table):
    shown = reconcile.for_reading(table)
    assert list(shown.columns) == [
        "Document",
        "Section",
        "Figure",
        "Printed",
        "Recomputed",
        "Result",
        "Note",
    ]
    budget = shown[table["unit"] == "money"]
    assert budget["Printed"].str.fullmatch(r"-?£[\d,]+").all()
    health = shown[table["figure"] == "Health, share of CAFs open (%)"].iloc[0]
    shown_health = (health["Printed"], health["Recomputed"], health["Result"])
    assert shown_health == ("4.7%", "4.6%", "Disagrees")
    total = shown[table["figure"] == "All lead agencies, CAFs open"].iloc[0]
    assert (total["Printed"], total["Recomputed"]) == ("1,887", "1,887")
    assert not shown.map(lambda v: "_" in str(v) or str(v) == "nan").any().any()


def test_the_summary_is_a_sentence_naming_what_disagrees(table):
    words = reconcile.summary_in_words(table)
    assert words.startswith(f"Of {len(table):,} printed figures, ")
    assert "4 disagree" in words
    agreeing = table[table["status"] == "agrees"]
    assert reconcile.summary_in_words(agreeing) == (
        f"Every one of the {len(agreeing):,} printed figures agrees with the recomputed figure."
    )


def test_pages_01_and_02_footnote_the_printed_figures_their_counts_do_not_give():
    extract = load_extract(SYNTHETIC_DIR)
    notes = reconcile.printed_differences(extract, "1.1", "2015-08-31")
    assert any("printed 4.7%; the counts give 4.6%" in note for note in notes)
    assert len(notes) == 3  # Health, outside the local authority, the commentary's 74%
    notes = reconcile.printed_differences(extract, "1.2", "2015-09")
    assert notes == [
        "Action Plan completed NFA, year to date: the dashboard printed 730; the counts give 728."
    ]
    assert reconcile.printed_differences(extract, "1.1", "2015-09-30") == []  # another date
