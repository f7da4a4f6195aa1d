"""Re-execute the committed notebooks in place, on the synthetic extract (``make notebooks``).

    python -m helpers.dev.notebooks                # re-execute every committed notebook
    python -m helpers.dev.notebooks --check [NB]   # the pre-commit check (exit 1 on other data)

Committed notebooks carry the outputs of their default run, so that they render where the
repository is hosted and nbval can compare a fresh run with them. Each is stamped with the data
source it ran on; tests refuse a committed notebook whose outputs came from anything else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.batch import KERNEL, NOTEBOOKS_DIR, data_source
from helpers.extract import SYNTHETIC_DIR, extract_sha256, load_extract


def committed_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def refresh(paths: list[Path] | None = None) -> None:
    source = data_source(load_extract(SYNTHETIC_DIR))
    for path in paths or committed_notebooks():
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=600,
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        ).execute()
        nb.metadata["earlyhelp"] = {"data_source": source}
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
        print(f"executed {path.relative_to(NOTEBOOKS_DIR.parent)}")


def provenance_problems(path: Path, synthetic_sha256: str) -> list[str]:
    """Why a notebook may not be committed: outputs not from the committed synthetic extract."""
    nb = nbformat.read(path, as_version=4)
    has_outputs = any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    source = nb.metadata.get("earlyhelp", {}).get("data_source", {})
    if not has_outputs:
        return []
    if source.get("synthetic") is not True:
        return [
            f"{path.name}: its outputs did not come from the synthetic extract "
            f"({source.get('extract', 'no data source recorded')}); clear them or run "
            "`make notebooks` before committing"
        ]
    if source.get("extract_sha256") != synthetic_sha256:
        return [
            f"{path.name}: its outputs came from another version of the synthetic extract; "
            "run `make notebooks`"
        ]
    return []


def check(paths: list[Path]) -> int:
    """Exit status for the pre-commit hook: 1 when any notebook carries other data's outputs."""
    digest = extract_sha256(SYNTHETIC_DIR)
    problems = [p for path in paths for p in provenance_problems(path, digest)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--check"]:
        targets = [Path(p).resolve() for p in arguments[1:]] or committed_notebooks()
        sys.exit(check(targets))
    refresh([Path(p).resolve() for p in arguments] or None)
