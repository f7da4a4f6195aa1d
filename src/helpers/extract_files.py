"""What a file of the extract is, before its cells are read: encoding, delimiter, header, sheets.

Case-management systems export CSV files in many dialects. Each check here turns a dialect that
would otherwise read as "column is missing" nine times (or as a traceback) into one sentence
naming the file and what to change in the export.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITER_NAMES = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}
#: Bytes decoded at a time when a text file's encoding is checked (memory stays flat).
DECODE_CHUNK_BYTES = 1 << 20
SAVE_AS_UTF8 = "Save it as CSV UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)')"


class EncodingProblem(ValueError):
    """A text file in an encoding the project does not read; the message names file and byte.

    ``reason`` is the sentence without the file's name (for a problem that names it already).
    """

    def __init__(self, label: str, reason: str) -> None:
        self.label = label
        self.reason = reason
        super().__init__(f"{label} {reason}")


@dataclass(frozen=True)
class TextEncoding:
    codec: str  # for open() and pandas: utf-8, utf-8-sig, utf-16 or cp1252
    warning: str | None  # what to tell the analyst, when the file is not UTF-8


def text_encoding(
    path: Path, label: str | None = None, save_as: str = "CSV UTF-8", how: str = SAVE_AS_UTF8
) -> TextEncoding:
    """The one rule for every text file the project reads (extract CSVs, commentary):
    UTF-8, with or without a byte-order mark; UTF-16 with its byte-order mark (Excel's "Unicode
    text") or Windows-1252 (Excel's "CSV (Comma delimited)"), each with a warning; anything
    else is an :class:`EncodingProblem` naming the file, the row and the byte.

    ``save_as`` and ``how`` say what to save it as, and how (a CSV, by default; commentary is
    plain UTF-8 text). The file is decoded a chunk at a time, so that a large one costs no memory.
    """
    label = label or path.name
    with open(path, "rb") as handle:
        start = handle.read(3)
    if start[:2] in UTF16_BOMS:
        return TextEncoding(
            "utf-16",
            f"{label} is saved as UTF-16; it was read as such. Save it as {save_as} to silence "
            "this warning.",
        )
    bad_utf8 = _first_undecodable(path, "utf-8")
    if bad_utf8 is None:
        return TextEncoding("utf-8-sig" if start == codecs.BOM_UTF8 else "utf-8", None)
    if _first_undecodable(path, "cp1252") is None:
        return TextEncoding(
            "cp1252",
            f"{label} is not UTF-8 ({_where(bad_utf8)}); it was read as Windows-1252 (cp1252). "
            f"Save it as {save_as} to silence this warning.",
        )
    position, row, byte = _first_undecodable(path, "cp1252") or bad_utf8
    raise EncodingProblem(
        label,
        f"is neither UTF-8 nor Windows-1252: byte 0x{byte:02X} at row {row}, byte position "
        f"{position} is not a character in either. {how}, and check that it is the "
        "text file you meant.",
    )


#: The longest line a CSV record may take, in bytes: a real record is well under a kilobyte, and
#: every cell at Excel's limit would still fit. A longer line is a broken export (a quotation
#: mark left open), refused before pandas is asked to parse it (its parser takes several
#: times a field's size: a 512 MB field took 4.4 GB).
LONGEST_LINE_BYTES = 1 << 20
SCAN_CHUNK_BYTES = 1 << 24


def overlong_line(path: Path, limit: int = LONGEST_LINE_BYTES) -> tuple[int, int] | None:
    """(row, length in bytes) of the first line longer than ``limit``, or None (read a chunk
    at a time)."""
    import numpy as np

    row, length = 1, 0  # the current line's number, and its length so far
    with open(path, "rb") as handle:
        while chunk := handle.read(SCAN_CHUNK_BYTES):
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if not len(ends):
                length += len(chunk)
                if length > limit:
                    return row, _line_length(handle, length)
                continue
            lengths = np.diff(ends, prepend=-1) - 1
            lengths[0] += length
            if (over := np.flatnonzero(lengths > limit)).size:
                return row + int(over[0]), int(lengths[over[0]])
            row += len(ends)
            length = len(chunk) - int(ends[-1]) - 1
    return (row, length) if length > limit else None


def _line_length(handle, so_far: int) -> int:  # noqa: ANN001 - a binary file
    """The length of the line being read, from ``so_far``, read on to its end."""
    while chunk := handle.read(SCAN_CHUNK_BYTES):
        end = chunk.find(b"\n")
        if end != -1:
            return so_far + end
        so_far += len(chunk)
    return so_far


def bom_encoding(path: Path) -> str:
    """The codec a file's byte-order mark names (``utf-16``, ``utf-8-sig``), else ``utf-8``:
    enough to read its first line before its whole encoding is known."""
    with open(path, "rb") as handle:
        start = handle.read(3)
    if start[:2] in UTF16_BOMS:
        return "utf-16"
    return "utf-8-sig" if start == codecs.BOM_UTF8 else "utf-8"


def _first_undecodable(path: Path, codec: str) -> tuple[int, int, int] | None:
    """(byte position, row, byte) of the first byte ``codec`` cannot decode, or None."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset, rows = 0, 1
    with open(path, "rb") as handle:
        while chunk := handle.read(DECODE_CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                # The decoder's position is within what it was given: its own leftover bytes
                # from the chunk before come first.
                carried = len(error.object) - len(chunk)
                at = offset - carried + error.start
                return (
                    at,
                    rows + error.object.count(b"\n", 0, error.start),
                    error.object[error.start],
                )
            rows += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset, rows, 0
    return None


def _where(found: tuple[int, int, int]) -> str:
    position, row, _byte = found
    return f"row {row}, byte {position}"


def first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        return handle.readline()


def header_cells(path: Path, encoding: str) -> list[str]:
    """A CSV file's header as written (pandas renames a repeated header ``x.1``)."""
    return next(csv.reader([first_line(path, encoding).lstrip("\ufeff")]), [])


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


def matching_sheet(name: str, sheets: list[str]) -> str | None:
    """The sheet that holds the file ``name``: named exactly so, else the one sheet whose name
    is ``name`` ignoring case and spacing (``CAF Episodes``); None when there is no such sheet."""
    if name in sheets:
        return name
    alike = [sheet for sheet in sheets if normalised(sheet) == name]
    return alike[0] if len(alike) == 1 else None


def is_annex_a_list(sheet: str) -> bool:
    """Whether a sheet is named as one of the Annex A workbook's lists (``List 2``, ``list9``)."""
    return re.fullmatch(r"list\s*\d+\b.*", sheet.strip().lower()) is not None


def missing_sheet_message(name: str, sheets: list[str], expected: list[str]) -> str:
    """The sentence for a workbook without the sheet ``name``: the sheets it has, and a guess.

    Like is compared with like: names ignoring case and spacing, and never a sheet that holds
    another file of the extract, nor one of an Annex A workbook's lists (which get their own
    sentence).
    """
    found = ", ".join(repr(s) for s in sheets) or "none"
    if any(is_annex_a_list(sheet) for sheet in sheets):
        return (
            f"sheet is missing from the workbook (its sheets: {found}). It looks like an Ofsted "
            "Annex A workbook: read it as one with --format annex-a (or --format auto)"
        )
    taken = {matching_sheet(other, sheets) for other in expected if other != name}
    candidates = {normalised(s): s for s in sheets if s not in taken}
    near = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not near:  # a sheet named without the prefix ("episodes") is still that file
        bare = name.removeprefix("caf_")
        near = [key for key in candidates if key == bare or key.endswith(f"_{bare}")][:1]
    hint = f"; did you mean {candidates[near[0]]!r}? Rename it to {name!r}" if near else ""
    return f"sheet is missing from the workbook (its sheets: {found}){hint}"


def duplicate_headers(written: list[object], read_as: list[str]) -> dict[str, list[str]]:
    """Columns read as one name more than once: ``{name: ["'header' (column C)", ...]}``.

    ``read_as`` is the name each header (in ``written``, in order) is read as."""
    found: dict[str, list[str]] = {}
    for position, (header, name) in enumerate(zip(written, read_as, strict=True)):
        found.setdefault(name, []).append(
            f"{str(header).strip()!r} (column {column_letter(position)})"
        )
    return {name: headers for name, headers in found.items() if len(headers) > 1}


def column_letter(position: int) -> str:
    """Excel's letter for the column at ``position`` (0 = A, 26 = AA)."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


COPY_PATTERNS = (
    r"{name}\s*\(\d+\)",  # caf_episodes (1): a second download, as browsers name it
    r"{name}\s*-\s*copy(\s*\(\d+\))?",  # caf_episodes - Copy: Windows' copy
    r"copy of {name}",
)


def file_copies(folder: Path, name: str, suffix: str = ".csv") -> list[Path]:
    """Files beside ``name`` + ``suffix`` that are copies of it by their name (``caf_episodes
    (1).csv``, ``caf_episodes - Copy.csv``), in any case."""
    patterns = [re.compile(p.format(name=re.escape(name)), re.I) for p in COPY_PATTERNS]
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() == suffix
        and any(p.fullmatch(path.stem.strip()) for p in patterns)
    )


def files_named(folder: Path, name: str, suffix: str = ".csv") -> list[Path]:
    """Files of ``folder`` named ``name`` + ``suffix`` in any case (``CAF_EPISODES.CSV``)."""
    wanted = f"{name}{suffix}".lower()
    return sorted(path for path in folder.iterdir() if path.name.lower() == wanted)
