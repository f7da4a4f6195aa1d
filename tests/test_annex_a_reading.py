"""Annex A's List 2 read and checked like the native extract (issues 20 and 21).

Each workbook is generated here with openpyxl. Each case was a silent wrong figure or a
traceback: blank start dates dropped 40 open assessments, assessments entered twice counted
twice, ages and dates written as formulas with no saved value became "Not recorded", a birth
after the assessment start was accepted, ``List 2 - Early Help`` was read as a native workbook;
and the shape of a public sample workbook (numeric ids, decimal ages, organisations in no
group, five rows) must read cleanly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from helpers import annex_a
from helpers.dev.synthetic_annex_a import LIST_2_HEADERS
from helpers.extract import ExtractError

HEADERS = list(LIST_2_HEADERS)
START = dt.datetime(2015, 11, 3)


SHORT = {
    "sex": "Gender",
    "dob": "Date of Birth",
    "age": "Age of Child (Years)",
    "start": "Assessment start date",
    "end": "Assessment completion date",
    "organisation": "Organisation completing assessment",
}


def row(child: object = "C1", **cells) -> list:
    """One assessment, valid unless ``cells`` (by the short names of :data:`SHORT`) say
    otherwise."""
    values = {
        "Child Unique ID": child,
        "Gender": "a) Male",
        "Ethnicity": "a) WBRI",
        "Date of Birth": dt.datetime(2010, 1, 2),
        "Age of Child (Years)": 5,
        "Assessment start date": START,
        "Assessment completion date": None,
        "Organisation completing assessment": "Whitley Academy",
    }
    values.update({SHORT[key]: value for key, value in cells.items()})
    return [values[header] for header in HEADERS]


def workbook(
    path: Path,
    rows: list[list],
    headers: list[str] = HEADERS,
    sheet: str = "List 2",
    title_rows: int = 0,
) -> Path:
    book = Workbook()
    book.remove(book.active)
    book.create_sheet("List 1").append(["Annex A - List 1"])
    list_2 = book.create_sheet(sheet)
    for i in range(title_rows):
        list_2.append([f"Annex A - List 2, title row {i + 1}"])
    list_2.append(headers)
    for values in rows:
        list_2.append(values)
    book.save(path)
    return path


def refusal(path: Path, **options) -> str:
    with pytest.raises(ExtractError) as caught:
        annex_a.load_any_extract(path, **options)
    return str(caught.value)


# --------------------------------------------------------------------------- required, twice


def test_a_blank_start_date_is_a_problem_not_a_dropped_assessment(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [row("C1"), row("C2", start=None)])
    assert (
        "a.xlsx[List 2], row 3, column Assessment start date: is required but blank"
    ) in refusal(path)


def test_allow_invalid_leaves_a_blank_start_out_and_counts_it(tmp_path):
    rows = [row(f"C{i}") for i in range(200)] + [row("X", start=None)]
    extract = annex_a.load_any_extract(workbook(tmp_path / "a.xlsx", rows), allow_invalid=True)
    counts = extract.row_counts.iloc[0]
    assert (counts["rows_read"], counts["rows_used"], counts["rows_left_out"]) == (201, 200, 1)
    assert extract.excluded["problem"].tolist() == ["is required but blank"]


def test_an_assessment_entered_twice_is_refused_naming_both_rows(tmp_path):
    rows = [
        row("C1"),
        row("C2"),
        row("C1", end=dt.datetime(2015, 12, 1)),  # the same, completed
        row("C1", organisation="Health Visiting Team"),  # another's
        row("C1", start=dt.datetime(2016, 1, 4)),  # assessed again later
    ]
    message = refusal(workbook(tmp_path / "a.xlsx", rows))
    assert (
        "a.xlsx[List 2], column Child Unique ID: is the same assessment as another row (same "
        "child, assessment start date and organisation): it would be counted twice; delete the "
        "copy (value 'C1'), in 2 rows: 2, 4"
    ) in message
    assert "has 2 problem(s)" in message


def test_a_birth_after_the_start_and_ages_out_of_range_are_refused(tmp_path):
    rows = [
        row("C1", dob=dt.datetime(2015, 11, 4)),
        row("C2", dob=START),  # born the day it started: possible
        row("C3", age=-1),
        row("C4", age=26),
        row("C5", age="seven"),
        row("C6", age=7.5),
        row("C7", age=25),
    ]
    message = refusal(workbook(tmp_path / "a.xlsx", rows))
    assert (
        "row 2, column Date of Birth: is after the assessment start date (a child is assessed "
        "once born) (value '2015-11-04')"
    ) in message
    for number, value in ((4, "-1"), (5, "26"), (6, "seven")):
        assert (
            f"row {number}, column Age of Child (Years): is not an age in years (a number from "
            f"0 to 25) (value '{value}')"
        ) in message
    assert "has 4 problem(s)" in message


# --------------------------------------------------------------------------- cells without value


def test_error_cells_and_formulas_never_saved_are_problems_by_cell(tmp_path):
    rows = [
        row("C1", end="#N/A"),  # would have counted as open
        row("C2", age='=DATEDIF(D3,F3,"y")'),  # would have been "Not recorded"
        row("C3", start="=TODAY()-30"),
        row("C4", sex="#REF!"),
    ]
    message = refusal(workbook(tmp_path / "a.xlsx", rows))
    assert (
        "a.xlsx[List 2], row 2, column Assessment completion date: is an Excel error, not a value"
    ) in message
    assert "row 3, column Age of Child (Years): is a formula whose value was never saved" in (
        message
    )
    assert "open the workbook in Excel and save it" in message
    assert "row 4, column Assessment start date: is a formula whose value was never saved" in (
        message
    )
    assert "(value '=TODAY()-30')" in message
    assert "row 5, column Gender: is an Excel error" in message
    assert "has 4 problem(s)" in message  # not also "not a date", "blank" or "not one of"


def test_serial_number_dates_read_as_dates(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [row("C1", start=42311)])
    assert annex_a.load_any_extract(path).episodes["start_date"].iloc[0] == START


# --------------------------------------------------------------------------- sheet names


@pytest.mark.parametrize(
    "sheet", ["List 2 - Early Help", "List2", "list 2", "Early Help", " LIST 2 ", "List_2"]
)
def test_list_2_is_found_by_the_names_authorities_give_it(tmp_path, sheet):
    path = workbook(tmp_path / "a.xlsx", [row("C1")], sheet=sheet)
    assert annex_a.is_annex_a(path)
    extract = annex_a.load_any_extract(path)
    assert extract.kind == "annex-a" and len(extract.episodes) == 1
    assert f"a.xlsx: sheet {sheet!r} was read as List 2 (early help)." in extract.warnings


def test_the_plainest_list_2_name_wins_and_list_20_is_not_list_2():
    assert annex_a.list_sheet(["List 2 - Early Help", "List 2"]) == "List 2"
    assert annex_a.list_sheet(["List 20", "List 21", "Early Help notes"]) is None
    assert annex_a.list_sheet(["List 1", "List 2 Early Help Assessments"]) == (
        "List 2 Early Help Assessments"
    )


def test_an_annex_a_workbook_read_as_native_gets_no_native_hints(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [row("C1")], sheet="List 2 - Early Help")
    message = refusal(path, data_format="native")
    assert "It looks like an Ofsted Annex A workbook: read it as one with --format annex-a" in (
        message
    )
    assert "did you mean" not in message


def test_a_column_written_twice_is_a_sentence(tmp_path):
    headers = [*HEADERS, "Notes", "Assessment Start Date"]
    path = workbook(tmp_path / "a.xlsx", [[*row("C1"), "", START]], headers=headers)
    assert (
        "a.xlsx[List 2], column Assessment start date: is written more than once: 'Assessment "
        "start date' (column F) and 'Assessment Start Date' (column J) are all read as it; keep "
        "one of them and delete the others"
    ) in refusal(path)


# --------------------------------------------------------------------------- the public shape


def public_sample_rows(headers: list[str]) -> list[list]:
    """Five assessments shaped as a public sample Annex A workbook: numeric ids, decimal ages,
    Excel dates, organisations in no lead-agency group."""
    organisations = ["Barnardo's", "Positive Youth Foundation", "Whitley Academy"]
    return [
        [
            1000 + i,
            ["Male", "Female"][i % 2],
            "WBRI",
            dt.datetime(2013, 3, 1 + i),
            7.5 + i / 10,
            dt.datetime(2020, 9, 16 + i % 3),
            dt.datetime(2020, 9, 30) if i == 4 else None,
            organisations[i % 3],
        ][: len(headers)]
        for i in range(5)
    ]


@pytest.mark.parametrize(
    ("sex", "age"), [("Gender", "Age"), ("Sex", "Age of Child (Years)"), ("Sex", "Age")]
)
def test_the_public_sample_shape_reads_cleanly(tmp_path, sex, age):
    headers = [sex if h == "Gender" else age if h.startswith("Age") else h for h in HEADERS]
    path = workbook(tmp_path / "sample.xlsx", public_sample_rows(headers), headers, title_rows=1)
    extract = annex_a.load_any_extract(path)
    episodes = extract.episodes
    assert episodes["child_id"].tolist() == ["1000", "1001", "1002", "1003", "1004"]
    assert episodes["age_years"].tolist() == pytest.approx([7.5, 7.6, 7.7, 7.8, 7.9])
    assert episodes["start_date"].min() == pd.Timestamp("2020-09-16")
    assert episodes["end_date"].notna().sum() == 1
    assert episodes["lead_agency"].tolist().count("School") == 1
    assert set(extract.notes["value"]) == {"Barnardo's", "Positive Youth Foundation"}
    assert extract.covers_from == "2020-09-16"


def test_one_row_reads_and_zero_rows_is_a_sentence(tmp_path):
    one = annex_a.load_any_extract(workbook(tmp_path / "one.xlsx", [row("C1")], title_rows=2))
    assert len(one.episodes) == 1
    message = refusal(workbook(tmp_path / "none.xlsx", [], title_rows=2))
    assert "none.xlsx[List 2]: List 2 has a header but no rows" in message
