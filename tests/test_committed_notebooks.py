"""Committed notebooks: run on the synthetic extract only, with outputs, errors none."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.dev.notebooks import committed_notebooks, data_records
from helpers.extract import SYNTHETIC_DIR, extract_sha256

NOTEBOOKS = committed_notebooks()


def test_every_section_has_a_notebook():
    prefixes = {path.name[:2] for path in NOTEBOOKS}
    assert {"01", "02", "03", "05", "06", "07"} <= prefixes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_outputs_came_from_the_committed_synthetic_extract(path):
    nb = nbformat.read(path, as_version=4)
    records = list(data_records(nb))  # what the kernel read, recorded by the banner at run time
    assert records, f"{path.name}: no record of the data its outputs came from; make notebooks"
    assert {r["extract_sha256"] for r in records} == {extract_sha256(SYNTHETIC_DIR)}, (
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


def test_the_pre_commit_check_refuses_outputs_from_other_data(tmp_path, capsys):
    from helpers.dev.notebooks import check
    from helpers.report import DATA_RECORD_KEY

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    for cell in nb.cells:  # the banner's record, as a run on a real extract writes it
        for output in cell.get("outputs", []):
            for metadata in output.get("metadata", {}).values():
                if DATA_RECORD_KEY in metadata:
                    metadata[DATA_RECORD_KEY] = {"extract_sha256": "0" * 64, "synthetic": False}
    # The stamp in the notebook's metadata still says synthetic: it is not what is checked.
    assert nb.metadata["earlyhelp"]["data_source"]["synthetic"] is True
    real = tmp_path / "01_from_a_real_extract.ipynb"
    nbformat.write(nb, real)
    assert check([real]) == 1
    assert "computed from data other than the committed synthetic extract" in (
        capsys.readouterr().err
    )
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


def test_outputs_without_a_record_of_their_data_are_refused(tmp_path, capsys):
    """An Untitled.ipynb that printed a table of children: outputs, and no banner's record."""
    from helpers.dev.notebooks import check

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("pd.read_csv('caf_episodes.csv').head()")
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "episode_id child_id\nE1 C1"})
    ]
    nb.cells = [cell]
    nb.metadata["earlyhelp"] = {"data_source": {"synthetic": True}}  # a stamp proves nothing
    untitled = tmp_path / "Untitled.ipynb"
    nbformat.write(nb, untitled)
    assert check([untitled]) == 1
    assert "has outputs but no record of the data they came from" in capsys.readouterr().err


def test_the_check_covers_notebooks_anywhere_in_the_repository():
    from helpers.config import PROJECT_ROOT
    from helpers.dev.notebooks import repository_notebooks

    found = repository_notebooks()
    assert set(NOTEBOOKS) <= set(found)
    stray = PROJECT_ROOT / "tests" / "stray-analysis.ipynb"  # not ignored, outside notebooks/
    stray.write_text(nbformat.writes(nbformat.v4.new_notebook()), encoding="utf-8")
    try:
        assert stray in repository_notebooks()
    finally:
        stray.unlink()


@pytest.mark.slow  # executes a notebook, as JupyterLab does
def test_a_jupyterlab_rerun_on_a_modified_extract_is_refused(tmp_path, capsys):
    """Open a committed notebook, point data_dir at another extract, run all, save: refused.

    The notebook keeps its metadata stamp ("synthetic") exactly as JupyterLab would; only what
    the kernel read differs. The same re-run on the committed synthetic extract passes.
    """
    import shutil

    from nbclient import NotebookClient

    from helpers.batch import KERNEL, NOTEBOOKS_DIR
    from helpers.dev.notebooks import check

    modified = tmp_path / "extract"
    shutil.copytree(SYNTHETIC_DIR, modified)
    budget = modified / "budget.csv"
    budget.write_text(budget.read_text("utf-8").replace("1897332", "1897333"), "utf-8")

    def rerun(data_dir: str) -> Path:
        nb = nbformat.read(NOTEBOOKS_DIR / "06_budget.ipynb", as_version=4)
        stamp = dict(nb.metadata["earlyhelp"])
        parameters = nb.cells[[c.cell_type for c in nb.cells].index("code")]
        parameters.source = parameters.source.replace(
            'data_dir: str = ""', f"data_dir = {data_dir!r}"
        )
        assert repr(data_dir) in parameters.source or data_dir == ""
        NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=300,
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        ).execute()
        assert nb.metadata["earlyhelp"] == stamp  # the stamp survives the re-run
        saved = tmp_path / f"06_budget_{'modified' if data_dir else 'synthetic'}.ipynb"
        nbformat.write(nb, saved)
        return saved

    assert check([rerun(str(modified))]) == 1
    assert "computed from data other than the committed synthetic extract" in (
        capsys.readouterr().err
    )
    assert check([rerun("")]) == 0


def test_the_refresh_command_answers_help_and_names_a_missing_notebook(capsys):
    from helpers.dev.notebooks import main

    with pytest.raises(SystemExit) as leaving:
        main(["--help"])
    assert leaving.value.code == 0
    assert "--check" in capsys.readouterr().out
    assert main(["--check", "no_such_notebook.ipynb"]) == 2
    assert "No such notebook" in capsys.readouterr().err
