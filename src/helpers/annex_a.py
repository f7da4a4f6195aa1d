"""The Ofsted Annex A workbook's List 2 (early help), read into the same extract as the native one.

Every English local authority produces the Annex A workbook for each inspection of its
children's services: eleven lists on sheets ``List 1`` ... ``List 11``, of which List 2 holds the
early help assessments. Each assessment becomes one episode: it starts when the assessment
started and ends when it was completed (open while blank), led by the organisation that
completed it, grouped into lead agencies by ``config/annex_a.yaml``. List 2 records no closure
outcome, refusals, family, address or budget: :data:`NOT_HELD` says so in a reader's words, and
:func:`cannot_show` tells a section what it cannot show. It covers only the months before the
inspection: :func:`covered_months` keeps a window to the months the list covers.

Floor 2: it builds on ``extract`` (the model, the problems, the validated copy) and is where
every caller that may meet an Annex A workbook loads an extract (:func:`load_any_extract`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import metrics
from helpers.config import config_dir, load_yaml
from helpers.extract import (
    CONTRACT,
    EXCLUDED_COLUMNS,
    SYNTHETIC_MANIFEST,
    TAKEN_INFERRED,
    TAKEN_RECORDED,
    VALIDATED_MANIFEST,
    Extract,
    ExtractError,
    Problem,
    Problems,
    extract_settings,
    leave_out_invalid_rows,
    left_out_warnings,
    load_extract,
    refuse_cells_without_value,
    refuse_too_many_left_out,
    resolve_data_dir,
    setting_file,
)
from helpers.extract_checks import NOTE_COLUMNS
from helpers.extract_dates import EXCEL_DAY_0, read_date_column
from helpers.extract_files import duplicate_headers, matching_sheet
from helpers.extract_problems import Sink
from helpers.outputs import formula_safe_table
from helpers.workbook import WorkbookError, read_sheets, sheet_names

FORMATS = ("auto", "native", "annex-a")
KIND = "annex-a"
LIST_2 = "List 2"
HEADER_SEARCH_ROWS = 15
#: Names of a List 2 sheet that do not say "List 2" (squeezed, see :func:`squeeze`).
EARLY_HELP_SHEETS = frozenset({"earlyhelp", "earlyhelpassessments", "earlyhelplist"})
#: The ages an early help assessment may be about: a child, or a young person up to 25 (with
#: special educational needs or leaving care). Outside it the age is a typing error.
AGE_RANGE = (0, 25)
#: What makes two rows the same assessment entered twice: the same child, starting on the same
#: day, with the same organisation. (List 2 has no assessment id; two organisations may assess
#: one child on one day, and one child may be assessed again later.)
DUPLICATE_KEY = ("child_id", "start_date", "organisation")
NOT_RECORDED = "Not recorded"
#: The earliest plausible date of birth (a young adult still known to early help).
EARLIEST_BIRTH = dt.date(1980, 1, 1)

#: What List 2 does not hold, in a reader's words: why a section cannot show a figure.
NOT_HELD = {
    "closure_reason": "why an assessment ended (the closure outcome)",
    "refusals": "early help that a parent or child refused",
    "family": "which children belong to the same family",
    "address": "where the child lives",
    "budget": "the budget",
    "demographics": "the child's age, sex and ethnicity",
}
#: What List 2 lacks, always.
ANNEX_A_ABSENT = ("closure_reason", "refusals", "family", "address", "budget")
#: The kind of the Standard Safeguarding Dataset (read by ``helpers.ssd``), named here so that
#: what every kind of input cannot show is said in one place.
SSD_KIND = "ssd"
#: Each kind of input, as a page's sentence names it.
INPUT_NAMES = {
    KIND: "The Ofsted Annex A early help list (List 2)",
    SSD_KIND: "The Standard Safeguarding Dataset",
}
#: Where a kind of input lacks a figure for its own reason, in its own words.
NOT_HELD_BY_KIND = {
    SSD_KIND: {
        "family": "the Strengthening Families assessment of each family (its six headline "
        "problems)",
        "address": "the Lower Super Output Area of the child's home (ssd_address holds the "
        "postcode, which the map cannot place)",
        "demographics": "the child's age, sex and ethnicity in a form this report reads yet",
    },
}
DEMOGRAPHIC_COLUMNS = ("sex", "ethnicity", "age_years")


@dataclass(frozen=True)
class Column:
    name: str  # in the model
    aliases: tuple[str, ...]  # headers as authorities write them, squeezed (see :func:`squeeze`)
    required: bool  # the column must be in the sheet


#: List 2's columns. Headers are matched ignoring case, spaces and punctuation.
COLUMNS = (
    Column("child_id", ("childuniqueid", "childid", "uniqueid", "childuniqueidentifier"), True),
    Column("sex", ("gender", "sex", "genderorsex"), False),
    Column("ethnicity", ("ethnicity", "ethnicorigin"), False),
    Column("date_of_birth", ("dateofbirth", "dob"), False),
    Column("age_years", ("ageofchildyears", "ageofchild", "age", "ageyears"), False),
    Column(
        "start_date",
        ("assessmentstartdate", "assessmentstart", "dateassessmentstarted", "startdate"),
        True,
    ),
    Column(
        "end_date",
        (
            "assessmentcompletiondate",
            "assessmentcompleteddate",
            "dateassessmentcompleted",
            "assessmentenddate",
            "completiondate",
        ),
        True,
    ),
    Column(
        "organisation",
        (
            "organisationcompletingassessment",
            "organizationcompletingassessment",
            "organisation",
            "organisationcompletingtheassessment",
        ),
        True,
    ),
)


#: Each column's header as the Ofsted template writes it, for messages.
HEADERS = {
    "child_id": "Child Unique ID",
    "sex": "Gender (or Sex)",
    "ethnicity": "Ethnicity",
    "date_of_birth": "Date of Birth",
    "age_years": "Age of Child (Years)",
    "start_date": "Assessment start date",
    "end_date": "Assessment completion date",
    "organisation": "Organisation completing assessment",
}


def squeeze(text: object) -> str:
    """A header as matched: lower case, letters and digits only (``Age of Child (Years)`` ->
    ``ageofchildyears``)."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def match_column(header: object) -> str | None:
    """The model's name for a List 2 header, or None."""
    key = squeeze(header)
    for column in COLUMNS:
        if key in column.aliases:
            return column.name
    return None


_PREFIX = re.compile(r"^\s*[a-zA-Z]{1,2}\s*\)\s*")


def strip_prefix(value: object) -> str:
    """A coded value without Annex A's letter prefix: ``a) Male`` -> ``Male``, ``s) REFU`` ->
    ``REFU``; a value without one is returned stripped."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _PREFIX.sub("", str(value)).strip()


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class AnnexASettings:
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # lead-agency group -> words
    sex: dict[str, str]
    ethnicity_groups: dict[str, str]  # code -> major group
    ethnicity_order: tuple[str, ...]
    age_bands: tuple[tuple[int, int, str], ...]


@cache
def _settings_at(path: Path) -> AnnexASettings:
    raw = load_yaml(path) or {}
    groups = tuple(
        (str(group), tuple(str(w).lower() for w in words))
        for group, words in (raw.get("lead_agency_groups") or {}).items()
    )
    ethnicity = {
        str(code).upper(): str(group)
        for group, codes in (raw.get("ethnicity_groups") or {}).items()
        for code in codes
    }
    return AnnexASettings(
        groups=groups,
        sex={str(k).lower(): str(v) for k, v in (raw.get("sex") or {}).items()},
        ethnicity_groups=ethnicity,
        ethnicity_order=tuple(str(g) for g in (raw.get("ethnicity_groups") or {})),
        age_bands=tuple((int(lo), int(hi), str(label)) for lo, hi, label in raw["age_bands"]),
    )


def annex_a_settings() -> AnnexASettings:
    """How List 2 is read: ``config/annex_a.yaml``."""
    return _settings_at(config_dir() / "annex_a.yaml")


def lead_agency_group(organisation: str, settings: AnnexASettings | None = None) -> str | None:
    """The lead-agency group of an organisation as recorded, or None when no group matches."""
    settings = settings or annex_a_settings()
    name = organisation.strip().lower()
    for group, words in settings.groups:
        if name == group.lower() or any(word in name for word in words):
            return group
    return None


def sex_label(value: object, settings: AnnexASettings | None = None) -> str | None:
    """``a) Male`` -> ``Male``; blank -> "Not recorded"; an unknown value -> None."""
    text = strip_prefix(value)
    if not text:
        return NOT_RECORDED
    return (settings or annex_a_settings()).sex.get(text.lower())


def ethnicity_code(value: object, settings: AnnexASettings | None = None) -> str | None:
    """``s) REFU`` -> ``REFU``; blank -> "Not recorded"; an unknown code -> None."""
    text = strip_prefix(value).upper()
    if not text:
        return NOT_RECORDED
    return text if text in (settings or annex_a_settings()).ethnicity_groups else None


def ethnicity_group(codes: pd.Series, settings: AnnexASettings | None = None) -> pd.Series:
    """DfE ethnicity codes -> the DfE major groups (blank: "Not recorded")."""
    settings = settings or annex_a_settings()
    return codes.map(lambda c: settings.ethnicity_groups.get(str(c), NOT_RECORDED))


def age_band(ages: pd.Series, settings: AnnexASettings | None = None) -> pd.Series:
    """Whole years (decimals cut off) -> the age bands of the settings; blank: "Not recorded"."""
    settings = settings or annex_a_settings()
    years = np.floor(pd.to_numeric(ages, errors="coerce").astype("float64"))
    out = pd.Series(NOT_RECORDED, index=ages.index, dtype=object)
    for low, high, label in settings.age_bands:
        out[(years >= low) & (years <= high)] = label
    return out


def age_band_order(settings: AnnexASettings | None = None) -> list[str]:
    return [label for _, _, label in (settings or annex_a_settings()).age_bands] + [NOT_RECORDED]


# --------------------------------------------------------------------------- what it holds


def cannot_show(extract: Extract, need: str) -> str | None:
    """A sentence for the page when ``extract`` does not hold ``need`` (a key of
    :data:`NOT_HELD`), else None."""
    if need == "demographics":
        held = all(column in extract.episodes for column in DEMOGRAPHIC_COLUMNS)
    else:
        held = need not in extract.absent
    return None if held else not_held_sentence(extract.kind, need)


def not_held_sentence(kind: str, need: str) -> str:
    """Why a figure needing ``need`` is not shown, for an extract of ``kind``."""
    which = INPUT_NAMES.get(kind, "The case-management extract this report runs on")
    words = NOT_HELD_BY_KIND.get(kind, {}).get(need, NOT_HELD[need])
    return f"{which} does not record {words}."


def covers_date(extract: Extract, day: str | pd.Timestamp) -> bool:
    """Whether the extract covers ``day`` (every extract but a partial list does)."""
    return not extract.covers_from or pd.Timestamp(day) >= pd.Timestamp(extract.covers_from)


def coverage_sentence(extract: Extract) -> str:
    """The window the data covers, for the page; blank for an extract that covers everything."""
    if not extract.covers_from:
        return ""
    first = pd.Timestamp(extract.covers_from)
    taken = pd.Timestamp(extract.taken_on) if extract.taken_on else None
    until = f" to {taken.day} {taken:%B %Y}" if taken is not None else ""
    return (
        f"The early help list covers assessments started from {first.day} {first:%B %Y}{until}. "
        "Months and year-to-date figures that start before then are not shown: they would "
        "count only part of the work. Completed assessments are those of the assessments "
        "started since then, and no assessment in the list can have been open for longer than "
        "the time since then."
    )


# --------------------------------------------------------------------------- recognising


def workbook_sheets(path: Path) -> list[str]:
    """The workbook's sheets (:class:`WorkbookError` when it cannot be read)."""
    return sheet_names(path)


def list_sheet(sheets: Iterable[str], number: int = 2) -> str | None:
    """The sheet holding List ``number``, named as authorities name it, ignoring case, spaces
    and punctuation: ``List 2``, ``List2``, ``List 2 - Early Help``, and for List 2 also
    ``Early Help``. The plainest name wins (``List 2`` over ``List 2 - Early Help``)."""
    sheets = list(sheets)
    prefix = f"list{number}"
    ranked = [(0, sheet) for sheet in sheets if squeeze(sheet) == prefix] + [
        (1, sheet)
        for sheet in sheets
        if squeeze(sheet).startswith(prefix)
        and not squeeze(sheet)[len(prefix) :][:1].isdigit()
        and squeeze(sheet) != prefix
    ]
    if number == 2:
        ranked += [(2, sheet) for sheet in sheets if squeeze(sheet) in EARLY_HELP_SHEETS]
    return min(ranked)[1] if ranked else None


def is_annex_a(path: str | Path) -> bool:
    """Whether ``path`` is an Annex A workbook: an Excel file with a List 2 sheet (see
    :func:`list_sheet`) and no sheet of the native extract's (``caf_episodes``)."""
    path = Path(path)
    if not (path.is_file() and path.suffix.lower() in {".xlsx", ".xlsm"}):
        return False
    try:
        sheets = workbook_sheets(path)
    except WorkbookError:  # not a workbook openpyxl reads: the native reader says why
        return False
    native = any(matching_sheet(name, sheets) for name in ("caf_episodes",))
    return list_sheet(sheets) is not None and not native


def load_any_extract(
    path: str | Path,
    allow_invalid: bool = False,
    data_format: str = "auto",
    refused_rows: str | Path | None = None,
) -> Extract:
    """An extract of either kind: the native contract, or an Annex A workbook's List 2.

    ``data_format`` is ``auto`` (an Excel file with a List 2 sheet is Annex A), ``native`` or
    ``annex-a``. ``refused_rows``: a CSV to write every problem to, row by row, as found (the
    message of a refusal shows a summary, and names this file).
    """
    path = Path(path)
    if data_format not in FORMATS:
        raise ValueError(f"the format is {data_format!r}; use one of {', '.join(FORMATS)}")
    if (path / VALIDATED_MANIFEST).is_file():
        return load_extract(path)

    def read(sink: Sink | None) -> Extract:
        if data_format == "annex-a" or (data_format == "auto" and is_annex_a(path)):
            return load_annex_a(path, allow_invalid, sink)
        return load_extract(path, allow_invalid=allow_invalid, sink=sink)

    return listing_refused_rows(read, refused_rows)


def listing_refused_rows(
    read: Callable[[Sink | None], Extract], refused_rows: str | Path | None
) -> Extract:
    """``read(sink)``, with every problem it finds written to the CSV ``refused_rows`` (when
    given) as found; a refusal then names that file. Any reader of any kind of input."""
    sink = RefusedRowsFile(Path(refused_rows)) if refused_rows else None
    try:
        return read(sink)
    except ExtractError as error:
        if sink is None:
            raise
        if not sink.written:  # refused before any cell was read (no List 2, a damaged file)
            sink(pd.DataFrame([astuple(p) for p in error.problems], columns=EXCLUDED_COLUMNS))
        raise error.listed_in(sink.path) from None


class RefusedRowsFile:
    """Every problem of an extract, row by row, appended to a CSV as found (formula-safe, as
    every CSV the project writes): the full list behind a refusal's summary."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = False
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)

    def __call__(self, rows: pd.DataFrame) -> None:
        safe = formula_safe_table(rows.astype({"row": "Int64"}))
        safe.to_csv(self.path, mode="a", header=not self.written, index=False, lineterminator="\n")
        self.written = True


def load_report_extract(data_dir: str | Path | None) -> Extract:
    """What a notebook reads: the extract its ``data_dir`` names (blank: the synthetic one)."""
    return load_any_extract(resolve_data_dir(data_dir))


# --------------------------------------------------------------------------- reading


def _manifest(path: Path) -> dict:
    manifest = path.parent / SYNTHETIC_MANIFEST
    if not manifest.is_file():
        return {}
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, OSError):  # someone else's manifest.json: not the example's
        return {}
    return recorded if isinstance(recorded, dict) and recorded.get("file") == path.name else {}


def file_sha256(path: Path) -> str:
    """The workbook's checksum, as the run log and the pages record it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _header_row(sheet: pd.DataFrame) -> int | None:
    for position in range(min(HEADER_SEARCH_ROWS, len(sheet))):
        found = {match_column(value) for value in sheet.iloc[position]} - {None}
        if len(found) >= 4 and "start_date" in found:
            return position
    return None


def read_list_2(path: Path, label: str, problems: Problems, warnings: list[str]) -> pd.DataFrame:
    """List 2's cells under its header, as text (as Excel shows them), named as the model names
    them.

    The index keeps Excel's numbering: index + 2 is the row Excel shows. A missing column is a
    whole-file problem; the frame then lacks it. ``attrs``: the headers as written, and the
    workbook's day 0 for dates typed as serial numbers.
    """
    try:
        sheets = workbook_sheets(path)
        sheet_name = list_sheet(sheets)
        if sheet_name is None:
            found = ", ".join(repr(s) for s in sheets) or "none"
            raise ExtractError(
                str(path),
                [
                    Problem.of_file(
                        path.name,
                        f"the workbook has no sheet named 'List 2' (its sheets: {found}); the "
                        "early help list of an Annex A workbook is on that sheet (also read as "
                        "'List2', 'List 2 - Early Help' or 'Early Help')",
                    )
                ],
            )
        sheet = read_sheets(path, [sheet_name])[sheet_name]
    except WorkbookError as error:
        raise ExtractError(str(path), [Problem.of_file(path.name, str(error))]) from None
    if sheet_name != LIST_2:
        warnings.append(f"{path.name}: sheet {sheet_name!r} was read as List 2 (early help).")
    cells = sheet.cells
    header_at = _header_row(cells)
    if header_at is None:
        problems.append(
            Problem.of_file(
                label,
                f"no header row found in the first {HEADER_SEARCH_ROWS} rows (looked for "
                "'Child Unique ID', 'Assessment start date', 'Assessment completion date' and "
                "'Organisation completing assessment')",
            )
        )
        return pd.DataFrame()
    if header_at:
        warnings.append(
            f"List 2 of {path.name}: the header is on row {header_at + 1}; the {header_at} "
            "row(s) above it were skipped."
        )
    headers = [str(v).strip() for v in cells.iloc[header_at]]
    body = cells.iloc[header_at + 1 :]
    names = {p: name for p, h in enumerate(headers) if (name := match_column(h))}
    read_as = [
        HEADERS[names[p]] if p in names else f"unread column {p}" for p in range(len(headers))
    ]
    repeated = duplicate_headers(headers, read_as)
    for header, written in repeated.items():
        problems.append(
            Problem.of_file(
                label,
                f"is written more than once: {' and '.join(written)} are all read as it; keep "
                "one of them and delete the others",
                header,
            )
        )
    frame = pd.DataFrame(
        {name: body.iloc[:, p].astype("string").str.strip() for p, name in names.items()},
        index=body.index,
    )
    frame.index = frame.index - 1  # position p is Excel row p + 1, reported as index + 2
    frame = frame[~frame.fillna("").eq("").all(axis=1)]  # blank lines between records
    for column in COLUMNS:
        if column.name in frame or repeated:
            continue
        if column.required:
            problems.append(
                Problem.of_file(label, "column is missing from List 2", HEADERS[column.name])
            )
        else:
            warnings.append(f"List 2 of {path.name} has no column {HEADERS[column.name]!r}.")
    frame.attrs["headers"] = {name: headers[p] for p, name in names.items()}
    frame.attrs["day_0"] = sheet.epoch
    return frame


def _rows(index: Iterable[int]) -> np.ndarray:
    return np.asarray(index, dtype="int64") + 2


def parse_list_2(
    raw: pd.DataFrame,
    label: str,
    problems: Problems,
    latest: dt.date,
    settings: AnnexASettings | None = None,
) -> pd.DataFrame:
    """List 2's text cells -> typed columns, each problem by row, column (as written) and value.

    Checked as the native extract is: cells with no value Excel showed (an error, a formula
    never saved), a blank child or start date, dates that are not dates or out of the window,
    a completion before the start, a birth after it, an age out of range, coded values not in
    the settings, and the same assessment entered twice (:data:`DUPLICATE_KEY`).
    """
    settings = settings or annex_a_settings()
    headers = {name: raw.attrs.get("headers", {}).get(name, HEADERS[name]) for name in HEADERS}
    raw = raw.copy()
    refused = pd.DataFrame(False, index=raw.index, columns=raw.columns)
    for name in raw.columns:
        refused[name] = refuse_cells_without_value(raw[name], label, headers[name], problems)
        raw[name] = raw[name].mask(refused[name], "")
    typed = pd.DataFrame(index=raw.index)
    day_0 = raw.attrs.get("day_0", EXCEL_DAY_0)
    for name in ("start_date", "end_date", "date_of_birth"):
        typed[name] = _dates(raw, name, headers[name], label, problems, latest, day_0)
    for name in ("child_id", "start_date"):  # the two a count cannot do without
        text = raw[name] if name in raw else pd.Series("", index=raw.index, dtype="string")
        unread = refused.get(name, pd.Series(False, index=raw.index))
        blank = text.fillna("").eq("") & ~unread
        problems.add_rows(
            label, headers[name], _rows(raw.index[blank]), text[blank], "is required but blank"
        )
    child = raw["child_id"] if "child_id" in raw else pd.Series("", index=raw.index)
    typed["child_id"] = child.mask(child.fillna("").eq(""))
    organisation = raw.get("organisation", pd.Series("", index=raw.index)).fillna("")
    typed["organisation"] = organisation.mask(organisation.eq(""), NOT_RECORDED)
    _check_dates_in_order(typed, headers, label, problems)
    _read_coded_columns(raw, typed, headers, label, problems, settings)
    if "age_years" in raw:
        typed["age_years"] = _ages(raw["age_years"], headers["age_years"], label, problems)
    _refuse_assessments_entered_twice(typed, headers, label, problems)
    return typed


def _dates(
    raw: pd.DataFrame,
    name: str,
    header: str,
    label: str,
    problems: Problems,
    latest: dt.date,
    day_0: dt.date,
) -> pd.Series:
    if name not in raw:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    read = extract_settings()
    # A child may be born long before the service's records start: births get their own window.
    window = replace(read, earliest_date=EARLIEST_BIRTH) if name == "date_of_birth" else read
    column = read_date_column(raw[name], name == "start_date", window, latest, day_0)
    if column.column_problem:
        problems.append(Problem.of_file(label, column.column_problem, header))
    for group in column.problem_groups:
        problems.add_rows(label, header, _rows(group.index), group.values, group.message)
    return column.dates


def _check_dates_in_order(
    typed: pd.DataFrame, headers: dict[str, str], label: str, problems: Problems
) -> None:
    """A completion before the start, or a birth after it, is a typing error in one of them."""
    for name, broken, message in (
        (
            "end_date",
            typed["end_date"] < typed["start_date"],
            "is before the assessment start date",
        ),
        (
            "date_of_birth",
            typed["date_of_birth"] > typed["start_date"],
            "is after the assessment start date (a child is assessed once born)",
        ),
    ):
        broken = broken.fillna(False).astype(bool)
        problems.add_rows(
            label,
            headers[name],
            _rows(typed.index[broken]),
            typed.loc[broken, name].dt.strftime("%Y-%m-%d"),
            message,
        )


def _read_coded_columns(
    raw: pd.DataFrame,
    typed: pd.DataFrame,
    headers: dict[str, str],
    label: str,
    problems: Problems,
    settings: AnnexASettings,
) -> None:
    """Sex and ethnicity, with or without their letter prefix; a value not in the settings is
    a problem naming the setting to add it to."""
    settings_file = setting_file("annex_a.yaml")
    coded = (
        (
            "sex",
            sex_label,
            f"is not one of {', '.join(sorted(set(settings.sex.values())))} (with or without "
            "its letter prefix)",
            f"if it is right, add it to sex in {settings_file}",
        ),
        (
            "ethnicity",
            ethnicity_code,
            "is not a DfE ethnicity code (WBRI ... OOTH, REFU, NOBT)",
            f"if it is right, add it to ethnicity_groups in {settings_file}",
        ),
    )
    for column, read, words, fix in coded:
        if column not in raw:
            continue
        values = raw[column].map(lambda v, read=read: read(v, settings))
        bad = values.isna()
        problems.add_rows(
            label, headers[column], _rows(raw.index[bad]), raw[column][bad], words, fix
        )
        typed[column] = values


def _ages(text: pd.Series, header: str, label: str, problems: Problems) -> pd.Series:
    """Ages in years (decimals kept: ``7.5``); one out of :data:`AGE_RANGE` is a problem."""
    text = text.fillna("")
    ages = pd.to_numeric(text.mask(text.eq("")), errors="coerce")
    low, high = AGE_RANGE
    bad = (ages.isna() & text.ne("")) | (ages < low) | (ages > high)
    problems.add_rows(
        label,
        header,
        _rows(text.index[bad]),
        text[bad],
        f"is not an age in years (a number from {low} to {high})",
    )
    return ages.astype("Float64")


def _refuse_assessments_entered_twice(
    typed: pd.DataFrame, headers: dict[str, str], label: str, problems: Problems
) -> None:
    """Every copy of an assessment entered twice (:data:`DUPLICATE_KEY`), the first too: which
    copy is right (their completions may differ) is for the analyst to say."""
    key = typed[list(DUPLICATE_KEY)]
    known = key[["child_id", "start_date"]].notna().all(axis=1)
    repeated = key.duplicated(keep=False) & known
    # The copies share their child's id: the summary names their rows together, by value.
    problems.add_rows(
        label,
        headers["child_id"],
        _rows(typed.index[repeated]),
        typed.loc[repeated, "child_id"],
        "is the same assessment as another row (same child, assessment start date and "
        "organisation): it would be counted twice; delete the copy",
    )


def episodes_from_list_2(
    typed: pd.DataFrame, settings: AnnexASettings | None = None
) -> pd.DataFrame:
    """One episode per assessment, in the native model's columns plus List 2's own."""
    settings = settings or annex_a_settings()
    # The group, or the organisation as recorded when it is in none (a list, not Series.map:
    # a column where no organisation has a group would otherwise be typed as all-missing).
    groups = [lead_agency_group(o, settings) or o for o in typed["organisation"].astype(str)]
    episodes = pd.DataFrame(
        {
            "episode_id": (
                "List 2 row " + pd.Series(_rows(typed.index), index=typed.index).astype(str)
            ),
            "child_id": typed["child_id"].astype("string"),
            "family_id": pd.Series(pd.NA, index=typed.index, dtype="string"),
            "lead_agency": pd.Series(groups, index=typed.index, dtype="string"),
            "caf_level": pd.Series(pd.NA, index=typed.index, dtype="Int64"),
            "start_date": typed["start_date"],
            "end_date": typed["end_date"],
            "closure_reason": pd.Series(pd.NA, index=typed.index, dtype="string"),
            "lsoa11cd": pd.Series(pd.NA, index=typed.index, dtype="string"),
            "organisation": typed["organisation"].astype("string"),
        },
        index=typed.index,
    )
    for column in ("sex", "ethnicity", "age_years", "date_of_birth"):
        if column in typed:
            episodes[column] = typed[column]
    return episodes


def unmapped_organisations(episodes: pd.DataFrame, label: str) -> pd.DataFrame:
    """The organisations no lead-agency group holds, each once (its first row), as notes."""
    groups = annex_a_settings()
    unmapped = episodes[
        episodes["organisation"].map(lambda o: lead_agency_group(o, groups) is None)
        & episodes["organisation"].ne(NOT_RECORDED)
    ]
    first = unmapped.drop_duplicates("organisation")
    counts = unmapped["organisation"].value_counts()
    return pd.DataFrame(
        {
            "file": label,
            "row": _rows(first.index),
            "column": "Organisation completing assessment",
            "value": first["organisation"].to_numpy(),
            "note": [
                f"in no lead-agency group of config/annex_a.yaml ({counts[o]} assessment(s)); "
                "shown as recorded"
                for o in first["organisation"]
            ],
        },
        columns=NOTE_COLUMNS,
    )


#: The dtypes the native reader gives each kind of column (``helpers.extract.CONTRACT``).
EMPTY_DTYPES = {
    "text": "string",
    "date": "datetime64[ns]",
    "bool": "bool",
    "int": "Int64",
    "money": "float64",
}


def empty_tables() -> dict[str, pd.DataFrame]:
    """The native tables List 2 does not hold, empty and typed as the contract types them."""
    return {
        table: pd.DataFrame(
            {spec.name: pd.Series(dtype=EMPTY_DTYPES[spec.kind]) for spec in CONTRACT[file]}
        )
        for table, file in (
            ("refusals", "caf_refusals"),
            ("families", "families"),
            ("budget", "budget"),
        )
    }


def load_annex_a(
    path: str | Path, allow_invalid: bool = False, sink: Sink | None = None
) -> Extract:
    """Read, parse and validate an Annex A workbook's List 2; raise :class:`ExtractError`
    listing every problem (with ``allow_invalid``, leave the rows with one out instead).
    ``sink`` receives every problem as found."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such Annex A workbook (an .xlsx file)")
    label = f"{path.name}[{LIST_2}]"
    digest = file_sha256(path)
    manifest = _manifest(path)
    recorded = manifest.get("extract_date") if manifest.get("sha256") == digest else None
    if recorded:
        taken, how = pd.Timestamp(recorded).date(), TAKEN_RECORDED
    else:
        taken, how = dt.date.fromtimestamp(path.stat().st_mtime), TAKEN_INFERRED
    settings = extract_settings()
    latest = settings.latest_date or taken
    problems = Problems(sink=sink)
    warnings: list[str] = []
    raw = read_list_2(path, label, problems, warnings)
    if problems.whole_file():
        raise ExtractError(str(path), problems.whole_file())
    if raw.empty:
        raise ExtractError(
            str(path),
            [
                Problem.of_file(
                    label,
                    "List 2 has a header but no rows: there is no assessment to report (if "
                    "there were assessments, check that they are on this sheet, under the header)",
                )
            ],
        )
    typed = parse_list_2(raw, label, problems, latest)
    problems.sort()
    if problems and (not allow_invalid or problems.whole_file()):
        raise ExtractError(str(path), problems.whole_file() if allow_invalid else problems)
    tables = {LIST_2: typed}
    excluded, row_counts = leave_out_invalid_rows(tables, {LIST_2: label}, problems)
    refuse_too_many_left_out(str(path), row_counts, problems, settings)
    typed = tables[LIST_2]
    warnings += left_out_warnings(row_counts, problems)
    episodes = episodes_from_list_2(typed)
    notes = unmapped_organisations(episodes, label)
    if len(notes):
        warnings.append(
            f"{len(notes)} organisation name(s) in List 2 are in none of the lead-agency groups "
            "the council has set; they are shown as recorded and listed in "
            "tables/data_quality_notes.csv (add them to the groups in config/annex_a.yaml)."
        )
    covers = episodes["start_date"].min()
    return Extract(
        episodes=episodes.reset_index(drop=True),
        **empty_tables(),
        source=str(path),
        sha256=digest,
        is_synthetic=bool(manifest.get("synthetic")) and manifest.get("sha256") == digest,
        warnings=warnings,
        excluded=excluded,
        row_counts=row_counts,
        notes=notes,
        taken_on=taken.isoformat(),
        taken_how=how,
        kind=KIND,
        absent=ANNEX_A_ABSENT,
        covers_from=None if pd.isna(covers) else covers.date().isoformat(),
    )


# --------------------------------------------------------------------------- demographics

#: The characteristics of the demographics section, in the order the page shows them.
CHARACTERISTICS = {"age_band": "Age band", "sex": "Sex", "ethnic_group": "Ethnic group"}


def _group_orders(settings: AnnexASettings) -> dict[str, list[str]]:
    sexes = list(dict.fromkeys(settings.sex.values()))
    return {
        "age_band": age_band_order(settings),
        "sex": [*sexes, NOT_RECORDED],
        "ethnic_group": [*settings.ethnicity_order, NOT_RECORDED],
    }


def demographics_table(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    months: pd.PeriodIndex,
    settings: AnnexASettings | None = None,
) -> pd.DataFrame:
    """Assessments open on ``snapshot_date`` and started in ``months``, by age band, sex and
    ethnic group (the DfE major groups); every group listed, zeros included.

    Columns: characteristic, group, open, started (blank when ``months`` is empty).
    """
    settings = settings or annex_a_settings()
    day = metrics.as_timestamp(snapshot_date)
    described = pd.DataFrame(
        {
            "age_band": age_band(episodes["age_years"], settings),
            "sex": episodes["sex"].astype(object).fillna(NOT_RECORDED),
            "ethnic_group": ethnicity_group(episodes["ethnicity"], settings),
        },
        index=episodes.index,
    )
    open_now = metrics.open_at(episodes, day)
    started = (
        episodes["start_date"].between(months[0].start_time, months[-1].end_time)
        if len(months)
        else pd.Series(False, index=episodes.index)
    )
    rows = []
    for characteristic, order in _group_orders(settings).items():
        column = described[characteristic]
        open_counts = column[open_now].value_counts().reindex(order, fill_value=0)
        start_counts = column[started].value_counts().reindex(order, fill_value=0)
        for group in order:
            rows.append(
                {
                    "characteristic": CHARACTERISTICS[characteristic],
                    "group": group,
                    "open": int(open_counts[group]),
                    "started": int(start_counts[group]) if len(months) else pd.NA,
                }
            )
    table = pd.DataFrame(rows)
    table["started"] = table["started"].astype("Int64")
    return table
