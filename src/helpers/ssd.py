"""The Standard Safeguarding Dataset (SSD): its early help episodes read into the extract.

Many English authorities hold their children's social care data in Data to Insight's Standard
Safeguarding Dataset, a set of ``ssd_`` tables built in the authority's own SQL database. The
table and column names here are the SSD's own, exactly as published in Data to Insight's
``ssd-data-model`` repository: ``data/objects/ssd_early_help_episodes.yml`` (items EARL001A to
EARL008A) and ``data/objects/ssd_person.yml`` (PERS001A), as deployed for Mosaic, SystemC
(Liquidlogic) and Eclipse (``analysis/ddl_reference/ddl_compare_column_matrix.csv``).

An SSD is read from a database URL (SQLAlchemy: ``postgresql+psycopg://reader@host/ssd``,
``sqlite:///ssd.db``, ...) or from a folder of its tables saved as CSV files
(``ssd_early_help_episodes.csv``, ``ssd_person.csv``). Only what the report needs is read: six
columns of ``ssd_early_help_episodes`` and, for each episode, whether ``ssd_person`` holds its
person; no name, date of birth or address leaves the database. Each episode becomes one episode
of the extract: its end reason mapped to a closure outcome by ``config/ssd.yaml``, its
organisation grouped into a lead agency by the Annex A list's groups (``config/annex_a.yaml``).
The rows are checked as the native extract's are, each problem by table, row, column and value,
with the episode's id (the table's key) named for the rows a refusal names; ``--allow-invalid``
leaves rows out under the same rules.

What the SSD does not hold (refusals, the Strengthening Families assessments, the budget) and
what it holds in a form the map cannot use (a home's postcode, not its LSOA) are ``absent``: the
sections needing them are left out with a sentence (:data:`SSD_ABSENT`).

Floor 3: it builds on ``extract`` (the model, the rules), ``annex_a`` (the lead-agency groups and
the tables an input lacks) and ``database``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import annex_a
from helpers.config import PROJECT_ROOT, SentenceError, categories, config_dir, load_yaml
from helpers.database import DatabaseProblem, is_database_url, shown_url
from helpers.extract import (
    SYNTHETIC_MANIFEST,
    TAKEN_INFERRED,
    TAKEN_RECORDED,
    Extract,
    ExtractError,
    Problem,
    Problems,
    extract_settings,
    leave_out_invalid_rows,
    left_out_warnings,
    refuse_cells_without_value,
    refuse_too_many_left_out,
    setting_file,
)
from helpers.extract_checks import NOTE_COLUMNS, notes_and_warnings
from helpers.extract_dates import EXCEL_DAY_0, read_date_column
from helpers.extract_problems import Sink, summary
from helpers.ssd_tables import EPISODES, KEY, PERSON_KNOWN, SsdTables, read_ssd_tables

KIND = annex_a.SSD_KIND
#: What the SSD does not hold, or holds in a form the report cannot use (see the docstring).
SSD_ABSENT = ("refusals", "family", "budget", "address")
#: The committed synthetic SSD (``python -m helpers.dev.synthetic_ssd``).
SYNTHETIC_SSD_DIR = PROJECT_ROOT / "data" / "raw" / "synthetic_ssd"
#: How the day a database was read is known.
TAKEN_READ = "the day the database was read"
TAKEN_SYNTHETIC = f"recorded in the committed synthetic SSD's {SYNTHETIC_MANIFEST}"
#: The SSD's columns of an episode -> the extract's names for them.
EPISODE_NAMES = {
    "earl_episode_id": "episode_id",
    "earl_person_id": "child_id",
    "earl_episode_start_date": "start_date",
    "earl_episode_end_date": "end_date",
    "earl_episode_end_reason": "end_reason",
    "earl_episode_organisation": "organisation",
}
#: Keys of the rows a refusal names, at most.
KEYS_NAMED = 20


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SsdSettings:
    schema: str | None  # the database schema of the ssd_ tables; None: the default
    end_reasons: dict[str, str]  # squeezed end reason -> closure outcome


def squeeze(text: object) -> str:
    """An end reason as matched: lower case, single spaces (``Outcomes  Met``: ``outcomes met``)."""
    return re.sub(r"\s+", " ", str(text)).strip().lower()


@cache
def _settings_at(path: Path) -> SsdSettings:
    raw = load_yaml(path) or {}
    outcomes = set(categories().closure_reasons)
    reasons = {}
    for reason, outcome in (raw.get("end_reasons") or {}).items():
        if str(outcome) not in outcomes:
            raise SentenceError(
                f"{setting_file('ssd.yaml')}: end reason {reason!r} is mapped to {outcome!r}, "
                f"which is not one of closure_reasons in {setting_file('categories.yaml')} "
                f"({', '.join(sorted(outcomes))}): write one of them"
            )
        reasons[squeeze(reason)] = str(outcome)
    schema = raw.get("schema")
    return SsdSettings(schema=str(schema) if schema else None, end_reasons=reasons)


def ssd_settings() -> SsdSettings:
    """How the SSD is read: ``config/ssd.yaml``."""
    return _settings_at(config_dir() / "ssd.yaml")


# --------------------------------------------------------------------------- recognising


def is_ssd_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder of SSD tables: it holds ``ssd_early_help_episodes.csv``."""
    path = Path(path)
    return path.is_dir() and any(
        p.name.lower() == f"{EPISODES}.csv" for p in path.iterdir() if p.is_file()
    )


def is_ssd_source(source: str | Path) -> bool:
    """Whether ``source`` is an SSD: a database URL, or a folder of its tables."""
    return is_database_url(str(source)) or is_ssd_folder(source)


# --------------------------------------------------------------------------- the refusal


class SsdRefusal(ExtractError):
    """A refused SSD: the problems as for any extract, then the key (``earl_episode_id``) of
    each row the summary names, so that the analyst can find it in the table."""

    def __init__(self, source, problems, total=None, full_list=None, lines=None, keys=None):
        super().__init__(source, problems, total, full_list, lines)
        self.keys = dict(keys or {})
        if self.keys:
            named = ", ".join(f"row {row} is {key!r}" for row, key in self.keys.items())
            self.args = (f"{self.args[0]}\nThe rows named, by {KEY}: {named}.",)

    def listed_in(self, full_list: str | Path) -> SsdRefusal:
        return SsdRefusal(
            self.source, self.problems, self.total, str(full_list), self.lines, self.keys
        )

    def __reduce__(self):
        return (
            type(self),
            (self.source, self.problems, self.total, self.full_list, self.lines, self.keys),
        )


def _refusal(tables: SsdTables, problems: Problems | list[Problem]) -> SsdRefusal:
    """The refusal of ``problems``, naming the key of each row its summary names."""
    keys = {}
    episodes = tables.tables.get(EPISODES)
    if episodes is not None and KEY in episodes:
        for line in summary(problems):
            if line.file != tables.labels[EPISODES]:
                continue
            for row in line.rows:
                if len(keys) < KEYS_NAMED and row - 2 in episodes.index:
                    keys[row] = str(episodes.at[row - 2, KEY])
    return SsdRefusal(tables.source, problems, keys=dict(sorted(keys.items())))


# --------------------------------------------------------------------------- parsing


def _rows(index: pd.Index) -> np.ndarray:
    """Rows as the analyst numbers them: a CSV's rows (its header row 1), a table's rows in
    key order from 2."""
    return np.asarray(index, dtype="int64") + 2


def _required(text: pd.Series, unread: pd.Series, label: str, column: str, found: Problems) -> None:
    blank = text.eq("") & ~unread
    found.add_rows(label, column, _rows(text.index[blank]), text[blank], "is required but blank")


def _dates(
    text: pd.Series, required: bool, label: str, column: str, found: Problems, latest: dt.date
) -> pd.Series:
    read = read_date_column(text, required, extract_settings(), latest, EXCEL_DAY_0)
    if read.column_problem:
        found.append(Problem.of_file(label, read.column_problem, column))
    for group in read.problem_groups:
        found.add_rows(label, column, _rows(group.index), group.values, group.message)
    return read.dates


def parse_episodes(raw: pd.DataFrame, label: str, found: Problems, latest: dt.date) -> pd.DataFrame:
    """``ssd_early_help_episodes``'s text cells -> the extract's typed columns, every problem
    by row, column (the SSD's name) and value."""
    text = raw.copy()
    unread = pd.DataFrame(False, index=raw.index, columns=list(EPISODE_NAMES))
    for column in EPISODE_NAMES:
        unread[column] = refuse_cells_without_value(text[column], label, column, found)
        text[column] = text[column].mask(unread[column], "")
    for column in ("earl_episode_id", "earl_person_id"):
        _required(text[column], unread[column], label, column, found)
    typed = pd.DataFrame(index=raw.index)
    typed["episode_id"] = text["earl_episode_id"].mask(text["earl_episode_id"].eq(""))
    typed["child_id"] = text["earl_person_id"].mask(text["earl_person_id"].eq(""))
    typed["start_date"] = _dates(
        text["earl_episode_start_date"], True, label, "earl_episode_start_date", found, latest
    )
    typed["end_date"] = _dates(
        text["earl_episode_end_date"], False, label, "earl_episode_end_date", found, latest
    )
    typed["closure_reason"] = _closure_reasons(text, typed, label, found)
    organisation = text["earl_episode_organisation"]
    typed["organisation"] = organisation.mask(organisation.eq(""), annex_a.NOT_RECORDED)
    _check_rows(text, typed, raw, label, found)
    return typed


def _closure_reasons(
    text: pd.DataFrame, typed: pd.DataFrame, label: str, found: Problems
) -> pd.Series:
    """Each end reason's closure outcome (``config/ssd.yaml``); blank while open. An ended
    episode with no reason, a reason on an open one, or a reason not in the settings, is a
    problem by row."""
    reasons = ssd_settings().end_reasons
    column = "earl_episode_end_reason"
    written = text[column]
    outcome = written.map(lambda r: reasons.get(squeeze(r)) if r else None)
    ended = typed["end_date"].notna()
    given = written.ne("")
    checks = (
        (
            given & outcome.isna(),
            "is not one of the end reasons in config/ssd.yaml",
            f"if it is right, add it to end_reasons in {setting_file('ssd.yaml')} with the "
            "closure outcome it means",
        ),
        (ended & ~given, "is blank although the episode has ended", None),
        (given & ~ended, "is given but the episode has no end date", None),
    )
    for broken, message, fix in checks:
        found.add_rows(label, column, _rows(text.index[broken]), written[broken], message, fix)
    return outcome.astype("string")


def _check_rows(
    text: pd.DataFrame, typed: pd.DataFrame, raw: pd.DataFrame, label: str, found: Problems
) -> None:
    """Rules across rows and tables: an end before the start, an episode id twice, a person
    ``ssd_person`` does not hold."""
    before = (typed["end_date"] < typed["start_date"]).fillna(False).astype(bool)
    found.add_rows(
        label,
        "earl_episode_end_date",
        _rows(typed.index[before]),
        typed.loc[before, "end_date"].dt.strftime("%Y-%m-%d"),
        "ends before it starts",
    )
    ids = typed["episode_id"]
    repeated = ids.duplicated(keep=False) & ids.notna()
    found.add_rows(label, KEY, _rows(ids.index[repeated]), ids[repeated], "appears more than once")
    unknown = raw[PERSON_KNOWN].eq("0") & typed["child_id"].notna()
    found.add_rows(
        label,
        "earl_person_id",
        _rows(text.index[unknown]),
        text.loc[unknown, "earl_person_id"],
        "is no person in ssd_person (no row there has this pers_person_id)",
    )


# --------------------------------------------------------------------------- the extract


def episodes_of(typed: pd.DataFrame) -> pd.DataFrame:
    """The extract's episodes (index kept): the native model's columns, the organisation
    beside them, grouped into its lead agency (shown as recorded when in no group)."""
    groups = annex_a.annex_a_settings()
    organisations = typed["organisation"].astype(str)
    lead = [annex_a.lead_agency_group(o, groups) or o for o in organisations]
    return pd.DataFrame(
        {
            "episode_id": typed["episode_id"].astype("string"),
            "child_id": typed["child_id"].astype("string"),
            "family_id": pd.Series(pd.NA, index=typed.index, dtype="string"),
            "lead_agency": pd.Series(lead, index=typed.index, dtype="string"),
            "caf_level": pd.Series(pd.NA, index=typed.index, dtype="Int64"),
            "start_date": typed["start_date"],
            "end_date": typed["end_date"],
            "closure_reason": typed["closure_reason"].astype("string"),
            "lsoa11cd": pd.Series(pd.NA, index=typed.index, dtype="string"),
            "organisation": typed["organisation"].astype("string"),
        },
        index=typed.index,
    )


def unmapped_organisations(episodes: pd.DataFrame, label: str) -> pd.DataFrame:
    """The organisations no lead-agency group holds, each once (its first row), as notes."""
    groups = annex_a.annex_a_settings()
    organisation = episodes["organisation"].astype(str)
    unmapped = organisation.map(lambda o: annex_a.lead_agency_group(o, groups) is None)
    first = organisation[unmapped & organisation.ne(annex_a.NOT_RECORDED)].drop_duplicates()
    counts = organisation[unmapped].value_counts()
    return pd.DataFrame(
        {
            "file": label,
            "row": _rows(first.index),
            "column": "earl_episode_organisation",
            "value": first.to_numpy(),
            "note": [
                f"in no lead-agency group of config/annex_a.yaml ({counts[o]} episode(s)); "
                "shown as recorded"
                for o in first
            ],
        },
        columns=NOTE_COLUMNS,
    )


def episode_notes(episodes: pd.DataFrame, label: str) -> tuple[pd.DataFrame, list[str]]:
    """Valid rows worth a look (organisations in no group, a child's episodes that overlap),
    by the SSD's table, row and column, and a warning for each kind."""
    unmapped = unmapped_organisations(episodes, label)
    warnings = []
    if len(unmapped):
        warnings.append(
            f"{len(unmapped)} organisation name(s) in {EPISODES} are in none of the lead-agency "
            "groups the council has set; they are shown as recorded and listed in "
            "tables/data_quality_notes.csv (add them to the groups in config/annex_a.yaml)."
        )
    overlaps, overlap_warnings = notes_and_warnings(episodes, annex_a.empty_tables()["families"])
    overlaps = overlaps.assign(file=label, column="earl_person_id")
    frames = [frame for frame in (unmapped, overlaps) if len(frame)]
    notes = pd.concat(frames, ignore_index=True) if frames else unmapped
    return notes, warnings + overlap_warnings


def rows_sha256(raw: pd.DataFrame) -> str:
    """A checksum of the rows read, whatever held them: the same rows from a CSV folder or
    from any database give the same checksum (a database has no file to checksum)."""
    digest = hashlib.sha256(f"{EPISODES}\n{','.join(raw.columns)}\n".encode())
    rows = raw.fillna("").astype(str).agg("\x1f".join, axis=1) if len(raw) else []
    for row in sorted(rows):
        digest.update(row.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _manifest(path: Path) -> dict:
    try:
        recorded = json.loads((path / SYNTHETIC_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no manifest, or someone else's
        return {}
    return recorded if isinstance(recorded, dict) else {}


@dataclass(frozen=True)
class Taken:
    """When an SSD was taken, how that is known, and whether it is the synthetic SSD."""

    day: dt.date
    how: str
    synthetic: bool


def taken_on(tables: SsdTables, digest: str) -> Taken:
    """A folder's manifest may record its date (as the synthetic SSD's does) for these rows; a
    folder without one is dated by its files. A database is dated the day it was read, unless
    its rows are the committed synthetic SSD's, dated as that SSD's manifest records."""
    folder = None if tables.is_database else Path(tables.source)
    manifest = _manifest(folder if folder is not None else SYNTHETIC_SSD_DIR)
    if manifest.get("sha256") == digest and manifest.get("extract_date"):
        how = TAKEN_RECORDED if folder is not None else TAKEN_SYNTHETIC
        day = pd.Timestamp(manifest["extract_date"]).date()
        return Taken(day, how, bool(manifest.get("synthetic")))
    if folder is not None:
        stamps = [p.stat().st_mtime for p in tables.files]
        return Taken(dt.date.fromtimestamp(max(stamps)), TAKEN_INFERRED, False)
    return Taken(dt.date.today(), TAKEN_READ, False)


def load_ssd(source: str | Path, allow_invalid: bool = False, sink: Sink | None = None) -> Extract:
    """Read, parse and validate an SSD (a database URL or a folder of its CSV tables); raise
    :class:`SsdRefusal` listing every problem (with ``allow_invalid``, leave the rows with one
    out instead). ``sink`` receives every problem as found."""
    found = Problems(sink=sink)
    try:
        tables = read_ssd_tables(str(source), ssd_settings().schema, found)
    except DatabaseProblem as problem:
        problems = [Problem.of_file("database", str(problem))]
        raise ExtractError(shown_url(str(source)), problems) from None
    if found.whole_file():
        raise _refusal(tables, found.whole_file())
    raw, label = tables.tables[EPISODES], tables.labels[EPISODES]
    if raw.empty:
        message = "the table has no rows: there is no early help episode to report"
        raise _refusal(tables, [Problem.of_file(label, message)])
    digest = rows_sha256(raw)
    taken = taken_on(tables, digest)
    settings = extract_settings()
    typed = parse_episodes(raw, label, found, settings.latest_date or taken.day)
    found.sort()
    if found and (not allow_invalid or found.whole_file()):
        raise _refusal(tables, found.whole_file() if allow_invalid else found)
    kept = {EPISODES: typed}
    excluded, row_counts = leave_out_invalid_rows(kept, {EPISODES: label}, found)
    refuse_too_many_left_out(tables.source, row_counts, found, settings)
    episodes = episodes_of(kept[EPISODES])
    notes, warnings = episode_notes(episodes, label)
    return Extract(
        episodes=episodes.reset_index(drop=True),
        **annex_a.empty_tables(),
        source=tables.source,
        sha256=digest,
        is_synthetic=taken.synthetic,
        warnings=[*tables.warnings, *left_out_warnings(row_counts, found), *warnings],
        excluded=excluded,
        row_counts=row_counts,
        notes=notes,
        taken_on=taken.day.isoformat(),
        taken_how=taken.how,
        kind=KIND,
        absent=SSD_ABSENT,
    )
