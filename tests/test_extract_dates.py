"""Dates mean one thing: one format per column, no month-first guess, a plausible window,
placeholder end dates read as "not ended", never a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil

import pandas as pd
import pytest
from test_extract import COLUMN, VALID, load_error, write_extract

from helpers.config import PROJECT_ROOT
from helpers.extract import extract_settings, load_extract
from helpers.extract_dates import ExtractSettings, read_date_column


def with_cells(name: str, column: str, values: list[str]) -> dict:
    tables = copy.deepcopy(VALID)
    for row, value in zip(tables[name], values, strict=False):
        row[COLUMN[name][column]] = value
    return tables


def settings(**changes) -> ExtractSettings:
    base = extract_settings()
    return ExtractSettings(**{**base.__dict__, **changes})


LATEST = dt.date(2016, 12, 31)


def read(values: list[str], required: bool = True, **changes):
    return read_date_column(pd.Series(values), required, settings(**changes), LATEST)


def test_a_column_mixing_iso_and_slashed_dates_stops_with_both_formats_and_examples(tmp_path):
    tables = with_cells("caf_episodes", "start_date", ["2015-04-05", "03/04/2015", "2015-12-31"])
    message = str(load_error(write_extract(tmp_path / "x", tables)))
    assert "caf_episodes.csv, column start_date: mixes two ways of writing dates" in message
    assert "YYYY-MM-DD in 2 row(s) (row 2: '2015-04-05', row 4: '2015-12-31')" in message
    assert "DD/MM/YYYY in 1 row(s) (row 3: '03/04/2015')" in message


def test_month_first_only_dates_are_refused_unless_declared():
    column = read(["04/25/2015", "03/04/2015"])
    assert "only make sense month first" in column.column_problem
    declared = read(["04/25/2015", "03/04/2015"], date_order="month-first")
    assert declared.column_problem is None
    assert declared.dates.tolist() == [pd.Timestamp(2015, 4, 25), pd.Timestamp(2015, 3, 4)]


def test_a_column_with_both_day_first_and_month_first_evidence_stops():
    column = read(["25/04/2015", "04/25/2015"])
    assert "only make sense day first (row 2: '25/04/2015')" in column.column_problem
    assert "month first (row 3: '04/25/2015')" in column.column_problem


def test_ambiguous_slashed_dates_are_day_first_by_default_and_as_declared():
    assert read(["03/04/2015"]).dates.tolist() == [pd.Timestamp(2015, 4, 3)]
    assert read(["03/04/2015"], date_order="day-first").dates.tolist() == [pd.Timestamp(2015, 4, 3)]


def test_a_month_first_setting_refuses_day_first_only_values():
    column = read(["25/04/2015"], date_order="month-first")
    assert column.row_problems == [(0, "25/04/2015", "not a date (use YYYY-MM-DD or DD/MM/YYYY)")]


@pytest.mark.parametrize("value", ["2105-04-01", "1900-06-30", "1999-12-31", "3015-01-01"])
def test_dates_outside_the_plausible_window_are_refused_by_row(value):
    column = read(["2015-04-01", value])
    assert len(column.row_problems) == 1
    index, written, message = column.row_problems[0]
    assert (index, written) == (1, value)
    assert "outside the plausible range 1 January 2000 to 31 December 2016" in message
    assert pd.isna(column.dates.iloc[1])


@pytest.mark.parametrize("placeholder", ["9999-12-31", "31/12/9999", "1900-01-01", "01/01/1900"])
def test_placeholder_end_dates_read_as_not_ended(placeholder):
    column = read(["", placeholder], required=False)
    assert column.row_problems == [] and column.column_problem is None
    assert column.dates.isna().all()
    assert column.placeholders == 1


def test_a_placeholder_in_a_required_date_is_refused():
    column = read(["9999-12-31"])
    assert "placeholder date" in column.row_problems[0][2]


def test_an_open_ended_9999_end_date_loads_as_open_with_a_warning(tmp_path):
    tables = with_cells("caf_episodes", "end_date", ["9999-12-31", "", "31/12/2015"])
    tables["caf_episodes"][0][COLUMN["caf_episodes"]["closure_reason"]] = ""
    extract = load_extract(write_extract(tmp_path / "x", tables))
    assert pd.isna(extract.episodes.at[0, "end_date"])
    assert any("placeholder date(s) such as 9999-12-31" in w for w in extract.warnings)


def test_under_allow_invalid_a_year_3015_is_left_out_not_a_crash(tmp_path):
    folder = tmp_path / "x"
    shutil.copytree(PROJECT_ROOT / "data" / "raw" / "synthetic", folder)
    episodes = folder / "caf_episodes.csv"
    lines = episodes.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[5] = "3015-01-01"  # start_date of row 2
    lines[1] = ",".join(cells)
    episodes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    extract = load_extract(folder, allow_invalid=True)
    assert len(extract.episodes) == len(lines) - 2  # the header and the one bad row
    assert "outside the plausible range" in extract.excluded["problem"].iloc[0]


def test_the_window_ends_on_the_extracts_date_unless_set(tmp_path):
    folder = tmp_path / "x"
    shutil.copytree(PROJECT_ROOT / "data" / "raw" / "synthetic", folder)
    (folder / "manifest.json").unlink()  # no recorded date: the day the files were written
    stamp = pd.Timestamp("2016-01-31 12:00").timestamp()
    for file in folder.iterdir():
        os.utime(file, (stamp, stamp))
    message = str(load_error(folder))
    assert "outside the plausible range 1 January 2000 to 31 January 2016" in message
