"""The pre-commit guard for data files: no extract, table or export reaches git by mistake.

    python -m helpers.dev.guard FILE...     # the files being committed (pre-commit passes them)
    python -m helpers.dev.guard --all       # every file git would commit, and the synthetic check

Personal data must never be committed. Three rules, each failure a sentence naming the file
and what to do:

1. A data file (CSV, TSV, Excel, OpenDocument, Parquet, Feather, or JSON that holds rows) may be
   committed only in the places invented or public data lives: the synthetic extract
   (``data/raw/synthetic/``, and the Annex A workbook and the Standard Safeguarding Dataset made
   from it), ``config/``, ``data/external/`` and ``tests/`` (the fixtures).
   Anywhere else (the repository root, beside the notebooks, a custom ``--output-dir`` inside the
   repository) it is refused.
2. The synthetic extract's files must be what its manifest records (checksum), and nothing
   else may sit in its folder: a real export written over ``caf_episodes.csv`` is refused. The
   synthetic SSD's tables are checked the same way (the checksum of the rows read).
3. Where IMD 2015 is already on this machine (no download), the synthetic files are also
   regenerated and compared byte for byte with the generator's output, as the tests do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.config import PROJECT_ROOT
from helpers.extract import CONTRACT, SYNTHETIC_DIR, SYNTHETIC_MANIFEST, extract_sha256

#: File name endings that hold tables of data.
DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".parquet", ".feather", ".json"}
)
#: Where data files may be committed (invented or public data only), relative to the root.
ALLOWED_PLACES = (
    "data/raw/synthetic/",
    "data/raw/synthetic_annex_a/",
    "data/raw/synthetic_ssd/",
    "config/",
    "data/external/",
    "tests/",
)
#: The synthetic extract's folder as committed: the contract's files and the manifest.
SYNTHETIC_FILES = frozenset({f"{name}.csv" for name in CONTRACT} | {SYNTHETIC_MANIFEST})


def relative(path: Path, root: Path = PROJECT_ROOT) -> str:
    absolute = path if path.is_absolute() else root / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def json_holds_rows(path: Path) -> bool:
    """Whether a JSON file holds rows of data rather than settings.

    Rows: a list of records (objects or lists), at the top or as a value of the top object
    (``{"data": [...]}``, GeoJSON's features, pandas' ``split`` and ``table`` forms), or
    pandas' ``columns``/``index`` form: an object of objects that all share the same keys.
    A file that cannot be read as JSON is treated as data: it cannot be shown to be harmless.
    """
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True

    def is_rows(item: object) -> bool:
        return isinstance(item, list) and any(isinstance(x, (dict, list)) for x in item)

    if is_rows(value):
        return True
    if isinstance(value, dict):
        if any(is_rows(item) for item in value.values()):
            return True
        inner = [item for item in value.values() if isinstance(item, dict)]
        if len(inner) >= 2 and len(inner) == len(value):
            keys = [frozenset(item) for item in inner]
            return len(set(keys)) == 1 and len(keys[0]) >= 2
    return False


def is_data_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        return False
    return suffix != ".json" or json_holds_rows(path)


def misplaced_data(paths: list[Path], root: Path = PROJECT_ROOT) -> list[str]:
    """Rule 1: data files outside the places where invented or public data lives."""
    problems = []
    for path in paths:
        name = relative(path, root)
        absolute = root / name
        if name.startswith(ALLOWED_PLACES) or not absolute.is_file():
            continue
        if is_data_file(absolute):
            problems.append(
                f"{name}: a data file outside the places data may be committed "
                f"({', '.join(ALLOWED_PLACES)}). It may hold personal data: take it out of the "
                f"commit (git rm --cached {name}) and keep extracts and reports outside the "
                "repository, or in data/raw/ or reports/, which git ignores."
            )
    return problems


def synthetic_problems(folder: Path = SYNTHETIC_DIR) -> list[str]:
    """Rule 2: the synthetic extract is what its manifest records, and nothing else."""
    where = relative(folder)
    manifest_path = folder / SYNTHETIC_MANIFEST
    if not manifest_path.is_file():
        return [f"{where}/{SYNTHETIC_MANIFEST} is missing; restore it (git checkout -- {where})"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    extra = sorted(p.name for p in folder.iterdir() if p.name not in SYNTHETIC_FILES)
    if extra:
        problems.append(
            f"{where} holds files that are not the synthetic extract ({', '.join(extra)}); "
            "move them out of the repository: only the generator's files belong there"
        )
    if manifest.get("sha256") != extract_sha256(folder):
        problems.append(
            f"{where}: the files are not the synthetic extract its manifest records (the "
            "checksum differs): a file there was edited or replaced, perhaps by a real export. "
            f"Restore them (git checkout -- {where}) or regenerate them with `make synthetic`."
        )
    return problems


def synthetic_ssd_problems(folder: Path | None = None) -> list[str]:
    """Rule 2 for the synthetic SSD: its two tables and manifest only, and the rows the reader
    reads from them are those its manifest records (their checksum)."""
    from helpers.dev.synthetic_ssd import TYPES, manifest
    from helpers.ssd import SYNTHETIC_SSD_DIR

    folder = folder or SYNTHETIC_SSD_DIR
    where = relative(folder)
    expected = {f"{name}.csv" for name in TYPES} | {SYNTHETIC_MANIFEST}
    extra = sorted(p.name for p in folder.iterdir() if p.name not in expected)
    missing = sorted(expected - {p.name for p in folder.iterdir()})
    if extra or missing:
        return [
            f"{where} should hold exactly {', '.join(sorted(expected))} (extra: "
            f"{', '.join(extra) or 'none'}; missing: {', '.join(missing) or 'none'}): restore it "
            f"(git checkout -- {where}) or regenerate it with python -m helpers.dev.synthetic_ssd"
        ]
    recorded = json.loads((folder / SYNTHETIC_MANIFEST).read_text(encoding="utf-8"))
    if recorded.get("sha256") != manifest(folder)["sha256"]:
        return [
            f"{where}: the tables are not the synthetic SSD its manifest records (the checksum "
            f"of their rows differs): restore them (git checkout -- {where}) or regenerate them "
            "with python -m helpers.dev.synthetic_ssd"
        ]
    return []


def regenerated_problems(folder: Path = SYNTHETIC_DIR) -> list[str]:
    """Rule 3: byte for byte against the generator, when IMD 2015 is here without a download."""
    from helpers.dev.synthetic import generate, to_csv_text
    from helpers.reference import imd_available, load_imd2015

    available, _reason = imd_available(allow_download=False)
    if not available:
        return []  # the manifest's checksum (rule 2) still holds the files to the generator's
    tables = generate(load_imd2015(allow_download=False))
    return [
        f"{relative(folder)}/{name}.csv is not what the generator writes; restore it "
        f"(git checkout -- {relative(folder)}) or regenerate with `make synthetic`"
        for name, frame in tables.items()
        if (folder / f"{name}.csv").read_text(encoding="utf-8") != to_csv_text(frame, name)
    ]


def committable_files(root: Path = PROJECT_ROOT) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return [root / name for name in listed.stdout.split("\0") if name]


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    everything = arguments[:1] == ["--all"]
    paths = committable_files() if everything else [Path(a) for a in arguments]
    problems = misplaced_data(paths)
    touches_synthetic = everything or any(
        relative(p).startswith("data/raw/synthetic/") for p in paths
    )
    if touches_synthetic:
        problems += synthetic_problems()
        if not problems:
            problems += regenerated_problems()
    if everything or any(relative(p).startswith("data/raw/synthetic_ssd/") for p in paths):
        problems += synthetic_ssd_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
