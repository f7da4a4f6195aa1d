"""--allow-invalid: invalid rows are left out, listed, and the counts reconcile."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers import batch
from helpers.extract import SYNTHETIC_DIR, ExtractError, load_extract


def _set(path, record: int, column: str, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[record, column] = value
    frame.to_csv(path, index=False, lineterminator="\n")


@pytest.fixture
def broken(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    episodes = folder / "caf_episodes.csv"
    _set(episodes, 0, "start_date", "not a date")  # file row 2
    _set(episodes, 3, "lead_agency", "Childrens Centre")  # row 5
    duplicate = pd.read_csv(episodes, dtype=str).loc[8, "episode_id"]
    _set(episodes, 9, "episode_id", duplicate)  # rows 10 and 11 share an id
    _set(folder / "caf_refusals.csv", 1, "refused_by", "Grandparent")  # row 3
    return folder


def test_without_the_flag_the_extract_is_refused(broken):
    with pytest.raises(ExtractError) as error:
        load_extract(broken)
    assert len(error.value.problems) == 5


def test_invalid_rows_are_left_out_and_the_counts_reconcile(broken):
    rows_in_file = {
        "caf_episodes.csv": len(pd.read_csv(broken / "caf_episodes.csv")),
        "caf_refusals.csv": len(pd.read_csv(broken / "caf_refusals.csv")),
    }
    extract = load_extract(broken, allow_invalid=True)
    counts = extract.row_counts.set_index("file")
    assert (counts["rows_read"] == counts["rows_used"] + counts["rows_left_out"]).all()
    assert counts.at["caf_episodes.csv", "rows_read"] == rows_in_file["caf_episodes.csv"]
    assert counts.at["caf_episodes.csv", "rows_left_out"] == 4  # rows 2, 5, 10, 11
    assert counts.at["caf_refusals.csv", "rows_left_out"] == 1
    assert len(extract.episodes) == rows_in_file["caf_episodes.csv"] - 4
    assert sorted(extract.excluded["row"]) == [2, 3, 5, 10, 11]
    assert set(extract.excluded["file"]) == {"caf_episodes.csv", "caf_refusals.csv"}
    assert not extract.is_synthetic
    assert any("5 invalid row(s) were left out" in w for w in extract.warnings)


def test_a_missing_column_still_stops_the_run(broken):
    frame = pd.read_csv(broken / "budget.csv", dtype=str).drop(columns="income")
    frame.to_csv(broken / "budget.csv", index=False)
    with pytest.raises(ExtractError, match="budget.csv, column income: column is missing"):
        load_extract(broken, allow_invalid=True)


@pytest.mark.slow  # runs notebooks through Papermill
def test_the_batch_writes_the_data_quality_table_and_section(broken, tmp_path, capsys):
    plan = {"01_open_by_lead_agency": {"snapshot_date": "2015-08-31"}, "06_budget": {}}
    report = batch.run_batch(
        plan, "2015-09", broken, tmp_path / "reports", progress=False, allow_invalid=True
    )
    quality = pd.read_csv(report / "tables" / "data_quality.csv")
    assert len(quality) == 5
    counts = pd.read_csv(report / "tables" / "data_quality_counts.csv")
    assert (counts["rows_read"] == counts["rows_used"] + counts["rows_left_out"]).all()
    html = (report / "html" / "01_open_by_lead_agency.html").read_text(encoding="utf-8")
    assert "Data quality" in html and "Childrens Centre" in html
    assert "invalid row(s) were left out" in capsys.readouterr().out
    with pytest.raises(batch.BatchError, match="--strict"):
        batch.run_batch(
            plan,
            "2015-09",
            broken,
            tmp_path / "strict",
            progress=False,
            allow_invalid=True,
            strict=True,
        )


def test_a_welsh_lsoa_keeps_the_episode_everywhere_but_the_map(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    _set(folder / "caf_episodes.csv", 4, "lsoa11cd", "W01000001")  # row 6: Wales, not E01
    extract = load_extract(folder, allow_invalid=True)
    assert len(extract.episodes) == len(pd.read_csv(SYNTHETIC_DIR / "caf_episodes.csv"))
    kept = extract.episodes.set_index("episode_id").iloc[4]
    assert kept["lsoa11cd"] == "W01000001"  # the map lists it as malformed
    counts = extract.row_counts.set_index("file").loc["caf_episodes.csv"]
    assert counts["rows_left_out"] == 0
    assert extract.excluded["problem"].iloc[0].endswith("(row kept; left off the map)")


def test_leaving_out_more_than_the_set_share_stops_the_run(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    refusals = folder / "caf_refusals.csv"
    frame = pd.read_csv(refusals, dtype=str, keep_default_na=False)
    bad = len(frame) // 50 + 1  # just over 2%: a curly apostrophe in a few agency names
    frame.loc[: bad - 1, "lead_agency"] = "Children\u2019s Centre"
    frame.to_csv(refusals, index=False, lineterminator="\n")
    with pytest.raises(ExtractError) as error:
        load_extract(folder, allow_invalid=True)
    message = str(error.value)
    assert f"caf_refusals.csv: {bad:,} of {len(frame):,} rows" in message
    assert "more than the 1% that leaving out invalid rows allows" in message
    assert f"The commonest problem, in {bad:,} row(s): is not one of the allowed values" in message
