"""Excel read as Excel shows it, by one reader, for the native workbook and Annex A alike.

Every workbook here is generated (openpyxl) in the test's folder. Each case was a silent wrong
figure or an unclear message (issue 21): ``#N/A`` read as blank (closed episodes counted as
open), formulas never saved read as blank (Phase 1 claims 195 -> 0), serial-number dates
refused row by row, an ``.xls`` or a password-protected workbook told to install a package.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from test_extract import HEADERS, VALID, write_extract

from helpers.annex_a import load_any_extract
from helpers.extract import ExtractError, load_extract
from helpers.workbook import ERROR_VALUES, read_sheets, sheet_names, workbook_problem

ISSUE_21_ERRORS = ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!"]


def native_workbook(path: Path, changes: dict | None = None, epoch=None) -> Path:
    """The tiny valid extract as a workbook, one sheet per file; ``changes`` sets cells:
    ``{(file, record, column): value}`` (record 0 is Excel's row 2)."""
    book = Workbook()
    book.remove(book.active)
    if epoch is not None:
        book.epoch = epoch
    for name, rows in VALID.items():
        sheet = book.create_sheet(name)
        sheet.append(HEADERS[name])
        for row in rows:
            sheet.append(list(row))
    for (name, record, column), value in (changes or {}).items():
        book[name].cell(row=record + 2, column=HEADERS[name].index(column) + 1, value=value)
    book.save(path)
    return path


def refusal(path: Path, **options) -> str:
    with pytest.raises(ExtractError) as caught:
        load_any_extract(path, **options)
    return str(caught.value)


def saved_values(path: Path, values: dict[str, str]) -> Path:
    """``path`` with the given formulas' values saved, as Excel saves them: ``{formula: the
    cell's XML after it}`` (openpyxl writes formulas without values)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    for name, data in parts.items():
        if name.startswith("xl/worksheets/"):
            text = data.decode("utf-8")
            for formula, saved in values.items():
                text = re.sub(
                    rf'<c r="([A-Z]+\d+)"( s="\d+")?( t="\w+")?><f>{re.escape(formula)}</f><v\s*/>',
                    lambda m, f=formula, v=saved: f'<c r="{m.group(1)}"{v[0]}><f>{f}</f>{v[1]}',
                    text,
                )
            parts[name] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


# --------------------------------------------------------------------------- error cells


@pytest.mark.parametrize("error", ISSUE_21_ERRORS)
def test_an_error_cell_in_an_end_date_is_a_problem_never_an_open_episode(tmp_path, error):
    path = native_workbook(tmp_path / "x.xlsx", {("caf_episodes", 0, "end_date"): error})
    message = refusal(path)
    assert (
        f"x.xlsx[caf_episodes], row 2, column end_date: is an Excel error, not a value: correct "
        f"the cell (or the formula behind it) in the workbook, then export again (value "
        f"{error!r})"
    ) in message
    assert "is required but blank" not in message and "not a date" not in message


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("caf_episodes", "closure_reason"),
        ("caf_episodes", "lsoa11cd"),
        ("caf_episodes", "caf_level"),
        ("families", "claimed_date"),
        ("families", "crime_asb"),
        ("budget", "spend"),
    ],
)
def test_an_error_cell_in_any_column_names_sheet_row_column_and_value(tmp_path, name, column):
    path = native_workbook(tmp_path / "x.xlsx", {(name, 1, column): "#N/A"})
    message = refusal(path)
    assert f"x.xlsx[{name}], row 3, column {column}: is an Excel error" in message
    assert "(value '#N/A')" in message


def test_every_excel_error_is_known_and_a_csv_saved_from_a_workbook_is_read_alike(tmp_path):
    assert set(ISSUE_21_ERRORS) <= ERROR_VALUES
    tables = {name: [list(row) for row in rows] for name, rows in VALID.items()}
    tables["caf_episodes"][0][HEADERS["caf_episodes"].index("end_date")] = "#N/A"
    message = refusal(write_extract(tmp_path / "csv", tables))
    assert "caf_episodes.csv, row 2, column end_date: is an Excel error" in message


# --------------------------------------------------------------------------- formulas


def test_a_formula_never_saved_is_refused_with_open_and_save_never_read_as_blank(tmp_path):
    # The families' claim dates as formulas written by a program: Phase 1 claims went 195 -> 0.
    path = native_workbook(tmp_path / "x.xlsx", {("families", 0, "claimed_date"): "=TODAY()"})
    message = refusal(path)
    assert (
        "x.xlsx[families], row 2, column claimed_date: is a formula whose value was never saved "
        "(the workbook was written by a program, not saved in Excel): open the workbook in "
        "Excel and save it, so that the value is stored (value '=TODAY()')"
    ) in message


def test_a_formula_with_its_value_saved_reads_the_value_and_an_empty_text_result_is_blank(
    tmp_path,
):
    path = native_workbook(
        tmp_path / "x.xlsx",
        {
            ("caf_episodes", 1, "start_date"): "=DATE(2015,4,5)",
            ("caf_episodes", 1, "end_date"): '=IF(1=1,"","x")',
        },
    )
    saved_values(
        path,
        {"DATE(2015,4,5)": ("", "<v>42099</v>"), 'IF(1=1,"","x")': (' t="str"', "<v></v>")},
    )
    extract = load_extract(path)
    second = extract.episodes.loc[extract.episodes["episode_id"] == "E2"].iloc[0]
    assert second["start_date"] == pd.Timestamp("2015-04-05")
    assert pd.isna(second["end_date"])  # "" on screen: open, as Excel shows it


# --------------------------------------------------------------------------- serial dates


def test_serial_number_dates_read_as_dates_in_cells_and_as_text(tmp_path):
    path = native_workbook(
        tmp_path / "x.xlsx",
        {
            ("caf_episodes", 0, "start_date"): 42099,  # a number cell: 5 April 2015
            ("caf_episodes", 1, "start_date"): "42099",  # typed as text
            ("caf_episodes", 2, "start_date"): 42248.75,  # with a time of day
            ("caf_episodes", 2, "end_date"): 42369,
        },
    )
    episodes = load_extract(path).episodes
    assert list(episodes["start_date"]) == [pd.Timestamp("2015-04-05")] * 2 + [
        pd.Timestamp("2015-09-01")
    ]
    assert episodes["end_date"].iloc[2] == pd.Timestamp("2015-12-31")


def test_serial_numbers_in_a_csv_and_in_a_1904_workbook(tmp_path):
    tables = {name: [list(row) for row in rows] for name, rows in VALID.items()}
    tables["caf_refusals"][0][1] = "42248"
    assert load_extract(write_extract(tmp_path / "csv", tables)).refusals["refusal_date"].iloc[
        0
    ] == pd.Timestamp("2015-09-01")
    mac = native_workbook(
        tmp_path / "mac.xlsx", {("caf_refusals", 0, "refusal_date"): 40786}, CALENDAR_MAC_1904
    )
    assert load_extract(mac).refusals["refusal_date"].iloc[0] == pd.Timestamp("2015-09-01")


def test_a_serial_number_outside_the_window_is_refused_as_a_typing_error(tmp_path):
    path = native_workbook(tmp_path / "x.xlsx", {("caf_episodes", 0, "start_date"): 20150})
    assert "row 2, column start_date: is outside the plausible range" in refusal(path)


# --------------------------------------------------------------------------- whole files


def test_an_old_xls_a_password_protected_workbook_and_a_text_file_get_their_own_sentences(
    tmp_path,
):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    old = tmp_path / "old.xls"
    old.write_bytes(ole + "Workbook".encode("utf-16-le") + bytes(1000))
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(ole + "EncryptedPackage".encode("utf-16-le") + bytes(1000))
    text = tmp_path / "text.xlsx"
    text.write_text("episode_id,child_id\n", encoding="utf-8")
    for path, words in (
        (old, "the old Excel 97-2003 format (.xls), which is not read: open it in Excel and "),
        (locked, "the workbook is password-protected (encrypted), so it cannot be read"),
        (text, "the file is not an Excel workbook (.xlsx)"),
    ):
        message = refusal(path)
        assert words in message, message
        assert "calamine" not in message and "Traceback" not in message
        for data_format in ("native", "annex-a"):
            assert words in refusal(path, data_format=data_format)


def test_the_reader_gives_each_cell_as_shown(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "S"
    sheet.append(["a", 7.5, 42248.0, dt.datetime(2015, 9, 1), True, "#N/A", "=1+1"])
    book.save(tmp_path / "s.xlsx")
    assert workbook_problem(tmp_path / "s.xlsx") is None
    assert sheet_names(tmp_path / "s.xlsx") == ["S"]
    row = read_sheets(tmp_path / "s.xlsx", ["S"])["S"].cells.iloc[0].tolist()
    assert row == ["a", "7.5", "42248", "2015-09-01 00:00:00", "True", "#N/A", "\ue000=1+1"]


# --------------------------------------------------------------------------- sheet names


def test_a_native_sheet_named_in_another_case_is_read_and_a_near_name_hinted_like_with_like(
    tmp_path,
):
    path = native_workbook(tmp_path / "x.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["caf_episodes"].title = "CAF Episodes"
    book.save(path)
    extract = load_extract(path)
    assert len(extract.episodes) == 3
    assert "x.xlsx: sheet 'CAF Episodes' was read as caf_episodes" in " ".join(extract.warnings)
    book["CAF Episodes"].title = "Episodes"
    book.save(path)
    message = refusal(path)
    assert "did you mean 'Episodes'? Rename it to 'caf_episodes'" in message
    assert "caf_refusals'?" not in message
