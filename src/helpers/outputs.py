"""What a notebook leaves for the batch besides its page: tidy CSV tables and its warnings.

Floor 1: files, no display. ``report`` (the page) and ``batch`` (the runner) both use it, so the
runner never imports display code to find where a notebook wrote.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd

#: Where a notebook leaves warnings for the batch summary (beside ``tables/``).
WARNINGS_FILE = "{notebook}.warnings.txt"
#: Where a notebook leaves its indicators' headlines for the edition's front page.
HEADLINES_FILE = "{notebook}.headlines.json"


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection"): reviewers open
#: these CSVs in Excel, and an extract value such as ``=HYPERLINK(...)`` would run there.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A cell that is a number as text (``-12``, ``+3.5``, ``-1e3``) stays a number: it is no formula.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def formula_safe(value: object) -> object:
    """``value`` with a leading single quote when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value):
        return "'" + value
    return value


def formula_safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and header) of ``table`` made safe to open in a spreadsheet."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(formula_safe)
    out.columns = [formula_safe(str(c)) for c in out.columns]
    return out


def tidy_for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """ISO dates, months as YYYY-MM, integers as integers, no cell a spreadsheet runs."""
    out = table.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime("%Y-%m-%d")
        elif isinstance(series.dtype, pd.PeriodDtype):
            out[column] = series.astype(str)
    return formula_safe_table(out)


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` as every CSV of a report is written (UTF-8, formula-safe)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tidy = tidy_for_csv(table)
    # With "\n" as line end, the csv writer quotes a cell holding "\n" but not one holding a bare
    # "\r", which a spreadsheet then reads as a line break: such a file gets every cell quoted.
    bare_cr = tidy.map(lambda v: isinstance(v, str) and "\r" in v).to_numpy().any()
    quoting = csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL
    tidy.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", quoting=quoting)
    return path


def write_table(table: pd.DataFrame, name: str, output_dir: str | Path | None) -> Path | None:
    """Write ``<output_dir>/<name>.csv`` (UTF-8, one fact per row); nothing when no dir given."""
    if not output_dir:
        return None
    return write_csv(table, Path(output_dir) / f"{name}.csv")


def warnings_path(output_dir: str | Path, notebook: str) -> Path:
    """The file in which ``notebook`` leaves its warnings, beside the ``tables/`` folder."""
    return Path(output_dir).parent / WARNINGS_FILE.format(notebook=notebook)


def record_warning(message: str, notebook: str, output_dir: str | Path | None) -> None:
    """Pass a warning to the batch summary (one line); nothing when no output dir is given."""
    if output_dir:
        with open(warnings_path(output_dir, notebook), "a", encoding="utf-8") as handle:
            handle.write(message.replace("\n", " ") + "\n")


def headlines_path(output_dir: str | Path, notebook: str) -> Path:
    """The file in which ``notebook`` leaves its headlines, beside the ``tables/`` folder."""
    return Path(output_dir).parent / HEADLINES_FILE.format(notebook=notebook)


def record_headline(headline: dict[str, str], notebook: str, output_dir: str | Path | None) -> None:
    """Pass an indicator's headline (what its RAG box says) to the edition's front page.

    Nothing when no output dir is given (an analyst's run in JupyterLab).
    """
    if not output_dir:
        return
    path = headlines_path(output_dir, notebook)
    found = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text(json.dumps([*found, headline], indent=1), encoding="utf-8")
