"""Committed notebooks: run on the synthetic extract only, with outputs, errors none."""

from __future__ import annotations

import nbformat
import pytest

from helpers.extract import extract_sha256
from helpers.notebooks import committed_notebooks
from helpers.synthetic import SYNTHETIC_DIR

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
