"""Provenance names the data as it is (issue 20, case 7): only the extract committed with the
repository is "the committed synthetic extract"; another the generator made (a benchmark's
scaled copy, say) is named as generated, and a real extract by its file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import batch
from helpers.dev.synthetic import scale_tables, write_extract
from helpers.extract import SYNTHETIC_DIR, load_extract
from helpers.provenance import data_source, described

ANNEX_A = batch.PROJECT_ROOT / "data" / "raw" / "synthetic_annex_a" / "annex_a_example.xlsx"


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Path:
    """The generator's extract at twice the committed size: invented, but calibrated to nothing."""
    extract = load_extract(SYNTHETIC_DIR)
    tables = {
        "caf_episodes": extract.episodes,
        "caf_refusals": extract.refusals,
        "families": extract.families,
        "budget": extract.budget,
    }
    return write_extract(scale_tables(tables, 2), tmp_path_factory.mktemp("bench") / "x2")


def test_only_the_committed_extract_is_called_committed(scaled, tmp_path):
    committed = data_source(load_extract(SYNTHETIC_DIR))
    assert committed["committed"] and committed["extract"] == "synthetic"
    assert described(committed) == "the committed synthetic extract (invented data)"
    generated = data_source(load_extract(scaled))
    assert generated["synthetic"] and not generated["committed"]
    assert described(generated) == (
        "a synthetic extract made by the project's generator, x2 (invented data, calibrated "
        "to no published figure)"
    )
    real = tmp_path / "extract-2016-03"  # the same rows without the manifest: a real extract
    shutil.copytree(SYNTHETIC_DIR, real, ignore=shutil.ignore_patterns("manifest.json"))
    assert described(data_source(load_extract(real))) == "extract extract-2016-03"
    assert described({}).startswith("not read")


def test_the_committed_annex_a_workbook_is_called_committed():
    from helpers.annex_a import load_any_extract

    source = data_source(load_any_extract(ANNEX_A))
    assert described(source) == "the committed synthetic Annex A workbook (invented data)"


@pytest.mark.slow  # runs a notebook through Papermill
def test_a_run_on_a_generated_extract_says_so_in_its_log_and_front_page(scaled, tmp_path):
    report = batch.run_batch({"06_budget": {}}, "2016-01", scaled, tmp_path / "out", progress=False)
    log = (report / "run.log").read_text(encoding="utf-8")
    assert "data source: a synthetic extract made by the project's generator, x2" in log
    assert "the committed synthetic extract" not in log
    front = (report / "index.html").read_text(encoding="utf-8")
    assert "a synthetic extract made by the project&#x27;s generator, x2" in front
