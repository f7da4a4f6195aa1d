"""Re-execute the committed notebooks in place, on the synthetic extract (``make notebooks``).

Committed notebooks carry the outputs of their default run, so that they render where the
repository is hosted and nbval can compare a fresh run with them. Each is stamped with the data
source it ran on; tests refuse a committed notebook whose outputs came from anything else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.batch import KERNEL, NOTEBOOKS_DIR, _data_source
from helpers.extract import load_extract
from helpers.synthetic import SYNTHETIC_DIR


def committed_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def refresh(paths: list[Path] | None = None) -> None:
    source = _data_source(load_extract(SYNTHETIC_DIR))
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


if __name__ == "__main__":
    refresh([Path(p).resolve() for p in sys.argv[1:]] or None)
