"""When IMD 2015 cannot be had: the map still runs, says so at its top; --strict refuses."""

from __future__ import annotations

import pytest

from helpers import batch

#: Every test here runs notebooks through Papermill (the batch).
pytestmark = pytest.mark.slow

PLAN = {"04_open_episodes_by_lsoa": {"snapshot_date": "2016-01-11"}, "06_budget": {}}


@pytest.fixture
def no_imd(tmp_path, monkeypatch):
    # Kernels inherit the environment: an empty cache, no mirror, no downloads.
    monkeypatch.delenv("EARLYHELP_REFERENCE_MIRROR", raising=False)
    monkeypatch.setenv("EARLYHELP_REFERENCE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("EARLYHELP_OFFLINE", "1")


def test_the_batch_runs_every_section_and_warns_at_the_top_of_the_map(no_imd, tmp_path, capsys):
    report = batch.run_batch(PLAN, "2016-01", output_dir=tmp_path / "reports", progress=False)
    summary = capsys.readouterr().out
    assert "1 warning(s)" in summary and "04_open_episodes_by_lsoa" in summary
    assert "EARLYHELP_REFERENCE_MIRROR" in summary  # how to supply the file
    html = (report / "html" / "04_open_episodes_by_lsoa.html").read_text(encoding="utf-8")
    warning_at = html.index("deprivation comparison is missing")
    assert warning_at < html.index("<img")  # above the first map, visible
    tables = {path.name for path in (report / "tables").iterdir()}
    assert {"open_by_lsoa.csv", "budget.csv"} <= tables
    assert "open_by_imd_decile.csv" not in tables


def test_strict_fails_instead_and_writes_no_report(no_imd, tmp_path):
    with pytest.raises(batch.BatchError, match="--strict"):
        batch.run_batch(
            PLAN, "2016-01", output_dir=tmp_path / "reports", strict=True, progress=False
        )
    assert not (tmp_path / "reports" / "2016-01").exists()
