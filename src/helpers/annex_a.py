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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import metrics
from helpers.config import config_dir, load_yaml
from helpers.extract import (
    CONTRACT,
    COUNT_COLUMNS,
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
    load_extract,
    resolve_data_dir,
)
from helpers.extract_checks import NOTE_COLUMNS
from helpers.extract_dates import read_date_column

FORMATS = ("auto", "native", "annex-a")
KIND = "annex-a"
LIST_2 = "List 2"
HEADER_SEARCH_ROWS = 15
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
    which = (
        "The Ofsted Annex A early help list (List 2)"
        if kind == KIND
        else "The case-management extract this report runs on"
    )
    return f"{which} does not record {NOT_HELD[need]}."


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
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def list_sheet(sheets: Iterable[str], number: int = 2) -> str | None:
    """The sheet holding List ``number`` (``List 2``, ``list2``, ``List 2 ``), or None."""
    for sheet in sheets:
        if squeeze(sheet) == f"list{number}":
            return sheet
    return None


def is_annex_a(path: str | Path) -> bool:
    """Whether ``path`` is an Annex A workbook: an Excel file with a ``List 2`` sheet."""
    path = Path(path)
    if not (path.is_file() and path.suffix.lower() in {".xlsx", ".xlsm"}):
        return False
    try:
        return list_sheet(workbook_sheets(path)) is not None
    except Exception:  # noqa: BLE001 - not a workbook openpyxl reads: the native reader says why
        return False


def load_any_extract(
    path: str | Path, allow_invalid: bool = False, data_format: str = "auto"
) -> Extract:
    """An extract of either kind: the native contract, or an Annex A workbook's List 2.

    ``data_format`` is ``auto`` (an Excel file with a ``List 2`` sheet is Annex A), ``native``
    or ``annex-a``.
    """
    path = Path(path)
    if data_format not in FORMATS:
        raise ValueError(f"the format is {data_format!r}; use one of {', '.join(FORMATS)}")
    if (path / VALIDATED_MANIFEST).is_file():
        return load_extract(path)
    if data_format == "annex-a" or (data_format == "auto" and is_annex_a(path)):
        return load_annex_a(path, allow_invalid)
    return load_extract(path, allow_invalid=allow_invalid)


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
    """List 2's cells under its header, as text, named as the model names them.

    The index keeps Excel's numbering: index + 2 is the row Excel shows. A missing column is a
    whole-file problem; the frame then lacks it.
    """
    try:
        sheets = workbook_sheets(path)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook: say so, no traceback
        raise ExtractError(
            str(path),
            [Problem(path.name, None, None, None, f"the workbook cannot be read ({error})")],
        ) from None
    sheet_name = list_sheet(sheets)
    if sheet_name is None:
        found = ", ".join(repr(s) for s in sheets) or "none"
        raise ExtractError(
            str(path),
            [
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    f"the workbook has no sheet named 'List 2' (its sheets: {found}); the early "
                    "help list of an Annex A workbook is on that sheet",
                )
            ],
        )
    sheet = pd.read_excel(
        path, sheet_name=sheet_name, dtype=str, keep_default_na=False, header=None
    )
    header_at = _header_row(sheet)
    if header_at is None:
        problems.append(
            Problem(
                label,
                None,
                None,
                None,
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
    headers = [str(v).strip() for v in sheet.iloc[header_at]]
    body = sheet.iloc[header_at + 1 :].copy()
    body.index = body.index - 1  # position p is Excel row p + 1, reported as index + 2
    names: dict[int, str] = {}
    written: dict[str, str] = {}
    for position, header in enumerate(headers):
        name = match_column(header)
        if name and name not in written:
            names[position] = name
            written[name] = header
    frame = pd.DataFrame(
        {names[p]: body.iloc[:, p].astype("string").str.strip() for p in names},
        index=body.index,
    )
    frame = frame[~frame.fillna("").eq("").all(axis=1)]  # blank lines between records
    for column in COLUMNS:
        if column.name in frame:
            continue
        if column.required:
            problems.append(
                Problem(label, None, HEADERS[column.name], None, "column is missing from List 2")
            )
        else:
            warnings.append(f"List 2 of {path.name} has no column {HEADERS[column.name]!r}.")
    frame.attrs["headers"] = written
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
    """List 2's text cells -> typed columns, each problem by row, column (as written) and value."""
    settings = settings or annex_a_settings()
    headers = raw.attrs.get("headers", {})
    typed = pd.DataFrame(index=raw.index)
    read = extract_settings()
    for name in ("start_date", "end_date", "date_of_birth"):
        if name not in raw:
            typed[name] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
            continue
        # A child may be born long before the service's records start: births get their own window.
        window = replace(read, earliest_date=EARLIEST_BIRTH) if name == "date_of_birth" else read
        column = read_date_column(raw[name], name == "start_date", window, latest)
        header = headers.get(name, HEADERS[name])
        if column.column_problem:
            problems.append(Problem(label, None, header, None, column.column_problem))
        for group in column.problem_groups:
            problems.add_rows(label, header, _rows(group.index), group.values, group.message)
        typed[name] = column.dates
    child = raw["child_id"] if "child_id" in raw else pd.Series("", index=raw.index)
    blank_child = child.fillna("").eq("")
    problems.add_rows(
        label,
        headers.get("child_id", HEADERS["child_id"]),
        _rows(raw.index[blank_child]),
        child[blank_child],
        "is required but blank",
    )
    typed["child_id"] = child.mask(blank_child)
    ends_early = typed["end_date"] < typed["start_date"]
    problems.add_rows(
        label,
        headers.get("end_date", HEADERS["end_date"]),
        _rows(raw.index[ends_early.fillna(False)]),
        typed.loc[ends_early.fillna(False), "end_date"].dt.strftime("%Y-%m-%d"),
        "is before the assessment start date",
    )
    organisation = raw.get("organisation", pd.Series("", index=raw.index)).fillna("")
    typed["organisation"] = organisation.mask(organisation.eq(""), NOT_RECORDED)
    coded = (
        (
            "sex",
            sex_label,
            f"is not one of {', '.join(sorted(set(settings.sex.values())))} (with or without "
            "its letter prefix)",
        ),
        ("ethnicity", ethnicity_code, "is not a DfE ethnicity code (WBRI ... OOTH, REFU, NOBT)"),
    )
    for column, read, words in coded:
        if column not in raw:
            continue
        values = raw[column].map(lambda v, read=read: read(v, settings))
        bad = values.isna()
        problems.add_rows(label, headers[column], _rows(raw.index[bad]), raw[column][bad], words)
        typed[column] = values
    if "age_years" in raw:
        text = raw["age_years"].fillna("")
        ages = pd.to_numeric(text.mask(text.eq("")), errors="coerce")
        bad = (ages.isna() & text.ne("")) | (ages < 0) | (ages > 30)
        problems.add_rows(
            label,
            headers["age_years"],
            _rows(raw.index[bad]),
            text[bad],
            "is not an age in years (a number from 0 to 30)",
        )
        typed["age_years"] = ages.astype("Float64")
    return typed


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


def load_annex_a(path: str | Path, allow_invalid: bool = False) -> Extract:
    """Read, parse and validate an Annex A workbook's List 2; raise :class:`ExtractError`
    listing every problem (with ``allow_invalid``, leave the rows with one out instead)."""
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
    problems = Problems()
    warnings: list[str] = []
    raw = read_list_2(path, label, problems, warnings)
    if problems.whole_file():
        raise ExtractError(str(path), problems.whole_file())
    if raw.empty:
        raise ExtractError(
            str(path), [Problem(label, None, None, None, "List 2 has a header but no rows")]
        )
    typed = parse_list_2(raw, label, problems, latest)
    problems.sort()
    if problems and (not allow_invalid or problems.whole_file()):
        if allow_invalid:
            raise ExtractError(str(path), problems.whole_file())
        raise ExtractError(str(path), problems.kept, problems.total)
    bad = problems.bad_rows(label) - 2
    left_out = typed.index[typed.index.isin(bad)]
    row_counts = pd.DataFrame(
        [[label, len(typed), len(typed) - len(left_out), len(left_out)]], columns=COUNT_COLUMNS
    )
    ceiling = settings.allow_invalid_max_left_out_pct
    if len(typed) and 100 * len(left_out) / len(typed) > ceiling:
        message, count = problems.commonest(label) or ("unknown", len(left_out))
        raise ExtractError(
            str(path),
            [
                Problem(
                    label,
                    None,
                    None,
                    None,
                    f"{len(left_out):,} of {len(typed):,} rows would be left out, more than the "
                    f"{ceiling:g}% that leaving out invalid rows allows (set in "
                    f"config/extract.yaml). The commonest problem, in {count:,} row(s): "
                    f"{message}. Fix the export.",
                )
            ],
        )
    typed = typed.drop(index=left_out)
    excluded = pd.DataFrame(
        [(p.file, p.row, p.column, p.value, p.message) for p in problems],
        columns=EXCLUDED_COLUMNS,
    )
    if problems:
        warnings.append(
            f"{len(left_out)} invalid row(s) were left out ({problems.total} problem(s)); they "
            "are listed in tables/data_quality.csv and in each report's data-quality section."
        )
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
