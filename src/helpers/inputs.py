"""Any input the report reads, loaded by its kind: where the batch, the checker and each
notebook's ``data_dir`` meet the readers.

Kinds (``--format``): ``native`` (the extract contract's CSVs or workbook), ``annex-a`` (the
Ofsted Annex A workbook's List 2, ``helpers.annex_a``) and ``ssd`` (the Standard Safeguarding
Dataset, ``helpers.ssd``: a database URL, or a folder of its tables as CSV files). Under
``auto`` a database URL and a folder holding ``ssd_early_help_episodes.csv`` are read as the SSD,
an Excel file with a List 2 sheet as Annex A, anything else as the native contract.

A database URL stays text (it is no path): :func:`input_location` refuses one that carries a
password, saying where the password goes instead.

Floor 4: above the readers (``annex_a`` on floor 2, ``ssd`` on floor 3).
"""

from __future__ import annotations

from pathlib import Path

from helpers import annex_a
from helpers.database import (
    DatabaseProblem,
    is_database_url,
    refuse_password_in_url,
    shown_url,
)
from helpers.extract import VALIDATED_MANIFEST, Extract, load_extract, resolve_data_dir
from helpers.ssd import is_ssd_source, load_ssd

SSD_FORMAT = "ssd"
FORMATS = (*annex_a.FORMATS, SSD_FORMAT)


def input_location(data_dir: str | Path | None, where: str = "--data-dir") -> Path | str:
    """What ``data_dir`` names: a database URL as given (refused, naming ``where``, if it holds
    a password), or the path of a file or folder that exists (blank: the synthetic extract)."""
    if is_database_url(str(data_dir or "")):
        refuse_password_in_url(str(data_dir), where)
        return str(data_dir).strip()
    path = resolve_data_dir(data_dir).resolve()
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such extract (a folder of CSVs, an .xlsx file, or a database URL)"
        )
    return path


def is_ssd(source: str | Path, data_format: str = "auto") -> bool:
    """Whether ``source`` is read as the Standard Safeguarding Dataset under ``data_format``."""
    return data_format == SSD_FORMAT or (data_format == "auto" and is_ssd_source(source))


def load_any_extract(
    source: str | Path,
    allow_invalid: bool = False,
    data_format: str = "auto",
    refused_rows: str | Path | None = None,
) -> Extract:
    """An input of any kind, as ``data_format`` says (see the module); ``refused_rows``: a CSV
    to write every problem to, row by row, as found."""
    if data_format not in FORMATS:
        raise ValueError(f"the format is {data_format!r}; use one of {', '.join(FORMATS)}")
    if is_database_url(str(source)):
        if data_format not in ("auto", SSD_FORMAT):
            raise DatabaseProblem(
                f"{shown_url(str(source))}: a database URL is read as the Standard Safeguarding "
                f"Dataset: give --format {SSD_FORMAT} or auto, not {data_format}"
            )
    elif (Path(source) / VALIDATED_MANIFEST).is_file():
        return load_extract(Path(source))
    if is_ssd(source, data_format):
        return annex_a.listing_refused_rows(
            lambda sink: load_ssd(source, allow_invalid, sink), refused_rows
        )
    return annex_a.load_any_extract(Path(source), allow_invalid, data_format, refused_rows)


def load_report_extract(data_dir: str | Path | None) -> Extract:
    """What a notebook reads: the input its ``data_dir`` names (blank: the synthetic extract)."""
    return load_any_extract(input_location(data_dir, "data_dir"))
