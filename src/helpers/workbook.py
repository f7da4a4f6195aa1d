"""An Excel workbook's sheet read as Excel shows it: every cell as the text on screen.

One reader for every workbook the project reads (a native extract's sheets, the Annex A
workbook's List 2), so that both treat Excel's quirks alike:

- an error cell (``#N/A``, ``#REF!``, ...) is read as its text, so that the checks refuse it by
  cell instead of reading a blank (pandas reads it as missing: closed episodes became open);
- a formula whose value was never saved (a workbook written by a program, not saved in Excel)
  is marked with :data:`UNSAVED_FORMULA` before its formula text, so that it is refused by
  cell with "open and save it in Excel", never read as blank. Such formulas are not evaluated:
  ``TODAY()`` or a lookup into another workbook would give a value the analyst never saw, and
  a different one each day;
- numbers are written as Excel shows them (``42248``, ``7.5``), dates as
  ``YYYY-MM-DD HH:MM:SS``; the workbook's date system (1900 or 1904) is kept for dates that
  were typed as serial numbers.

A file that is not an ``.xlsx`` at all (an old ``.xls``, a password-protected workbook, a CSV
saved with the wrong name) is said so by :func:`workbook_problem`, before openpyxl is asked.

Floor 0: openpyxl and pandas only. openpyxl does the parsing: its read-only parser is asked
for each cell's saved value and whether the cell holds a formula (``WorkSheetParser`` is the
parser its own read-only sheets use; openpyxl is pinned in ``pyproject.toml``).
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

#: Excel's error values, as a cell (or a CSV saved from one) shows them.
ERROR_VALUES = frozenset(
    {
        "#N/A",
        "#REF!",
        "#VALUE!",
        "#DIV/0!",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#BUSY!",
    }
)
#: Put before the formula text of a cell whose formula has no saved value (a private-use
#: character: no export writes it), so that the checks can say which cell and formula it is.
UNSAVED_FORMULA = "\ue000"
#: Day 0 of each date system: Excel for Windows (1900, with its phantom 29 February 1900), and
#: old Excel for Mac (1904).
EPOCH_1900 = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
#: The stream an encrypted (password-protected) Office file keeps its workbook in; its name is
#: stored in UTF-16 in the container's directory.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
#: How much of an OLE container is searched for that name (its directory comes early).
OLE_SEARCH_BYTES = 1 << 20


class WorkbookError(ValueError):
    """The workbook as a whole cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class Sheet:
    """One sheet's cells as text, as Excel shows them.

    ``cells``: position ``p`` of the index is Excel row ``p + 1``; columns are positions
    (0 = column A); a blank cell is ``""``. ``epoch``: day 0 of the workbook's date system.
    """

    name: str
    cells: pd.DataFrame
    epoch: dt.date


def file_signature(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(8)


def spreadsheet_kind(path: Path) -> str | None:
    """What kind of Excel file ``path`` is by its first bytes, in words; None: not one."""
    start = file_signature(path)
    if start[:4] == ZIP_SIGNATURE:
        return "an Excel workbook (.xlsx)"
    if start == OLE_SIGNATURE:
        return "an old Excel workbook (.xls) or a password-protected one"
    return None


def workbook_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an ``.xlsx`` workbook, in a sentence; None when it can."""
    if path.stat().st_size == 0:
        return "the workbook is empty (0 bytes): save it again from Excel"
    start = file_signature(path)
    if start == OLE_SIGNATURE:
        with open(path, "rb") as handle:
            head = handle.read(OLE_SEARCH_BYTES)
        if ENCRYPTED_STREAM in head:
            return (
                "the workbook is password-protected (encrypted), so it cannot be read: open it "
                "in Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
                "Password, and clear it), and save it as an .xlsx workbook where the extract is "
                "kept safe"
            )
        return (
            "the workbook is in the old Excel 97-2003 format (.xls), which is not read: open "
            "it in Excel and save it as an Excel Workbook (.xlsx)"
        )
    if start[:4] != ZIP_SIGNATURE:
        return (
            "the file is not an Excel workbook (.xlsx): it holds no workbook (perhaps a CSV or "
            "text file given an Excel name); save it from Excel as an Excel Workbook (.xlsx)"
        )
    if not zipfile.is_zipfile(path):
        return "the workbook is damaged (it cannot be opened as an .xlsx): save it again from Excel"
    return None


def _open(path: Path):  # noqa: ANN202 - an openpyxl workbook
    from openpyxl import load_workbook

    problem = workbook_problem(path)
    if problem is not None:
        raise WorkbookError(problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like: not the analyst's
            return load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # noqa: BLE001 - any workbook openpyxl cannot open: say so
        raise WorkbookError(
            f"the workbook cannot be read ({type(error).__name__}: {str(error)[:200]}); open it "
            "in Excel and save it again as an Excel Workbook (.xlsx)"
        ) from None


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheets, in order; :class:`WorkbookError` when it cannot be read."""
    workbook = _open(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_sheets(path: Path, names: list[str]) -> dict[str, Sheet]:
    """The sheets ``names`` of the workbook (each must exist), read as Excel shows them."""
    workbook = _open(path)
    try:
        epoch = EPOCH_1904 if workbook.epoch.year == 1904 else EPOCH_1900
        return {name: Sheet(name, _cells(workbook, name), epoch) for name in names}
    finally:
        workbook.close()


@cache
def _parser():  # noqa: ANN202 - a subclass of openpyxl's parser, made when first needed
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class AsShown(WorkSheetParser):
        """openpyxl's parser, telling a formula with no saved value from a blank cell."""

        def parse_cell(self, element):  # noqa: ANN001, ANN202
            cell = super().parse_cell(element)
            # A formula whose result is text ("" from IF(..., "", ...)) is saved as t="str" with
            # an empty value: that cell is blank on screen, not unsaved.
            if (
                cell["value"] is None
                and element.find(FORMULA_TAG) is not None
                and element.get("t", "n") not in {"str", "s", "inlineStr"}
            ):
                formula = element.findtext(FORMULA_TAG) or "(shared with a cell above)"
                cell["value"] = f"{UNSAVED_FORMULA}={formula}"
            return cell

    return AsShown


def _cells(workbook, name: str) -> pd.DataFrame:  # noqa: ANN001 - an openpyxl workbook
    sheet = workbook[name]
    rows: dict[int, dict[int, str]] = {}
    width = 0
    with warnings.catch_warnings(), sheet._get_source() as source:
        warnings.simplefilter("ignore")  # a date out of range is read as #VALUE!, said by cell
        parser = _parser()(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            shown = {c["column"] - 1: as_shown(c["value"]) for c in cells if c["value"] is not None}
            shown = {column: text for column, text in shown.items() if text != ""}
            if shown:
                rows[number - 1] = shown
                width = max(width, max(shown) + 1)
    height = max(rows) + 1 if rows else 0
    frame = pd.DataFrame(rows.values(), index=list(rows), columns=range(width), dtype=object)
    return frame.reindex(range(height)).fillna("").astype(object)


def as_shown(value: object) -> str:
    """A cell's saved value as text: whole numbers without ``.0``, dates as ISO date and time."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") + (
            f".{value.microsecond:06d}" if value.microsecond else ""
        )
    return str(value)
