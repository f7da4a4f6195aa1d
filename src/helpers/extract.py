"""Read and validate a case-level extract: the contract every notebook stands on.

An extract is a folder of CSV files (UTF-8) or one Excel workbook with a sheet per file,
named as below. Everything wrong with it is collected and reported together, each problem by
file, row (as the analyst sees it: the header is row 1), column and value; nothing is dropped
silently.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import mmap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from helpers.extract_dates import ExtractSettings, read_date_column, settings_from
from helpers.extract_files import (
    delimiter_problem,
    encoding_of,
    match_headers,
    missing_sheet_message,
    normalised,
)

if TYPE_CHECKING:  # pandera is imported where an extract is validated, not by every kernel
    import pandera.pandas as pa

LSOA11CD_PATTERN = r"^E01\d{6}$"
MAX_PROBLEMS_SHOWN = 50
#: Problems of one file and column kept whole (row, value, message); the rest are counted, so
#: that an extract where every row is wrong cannot take the memory (a 200 MB export of wrong
#: rows made 16 million problems). Row numbers of every problem are kept, compactly, so that
#: --allow-invalid still leaves out every bad row and the counts still reconcile.
PROBLEMS_KEPT_PER_COLUMN = 1000
SYNTHETIC_MANIFEST = "manifest.json"  # written beside the synthetic extract
#: Files a council may export with a header and no rows: no refusals were recorded, or no
#: family has been assessed for Strengthening Families. The sections they feed say so.
MAY_BE_EMPTY = frozenset({"caf_refusals", "families"})
#: Columns only the map reads: with --allow-invalid a bad value keeps its row everywhere else.
MAP_ONLY_COLUMNS = frozenset({"lsoa11cd"})
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


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # as the analyst sees it in the file (header = row 1); None: whole file
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.message}{value}"


class ExtractError(SentenceError, ValueError):
    """The extract breaks the contract. ``problems`` lists the problems kept (every problem,
    unless one file and column had more than :data:`PROBLEMS_KEPT_PER_COLUMN`); ``total``
    counts them all."""

    def __init__(self, source: str, problems: Sequence[Problem], total: int | None = None):
        self.source = source
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        shown = "\n".join(f"  - {problem}" for problem in self.problems[:MAX_PROBLEMS_SHOWN])
        rest = self.total - min(len(self.problems), MAX_PROBLEMS_SHOWN)
        more = f"\n  ... and {rest} more problem(s)" if rest > 0 else ""
        super().__init__(
            f"The extract {source} has {self.total} problem(s); no report was written.\n"
            f"{shown}{more}"
        )

    def __reduce__(self):  # so that it crosses from the batch's validating process intact
        return (type(self), (self.source, self.problems, self.total))


class Problems:
    """The problems found in an extract, in bounded memory.

    The first :data:`PROBLEMS_KEPT_PER_COLUMN` problems of each file and column are kept whole;
    the rest are counted (by file, column and message). The row numbers of every row with a
    problem are kept as arrays, since ``--allow-invalid`` leaves out each such row.
    """

    def __init__(self, kept_per_column: int | None = None) -> None:
        self.kept: list[Problem] = []
        self.total = 0
        self.kept_per_column = (
            PROBLEMS_KEPT_PER_COLUMN if kept_per_column is None else kept_per_column
        )
        #: (file, column) -> problems found, kept or not.
        self.per_column: Counter[tuple[str, str | None]] = Counter()
        #: (file, message) -> problems found: the commonest problem of a file.
        self.per_message: Counter[tuple[str, str]] = Counter()
        self._rows: dict[str, list[np.ndarray]] = {}  # file -> rows with a problem

    def append(self, problem: Problem) -> None:
        rows = np.array([] if problem.row is None else [problem.row], dtype="int64")
        self._add(problem.file, problem.column, problem.message, rows, [problem])

    def add_rows(
        self,
        file: str,
        column: str | None,
        rows: Sequence[int] | np.ndarray,
        values: Iterable[object],
        message: str,
    ) -> None:
        """One problem per row: ``rows`` as the analyst numbers them, ``values`` as written.

        Only the problems that will be kept are made: a million bad rows cost a million
        integers, not a million objects.
        """
        rows = np.asarray(rows, dtype="int64")
        if not len(rows):
            return
        room = max(0, self.kept_per_column - self.per_column[(file, column)])
        kept = [
            Problem(file, int(row), column, None if _missing(value) else str(value), message)
            for row, value in zip(rows[:room], _first(values, room), strict=False)
        ]
        self._add(file, column, message, rows, kept, count=len(rows))

    def _add(
        self,
        file: str,
        column: str | None,
        message: str,
        rows: np.ndarray,
        problems: list[Problem],
        count: int | None = None,
    ) -> None:
        count = len(problems) if count is None else count
        room = max(0, self.kept_per_column - self.per_column[(file, column)])
        self.kept += problems[:room]
        self.total += count
        self.per_column[(file, column)] += count
        self.per_message[(file, message)] += count
        if len(rows) and column not in MAP_ONLY_COLUMNS:
            self._rows.setdefault(file, []).append(rows)

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    def whole_file(self, file: str | None = None) -> list[Problem]:
        """Problems with a whole file or column (no row), of ``file`` or of any file."""
        return [p for p in self.kept if p.row is None and (file is None or p.file == file)]

    def bad_rows(self, file: str) -> np.ndarray:
        """Every row of ``file`` with a problem outside the map-only columns, once each."""
        found = self._rows.get(file)
        return np.unique(np.concatenate(found)) if found else np.array([], dtype="int64")

    def commonest(self, file: str) -> tuple[str, int] | None:
        found = [(count, message) for (f, message), count in self.per_message.items() if f == file]
        if not found:
            return None
        count, message = max(found)
        return message, count

    def not_listed(self) -> list[str]:
        """Sentences for the columns whose problems were counted but not all listed."""
        return [
            f"{file}, column {column}: {count:,} problems; the first {self.kept_per_column:,} "
            "are listed, the rest only counted"
            for (file, column), count in sorted(self.per_column.items(), key=str)
            if count > self.kept_per_column
        ]

    def sort(self) -> None:
        self.kept.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _first(values: Iterable[object], n: int) -> Iterable[object]:
    if isinstance(values, pd.Series):
        return values.iloc[:n].tolist()
    if isinstance(values, (list, tuple, np.ndarray)):
        return values[:n]
    return (value for _, value in zip(range(n), values, strict=False))


EXCLUDED_COLUMNS = ["file", "row", "column", "value", "problem"]
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


def _read_csv(path: Path, warnings: list[str]) -> pd.DataFrame:
    # pyarrow's reader is fast and lean, but it skips empty lines, which would shift the row
    # numbers in messages; files with empty lines, or that it cannot read (not UTF-8, ragged
    # rows), go to pandas' own parser, which keeps them and says what is wrong.
    if path.stat().st_size > 0 and not _has_blank_lines(path):
        try:
            frame = pd.read_csv(
                path, engine="pyarrow", dtype=str, keep_default_na=False, encoding="utf-8"
            )
            return _drop_blank_rows(frame)
        except Exception:  # noqa: BLE001 - the parser below reports the problem properly
            pass
    # Blank lines are read (and dropped below) so that the index still counts file lines.
    options = {"dtype": str, "keep_default_na": False, "skip_blank_lines": False}
    try:
        frame = pd.read_csv(path, encoding="utf-8", **options)
    except UnicodeDecodeError:
        warnings.append(
            f"{path.name} is not UTF-8 ({_first_bad_utf8(path)}); it was read as Windows-1252 "
            "(cp1252). Save it as CSV UTF-8 to silence this warning."
        )
        frame = pd.read_csv(path, encoding="cp1252", **options)
    return _drop_blank_rows(frame)


def _first_bad_utf8(path: Path) -> str:
    """Where the first byte that is not UTF-8 is, as an analyst looks for it: row and offset.

    (pandas' own error counts from the start of a cell, not of the file.)
    """
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        return f"row {row}, byte {error.start}"
    return "position unknown"


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
        problems.append(
            Problem(label, None, None, None, "the file is empty (0 bytes): export it again")
        )
        return None
    expected = [spec.name for spec in CONTRACT[name]]
    encoding = encoding_of(csv)
    if (problem := delimiter_problem(csv, expected, encoding or "utf-8")) is not None:
        problems.append(Problem(label, None, None, None, problem))
        return None
    if encoding:  # Excel's "Unicode text": readable, but say how to avoid it
        warnings.append(
            f"{label} is saved as UTF-16; it was read as such. Save it as CSV UTF-8 to silence "
            "this warning."
        )
        options = {"dtype": str, "keep_default_na": False, "skip_blank_lines": False}
        return _drop_blank_rows(pd.read_csv(csv, encoding=encoding, **options))
    return _read_csv(csv, warnings)


def _read_sources(path: Path, warnings: list[str], problems: Problems) -> dict[str, pd.DataFrame]:
    if path.is_dir():
        tables = {}
        for name in CONTRACT:
            csv = path / f"{name}.csv"
            if csv.exists():
                frame = _read_one_csv(csv, name, warnings, problems)
                if frame is not None:
                    tables[name] = frame
            else:
                problems.append(
                    Problem(f"{name}.csv", None, None, None, "file is missing from the extract")
                )
        return tables
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        try:
            sheets = pd.read_excel(
                path, sheet_name=None, dtype=str, keep_default_na=False, header=None
            )
        except Exception as error:  # noqa: BLE001 - any unreadable workbook: say so, no traceback
            raise ExtractError(
                str(path),
                [Problem(path.name, None, None, None, f"the workbook cannot be read ({error})")],
            ) from None
        tables = {}
        for name in CONTRACT:
            if name in sheets:
                label = f"{path.name}[{name}]"
                tables[name] = _sheet_with_header(sheets[name], name, label, warnings)
            else:
                message = missing_sheet_message(name, list(sheets))
                problems.append(Problem(f"{path.name}[{name}]", None, None, None, message))
        return tables
    raise FileNotFoundError(
        f"{path}: an extract is a folder of CSV files or an Excel workbook (.xlsx); "
        "this is neither."
    )


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
    files = [path / f"{name}.csv" for name in CONTRACT] if path.is_dir() else [path]
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
    files = [path / f"{name}.csv" for name in CONTRACT] if path.is_dir() else [path]
    for file in files:
        if file.exists():
            digest.update(file.name.encode())
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


_PARSERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "bool": parse_booleans,
    "int": lambda values: parse_numbers(values, integer=True),
    "money": lambda values: parse_numbers(values, integer=False),
}
_KIND_WORDS = {
    "date": "not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    "bool": "not a yes/no value (use true/false, yes/no, y/n or 1/0)",
    "int": "not a whole number",
    "money": "not an amount of money",
}


@dataclass(frozen=True)
class _ReadContext:
    settings: ExtractSettings
    latest: dt.date  # the last plausible date
    placeholders: dict[str, int] = field(default_factory=dict)  # "file, column" -> read as blank
    warnings: list[str] = field(default_factory=list)


def _home_lsoa_under_2021_name(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """The home LSOA exported as ``lsoa21cd`` (2021 codes) is read as the home LSOA column;
    the map converts its codes to the LSOAs it draws (:class:`helpers.geo.VintageConversion`)."""
    if name != "caf_episodes" or "lsoa11cd" in raw.columns:
        return raw
    alias = [column for column in raw.columns if normalised(column) == "lsoa21cd"]
    return raw.rename(columns={alias[0]: "lsoa11cd"}) if alias else raw


def _parse_table(
    raw: pd.DataFrame, name: str, label: str, problems: Problems, context: _ReadContext
) -> pd.DataFrame | None:
    specs = CONTRACT[name]
    expected = [spec.name for spec in specs]
    renames, changed = match_headers(list(raw.columns), expected)
    if changed:
        context.warnings.append(
            f"{label}: column names read ignoring case and spacing ({', '.join(changed)})."
        )
    raw = raw.rename(columns=lambda column: renames.get(column, str(column).strip()))
    raw = _home_lsoa_under_2021_name(raw, name)
    missing = [column for column in expected if column not in raw.columns]
    for column in missing:
        unexpected = [str(c) for c in raw.columns if c not in expected]
        near = difflib.get_close_matches(column, unexpected, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        problems.append(Problem(label, None, column, None, f"column is missing{hint}"))
    if missing:
        return None
    if raw.empty and name not in MAY_BE_EMPTY:
        problems.append(Problem(label, None, None, None, "the file has a header but no rows"))
        return None
    typed = pd.DataFrame(index=raw.index)
    for spec in specs:
        text = raw.pop(spec.name).astype("string").str.strip()  # pop: free the raw column
        blank = text.fillna("").eq("")
        if spec.required:
            problems.add_rows(
                label,
                spec.name,
                _row_numbers(raw.index[blank]),
                text[blank],
                "is required but blank",
            )
        if spec.kind == "text":
            # A totals line under the records ("Total", "Grand total") is not a record.
            total = text.str.lower().isin(context.settings.total_row_labels).fillna(False)
            problems.add_rows(
                label,
                spec.name,
                _row_numbers(raw.index[total]),
                text[total],
                "reads as a totals row, not a record: leave totals out of the export",
            )
            value = text.mask(blank)
            # Few distinct values in many rows: categories take a fraction of the memory.
            typed[spec.name] = value.astype("category") if spec.name in CATEGORICAL else value
            continue
        if spec.kind == "date":
            column = read_date_column(text, spec.required, context.settings, context.latest)
            if column.column_problem:
                problems.append(Problem(label, None, spec.name, None, column.column_problem))
            for group in column.problem_groups:
                problems.add_rows(
                    label, spec.name, _row_numbers(group.index), group.values, group.message
                )
            if column.placeholders:
                context.placeholders[f"{label}, column {spec.name}"] = column.placeholders
            typed[spec.name] = column.dates
            continue
        parsed = _PARSERS[spec.kind](text)
        bad = parsed.isna() & ~blank
        problems.add_rows(
            label, spec.name, _row_numbers(raw.index[bad]), text[bad], _KIND_WORDS[spec.kind]
        )
        typed[spec.name] = parsed
    return typed


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


def _schemas(cats: Categories) -> dict[str, pa.DataFrameSchema]:
    """The contract's rules as pandera schemas, over the typed frames."""
    import pandera.pandas as pa

    agencies = list(cats.lead_agencies)
    reasons = list(cats.closure_reasons)

    def allowed(values: list) -> pa.Check:
        return pa.Check.isin(values, error=f"is not one of the allowed values {values}")

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
                problems.add_rows(label, str(column), rows, group["failure_case"], check)
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


def _leave_out_invalid_rows(
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


def _refuse_too_many_left_out(
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


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The extract to use: the given path, or the committed synthetic extract when blank."""
    return Path(data_dir) if data_dir else SYNTHETIC_DIR


def load_report_extract(data_dir: str | Path | None) -> Extract:
    """What a notebook reads: the extract its ``data_dir`` parameter names (blank: synthetic)."""
    return load_extract(resolve_data_dir(data_dir))


def load_extract(
    path: str | Path, cats: Categories | None = None, allow_invalid: bool = False
) -> Extract:
    """Read, parse and validate an extract; raise :class:`ExtractError` listing every problem.

    With ``allow_invalid``, rows with a problem are left out instead (and listed in
    ``Extract.excluded``); problems with a whole file (a missing column or file) still raise.
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
    context = _ReadContext(settings, latest)
    warnings: list[str] = []
    problems = Problems()
    sources = _read_sources(path, warnings, problems)
    typed: dict[str, pd.DataFrame] = {}
    labels = {name: file_label(path, name) for name in CONTRACT}
    for name in CONTRACT:
        label = labels[name]
        if name not in sources:  # missing or unreadable: already a problem
            continue
        frame = _parse_table(sources.pop(name), name, label, problems, context)
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
        raise ExtractError(str(path), problems.kept, problems.total)
    excluded, row_counts = _leave_out_invalid_rows(typed, labels, problems)
    _refuse_too_many_left_out(str(path), row_counts, problems, context.settings)
    if problems:
        left_out = int(row_counts["rows_left_out"].sum())
        warnings.append(
            f"{left_out} invalid row(s) were left out ({problems.total} problem(s)); they are "
            "listed in tables/data_quality.csv and in each report's data-quality section."
        )
        warnings += [f"{line} (in tables/data_quality.csv)." for line in problems.not_listed()]
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
