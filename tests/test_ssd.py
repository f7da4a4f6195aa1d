"""The Standard Safeguarding Dataset reader, on folders of its tables as CSV files.

The committed synthetic SSD holds the synthetic extract's episodes: read, it must give the same
episodes as the native reader gives from the synthetic extract. Variants of it, written to a
temporary folder, check each rule: every problem by table, row, column and value, with the
episode's key named; ``--allow-invalid``; organisations in no group; what the SSD lacks.
SQLite databases (built into Python) check the URL path in-process; PostgreSQL is in
``test_ssd_database.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import annex_a, batch, inputs
from helpers.database import (
    DatabaseProblem,
    is_database_url,
    refuse_password_in_url,
    shown_url,
    source_name,
)
from helpers.dev.synthetic_ssd import load_into
from helpers.extract import SYNTHETIC_DIR, ExtractError, load_extract
from helpers.provenance import data_source, described
from helpers.ssd import SSD_ABSENT, SYNTHETIC_SSD_DIR, SsdRefusal, load_ssd
from helpers.ssd_tables import EPISODES, PERSON

COMPARED = ["episode_id", "child_id", "lead_agency", "start_date", "end_date", "closure_reason"]


@pytest.fixture(scope="module")
def committed() -> pd.DataFrame:
    return load_ssd(SYNTHETIC_SSD_DIR).episodes


def _variant(tmp_path: Path, change) -> Path:  # noqa: ANN001 - a function of the frames
    """A copy of the synthetic SSD with ``change(episodes, people)`` applied to its tables."""
    folder = tmp_path / "ssd"
    folder.mkdir()
    episodes = pd.read_csv(SYNTHETIC_SSD_DIR / f"{EPISODES}.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(SYNTHETIC_SSD_DIR / f"{PERSON}.csv", dtype=str, keep_default_na=False)
    episodes, people = change(episodes, people)
    episodes.to_csv(folder / f"{EPISODES}.csv", index=False)
    people.to_csv(folder / f"{PERSON}.csv", index=False)
    return folder


def test_the_synthetic_ssd_gives_the_synthetic_extracts_episodes(committed):
    native = load_extract(SYNTHETIC_DIR).episodes
    ours = committed[COMPARED].astype(str).sort_values("episode_id").reset_index(drop=True)
    theirs = native[COMPARED].astype(str).sort_values("episode_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs)


def test_the_synthetic_ssd_is_dated_and_named_as_its_manifest_records():
    extract = load_ssd(SYNTHETIC_SSD_DIR)
    assert (extract.kind, extract.taken_on, extract.is_synthetic) == ("ssd", "2016-03-31", True)
    assert set(extract.absent) == set(SSD_ABSENT)
    source = data_source(extract)
    assert source["committed"] and "demographics" in source["absent"]
    assert described(source) == (
        "the committed synthetic Standard Safeguarding Dataset (invented data)"
    )


def test_a_folder_of_ssd_tables_is_recognised_under_auto(tmp_path):
    extract = inputs.load_any_extract(SYNTHETIC_SSD_DIR)
    assert extract.kind == "ssd"
    assert inputs.load_any_extract(SYNTHETIC_DIR).kind == "native"
    assert "ssd" in inputs.FORMATS and "ssd" in batch.FORMATS


def test_what_the_ssd_lacks_is_said_in_its_own_words():
    extract = load_ssd(SYNTHETIC_SSD_DIR)
    lacks = "The Standard Safeguarding Dataset does not record"
    assert annex_a.cannot_show(extract, "refusals") == (
        f"{lacks} early help that a parent or child refused."
    )
    assert annex_a.cannot_show(extract, "closure_reason") is None  # it records end reasons
    source = data_source(extract)
    left_out = batch.sections_not_shown(batch.monthly_plan("2016-03"), source)
    assert set(left_out) == {
        "04_open_episodes_by_lsoa",
        "05_strengthening_families",
        "06_budget",
        "08_demographics",
    }
    assert "postcode" in left_out["04_open_episodes_by_lsoa"][0]


def test_each_problem_names_table_row_column_value_and_the_episodes_key(tmp_path):
    def break_rows(episodes, people):
        episodes.loc[4, "earl_episode_end_date"] = "2009-01-01"  # before its start
        episodes.loc[9, "earl_episode_end_reason"] = "Closed in error"  # not mapped
        episodes.loc[11, "earl_episode_start_date"] = "2015-13-01"
        episodes.loc[12, "earl_person_id"] = "C999999"  # no such person
        return episodes, people

    with pytest.raises(SsdRefusal) as refused:
        load_ssd(_variant(tmp_path, break_rows))
    message = str(refused.value)
    assert "ssd_early_help_episodes.csv, row 6, column earl_episode_end_date: ends before it" in (
        message
    )
    assert (
        "row 11, column earl_episode_end_reason: is not one of the end reasons in config/ssd.yaml "
        "(value 'Closed in error'); if it is right, add it to end_reasons in config/ssd.yaml"
    ) in message
    assert "row 13, column earl_episode_start_date" in message
    assert "row 14, column earl_person_id: is no person in ssd_person" in message
    assert "The rows named, by earl_episode_id: row 6 is 'E000005'" in message
    assert "row 14 is 'E000013'" in message


def test_allow_invalid_leaves_the_bad_rows_out_and_lists_them(tmp_path, committed):
    def one_bad_row(episodes, people):
        episodes.loc[0, "earl_episode_end_reason"] = ""  # ended, with no reason
        return episodes, people

    extract = load_ssd(_variant(tmp_path, one_bad_row), allow_invalid=True)
    assert len(extract.episodes) == len(committed) - 1
    assert list(extract.excluded["row"]) == [2]
    assert extract.excluded["problem"].iloc[0] == "is blank although the episode has ended"
    counts = extract.row_counts.iloc[0]
    assert (counts.rows_read, counts.rows_used, counts.rows_left_out) == (8114, 8113, 1)


def test_an_organisation_in_no_group_is_shown_as_recorded_and_noted(tmp_path):
    def new_organisation(episodes, people):
        episodes.loc[episodes.index[:3], "earl_episode_organisation"] = "Positive Youth Trust"
        return episodes, people

    extract = load_ssd(_variant(tmp_path, new_organisation))
    assert (extract.episodes["lead_agency"] == "Positive Youth Trust").sum() == 3
    notes = extract.notes[extract.notes["column"] == "earl_episode_organisation"]
    assert list(notes["value"]) == ["Positive Youth Trust"] and list(notes["row"]) == [2]
    assert "3 episode(s)" in notes["note"].iloc[0]
    assert any("none of the lead-agency groups" in w for w in extract.warnings)


def test_a_missing_column_or_table_is_one_problem_naming_it(tmp_path):
    def no_end_reason(episodes, people):
        return episodes.drop(columns="earl_episode_end_reason"), people

    with pytest.raises(ExtractError) as refused:
        load_ssd(_variant(tmp_path, no_end_reason))
    assert refused.value.total == 1
    assert "column earl_episode_end_reason: column is missing from the table" in str(refused.value)
    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(SYNTHETIC_SSD_DIR / f"{EPISODES}.csv", folder)
    with pytest.raises(ExtractError, match="ssd_person.csv: file is missing"):
        inputs.load_any_extract(folder)


def test_dates_with_a_time_of_day_are_read_as_the_day(tmp_path, committed):
    def with_times(episodes, people):
        episodes["earl_episode_start_date"] += " 09:30:00.000"
        return episodes, people

    extract = load_ssd(_variant(tmp_path, with_times))
    assert extract.episodes["start_date"].equals(committed["start_date"])


def test_a_password_inside_a_url_is_refused_without_showing_it():
    with pytest.raises(DatabaseProblem) as refused:
        refuse_password_in_url("postgresql+psycopg://reader:s3cr3t@db.example:5432/ssd", "here")
    assert "s3cr3t" not in str(refused.value)
    assert "EARLYHELP_DATABASE_PASSWORD" in str(refused.value)
    with pytest.raises(DatabaseProblem, match="password inside"):
        inputs.input_location("postgresql+psycopg://reader@db/ssd?password=s3cr3t")
    assert shown_url("postgresql+psycopg://r:s3cr3t@h/d?password=x&sslmode=require") == (
        "postgresql+psycopg://r@h/d?sslmode=require"
    )
    assert inputs.input_location("sqlite:///ssd.db") == "sqlite:///ssd.db"  # no path made of it


def test_urls_are_told_from_paths():
    assert is_database_url("postgresql+psycopg://r@h/d") and is_database_url("sqlite:///x.db")
    assert not is_database_url("/secure/extracts/2016-02") and not is_database_url("C:\\x")
    assert source_name("mssql+pyodbc://r@dsn") == "mssql+pyodbc://r@dsn"
    assert source_name("/secure/extracts/2016-02") == "2016-02"


def test_an_edition_may_name_a_database_but_never_its_password(tmp_path):
    edition = tmp_path / "ssd-2016-03.yaml"
    edition.write_text(
        "name: SSD\nperiod: 2016-03\ndata_dir: postgresql+psycopg://reader@warehouse/ssd\n"
        "notebooks:\n  01_open_by_lead_agency: {}\n",
        encoding="utf-8",
    )
    assert batch.Edition.load(edition).data_dir == "postgresql+psycopg://reader@warehouse/ssd"
    edition.write_text(
        edition.read_text(encoding="utf-8").replace("reader@", "reader:hunter2@"),
        encoding="utf-8",
    )
    with pytest.raises(DatabaseProblem) as refused:
        batch.Edition.load(edition)
    assert "hunter2" not in str(refused.value) and "data_dir" in str(refused.value)


def test_a_sqlite_database_gives_the_same_extract_as_the_folder(tmp_path, committed):
    url = f"sqlite:///{tmp_path / 'ssd.db'}"
    assert load_into(url) == 8114 + committed["child_id"].nunique()
    extract = inputs.load_report_extract(url)  # as a notebook's data_dir reads it
    assert extract.source == url and extract.is_synthetic
    pd.testing.assert_frame_equal(extract.episodes, committed)
    assert data_source(extract)["extract"] == url  # a database is always named


def test_a_database_without_the_ssd_tables_says_which_it_has(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as session:
        session.execute("CREATE TABLE ssd_person (pers_person_id TEXT)")
        session.execute("CREATE TABLE ssd_cin_episodes (cine_referral_id TEXT)")
    with pytest.raises(ExtractError) as refused:
        load_ssd(f"sqlite:///{path}")
    assert "the database has no table ssd_early_help_episodes in the default schema" in str(
        refused.value
    )
    assert "ssd_cin_episodes, ssd_person" in str(refused.value)


def test_a_notebooks_data_dir_may_be_a_database_url_but_never_hold_its_password(tmp_path):
    from in_process import run_notebook

    from helpers.config import SentenceError

    url = f"sqlite:///{tmp_path / 'ssd.db'}"
    load_into(url)
    run = run_notebook("01_open_by_lead_agency", data_dir=url, report_month="2016-03")
    assert run.error is None, run.error
    assert url in run.text and "Standard Safeguarding Dataset" in run.text
    secret = "postgresql+psycopg://reader:s3cr3t@127.0.0.1:1/ssd"
    run = run_notebook("01_open_by_lead_agency", data_dir=secret, report_month="2016-03")
    assert isinstance(run.error, SentenceError) and "s3cr3t" not in str(run.error) + run.text


def test_a_table_with_a_header_and_no_rows_is_a_sentence(tmp_path):
    folder = _variant(tmp_path, lambda episodes, people: (episodes.iloc[:0], people))
    with pytest.raises(ExtractError, match="the table has no rows"):
        load_ssd(folder)
