"""What a notebook leaves for the batch besides its page: tidy CSV tables and its warnings.

Floor 1: files, no display. ``report`` (the page) and ``batch`` (the runner) both use it, so the
runner never imports display code to find where a notebook wrote.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Where a notebook leaves warnings for the batch summary (beside ``tables/``).
WARNINGS_FILE = "{notebook}.warnings.txt"


def tidy_for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """ISO dates, months as YYYY-MM, integers as integers."""
    out = table.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime("%Y-%m-%d")
        elif isinstance(series.dtype, pd.PeriodDtype):
            out[column] = series.astype(str)
    return out


def write_table(table: pd.DataFrame, name: str, output_dir: str | Path | None) -> Path | None:
    """Write ``<output_dir>/<name>.csv`` (UTF-8, one fact per row); nothing when no dir given."""
    if not output_dir:
        return None
    path = Path(output_dir) / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tidy_for_csv(table).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def warnings_path(output_dir: str | Path, notebook: str) -> Path:
    """The file in which ``notebook`` leaves its warnings, beside the ``tables/`` folder."""
    return Path(output_dir).parent / WARNINGS_FILE.format(notebook=notebook)


def record_warning(message: str, notebook: str, output_dir: str | Path | None) -> None:
    """Pass a warning to the batch summary (one line); nothing when no output dir is given."""
    if output_dir:
        with open(warnings_path(output_dir, notebook), "a", encoding="utf-8") as handle:
            handle.write(message.replace("\n", " ") + "\n")
