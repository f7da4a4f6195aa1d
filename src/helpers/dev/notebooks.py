"""Re-execute the committed notebooks in place, on the synthetic extract (``make notebooks``).

    python -m helpers.dev.notebooks                # re-execute every committed notebook
    python -m helpers.dev.notebooks --check [NB]   # the pre-commit check (exit 1 on other data)

Committed notebooks carry the outputs of their default run, so that they render where the
repository is hosted and nbval can compare a fresh run with them. The check trusts no stamp:
the data-source banner's output records, at run time, the checksum of the data the kernel read
(``helpers.report.DataSourceBanner``), and a notebook may be committed only when it has no
outputs, or when every such record names the committed synthetic extract and at least one is
there. A notebook re-run in JupyterLab on a real extract keeps whatever stamp its metadata had,
but its banner records the real extract's checksum, and the check refuses it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.batch import KERNEL, NOTEBOOKS_DIR, data_source
from helpers.config import PROJECT_ROOT
from helpers.extract import SYNTHETIC_DIR, SYNTHETIC_MANIFEST, load_extract
from helpers.kernels import BatchKernelManager
from helpers.report import DATA_RECORD_KEY

#: The kernel the committed notebooks name: the project's (``make install`` installs it under this
#: display name, and a conda environment as the README says). JupyterLab rewrites a notebook's
#: kernel metadata to the kernel it starts, marking it modified, unless the two agree.
KERNELSPEC = {"name": KERNEL, "display_name": "Early Help reporting", "language": "python"}


def committed_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def repository_notebooks(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every notebook git would commit, anywhere in the repository (tracked or not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "*.ipynb"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): every notebook
        return sorted(
            p for p in root.rglob("*.ipynb") if not {".venv", ".ipynb_checkpoints"} & set(p.parts)
        )
    return sorted({root / name for name in listed.stdout.split("\0") if name})


def refresh(paths: list[Path] | None = None) -> None:
    source = data_source(load_extract(SYNTHETIC_DIR))
    for path in paths or committed_notebooks():
        nb = nbformat.read(path, as_version=4)
        NotebookClient(  # the batch's kernels: local sockets, a quiet shutdown
            nb,
            kernel_name=KERNEL,
            timeout=600,
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
            kernel_manager_class=BatchKernelManager,
            record_timing=False,  # timestamps would change every cell at every refresh
        ).execute()
        for cell in nb.cells:  # and those an earlier refresh left
            cell.metadata.pop("execution", None)
        nb.metadata["earlyhelp"] = {"data_source": source}
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
        print(f"executed {path.relative_to(NOTEBOOKS_DIR.parent)}")


def synthetic_sha256() -> str:
    """The committed synthetic extract's checksum, as its manifest records it.

    The manifest, not the files: a real file written over ``data/raw/synthetic/`` changes the
    files' checksum but not the manifest's (``helpers.dev.guard`` refuses such files).
    """
    manifest = json.loads((SYNTHETIC_DIR / SYNTHETIC_MANIFEST).read_text(encoding="utf-8"))
    return str(manifest["sha256"])


def data_records(nb: nbformat.NotebookNode) -> Iterator[dict]:
    """The records of the data read, in the outputs of ``nb`` (one per banner shown)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            for metadata in output.get("metadata", {}).values():
                if isinstance(metadata, dict) and DATA_RECORD_KEY in metadata:
                    yield metadata[DATA_RECORD_KEY]


def provenance_problems(path: Path, synthetic: str) -> list[str]:
    """Why a notebook may not be committed: outputs not shown to come from the synthetic
    extract whose checksum is ``synthetic``. Its metadata stamp is not consulted."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable notebook: say so, no traceback
        return [f"{path}: cannot be read as a notebook ({error}); fix or remove it"]
    has_outputs = any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    if not has_outputs:
        return []
    shown = _shown(path)
    records = list(data_records(nb))
    if not records:
        return [
            f"{shown}: it has outputs but no record of the data they came from (the data-source "
            "banner, report.data_source_banner, records it when it runs); clear its outputs "
            "(Edit > Clear Outputs of All Cells) or, for a committed notebook, run "
            "`make notebooks` before committing"
        ]
    other = sorted({str(r.get("extract_sha256")) for r in records} - {synthetic})
    if other:
        return [
            f"{shown}: its outputs were computed from data other than the committed synthetic "
            f"extract (sha256 {', '.join(o[:12] for o in other)}, not {synthetic[:12]}); clear "
            "its outputs or run `make notebooks` before committing"
        ]
    return []


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check(paths: list[Path]) -> int:
    """Exit status for the pre-commit hook: 1 when any notebook carries other data's outputs."""
    digest = synthetic_sha256()
    problems = [p for path in paths for p in provenance_problems(path, digest)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.dev.notebooks",
        description="Re-execute the committed notebooks on the synthetic extract, or check them.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check instead: exit 1 if a notebook carries outputs of other data",
    )
    parser.add_argument("notebooks", nargs="*", help="notebooks (default: every committed one)")
    args = parser.parse_args(argv)
    targets = [Path(p).resolve() for p in args.notebooks]
    missing = [str(p) for p in targets if not p.is_file()]
    if missing:
        print(f"No such notebook: {', '.join(missing)}.", file=sys.stderr)
        return 2
    if args.check:
        return check(targets or repository_notebooks())
    refresh(targets or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
