"""``make bench`` runs (issue 20, case 7): a smoke test at a tiny scale, one repeat of a
one-notebook edition and an extract twice the committed one. It asserts only that the
benchmark completes and prints its table; how fast anything ran is never a test's business."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from helpers.config import PROJECT_ROOT
from helpers.reference import MIRROR_ENV

pytestmark = pytest.mark.slow  # runs the batch several times


def test_the_benchmark_completes_and_prints_its_table(tmp_path, imd_mirror):
    edition = tmp_path / "budget.yaml"  # one notebook: the smallest edition there is
    edition.write_text("name: Budget\nperiod: 2016-01\nnotebooks:\n  06_budget: {}\n", "utf-8")
    run = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "benchmarks" / "run.py"),
            *("--repeat", "1", "--scales", "2", "--edition", str(edition)),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=PROJECT_ROOT,
        env={**os.environ, MIRROR_ENV: str(imd_mirror), "EARLYHELP_NO_PROGRESS": "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    table = run.stdout[run.stdout.index("run,seconds,peak_mb") :]
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [row["run"] for row in rows] == [
        "edition, 1x (committed extract)",
        "floor: import-only notebooks",
        "edition, 1x, --jobs 2",
        "edition, 2x",
    ]
    for row in rows:
        assert float(row["seconds"]) > 0 and int(row["peak_mb"]) > 0, row
