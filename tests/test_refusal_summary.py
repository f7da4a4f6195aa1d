"""A refusal summarised (issue 20, What to build 6): one line per file, column, problem and
value with its row count and the setting to change, then a few examples; the full list as CSV.

Before: another authority's extract with its team named "Family Hub" gave "4060 problem(s)",
fifty identical lines and "... and 4010 more", and the full list was written nowhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from helpers import batch
from helpers.annex_a import load_any_extract
from helpers.extract import SYNTHETIC_DIR, ExtractError
from helpers.extract_problems import LINES_SHOWN, VALUES_COUNTED, Problems, summary_text

TEAM = "Children & Families First"


@pytest.fixture
def renamed_team(tmp_path) -> tuple[Path, int]:
    """The synthetic extract with the team renamed "Family Hub" in every episode, as another
    authority's export has it; and how many episodes that is."""
    folder = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    (folder / "manifest.json").unlink()
    path = folder / "caf_episodes.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    renamed = frame["lead_agency"].eq(TEAM)
    frame.loc[renamed, "lead_agency"] = "Family Hub"
    renamed.iloc[0] = False
    frame.loc[0, "lead_agency"] = '=HYPERLINK("x")'  # row 2: a formula, to be made safe
    frame.to_csv(path, index=False, lineterminator="\n")
    return folder, int(renamed.sum())


def test_one_line_per_value_with_its_count_and_the_setting_to_change(renamed_team, tmp_path):
    folder, renamed = renamed_team
    listed = tmp_path / "refused_rows.csv"
    with pytest.raises(ExtractError) as caught:
        load_any_extract(folder, refused_rows=listed)
    message = str(caught.value)
    lines = message.splitlines()
    assert (
        lines[0] == f"The extract {folder} has {renamed + 1:,} problem(s); no report was written."
    )
    assert lines[1].startswith("  - caf_episodes.csv, row 2, column lead_agency: is not one of")
    assert lines[2].startswith("  - caf_episodes.csv, column lead_agency: is not one of the")
    assert f"(value 'Family Hub'), in {renamed:,} rows: " in lines[2] and lines[2].endswith(
        ", ...; if it is right, add it to lead_agencies in config/categories.yaml"
    )
    assert "(value '=HYPERLINK(\"x\")'), in 1 rows" not in message  # one row: a plain line
    assert lines[3] == "  Examples, row by row:"
    assert lines[4].startswith("    caf_episodes.csv, row 2, column lead_agency")
    assert message.count("\n    caf_episodes.csv, row ") == 2  # one example per line
    assert lines[-1] == f"Every problem, row by row: {listed}"
    full = pd.read_csv(listed, dtype=str, keep_default_na=False)
    assert list(full.columns) == ["file", "row", "column", "value", "problem"]
    assert len(full) == renamed + 1
    assert full["value"].value_counts()["Family Hub"] == renamed
    assert '\'=HYPERLINK("x")' in set(full["value"])  # formula-safe, as every CSV written


def test_many_values_are_counted_apart_up_to_a_limit_and_the_rest_together():
    problems = Problems(kept_per_column=5)
    values = [f"V{i:03d}" for i in range(100) for _ in range(2)]
    problems.add_rows("f.csv", "a", range(2, 202), values, "is wrong")
    text = summary_text(problems, problems.total)
    lines = text.splitlines()
    assert lines[0] == "  - f.csv, column a: is wrong (value 'V000'), in 2 rows: 2, 3"
    assert len([line for line in lines if "(value 'V" in line and " in 2 rows" in line]) == (
        VALUES_COUNTED
    )
    assert (
        f"  - f.csv, column a: is wrong, in {200 - 2 * VALUES_COUNTED} rows with other values: "
        f"{2 * VALUES_COUNTED + 2}, " in text
    )


def test_past_the_lines_shown_the_rest_are_counted():
    problems = Problems()
    for column in range(LINES_SHOWN + 10):
        problems.add_rows("f.csv", f"c{column}", [column + 2], ["x"], "is wrong")
    lines = summary_text(problems, problems.total).splitlines()
    assert len(lines) == LINES_SHOWN + 1
    assert lines[-1] == "  ... and 10 more problem(s)"


def test_a_workbook_refused_before_any_cell_still_gets_its_list(tmp_path):
    book = Workbook()
    book.active.title = "List 1"
    book.save(tmp_path / "annex.xlsx")
    listed = tmp_path / "refused_rows.csv"
    with pytest.raises(ExtractError, match="has no sheet named 'List 2'"):
        load_any_extract(tmp_path / "annex.xlsx", data_format="annex-a", refused_rows=listed)
    assert pd.read_csv(listed)["problem"].str.contains("no sheet named 'List 2'").all()


def test_a_refused_batch_keeps_the_full_list_in_the_failed_folder(renamed_team, tmp_path, capsys):
    folder, renamed = renamed_team
    out = tmp_path / "reports"
    status = batch.main(["--month", "2015-09", "--data-dir", str(folder), "--output-dir", str(out)])
    assert status == 2
    message = capsys.readouterr().err
    kept = out / "2015-09.failed" / "refused_rows.csv"
    assert message.rstrip().endswith(f"Every problem, row by row: {kept}")
    assert f"in {renamed:,} rows" in message
    assert len(pd.read_csv(kept)) == renamed + 1
    assert not (out / "2015-09").exists()  # no report
    assert "result: FAILED: the extract was refused" in (kept.parent / "run.log").read_text(
        encoding="utf-8"
    )
    assert not [p for p in out.iterdir() if "partial" in p.name]
