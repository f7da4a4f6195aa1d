"""Read and validate a case-level extract: the contract every notebook stands on.

An extract is a folder of CSV files (UTF-8) or one Excel workbook with a sheet per file,
named as below. Everything wrong with it is collected and reported together, each problem by
file, row (as the analyst sees it: the header is row 1), column and value; nothing is dropped
silently.
"""

from __future__ import annotations

import datetime as dt
import difflib
import filecmp
import hashlib
import json
import mmap
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.config import (
    PROJECT_ROOT,
    Categories,
    SentenceError,
    categories,
    config_dir,
    load_yaml,
)
from helpers.extract_checks import NOTE_COLUMNS, notes_and_warnings
from helpers.extract_dates import EXCEL_DAY_0, ExtractSettings, read_date_column, settings_from
from helpers.extract_files import (
    EncodingProblem,
    bom_encoding,
    delimiter_problem,
    duplicate_headers,
    file_copies,
    files_named,
    header_cells,
    match_headers,
    matching_sheet,
    missing_sheet_message,
    normalised,
    overlong_line,
    text_encoding,
)
from helpers.extract_problems import (
    LIST_COLUMNS,
    MAP_ONLY_COLUMNS,
    Problem,
    Problems,
    Sink,
    SummaryLine,
    shown_value,
    summary,
    summary_text,
)
from helpers.workbook import (
    ERROR_VALUES,
    UNSAVED_FORMULA,
    WorkbookError,
    read_sheets,
    sheet_names,
    spreadsheet_kind,
)

if TYPE_CHECKING:  # pandera is imported where an extract is validated, not by every kernel
    import pandera.pandas as pa

LSOA11CD_PATTERN = r"^E01\d{6}$"
SYNTHETIC_MANIFEST = "manifest.json"  # written beside the synthetic extract
#: Files a council may export with a header and no rows: no refusals were recorded, or no
#: family has been assessed for Strengthening Families. The sections they feed say so.
MAY_BE_EMPTY = frozenset({"caf_refusals", "families"})
#: The committed synthetic extract: what a report runs on when no extract is named.
SYNTHETIC_DIR = PROJECT_ROOT / "data" / "raw" / "synthetic"
#: Text columns with few distinct values, held as categories.
CATEGORICAL = frozenset({"lead_agency", "closure_reason", "refused_by", "lsoa11cd"})


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # "text", "date", "bool", "int", "money"
    required: bool  # False: may be blank
    description: str


#: The extract contract: file -> its columns. README.md documents the same table.
CONTRACT: dict[str, tuple[ColumnSpec, ...]] = {
    "caf_episodes": (
        ColumnSpec("episode_id", "text", True, "Unique id of the CAF episode."),
        ColumnSpec("child_id", "text", True, "Id of the child (pseudonymised)."),
        ColumnSpec("family_id", "text", True, "Id of the family (pseudonymised)."),
        ColumnSpec("lead_agency", "text", True, "One of the lead agencies in config."),
        ColumnSpec("caf_level", "int", True, "CAF level, 2 or 3."),
        ColumnSpec("start_date", "date", True, "Date the episode started."),
        ColumnSpec("end_date", "date", False, "Date it ended; blank while open."),
        ColumnSpec("closure_reason", "text", False, "Blank while open; required once ended."),
        ColumnSpec(
            "lsoa11cd",
            "text",
            False,
            "LSOA code of the child's home, 2011 or 2021 (or a column named lsoa21cd).",
        ),
    ),
    "caf_refusals": (
        ColumnSpec("refusal_id", "text", True, "Unique id of the refusal."),
        ColumnSpec("refusal_date", "date", True, "Date the CAF was refused."),
        ColumnSpec("refused_by", "text", True, "Who refused: one of refused_by in config."),
        ColumnSpec("lead_agency", "text", True, "Agency that offered the CAF."),
    ),
    "families": (
        ColumnSpec("family_id", "text", True, "Id of the family, as in caf_episodes."),
        ColumnSpec("identified_date", "date", True, "Date the family was assessed."),
        ColumnSpec("crime_asb", "bool", True, "Crime or anti-social behaviour."),
        ColumnSpec("school_attendance", "bool", True, "Not attending school regularly."),
        ColumnSpec("children_need_help", "bool", True, "Children who need help."),
        ColumnSpec("worklessness", "bool", True, "Out of work or financial exclusion."),
        ColumnSpec("domestic_abuse", "bool", True, "Domestic violence and abuse."),
        ColumnSpec("health", "bool", True, "Physical or mental health problems."),
        ColumnSpec("phase", "int", False, "Programme phase 1 or 2; blank if not attached."),
        ColumnSpec("attached_date", "date", False, "Date attached to the programme."),
        ColumnSpec("claimed_date", "date", False, "Date of the payment-by-results claim."),
    ),
    "budget": (
        ColumnSpec("line", "text", True, "Budget line."),
        ColumnSpec("spend", "money", True, "Spend in pounds."),
        ColumnSpec("income", "money", True, "Income in pounds, negative as the ledger prints it."),
    ),
}

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


class ExtractError(SentenceError, ValueError):
    """The extract breaks the contract. ``problems`` lists the problems kept (every problem,
    unless one file and column had more than ``PROBLEMS_KEPT_PER_COLUMN``); ``total`` counts
    them all; ``lines`` summarises them all, one :class:`SummaryLine` per file, column, problem
    and value. The message is that summary, with its rows and the setting to change where that
    is the fix, then a few examples; ``full_list`` names the CSV of every problem, where one
    was written."""

    def __init__(
        self,
        source: str,
        problems: Sequence[Problem] | Problems,
        total: int | None = None,
        full_list: str | None = None,
        lines: list[SummaryLine] | None = None,
    ):
        self.source = source
        self.problems = list(problems)
        self.total = problems.total if isinstance(problems, Problems) else total
        self.total = len(self.problems) if self.total is None else self.total
        self.full_list = full_list
        self.lines = summary(problems) if lines is None else lines
        listed = f"\nEvery problem, row by row: {full_list}" if full_list else ""
        super().__init__(
            f"The extract {source} has {self.total:,} problem(s); no report was written.\n"
            f"{summary_text(self.problems, self.total, self.lines)}{listed}"
        )

    def listed_in(self, full_list: str | Path) -> ExtractError:
        """The same refusal, naming where the full list of problems now is."""
        return ExtractError(self.source, self.problems, self.total, str(full_list), self.lines)

    def __reduce__(self):  # so that it crosses from the batch's validating process intact
        return (
            type(self),
            (self.source, self.problems, self.total, self.full_list, self.lines),
        )


EXCLUDED_COLUMNS = LIST_COLUMNS
COUNT_COLUMNS = ["file", "rows_read", "rows_used", "rows_left_out"]


@dataclass
class Extract:
    """A validated extract: typed frames plus where they came from."""

    episodes: pd.DataFrame
    refusals: pd.DataFrame
    families: pd.DataFrame
    budget: pd.DataFrame
    source: str
    sha256: str
    is_synthetic: bool = False
    warnings: list[str] = field(default_factory=list)
    #: Rows left out as invalid (only with ``allow_invalid``): file, row, column, value, problem.
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXCLUDED_COLUMNS))
    #: Per file: rows read, rows used, rows left out (read = used + left out).
    row_counts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COUNT_COLUMNS))
    #: Rows that are valid but worth a look (overlapping episodes, families with no episode).
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOTE_COLUMNS))
    #: The day the extract was taken (see :func:`extract_taken_on`), as ISO text, and how known.
    taken_on: str | None = None
    taken_how: str = ""
    #: Which contract it was read from: "native" (this module's) or "annex-a" (List 2 of the
    #: Ofsted Annex A workbook, read by ``helpers.annex_a``).
    kind: str = "native"
    #: What the extract does not hold ("closure_reason", "refusals", "family", "address",
    #: "budget"): the sections say so rather than count it as zero.
    absent: tuple[str, ...] = ()
    #: The first day the extract covers (ISO), when it covers only recent work; None: all.
    covers_from: str | None = None


# --------------------------------------------------------------------------- reading


def _has_blank_lines(path: Path) -> bool:
    """Whether the file has an empty line (scanned through a memory map: no copy in memory)."""
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b"\n\n") != -1 or m.find(b"\n\r\n") != -1


def _read_csv(path: Path, label: str, warnings: list[str]) -> pd.DataFrame:
    """A CSV file's cells as text (raises :class:`EncodingProblem`)."""
    # pyarrow's reader is fast and lean, but it skips empty lines, which would shift the row
    # numbers in messages; files with empty lines, or that it cannot read (not UTF-8, ragged
    # rows), go to pandas' own parser, which keeps them and says what is wrong.
    if bom_encoding(path) != "utf-16" and not _has_blank_lines(path):
        try:
            frame = pd.read_csv(
                path, engine="pyarrow", dtype=str, keep_default_na=False, encoding="utf-8"
            )
            return _as_written(frame, path, "utf-8")
        except Exception:  # noqa: BLE001 - the parser below reports the problem properly
            pass
    encoding = text_encoding(path, label)  # the one rule for every text file
    if encoding.warning:
        warnings.append(encoding.warning)
    # Blank lines are read (and dropped below) so that the index still counts file lines.
    options = {"dtype": str, "keep_default_na": False, "skip_blank_lines": False}
    frame = pd.read_csv(path, encoding=encoding.codec, **options)
    return _as_written(frame, path, encoding.codec)


def _as_written(frame: pd.DataFrame, path: Path, encoding: str) -> pd.DataFrame:
    """The frame under its header as written (pandas renames a repeated ``x`` to ``x.1``,
    which would hide the repeat), without blank lines."""
    written = header_cells(path, encoding)
    if len(written) == len(frame.columns) and len(set(frame.columns)) == len(written):
        frame.columns = written
    return _drop_blank_rows(frame)


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    # Only a row whose first cell is blank can be a blank line: check those rows alone.
    maybe = frame.iloc[:, 0].fillna("").str.strip().eq("")
    rest = frame[maybe].fillna("").apply(lambda column: column.str.strip())
    blank = pd.Series(False, index=frame.index)
    blank[maybe] = rest.eq("").all(axis=1)
    return frame[~blank]


def _read_one_csv(
    csv: Path, name: str, warnings: list[str], problems: Problems
) -> pd.DataFrame | None:
    """A CSV file's cells, or None with the reason in ``problems`` (a whole-file problem)."""
    label = f"{name}.csv"
    if csv.stat().st_size == 0:
        problems.append(Problem.of_file(label, "the file is empty (0 bytes): export it again"))
        return None
    if (kind := spreadsheet_kind(csv)) is not None:
        problems.append(
            Problem.of_file(
                label,
                f"the file is {kind} with a .csv name, not a CSV file: open it in Excel and "
                "save it as CSV UTF-8 (comma delimited), or give --data-dir the workbook "
                "itself, named .xlsx",
            )
        )
        return None
    if (overlong := overlong_line(csv)) is not None:
        row, length = overlong
        problems.append(
            Problem.of_file(
                label,
                f"row {row} is {length:,} bytes long, longer than any record can be: the export "
                "is broken there (a quotation mark left open?); export the file again",
            )
        )
        return None
    expected = [spec.name for spec in CONTRACT[name]]
    if (problem := delimiter_problem(csv, expected, bom_encoding(csv))) is not None:
        problems.append(Problem.of_file(label, problem))
        return None
    try:
        return _read_csv(csv, label, warnings)
    except EncodingProblem as error:
        problems.append(Problem.of_file(label, f"the file {error.reason}"))
        return None


def contract_files(folder: Path) -> dict[str, Path]:
    """Each file of the extract in ``folder``: ``name.csv``, or the one file so named in
    another case (``CAF_EPISODES.CSV``, as Windows would open it)."""
    found = {}
    for name in CONTRACT:
        exact = folder / f"{name}.csv"
        alike = files_named(folder, name)
        if exact.is_file():
            found[name] = exact
        elif len(alike) == 1:
            found[name] = alike[0]
    return found


def _find_csv(folder: Path, name: str, warnings: list[str], problems: Problems) -> Path | None:
    """The file of ``name`` in ``folder``, or None with why (missing, or which of several)."""
    label = f"{name}.csv"
    path = contract_files(folder).get(name)
    alike = [p for p in files_named(folder, name) if path is None or not p.samefile(path)]
    if alike and path is not None or len(alike) > 1:
        names = ", ".join(repr(p.name) for p in [*([path] if path else []), *alike])
        problems.append(
            Problem.of_file(
                label,
                f"the folder holds more than one file of this name, in different cases ({names}): "
                f"keep the one to read, named {label}",
            )
        )
        return None
    copies = file_copies(folder, name)
    if path is None:
        others = sorted(p.name for p in folder.iterdir() if normalised(p.stem) == name)
        beside = [*(p.name for p in copies), *others]
        hint = (
            f"; the folder holds {', '.join(repr(n) for n in beside)}: if that is this file, save "
            f"or rename it as {label}"
            if beside
            else ""
        )
        problems.append(Problem.of_file(label, f"file is missing from the extract{hint}"))
        return None
    if path.name != label:
        warnings.append(f"{path.name} was read as {label} (file names are matched ignoring case).")
    for copy in copies:
        problem = _copy_problem(path, copy, warnings)
        if problem:
            problems.append(Problem.of_file(label, problem))
            return None
    return path


def _copy_problem(path: Path, copy: Path, warnings: list[str]) -> str | None:
    """A copy of a file beside it (``caf_episodes (1).csv``, a second download): a newer copy
    that differs refuses the file, since the older one would be read without anyone knowing
    which export the figures came from; an older or identical copy is named in a warning."""
    if filecmp.cmp(path, copy, shallow=False):
        warnings.append(f"{copy.name} is a copy of {path.name}, byte for byte; it was not read.")
        return None
    written, copied = path.stat().st_mtime, copy.stat().st_mtime
    if copied > written:
        return (
            f"a newer file, {copy.name!r} (written {_when(copied)}), is beside it (written "
            f"{_when(written)}) and differs from it: which export is meant? Keep only the one "
            f"to read, named {path.name}, and move the other out of the folder"
        )
    warnings.append(
        f"{copy.name}, an older file beside {path.name} (written {_when(copied)}, against "
        f"{_when(written)}), was not read; move it out of the folder to silence this warning."
    )
    return None


def _when(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp).strftime("%d %B %Y %H:%M")


@dataclass(frozen=True)
class _Sources:
    tables: dict[str, pd.DataFrame]  # file -> its cells as text, under the header as written
    day_0: dt.date = EXCEL_DAY_0  # of a workbook's serial-number dates


def _read_sources(path: Path, warnings: list[str], problems: Problems) -> _Sources:
    if path.is_dir():
        tables = {}
        for name in CONTRACT:
            csv = _find_csv(path, name, warnings, problems)
            frame = _read_one_csv(csv, name, warnings, problems) if csv else None
            if frame is not None:
                tables[name] = frame
        return _Sources(tables)
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        return _read_workbook(path, warnings, problems)
    raise FileNotFoundError(
        f"{path}: an extract is a folder of CSV files or an Excel workbook (.xlsx); "
        "this is neither."
    )


def _read_workbook(path: Path, warnings: list[str], problems: Problems) -> _Sources:
    """A native workbook's sheets, one per file of the contract, read as Excel shows them."""
    try:
        sheets = sheet_names(path)
        found = {name: matching_sheet(name, sheets) for name in CONTRACT}
        read = read_sheets(path, sorted({s for s in found.values() if s}))
    except WorkbookError as error:
        raise ExtractError(str(path), [Problem.of_file(path.name, str(error))]) from None
    tables = {}
    for name, sheet in found.items():
        label = f"{path.name}[{name}]"
        if sheet is None:
            message = missing_sheet_message(name, sheets, list(CONTRACT))
            problems.append(Problem.of_file(label, message))
            continue
        if sheet != name:
            warnings.append(
                f"{path.name}: sheet {sheet!r} was read as {name} (case and spacing ignored)."
            )
        tables[name] = _sheet_with_header(read[sheet].cells, name, label, warnings)
    epochs = {sheet.epoch for sheet in read.values()}
    return _Sources(tables, epochs.pop() if epochs else EXCEL_DAY_0)


def _manifest_says_synthetic(path: Path, digest: str) -> bool:
    manifest_path = path / SYNTHETIC_MANIFEST
    if not manifest_path.is_file():
        return False
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return bool(manifest.get("synthetic")) and manifest.get("sha256") == digest


def source_words(synthetic: bool, annex_a_list: bool, name: str, sha256: str) -> str:
    """The line every chart, table and page carries: which data it came from, and its checksum."""
    if synthetic and annex_a_list:
        return f"Source: synthetic Annex A workbook (invented data), sha256 {sha256[:12]}"
    if synthetic:
        return f"Source: synthetic extract (invented data), sha256 {sha256[:12]}"
    return f"Source: extract {name}, sha256 {sha256[:12]}"


def is_committed_synthetic(extract: Extract) -> bool:
    """Whether ``extract`` is the committed synthetic extract (calibrated to the published
    figures), not another extract the synthetic generator made (for another authority or
    period, say), whose figures reproduce nothing."""
    manifest_path = SYNTHETIC_DIR / SYNTHETIC_MANIFEST
    if not (extract.is_synthetic and manifest_path.is_file()):
        return False
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return manifest.get("sha256") == extract.sha256


HEADER_SEARCH_ROWS = 10


def _sheet_with_header(
    sheet: pd.DataFrame, name: str, label: str, warnings: list[str]
) -> pd.DataFrame:
    """A sheet's records under its header row, which may sit below a few title rows.

    The index keeps Excel's numbering (index + 2 = the row number Excel shows).
    """
    expected = {spec.name for spec in CONTRACT[name]}
    header_at = 0
    for position in range(min(HEADER_SEARCH_ROWS, len(sheet))):
        cells = {normalised(value) for value in sheet.iloc[position]}
        if len(cells & expected) * 2 >= len(expected):
            header_at = position
            break
    if header_at:
        warnings.append(
            f"{label}: the header is on row {header_at + 1}; the {header_at} row(s) above it "
            "were skipped."
        )
    body = sheet.iloc[header_at + 1 :].copy()
    body.columns = [str(value).strip() for value in sheet.iloc[header_at]]
    body.index = body.index - 1  # position p is Excel row p + 1, reported as index + 2
    return _drop_blank_rows(body)


def file_label(path: Path, name: str) -> str:
    return f"{name}.csv" if path.is_dir() else f"{path.name}[{name}]"


@cache
def _settings_at(path: Path) -> ExtractSettings:
    return settings_from(load_yaml(path) or {}, str(path))


def extract_settings() -> ExtractSettings:
    """How extracts are read: the settings in ``config/extract.yaml``."""
    return _settings_at(config_dir() / "extract.yaml")


def recorded_extract_date(path: Path, digest: str) -> dt.date | None:
    """The date the extract was taken, where its folder records it (``extract_date`` in its
    manifest, as the synthetic extract does); the manifest counts only for this extract."""
    manifest = path / SYNTHETIC_MANIFEST if path.is_dir() else None
    if manifest is None or not manifest.is_file():
        return None
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    if not recorded.get("extract_date") or recorded.get("sha256") != digest:
        return None
    return pd.Timestamp(recorded["extract_date"]).date()


def files_written_date(path: Path) -> dt.date:
    """The day the extract's files were last written: its date, where it records none."""
    files = list(contract_files(path).values()) if path.is_dir() else [path]
    stamps = [file.stat().st_mtime for file in files if file.exists()]
    return dt.date.fromtimestamp(max(stamps)) if stamps else dt.date.today()


#: How the day an extract was taken is known, in the words of the run log and the pages.
TAKEN_RECORDED = f"recorded in {SYNTHETIC_MANIFEST}"
TAKEN_INFERRED = "inferred: the day its files were last written"


def extract_taken_on(path: Path, digest: str) -> tuple[dt.date, str]:
    """When the extract was taken, and how that is known.

    An extract folder may record it (``extract_date`` in its manifest, as the synthetic extract
    does); otherwise it is the day its files were last written. (The latest date in the data
    would make every month whose last day saw no activity look unfinished.)
    """
    recorded = recorded_extract_date(path, digest)
    if recorded is not None:
        return recorded, TAKEN_RECORDED
    return files_written_date(path), TAKEN_INFERRED


def extract_sha256(path: Path) -> str:
    """A hash of the extract's contract files, to record which data a report came from."""
    digest = hashlib.sha256()
    if path.is_dir():  # as named by the contract, whatever the case on disk
        files = [(f"{name}.csv", file) for name, file in contract_files(path).items()]
    else:
        files = [(path.name, path)]
    for name, file in files:
        if file.exists():
            digest.update(name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- parsing


def _row_numbers(index: Iterable[int]) -> np.ndarray:
    """Row numbers as the analyst sees them: the header is row 1, the first record row 2."""
    return np.asarray(index, dtype="int64") + 2


def parse_booleans(values: pd.Series) -> pd.Series:
    """true/false, yes/no, y/n, 1/0 in any case; anything else -> <NA>."""
    text = values.astype("string").str.strip().str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(TRUE_WORDS)] = True
    result[text.isin(FALSE_WORDS)] = False
    return result


def parse_numbers(values: pd.Series, integer: bool) -> pd.Series:
    text = values.astype("string").str.strip().str.replace(r"[£,\s]", "", regex=True)
    numbers = pd.to_numeric(text.replace("", pd.NA), errors="coerce")
    numbers = numbers.where(np.isfinite(numbers.astype("float64")))  # "inf" is no amount
    if integer:
        whole = numbers.notna() & (numbers % 1 == 0)
        return numbers.where(whole).astype("Int64")
    return numbers.astype("Float64")


#: An amount as UK exports write it: digits with or without commas between thousands, a
#: decimal point; a minus sign before or after the pound sign, or brackets for a negative
#: (``-£1,234.50``, ``£-1,234.50``, ``(548,142)``, ``£1,897,332``, ``1234.50``).
UK_AMOUNT = re.compile(
    r"^(?P<open>\()?\s*(?P<sign1>[-\u2212])?\s*£?\s*(?P<sign2>[-\u2212])?\s*"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<close>\))?$"
)
#: Forms a continental export writes, which a UK reading would rescale: a decimal comma
#: (``1897332,00``), dots between thousands (``1.897.332,00``), or one dot before exactly three
#: digits (``1.234``: a thousand or one pound?).
CONTINENTAL_AMOUNT = re.compile(
    r"^[-\u2212(]?\s*£?\s*[-\u2212]?\s*(\d+,\d{1,2}|\d{1,3}(\.\d{3})+(,\d+)?|\d+(\.\d{3})+,\d+)\)?$"
)
MONEY_WORDS = "not an amount of money (write it as 1234.50, 1,234.50, -£1,234.50 or (1,234.50))"
CONTINENTAL_WORDS = (
    "is written the continental way (a decimal comma, or dots between thousands), so it would "
    "be read as another amount: export amounts as a UK export writes them (1897332.00 or "
    "1,897,332.00)"
)


def parse_money(values: pd.Series) -> tuple[pd.Series, list[tuple[pd.Series, str]]]:
    """Amounts in pounds as UK exports write them (:data:`UK_AMOUNT`), as floats; blank -> NA.

    Returns the amounts and the refusals, (which cells, message): continental forms are refused
    with their own sentence rather than read at another scale (``1897332,00`` is not
    £189,733,200), anything else as not an amount.
    """
    text = values.astype("string").fillna("").str.strip()
    parts = text.str.extract(UK_AMOUNT)
    read = parts["number"].notna() & (parts["open"].notna() == parts["close"].notna())
    read &= ~(parts["open"].notna() & (parts["sign1"].notna() | parts["sign2"].notna()))
    read &= ~(parts["sign1"].notna() & parts["sign2"].notna())
    continental = ~read & text.str.match(CONTINENTAL_AMOUNT)
    ambiguous = read & parts["number"].str.fullmatch(r"\d{1,3}\.\d{3}").fillna(False)
    read &= ~ambiguous
    amounts = pd.to_numeric(parts["number"].where(read).str.replace(",", ""), errors="coerce")
    negative = parts["open"].notna() | parts["sign1"].notna() | parts["sign2"].notna()
    amounts = amounts.where(~negative, -amounts).astype("Float64")
    unread = ~read & text.ne("")
    return amounts, [
        (unread & (continental | ambiguous), CONTINENTAL_WORDS),
        (unread & ~(continental | ambiguous), MONEY_WORDS),
    ]


_PARSERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "bool": parse_booleans,
    "int": lambda values: parse_numbers(values, integer=True),
}
_KIND_WORDS = {
    "date": "not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    "bool": "not a yes/no value (use true/false, yes/no, y/n or 1/0)",
    "int": "not a whole number",
}


@dataclass(frozen=True)
class _ReadContext:
    settings: ExtractSettings
    latest: dt.date  # the last plausible date
    day_0: dt.date = EXCEL_DAY_0  # of serial-number dates (a workbook's date system)
    placeholders: dict[str, int] = field(default_factory=dict)  # "file, column" -> read as blank
    warnings: list[str] = field(default_factory=list)


def _read_as(columns: list[object], name: str) -> list[str]:
    """The contract's name each header is read as (the rest stripped, as written): case and
    spacing ignored, and the home LSOA exported as ``lsoa21cd`` (2021 codes) read as the home
    LSOA column, which the map converts (:class:`helpers.geo.VintageConversion`)."""
    expected = [spec.name for spec in CONTRACT[name]]
    renames, _ = match_headers(columns, expected)
    read_as = [renames.get(column, str(column).strip()) for column in columns]
    if name == "caf_episodes" and "lsoa11cd" not in read_as:
        alias = [i for i, column in enumerate(read_as) if normalised(column) == "lsoa21cd"]
        if alias:
            read_as[alias[0]] = "lsoa11cd"
    return read_as


def _under_contract_names(
    raw: pd.DataFrame, name: str, label: str, problems: Problems, context: _ReadContext
) -> pd.DataFrame | None:
    """``raw`` with its columns named as the contract names them, or None with the reason in
    ``problems`` (a column missing, or written twice)."""
    expected = [spec.name for spec in CONTRACT[name]]
    written = list(raw.columns)
    _, changed = match_headers(written, expected)
    if changed:
        context.warnings.append(
            f"{label}: column names read ignoring case and spacing ({', '.join(changed)})."
        )
    read_as = _read_as(written, name)
    repeated = {n: h for n, h in duplicate_headers(written, read_as).items() if n in expected}
    for column, headers in repeated.items():
        problems.append(
            Problem(
                label,
                None,
                column,
                None,
                f"is written more than once: {' and '.join(headers)} are all read as {column}; "
                "keep one of them and delete the others",
            )
        )
    raw.columns = read_as
    missing = [column for column in expected if column not in read_as]
    for column in missing:
        unexpected = [str(c) for c in read_as if c not in expected]
        near = difflib.get_close_matches(column, unexpected, n=1)
        hint = f"; did you mean {shown_value(near[0])!r}?" if near else ""
        problems.append(Problem.of_file(label, f"column is missing{hint}", column))
    return None if missing or repeated else raw


EXCEL_ERROR = (
    "is an Excel error, not a value: correct the cell (or the formula behind it) in the "
    "workbook, then export again"
)
UNSAVED = (
    "is a formula whose value was never saved (the workbook was written by a program, not "
    "saved in Excel): open the workbook in Excel and save it, so that the value is stored"
)


#: The most characters an Excel cell holds: a longer field is no value but a broken export (a
#: quote left open swallows the rest of the file into one cell).
LONGEST_CELL = 32_767
TOO_LONG = (
    f"is longer than any cell holds ({LONGEST_CELL:,} characters in Excel): the export is "
    "broken here (a quotation mark left open?); export the file again"
)


def refuse_cells_without_value(
    text: pd.Series, label: str, column: str, problems: Problems
) -> pd.Series:
    """Cells that hold no value Excel showed: an error (``#N/A``, ``#REF!``, ...), in a
    workbook or in a CSV saved from one, or a formula never saved.
    Each is a problem by row (``text``'s index + 2), never a blank; returns which cells."""
    filled = text.fillna("")
    maybe = filled.str.startswith("#")
    error = pd.Series(False, index=text.index)
    if maybe.any():
        error[maybe] = filled[maybe].str.upper().isin(ERROR_VALUES)
    unsaved = filled.str.startswith(UNSAVED_FORMULA)
    problems.add_rows(label, column, _row_numbers(text.index[error]), text[error], EXCEL_ERROR)
    formulas = text[unsaved].str.removeprefix(UNSAVED_FORMULA)
    problems.add_rows(label, column, _row_numbers(text.index[unsaved]), formulas, UNSAVED)
    return error | unsaved


def refuse_overlong_cells(
    cells: pd.Series, label: str, column: str, problems: Problems
) -> pd.Series:
    """Cells longer than any cell holds, each a problem by row; returns which cells. Checked
    before a column is copied: a 512 MB field once took gigabytes as each step copied it."""
    long = cells.str.len().fillna(0).gt(LONGEST_CELL)
    problems.add_rows(label, column, _row_numbers(cells.index[long]), cells[long], TOO_LONG)
    return long


def _parse_table(
    raw: pd.DataFrame, name: str, label: str, problems: Problems, context: _ReadContext
) -> pd.DataFrame | None:
    raw = _under_contract_names(raw, name, label, problems, context)
    if raw is None:
        return None
    if raw.empty and name not in MAY_BE_EMPTY:
        problems.append(Problem.of_file(label, "the file has a header but no rows"))
        return None
    typed = pd.DataFrame(index=raw.index)
    for spec in CONTRACT[name]:
        cells = raw.pop(spec.name)  # pop: free the raw column
        long = refuse_overlong_cells(cells, label, spec.name, problems)
        text = cells.mask(long, "").astype("string").str.strip()
        refused = refuse_cells_without_value(text, label, spec.name, problems) | long
        text = text.mask(refused, "")
        empty = text.fillna("").eq("")
        if spec.required:
            blank = empty & ~refused
            problems.add_rows(
                label,
                spec.name,
                _row_numbers(raw.index[blank]),
                text[blank],
                "is required but blank",
            )
        typed[spec.name] = _typed_column(spec, text, empty, label, problems, context)
    return typed


def _typed_column(
    spec: ColumnSpec,
    text: pd.Series,
    empty: pd.Series,
    label: str,
    problems: Problems,
    context: _ReadContext,
) -> pd.Series:
    """One column's cells (text, stripped; ``empty``: blank or refused already) as its type."""
    if spec.kind == "text":
        # A totals line under the records ("Total", "Grand total") is not a record.
        total = text.str.lower().isin(context.settings.total_row_labels).fillna(False)
        problems.add_rows(
            label,
            spec.name,
            _row_numbers(text.index[total]),
            text[total],
            "reads as a totals row, not a record: leave totals out of the export",
        )
        value = text.mask(empty)
        # Few distinct values in many rows: categories take a fraction of the memory.
        return value.astype("category") if spec.name in CATEGORICAL else value
    if spec.kind == "date":
        column = read_date_column(
            text, spec.required, context.settings, context.latest, context.day_0
        )
        if column.column_problem:
            problems.append(Problem.of_file(label, column.column_problem, spec.name))
        for group in column.problem_groups:
            problems.add_rows(
                label, spec.name, _row_numbers(group.index), group.values, group.message
            )
        if column.placeholders:
            context.placeholders[f"{label}, column {spec.name}"] = column.placeholders
        return column.dates
    if spec.kind == "money":
        amounts, refusals = parse_money(text)
        for rows, message in refusals:
            problems.add_rows(label, spec.name, _row_numbers(text.index[rows]), text[rows], message)
        return amounts
    parsed = _PARSERS[spec.kind](text)
    bad = parsed.isna() & ~empty
    problems.add_rows(
        label, spec.name, _row_numbers(text.index[bad]), text[bad], _KIND_WORDS[spec.kind]
    )
    return parsed


# --------------------------------------------------------------------------- rules


#: The column that identifies a file's records: each value may appear once. Checked here rather
#: than by pandera, whose uniqueness check needs the whole column at once (see below).
UNIQUE_COLUMNS = {
    "caf_episodes": "episode_id",
    "caf_refusals": "refusal_id",
    "families": "family_id",
    "budget": "line",
}
#: Rows pandera checks at a time. Its table of failures holds several objects per failing cell,
#: so an extract where every row is wrong, checked whole, took gigabytes; in slices the table
#: never holds more than this many rows' failures, and each slice's go to the bounded list.
RULE_CHUNK_ROWS = 100_000


ALLOWED = "is not one of the allowed values"
#: The list in ``categories.yaml`` that each category column's values must be in.
CATEGORY_LISTS = {
    "lead_agency": "lead_agencies",
    "closure_reason": "closure_reasons",
    "refused_by": "refused_by",
    "caf_level": "caf_levels",
}


def setting_file(name: str) -> str:
    """A settings file as the analyst finds it: ``config/x.yaml``, or its path in another
    council's folder (``EARLYHELP_CONFIG_DIR``)."""
    path = config_dir() / name
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def category_fix(column: str) -> str | None:
    """The change to the settings that lets a category value in, for a refusal's summary."""
    key = CATEGORY_LISTS.get(column)
    return f"if it is right, add it to {key} in {setting_file('categories.yaml')}" if key else None


def _schemas(cats: Categories) -> dict[str, pa.DataFrameSchema]:
    """The contract's rules as pandera schemas, over the typed frames."""
    import pandera.pandas as pa

    agencies = list(cats.lead_agencies)
    reasons = list(cats.closure_reasons)

    def allowed(values: list) -> pa.Check:
        return pa.Check.isin(values, error=f"{ALLOWED} {values}")

    return {
        "caf_episodes": pa.DataFrameSchema(
            {
                "episode_id": pa.Column(str, nullable=True),
                "lead_agency": pa.Column(str, allowed(agencies), nullable=True),
                "caf_level": pa.Column("Int64", allowed(list(cats.caf_levels)), nullable=True),
                "closure_reason": pa.Column(str, allowed(reasons), nullable=True),
                "lsoa11cd": pa.Column(
                    str,
                    pa.Check.str_matches(
                        LSOA11CD_PATTERN,
                        error="is not a 2011 LSOA code (E01 followed by six digits)",
                    ),
                    nullable=True,
                ),
            },
        ),
        "caf_refusals": pa.DataFrameSchema(
            {
                "refusal_id": pa.Column(str, nullable=True),
                "refused_by": pa.Column(str, allowed(list(cats.refused_by)), nullable=True),
                "lead_agency": pa.Column(str, allowed(agencies), nullable=True),
            }
        ),
        "families": pa.DataFrameSchema(
            {
                "family_id": pa.Column(str, nullable=True),
                "phase": pa.Column("Int64", allowed([1, 2]), nullable=True),
            }
        ),
        "budget": pa.DataFrameSchema({"line": pa.Column(str, nullable=True)}),
    }


def _row_rules(name: str, frame: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
    """Rules across columns: (rows that break it, column to name, message)."""
    if name == "caf_episodes":
        ended = frame["end_date"].notna()
        reason = frame["closure_reason"].notna()
        return [
            (frame["end_date"] < frame["start_date"], "end_date", "ends before it starts"),
            (ended & ~reason, "closure_reason", "is blank although the episode has ended"),
            (reason & ~ended, "closure_reason", "is given but the episode has no end_date"),
        ]
    if name == "families":
        attached = frame["attached_date"].notna()
        return [
            (frame["phase"].notna() & ~attached, "attached_date", "is blank but phase is set"),
            (attached & frame["phase"].isna(), "phase", "is blank but attached_date is set"),
            (
                frame["claimed_date"].notna() & ~attached,
                "claimed_date",
                "is set but the family was never attached",
            ),
            (
                frame["claimed_date"] < frame["attached_date"],
                "claimed_date",
                "is before attached_date",
            ),
        ]
    return []


def _check_rules(
    name: str,
    label: str,
    frame: pd.DataFrame,
    cats: Categories,
    problems: Problems,
    across_columns: bool = True,
) -> None:
    import pandera.pandas as pa

    schema = _schemas(cats)[name]
    for start in range(0, max(len(frame), 1), RULE_CHUNK_ROWS):
        try:  # checks only (inplace): no copy of the slice
            schema.validate(frame.iloc[start : start + RULE_CHUNK_ROWS], lazy=True, inplace=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases.dropna(subset=["index"])
            checks = cases["check"].astype(str)
            for (column, check), group in cases.groupby([cases["column"], checks], sort=False):
                rows = _row_numbers(group["index"].astype("int64"))
                fix = category_fix(str(column)) if check.startswith(ALLOWED) else None
                problems.add_rows(label, str(column), rows, group["failure_case"], check, fix)
    if (key := UNIQUE_COLUMNS.get(name)) in frame:
        values = frame[key]
        repeated = values.duplicated(keep=False) & values.notna()  # every copy, the first too
        problems.add_rows(
            label,
            key,
            _row_numbers(frame.index[repeated]),
            values[repeated],
            "appears more than once",
        )
    for broken, column, message in _row_rules(name, frame) if across_columns else []:
        broken = broken.fillna(False).astype(bool)
        values = frame.loc[broken, column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        problems.add_rows(label, column, _row_numbers(frame.index[broken]), values, message)


# --------------------------------------------------------------------------- entry point


def leave_out_invalid_rows(
    typed: dict[str, pd.DataFrame], labels: dict[str, str], problems: Problems
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop every row with a problem; return the problems and per-file counts that reconcile.

    A problem in a column only the map reads (the home LSOA) keeps the row: the episode counts
    everywhere else and the map lists it among those it cannot place. The problems returned
    are those kept (see :class:`Problems`); the counts cover every row.
    """
    counts = []
    for name, frame in typed.items():
        bad = problems.bad_rows(labels[name]) - 2
        bad_index = frame.index[frame.index.isin(bad)]
        counts.append(
            {
                "file": labels[name],
                "rows_read": len(frame),
                "rows_used": len(frame) - len(bad_index),
                "rows_left_out": len(bad_index),
            }
        )
        typed[name] = frame.drop(index=bad_index)
    excluded = pd.DataFrame(
        [
            (
                p.file,
                p.row,
                p.column,
                p.value,
                p.message
                + (" (row kept; left off the map)" if p.column in MAP_ONLY_COLUMNS else ""),
            )
            for p in problems
        ],
        columns=EXCLUDED_COLUMNS,
    )
    return excluded, pd.DataFrame(counts, columns=COUNT_COLUMNS)


def refuse_too_many_left_out(
    source: str, row_counts: pd.DataFrame, found: Problems, settings: ExtractSettings
) -> None:
    """--allow-invalid is for a few bad rows, not a broken export: stop past the set share."""
    ceiling = settings.allow_invalid_max_left_out_pct
    problems = []
    for row in row_counts.itertuples():
        if row.rows_read and 100 * row.rows_left_out / row.rows_read > ceiling:
            message, count = found.commonest(row.file) or ("unknown", row.rows_left_out)
            problems.append(
                Problem(
                    row.file,
                    None,
                    None,
                    None,
                    f"{row.rows_left_out:,} of {row.rows_read:,} rows "
                    f"({100 * row.rows_left_out / row.rows_read:.1f}%) would be left out, more "
                    f"than the {ceiling:g}% that leaving out invalid rows allows (set in "
                    f"config/extract.yaml). The commonest problem, in "
                    f"{count:,} row(s): {message}. Fix the export.",
                )
            )
    if problems:
        raise ExtractError(source, problems)


def left_out_warnings(row_counts: pd.DataFrame, problems: Problems) -> list[str]:
    """What --allow-invalid left out, for the run's warnings (none when nothing was)."""
    if not problems:
        return []
    left_out = int(row_counts["rows_left_out"].sum())
    return [
        f"{left_out} invalid row(s) were left out ({problems.total} problem(s)); they are "
        "listed in tables/data_quality.csv and in each report's data-quality section.",
        *(f"{line} (in tables/data_quality.csv)." for line in problems.not_listed()),
    ]


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The extract to use: the given path, or the committed synthetic extract when blank."""
    return Path(data_dir) if data_dir else SYNTHETIC_DIR


def load_report_extract(data_dir: str | Path | None) -> Extract:
    """What a notebook reads: the extract its ``data_dir`` parameter names (blank: synthetic)."""
    return load_extract(resolve_data_dir(data_dir))


def load_extract(
    path: str | Path,
    cats: Categories | None = None,
    allow_invalid: bool = False,
    sink: Sink | None = None,
) -> Extract:
    """Read, parse and validate an extract; raise :class:`ExtractError` listing every problem.

    With ``allow_invalid``, rows with a problem are left out instead (and listed in
    ``Extract.excluded``); problems with a whole file (a missing column or file) still raise.
    ``sink`` receives every problem as found (for the full list a refusal writes).
    """
    path = Path(path)
    cats = cats or categories()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such extract (a folder of CSVs or an .xlsx file)")
    if (path / VALIDATED_MANIFEST).is_file():
        return _load_validated(path)
    digest = extract_sha256(path)
    settings = extract_settings()
    taken, taken_how = extract_taken_on(path, digest)
    latest = settings.latest_date or taken
    warnings: list[str] = []
    problems = Problems(sink=sink)
    sources = _read_sources(path, warnings, problems)
    context = _ReadContext(settings, latest, sources.day_0)
    typed: dict[str, pd.DataFrame] = {}
    labels = {name: file_label(path, name) for name in CONTRACT}
    for name in CONTRACT:
        label = labels[name]
        if name not in sources.tables:  # missing or unreadable: already a problem
            continue
        frame = _parse_table(sources.tables.pop(name), name, label, problems, context)
        if frame is not None:
            # Rules across columns read a column that could not be read: they would only mislead.
            unreadable = bool(problems.whole_file(label))
            _check_rules(name, label, frame, cats, problems, across_columns=not unreadable)
            typed[name] = frame
    warnings += context.warnings
    for where, count in context.placeholders.items():
        warnings.append(
            f"{where}: {count} placeholder date(s) such as 9999-12-31 were read as blank "
            "(not ended or not set)."
        )
    problems.sort()
    whole_file = problems.whole_file()
    if problems and (not allow_invalid or whole_file):
        if allow_invalid:
            raise ExtractError(str(path), whole_file)
        raise ExtractError(str(path), problems)
    excluded, row_counts = leave_out_invalid_rows(typed, labels, problems)
    refuse_too_many_left_out(str(path), row_counts, problems, context.settings)
    warnings += left_out_warnings(row_counts, problems)
    episodes = typed["caf_episodes"]
    episodes["caf_level"] = episodes["caf_level"].astype("int64")
    families = typed["families"]
    for column in cats.criteria_columns:
        families[column] = families[column].astype(bool)
    notes, note_warnings = notes_and_warnings(episodes, families)
    warnings += note_warnings
    budget = typed["budget"]
    budget["spend"] = budget["spend"].astype("float64")
    budget["income"] = budget["income"].astype("float64")
    return Extract(
        episodes=episodes,
        refusals=typed["caf_refusals"],
        families=families,
        budget=budget,
        source=str(path),
        sha256=digest,
        is_synthetic=_manifest_says_synthetic(path, digest),
        warnings=warnings,
        excluded=excluded,
        row_counts=row_counts,
        notes=notes,
        taken_on=taken.isoformat(),
        taken_how=taken_how,
    )


# --------------------------------------------------------------------------- validated copy

VALIDATED_MANIFEST = "validated.json"
_TABLE_ATTRIBUTES = {
    "caf_episodes": "episodes",
    "caf_refusals": "refusals",
    "families": "families",
    "budget": "budget",
}


def save_validated(extract: Extract, folder: Path) -> Path:
    """A typed Parquet copy of a validated extract, so that each notebook skips re-validation.

    The batch writes it inside its temporary report folder and deletes it before publishing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, attribute in _TABLE_ATTRIBUTES.items():
        getattr(extract, attribute).to_parquet(folder / f"{name}.parquet")
    extract.excluded.astype({"row": "Int64"}).to_parquet(folder / "excluded.parquet")
    extract.row_counts.to_parquet(folder / "row_counts.parquet")
    manifest = {
        "source": extract.source,
        "sha256": extract.sha256,
        "is_synthetic": extract.is_synthetic,
        "warnings": extract.warnings,
        "taken_on": extract.taken_on,
        "taken_how": extract.taken_how,
        "kind": extract.kind,
        "absent": list(extract.absent),
        "covers_from": extract.covers_from,
    }
    (folder / VALIDATED_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _load_validated(folder: Path) -> Extract:
    manifest = json.loads((folder / VALIDATED_MANIFEST).read_text(encoding="utf-8"))
    manifest["absent"] = tuple(manifest.get("absent", ()))
    tables = {
        attribute: pd.read_parquet(folder / f"{name}.parquet")
        for name, attribute in _TABLE_ATTRIBUTES.items()
    }
    excluded = pd.read_parquet(folder / "excluded.parquet")
    row_counts = pd.read_parquet(folder / "row_counts.parquet")
    return Extract(**tables, **manifest, excluded=excluded, row_counts=row_counts)
