"""What a file of the extract is, before its cells are read: encoding, delimiter, header, sheets.

Case-management systems export CSV files in many dialects. Each check here turns a dialect that
would otherwise read as "column is missing" nine times (or as a traceback) into one sentence
naming the file and what to change in the export.
"""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITER_NAMES = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def encoding_of(path: Path) -> str | None:
    """``utf-16`` for a file with a UTF-16 byte-order mark (Excel's "Unicode text"), else None."""
    with open(path, "rb") as handle:
        start = handle.read(2)
    return "utf-16" if start in UTF16_BOMS else None


def first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        return handle.readline()


def delimiter_problem(path: Path, expected: list[str], encoding: str = "utf-8") -> str | None:
    """A sentence when the header is split by something other than commas, else None."""
    header = first_line(path, encoding).strip("\ufeff\r\n")
    if "," in header:
        return None
    try:
        found = csv.Sniffer().sniff(header, delimiters=";\t|").delimiter
    except csv.Error:
        return None
    names = [part.strip().lower() for part in header.split(found)]
    if len(names) < 2 or not set(names) & set(expected):
        return None
    return (
        f"columns are separated by {DELIMITER_NAMES.get(found, repr(found))}, not commas: "
        "export the file as CSV (comma delimited)"
    )


def normalised(column: object) -> str:
    """A header as the contract spells it: lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", str(column).strip().lower())


def match_headers(columns: list[object], expected: list[str]) -> tuple[dict[object, str], list]:
    """Headers that differ from the contract only in case or spacing: ``{as written: name}``,
    and the ones renamed (for a warning)."""
    renames, changed = {}, []
    for column in columns:
        name = normalised(column)
        if name in expected and str(column).strip() != name:
            renames[column] = name
            changed.append(str(column).strip())
    return renames, changed


def missing_sheet_message(name: str, sheets: list[str]) -> str:
    """The sentence for a workbook without the sheet ``name``: the sheets it has, and a guess."""
    near = difflib.get_close_matches(name, sheets, n=1, cutoff=0.4) or difflib.get_close_matches(
        name.replace("caf_", ""), [s.lower() for s in sheets], n=1, cutoff=0.4
    )
    found = ", ".join(repr(s) for s in sheets) or "none"
    hint = f"; did you mean {near[0]!r}? Rename it to {name!r}" if near else ""
    return f"sheet is missing from the workbook (its sheets: {found}){hint}"
