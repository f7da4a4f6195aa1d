"""Problem collection stays bounded: the first N per file and column kept, the rest counted.

An extract where every row is wrong made one object per problem (16 million for a 200 MB
export, 10 GB). These tests shrink N to a handful so that a small extract shows the behaviour.
"""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest

from helpers import extract as extract_module
from helpers import extract_problems
from helpers.extract import SYNTHETIC_DIR, ExtractError, Problem, Problems, load_extract

KEPT = 5


@pytest.fixture
def many_bad_rows(tmp_path, monkeypatch):
    """40 episodes with a bad lead agency (rows 2-41), 40 with a bad level (rows 22-61)."""
    monkeypatch.setattr(extract_problems, "PROBLEMS_KEPT_PER_COLUMN", KEPT)
    folder = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    path = folder / "caf_episodes.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0:39, "lead_agency"] = "Nobody"
    frame.loc[20:59, "caf_level"] = "x"
    frame.to_csv(path, index=False, lineterminator="\n")
    return folder


def test_the_refusal_counts_every_problem_but_keeps_n_per_column(many_bad_rows):
    with pytest.raises(ExtractError) as raised:
        load_extract(many_bad_rows)
    error = raised.value
    assert error.total == 80
    assert str(error).splitlines()[0].endswith("has 80 problem(s); no report was written.")
    assert len(error.problems) == 2 * KEPT
    assert sorted(p.row for p in error.problems if p.column == "lead_agency") == [2, 3, 4, 5, 6]
    # The summary counts every problem, not only those kept: one line per column and value.
    lines = str(error).splitlines()
    assert (
        "  - caf_episodes.csv, column lead_agency: is not one of the allowed values" in (lines[1])
    )
    assert "(value 'Nobody'), in 40 rows: 2, 3, 4, 5, 6, ...; if it is right" in lines[1]
    assert "(value 'x'), in 40 rows: 22, 23, 24, 25, 26, ..." in lines[2]


def test_allow_invalid_still_leaves_out_every_bad_row(many_bad_rows, monkeypatch):
    lenient = dataclasses.replace(
        extract_module.extract_settings(), allow_invalid_max_left_out_pct=100.0
    )
    monkeypatch.setattr(extract_module, "extract_settings", lambda: lenient)
    written = len(pd.read_csv(many_bad_rows / "caf_episodes.csv"))
    loaded = load_extract(many_bad_rows, allow_invalid=True)
    counts = loaded.row_counts.set_index("file")
    assert counts.at["caf_episodes.csv", "rows_left_out"] == 60  # rows 2-61, every one
    assert len(loaded.episodes) == written - 60
    assert len(loaded.excluded) == 2 * KEPT  # listed: N per column
    assert any("80 problem(s)" in w for w in loaded.warnings)
    not_listed = [w for w in loaded.warnings if "the rest only counted" in w]
    assert len(not_listed) == 2, loaded.warnings
    assert (
        "caf_episodes.csv, column caf_level: 40 problems; the first 5 are listed" in (not_listed[0])
    )


def test_the_collector_keeps_n_counts_all_and_knows_every_bad_row():
    problems = Problems(kept_per_column=3)
    problems.add_rows("f.csv", "a", range(2, 12), [f"v{i}" for i in range(10)], "bad a")
    problems.add_rows("f.csv", "lsoa11cd", [20, 21], ["W1", "W2"], "not an LSOA")
    problems.append(Problem("f.csv", 30, "a", "late", "bad a again"))
    problems.append(Problem("g.csv", None, "b", None, "column is missing"))
    assert problems.total == len(problems) == 14
    assert [p.row for p in problems if p.column == "a"] == [2, 3, 4]  # the 4th onwards counted
    assert [p.value for p in problems if p.column == "lsoa11cd"] == ["W1", "W2"]
    # The map-only column keeps its rows (the episode counts everywhere but the map).
    assert problems.bad_rows("f.csv").tolist() == [*range(2, 12), 30]
    assert problems.commonest("f.csv") == ("bad a", 10)
    assert [p.message for p in problems.whole_file()] == ["column is missing"]
    assert problems.not_listed() == [
        "f.csv, column a: 11 problems; the first 3 are listed, the rest only counted"
    ]
