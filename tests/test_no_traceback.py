"""Every failure is a sentence: the batch, run as an analyst runs it, never prints a traceback.

Each broken extract of the corpus, and each bad command line or unusable folder, goes through
``python -m helpers.batch`` in its own process; the run must stop with exit status 2, a message
naming what to fix, no ``Traceback`` on either stream, and no report or partial folder left.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_broken_extracts import CASES, LOADS_WITH_WARNING

from helpers.extract import SYNTHETIC_DIR

REFUSED = [case for case in CASES if case.name not in LOADS_WITH_WARNING]
pytestmark = pytest.mark.slow  # a Python process per case


def batch(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.batch", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def assert_sentence_not_traceback(result: subprocess.CompletedProcess, *words: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    for word in words:
        assert word in output, output


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_a_broken_extract_stops_the_batch_with_a_message(case, tmp_path):
    out = tmp_path / "reports"
    result = batch("--month", "2015-09", "--data-dir", str(case), "--output-dir", str(out))
    first = (case / "expected.txt").read_text(encoding="utf-8").splitlines()[0]
    file_named = first.split(":")[0].split(",")[0]
    assert_sentence_not_traceback(result, file_named)
    # No report and no partial folder: only the refusal's full list of problems, for the analyst.
    assert leftovers(out) == ["2015-09.failed"]
    assert (out / "2015-09.failed" / "refused_rows.csv").is_file()
    assert f"Every problem, row by row: {out / '2015-09.failed' / 'refused_rows.csv'}" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--month", "2015-13"], ["2015-13", "not a month"]),
        (["--month", "September"], ["September"]),
        (["--data-dir", "/no/such/extract", "--month", "2015-09"], ["/no/such/extract"]),
        (["--edition", "/no/such/edition.yaml"], ["/no/such/edition.yaml"]),
    ],
    ids=["month-13", "month-in-words", "no-extract", "no-edition"],
)
def test_a_bad_command_line_is_a_sentence(args, words, tmp_path):
    out = tmp_path / "reports"
    result = batch(*args, "--output-dir", str(out))
    assert_sentence_not_traceback(result, *words)
    assert leftovers(out) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only folder")
def test_an_unwritable_output_folder_is_a_sentence(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = batch("--month", "2015-09", "--output-dir", str(out))
    finally:
        out.chmod(0o700)
    assert_sentence_not_traceback(result, str(out))


def test_an_output_folder_that_is_a_file_is_a_sentence(tmp_path):
    out = tmp_path / "reports"
    out.write_text("not a folder", encoding="utf-8")
    result = batch("--month", "2015-09", "--data-dir", str(SYNTHETIC_DIR), "--output-dir", str(out))
    assert_sentence_not_traceback(result, str(out))
