"""The Standard Safeguarding Dataset's tables as read: from a database, or from CSV files.

Only what the report needs is read, whatever holds the tables: the six columns of
``ssd_early_help_episodes`` below and, for each episode, whether ``ssd_person`` holds its person
(``pers_person_id``), worked out by the database itself, so that no name, date of birth or
address is ever read. Every cell comes back as text, as a CSV file would give it (a date as
``YYYY-MM-DD``, its time of day dropped), so that one parser (``helpers.ssd``) reads both.

A database's rows are numbered in ``earl_episode_id`` order, the first being row 2 (as a CSV
export of the table, sorted by its key, numbers them), whatever the database's collation; a
CSV file's rows are its own. A table or column that is missing is a problem of the whole table,
by name; a database that cannot be opened or read is a :class:`helpers.database.DatabaseProblem`.

Column names: Data to Insight's ssd-data-model (see ``helpers.ssd``).

Floor 2: it builds on ``database`` and the extract's file rules (``extract_files``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.database import DatabaseProblem, connection, is_database_url, shown_url
from helpers.extract_files import (
    EncodingProblem,
    delimiter_problem,
    duplicate_headers,
    match_headers,
    text_encoding,
)
from helpers.extract_problems import Problem, Problems

EPISODES = "ssd_early_help_episodes"
PERSON = "ssd_person"
#: The key of an early help episode (EARL001A).
KEY = "earl_episode_id"
PERSON_ID = "pers_person_id"
#: The columns of ``ssd_early_help_episodes`` the report reads (EARL001A-EARL004A, 006A, 007A).
EPISODE_COLUMNS = (
    KEY,
    "earl_person_id",
    "earl_episode_start_date",
    "earl_episode_end_date",
    "earl_episode_end_reason",
    "earl_episode_organisation",
)
DATE_COLUMNS = ("earl_episode_start_date", "earl_episode_end_date")
#: Beside each episode: "1" when ssd_person holds its person, "0" when it does not.
PERSON_KNOWN = "person_known"
#: A date written with its time of day (the SSD's columns are datetimes): the day is kept.
WITH_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


@dataclass
class SsdTables:
    """What was read: the episodes' cells as text (index + 2 = the row named in problems)."""

    source: str  # the folder, or the database's URL without its password
    is_database: bool
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # table -> as problems name it
    files: list[Path] = field(default_factory=list)  # the CSV files read
    warnings: list[str] = field(default_factory=list)


def as_text(value: object) -> str:
    """A database value as a CSV file would hold it: a date as ``YYYY-MM-DD`` (its time of
    day dropped), a whole number without a decimal point, nothing as blank."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, decimal.Decimal)) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _days(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates written with a time of day, as the day (``2015-04-01 09:30:00`` -> ``2015-04-01``)."""
    for column in DATE_COLUMNS:
        if column in frame:
            frame[column] = frame[column].str.replace(WITH_TIME, r"\1", regex=True)
    return frame


def read_ssd_tables(source: str, schema: str | None, found: Problems) -> SsdTables:
    """The SSD's episodes from a database URL or a folder of CSV files; problems with whole
    tables or columns go to ``found`` (the frame is then missing)."""
    if is_database_url(source):
        return read_database(source, schema, found)
    return read_folder(Path(source), found)


# --------------------------------------------------------------------------- a database


def read_database(url: str, schema: str | None, found: Problems) -> SsdTables:
    import sqlalchemy as sa

    shown = shown_url(url)
    tables = SsdTables(shown, True, labels={EPISODES: EPISODES, PERSON: PERSON})
    with connection(url) as session:
        try:
            names = _table_names(sa.inspect(session), schema, found)
        except sa.exc.DBAPIError as error:  # a schema the role may not see, a lost connection
            raise DatabaseProblem(_read_sentence(session, error)) from None
        if found.whole_file():
            return tables
        columns = (sa.column(c) for c in EPISODE_COLUMNS)
        episodes = sa.table(names[EPISODES], *columns, schema=schema)
        person = sa.table(names[PERSON], sa.column(PERSON_ID), schema=schema)
        known = sa.exists().where(person.c[PERSON_ID] == episodes.c["earl_person_id"])
        query = sa.select(*episodes.c, sa.case((known, "1"), else_="0").label(PERSON_KNOWN))
        try:
            rows = session.execute(query).all()
        except sa.exc.DBAPIError as error:
            raise DatabaseProblem(_read_sentence(session, error)) from None
    frame = pd.DataFrame(
        [[as_text(v) for v in row] for row in rows],
        columns=[*EPISODE_COLUMNS, PERSON_KNOWN],
        dtype=object,
    )
    # Rows in key order, the same in every database (collations sort text differently).
    frame = frame.sort_values([KEY, *EPISODE_COLUMNS[1:]], kind="stable").reset_index(drop=True)
    tables.tables[EPISODES] = _days(frame.astype("string"))
    return tables


def _table_names(inspector, schema: str | None, found: Problems) -> dict[str, str]:  # noqa: ANN001
    """Each table's name as the database spells it; a missing table or column is a problem
    naming it and what the database holds instead."""
    held = {name.lower(): name for name in inspector.get_table_names(schema=schema)}
    where = f"schema {schema!r}" if schema else "the default schema"
    names = {}
    for table, columns in ((EPISODES, EPISODE_COLUMNS), (PERSON, (PERSON_ID,))):
        if table not in held:
            ssd = sorted(name for name in held.values() if name.lower().startswith("ssd_"))
            has = f"its ssd_ tables there: {', '.join(ssd)}" if ssd else "no ssd_ table there"
            found.append(
                Problem.of_file(
                    table,
                    f"the database has no table {table} in {where} ({has}): check the database "
                    "named in the URL, and the schema in config/ssd.yaml",
                )
            )
            continue
        names[table] = held[table]
        present = {c["name"].lower() for c in inspector.get_columns(held[table], schema=schema)}
        for column in columns:
            if column not in present:
                found.append(Problem.of_file(table, "column is missing from the table", column))
    return names


def _read_sentence(session, error: Exception) -> str:  # noqa: ANN001
    """Why the tables could not be read: most often a role without SELECT on them."""
    said = str(getattr(error, "orig", error)).strip().splitlines()
    said = said[0] if said else type(error).__name__
    role = session.engine.url.username or "the role in the URL"
    if "permission denied" in said.lower():
        return (
            f"role {role!r} may not read the SSD's tables ({said}): ask for SELECT on "
            f"{EPISODES} and {PERSON} (README: Running on your Standard Safeguarding Dataset)"
        )
    return f"the SSD's tables could not be read ({said})"


# --------------------------------------------------------------------------- a folder of CSVs


def _find_csv(folder: Path, table: str, found: Problems) -> Path | None:
    matches = [p for p in folder.iterdir() if p.is_file() and p.name.lower() == f"{table}.csv"]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.name for p in matches)
    problem = (
        f"the folder holds more than one file of this name ({names}): keep the one to read"
        if matches
        else "file is missing from the folder of SSD tables: save the table as CSV with this name"
    )
    found.append(Problem.of_file(f"{table}.csv", problem))
    return None


def read_csv_table(path: Path, label: str, columns: tuple[str, ...], found: Problems, warnings):
    """A CSV table's ``columns`` as text (others are not kept), under the SSD's names; None
    with the problem in ``found`` when it cannot be read or lacks a column."""
    try:
        encoding = text_encoding(path, label)
    except EncodingProblem as error:
        found.append(Problem.of_file(label, f"the file {error.reason}"))
        return None
    if encoding.warning:
        warnings.append(encoding.warning)
    if (problem := delimiter_problem(path, list(columns), encoding.codec)) is not None:
        found.append(Problem.of_file(label, problem))
        return None
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, encoding=encoding.codec, skip_blank_lines=False
    )
    renames, changed = match_headers(list(frame.columns), list(columns))
    read_as = [renames.get(c, str(c).strip().lower()) for c in frame.columns]
    repeated = {n: h for n, h in duplicate_headers(list(frame.columns), read_as).items()}
    for column, headers in repeated.items():
        if column in columns:
            message = f"is written more than once: {' and '.join(headers)}; keep one of them"
            found.append(Problem.of_file(label, message, column))
    frame.columns = read_as
    missing = [column for column in columns if column not in read_as]
    for column in missing:
        found.append(Problem.of_file(label, "column is missing from the table", column))
    if missing or any(column in columns for column in repeated):
        return None
    if changed:
        warnings.append(f"{label}: column names read ignoring case and spacing.")
    frame = frame[list(columns)].apply(lambda c: c.str.strip())
    return frame[~frame.eq("").all(axis=1)]  # blank lines, keeping the rows' numbers


def read_folder(folder: Path, found: Problems) -> SsdTables:
    tables = SsdTables(str(folder), False)
    tables.labels = {EPISODES: f"{EPISODES}.csv", PERSON: f"{PERSON}.csv"}
    if not folder.is_dir():
        found.append(Problem.of_file(str(folder), "is no folder of SSD tables (CSV files)"))
        return tables
    paths = {table: _find_csv(folder, table, found) for table in (EPISODES, PERSON)}
    tables.files = [p for p in paths.values() if p is not None]
    if found.whole_file():
        return tables
    labels = tables.labels
    episodes = read_csv_table(
        paths[EPISODES], labels[EPISODES], EPISODE_COLUMNS, found, tables.warnings
    )
    people = read_csv_table(paths[PERSON], labels[PERSON], (PERSON_ID,), found, tables.warnings)
    if episodes is None or people is None:
        return tables
    known = episodes["earl_person_id"].isin(set(people[PERSON_ID]))
    episodes[PERSON_KNOWN] = known.map({True: "1", False: "0"})
    tables.tables[EPISODES] = _days(episodes.astype("string"))
    return tables
