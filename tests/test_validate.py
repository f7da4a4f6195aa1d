"""The validator on its own (issue 20, What to build 7): any input the batch reads, checked as
the batch checks it, without the notebooks; the summary, the data-quality files and a page."""

from __future__ import annotations

import copy
import subprocess
import sys

import pandas as pd
from test_annex_a_reading import row, workbook
from test_extract import VALID, write_extract

from helpers import validate


def test_a_valid_extract_says_so_and_writes_what_the_batch_writes(tmp_path, capsys):
    folder = write_extract(tmp_path / "extract")
    out = tmp_path / "quality"
    assert validate.main([str(folder), "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(
        "valid: 3 rows of caf_episodes.csv, 2 rows of caf_refusals.csv, 3 rows of families.csv, "
        "2 rows of budget.csv; 0 warning(s)"
    )
    for name in ("data_quality.csv", "data_quality_counts.csv", "data_quality_notes.csv"):
        assert (out / name).is_file() and f"written: {out / name}" in printed
    counts = pd.read_csv(out / "data_quality_counts.csv")
    assert counts["rows_read"].tolist() == [3, 2, 3, 2]
    assert not (out / "refused_rows.csv").exists()
    assert "Valid: the report can run on it (0 warning(s))." in (
        out / "data_quality.html"
    ).read_text(encoding="utf-8")


def test_a_refused_extract_prints_the_summary_and_writes_the_list_and_the_page(tmp_path, capsys):
    tables = copy.deepcopy(VALID)
    for record in tables["caf_episodes"]:
        record[3] = "<b>Family Hub</b>"  # markup in a value is shown, never run
    out = tmp_path / "quality"
    status = validate.main([str(write_extract(tmp_path / "x", tables)), "--output-dir", str(out)])
    assert status == 2
    err = capsys.readouterr().err
    assert "(value '<b>Family Hub</b>'), in 3 rows: 2, 3, 4; if it is right, add it to " in err
    assert err.rstrip().endswith(f"Every problem, row by row: {out / 'refused_rows.csv'}")
    assert len(pd.read_csv(out / "refused_rows.csv")) == 3
    page = (out / "data_quality.html").read_text(encoding="utf-8")
    assert "Refused: 3 problem(s)." in page
    assert "&lt;b&gt;Family Hub&lt;/b&gt;" in page and "<b>Family Hub</b>" not in page
    assert '<td class="n">3</td><td>2, 3, 4</td>' in page


def test_an_annex_a_workbook_is_checked_as_annex_a(tmp_path, capsys):
    good = workbook(tmp_path / "a.xlsx", [row("C1"), row("C2")])
    assert validate.main([str(good)]) == 0
    assert capsys.readouterr().out.startswith("valid: 2 rows of a.xlsx[List 2]; 0 warning(s)")
    bad = workbook(tmp_path / "b.xlsx", [row("C1", start=None)])
    assert validate.main([str(bad), "--format", "annex-a"]) == 2
    assert "b.xlsx[List 2], row 2, column Assessment start date: is required but blank" in (
        capsys.readouterr().err
    )


def test_help_answers_and_a_missing_input_is_a_sentence(tmp_path):
    helped = subprocess.run(
        [sys.executable, "-m", "helpers.validate", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "usage: python -m helpers.validate" in helped.stdout
    assert "--output-dir" in helped.stdout and "Exit status: 0 valid, 2 refused" in helped.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "helpers.validate", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2
    assert "no such extract" in missing.stderr and "Traceback" not in missing.stderr
