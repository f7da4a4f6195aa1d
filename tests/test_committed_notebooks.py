"""Committed notebooks: run on the synthetic extract only, with outputs, errors none."""

from __future__ import annotations

import nbformat
import pytest

from helpers.dev.notebooks import committed_notebooks
from helpers.extract import SYNTHETIC_DIR, extract_sha256

NOTEBOOKS = committed_notebooks()


def test_every_section_has_a_notebook():
    prefixes = {path.name[:2] for path in NOTEBOOKS}
    assert {"01", "02", "03", "05", "06", "07"} <= prefixes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_outputs_came_from_the_committed_synthetic_extract(path):
    nb = nbformat.read(path, as_version=4)
    source = nb.metadata.get("earlyhelp", {}).get("data_source", {})
    assert source.get("synthetic") is True, f"{path.name}: not run on the synthetic extract"
    assert source.get("extract_sha256") == extract_sha256(SYNTHETIC_DIR), (
        f"{path.name}: outputs are from another version of the extract; run `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_parameters_cell_first_and_outputs_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert any(cell.outputs for cell in code), f"{path.name} has no outputs"
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", path.name
            assert output.get("name") != "stderr", f"{path.name}: {output.get('text', '')[:200]}"


def test_the_pre_commit_check_refuses_outputs_from_other_data(tmp_path):
    from helpers.dev.notebooks import check

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.metadata["earlyhelp"]["data_source"] = {
        "synthetic": False,
        "extract": "caf_2016_02",
        "extract_sha256": "0" * 64,
    }
    real = tmp_path / "01_from_a_real_extract.ipynb"
    nbformat.write(nb, real)
    assert check([real]) == 1
    assert check(NOTEBOOKS) == 0
    cleared = nbformat.read(real, as_version=4)
    for cell in cleared.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(cleared, real)
    assert check([real]) == 0  # no outputs, nothing to leak


def test_a_real_looking_extract_in_data_raw_is_ignored_by_git(tmp_path):
    import subprocess

    from helpers.config import PROJECT_ROOT

    candidates = [
        "data/raw/caf_2016_02/caf_episodes.csv",
        "data/raw/extract_2016-02.xlsx",
        "data/processed/anything.parquet",
        "reports/2016-02/tables/open_by_lead_agency.csv",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *candidates],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(result.stdout.split()) == sorted(candidates)
    kept = subprocess.run(
        ["git", "check-ignore", "--no-index", "data/raw/synthetic/caf_episodes.csv"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert kept.returncode == 1  # the synthetic extract is not ignored


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_report_says_which_data_it_shows(path):
    nb = nbformat.read(path, as_version=4)
    shown = "".join(
        str(output.get("data", {}).get("text/html", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "Synthetic data." in shown, f"{path.name} does not show its data-source banner"
