"""The extract contract: tiny hand-written extracts that load, and one per broken rule."""

from __future__ import annotations

import copy
import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.config import PROJECT_ROOT
from helpers.extract import CONTRACT, ExtractError, load_extract

SYNTHETIC = PROJECT_ROOT / "data" / "raw" / "synthetic"
HEADERS = {name: [spec.name for spec in specs] for name, specs in CONTRACT.items()}

# A valid tiny extract, one list of cells per record (in CONTRACT column order).
VALID: dict[str, list[list[str]]] = {
    "caf_episodes": [
        # row 2: closed (each date column is written one way: here UK, day first)
        ["E1", "C1", "F1", "School", "2", "05/04/2015", "01/06/2015", "Non-engagement",
         "E01009623"],
        # row 3: open, no LSOA
        ["E2", "C2", "F2", "Health", "3", "05/04/2015", "", "", ""],
        # row 4: closed on the day it opened
        ["E3", "C3", "F3", "Children's Centre", "2", "31/12/2015", "31/12/2015",
         "Referral to Social Care", "E01009556"],
    ],
    "caf_refusals": [
        ["R1", "01/04/2015", "Parent", "School"],
        ["R2", "02/05/2015", "Child/young person", "Children & Families First"],
    ],
    "families": [
        ["F1", "2015-04-01", "true", "false", "TRUE", "FALSE", "True", "False", "2",
         "2015-05-01", "2015-09-01"],
        ["F2", "2015-04-02", "yes", "no", "YES", "No", "y", "n", "", "", ""],
        ["F3", "2015-04-03", "Y", "N", "1", "0", " yes ", "nO", "", "", ""],
    ],
    "budget": [
        ["Troubled Families", "1118019", "-1004297"],
        ["Education Welfare Officers", "£791,141", "-695286.50"],
    ],
}  # fmt: skip
COLUMN = {name: {column: i for i, column in enumerate(HEADERS[name])} for name in HEADERS}


# --------------------------------------------------------------------------- helpers


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_extract(folder: Path, tables: dict[str, list[list[str]]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables or VALID).items():
        write_csv(folder / f"{name}.csv", HEADERS[name], rows)
    return folder


def changed(name: str, record: int, column: str, value: str) -> dict[str, list[list[str]]]:
    """VALID with one cell changed; ``record`` counts from 0 (file row ``record + 2``)."""
    tables = copy.deepcopy(VALID)
    tables[name][record][COLUMN[name][column]] = value
    return tables


def load_error(folder: Path) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        load_extract(folder)
    return caught.value


def problem_line(error: ExtractError, where: str) -> str:
    """The one line of the error message for the problem at ``where`` (file, row, column)."""
    lines = [line for line in str(error).splitlines() if line.startswith(f"  - {where}:")]
    assert len(lines) == 1, f"expected one problem at {where!r} in:\n{error}"
    return lines[0]


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    return write_extract(tmp_path / "extract")


# --------------------------------------------------------------------------- a valid extract


def test_valid_extract_loads_every_record(valid):
    extract = load_extract(valid)
    assert len(extract.episodes) == 3
    assert len(extract.refusals) == 2
    assert len(extract.families) == 3
    assert len(extract.budget) == 2
    assert extract.warnings == []
    assert extract.notes.empty
    assert extract.is_synthetic is False


def test_valid_extract_dtypes(valid):
    extract = load_extract(valid)
    for column in ("start_date", "end_date"):
        assert pd.api.types.is_datetime64_dtype(extract.episodes[column]), column
    assert pd.api.types.is_datetime64_dtype(extract.refusals["refusal_date"])
    assert pd.api.types.is_datetime64_dtype(extract.families["identified_date"])
    assert extract.episodes["caf_level"].dtype == "int64"
    for column in ("crime_asb", "school_attendance", "children_need_help"):
        assert extract.families[column].dtype == bool, column
    for column in ("worklessness", "domestic_abuse", "health"):
        assert extract.families[column].dtype == bool, column
    assert extract.budget["spend"].dtype == "float64"
    assert extract.budget["income"].dtype == "float64"


def test_caf_levels_are_the_numbers_written(valid):
    assert load_extract(valid).episodes["caf_level"].tolist() == [2, 3, 2]


def test_uk_dates_parse_day_first_and_iso_as_written(valid):
    episodes = load_extract(valid).episodes
    assert episodes["start_date"].tolist() == [
        pd.Timestamp(2015, 4, 5),
        pd.Timestamp(2015, 4, 5),  # 05/04/2015 is 5 April, not 4 May
        pd.Timestamp(2015, 12, 31),
    ]
    refusals = load_extract(valid).refusals
    assert refusals["refusal_date"].tolist() == [pd.Timestamp(2015, 4, 1), pd.Timestamp(2015, 5, 2)]
    identified = load_extract(valid).families["identified_date"].tolist()
    assert identified == [
        pd.Timestamp(2015, 4, 1),
        pd.Timestamp(2015, 4, 2),
        pd.Timestamp(2015, 4, 3),
    ]


def test_blank_end_date_is_nat(valid):
    episodes = load_extract(valid).episodes.set_index("episode_id")
    assert pd.isna(episodes.at["E2", "end_date"])
    assert pd.isna(episodes.at["E2", "closure_reason"])
    assert episodes.at["E1", "end_date"] == pd.Timestamp(2015, 6, 1)


def test_booleans_in_any_spelling_and_case(valid):
    families = load_extract(valid).families.set_index("family_id")
    criteria = ["crime_asb", "school_attendance", "children_need_help", "worklessness"]
    criteria += ["domestic_abuse", "health"]
    # true/false, TRUE/FALSE, True/False ; yes/no, YES/No, y/n ; Y/N, 1/0, " yes "/nO
    expected = [True, False, True, False, True, False]
    for family in ("F1", "F2", "F3"):
        assert families.loc[family, criteria].tolist() == expected, family


def test_money_with_pound_sign_and_thousands_separator(valid):
    budget = load_extract(valid).budget
    assert budget["spend"].tolist() == [1118019.0, 791141.0]
    assert budget["income"].tolist() == [-1004297.0, -695286.5]


def test_optional_phase_and_dates(valid):
    families = load_extract(valid).families.set_index("family_id")
    assert families.at["F1", "phase"] == 2
    assert families.at["F1", "claimed_date"] == pd.Timestamp(2015, 9, 1)
    assert pd.isna(families.at["F2", "phase"])
    assert pd.isna(families.at["F2", "attached_date"])


# --------------------------------------------------------------------------- one problem each


def test_missing_column_suggests_the_misspelt_one(tmp_path):
    folder = write_extract(tmp_path / "extract")
    header = [c if c != "school_attendance" else "school_atendance" for c in HEADERS["families"]]
    write_csv(folder / "families.csv", header, VALID["families"])
    error = load_error(folder)
    line = problem_line(error, "families.csv, column school_attendance")
    assert "missing" in line
    assert "did you mean 'school_atendance'" in line


def test_missing_column_is_not_matched_to_a_column_already_in_use(tmp_path):
    # "income" is close to "line" by spelling, but line is a contract column of its own.
    folder = write_extract(tmp_path / "extract")
    header = HEADERS["budget"][:-1] + ["zzz"]
    write_csv(folder / "budget.csv", header, VALID["budget"])
    line = problem_line(load_error(folder), "budget.csv, column income")
    assert "missing" in line
    assert "did you mean" not in line


def test_unparseable_date(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_episodes", 1, "start_date", "2015-13-01")
    )
    error = load_error(folder)
    line = problem_line(error, "caf_episodes.csv, row 3, column start_date")
    assert "'2015-13-01'" in line
    assert "not a date" in line


def test_american_date_is_not_guessed(tmp_path):
    # 04/25/2015 could only be month first; the contract is day first, always.
    folder = write_extract(
        tmp_path / "extract", changed("caf_refusals", 0, "refusal_date", "04/25/2015")
    )
    line = problem_line(load_error(folder), "caf_refusals.csv, column refusal_date")
    assert "only make sense month first" in line and "row 2: '04/25/2015'" in line
    assert "date_order: month-first" in line  # how to say so, if the export is month first


def test_end_date_before_start_date(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_episodes", 0, "end_date", "04/04/2015")
    )
    line = problem_line(load_error(folder), "caf_episodes.csv, row 2, column end_date")
    assert "ends before it starts" in line
    assert "'2015-04-04'" in line


def test_duplicate_episode_id_names_both_rows(tmp_path):
    folder = write_extract(tmp_path / "extract", changed("caf_episodes", 2, "episode_id", "E1"))
    error = load_error(folder)
    line = problem_line(error, "caf_episodes.csv, column episode_id")
    assert line.endswith("appears more than once (value 'E1'), in 2 rows: 2, 4")
    assert sorted(p.row for p in error.problems) == [2, 4]


def test_unknown_lead_agency_lists_the_allowed_values(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_episodes", 1, "lead_agency", "Police")
    )
    line = problem_line(load_error(folder), "caf_episodes.csv, row 3, column lead_agency")
    assert "'Police'" in line
    for agency in ("Children & Families First", "Children's Centre", "Education", "School"):
        assert agency in line


def test_lead_agency_is_case_sensitive(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_refusals", 1, "lead_agency", "school")
    )
    line = problem_line(load_error(folder), "caf_refusals.csv, row 3, column lead_agency")
    assert "'school'" in line


def test_closure_reason_without_end_date(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_episodes", 1, "closure_reason", "Non-engagement")
    )
    line = problem_line(load_error(folder), "caf_episodes.csv, row 3, column closure_reason")
    assert "no end_date" in line
    assert "'Non-engagement'" in line


def test_end_date_without_closure_reason(tmp_path):
    folder = write_extract(tmp_path / "extract", changed("caf_episodes", 0, "closure_reason", ""))
    error = load_error(folder)
    line = problem_line(error, "caf_episodes.csv, row 2, column closure_reason")
    assert "blank although the episode has ended" in line
    assert len(error.problems) == 1


def test_unknown_closure_reason(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_episodes", 0, "closure_reason", "Moved")
    )
    line = problem_line(load_error(folder), "caf_episodes.csv, row 2, column closure_reason")
    assert "'Moved'" in line
    assert "Action Plan completed NFA" in line


def test_caf_level_4(tmp_path):
    folder = write_extract(tmp_path / "extract", changed("caf_episodes", 2, "caf_level", "4"))
    line = problem_line(load_error(folder), "caf_episodes.csv, row 4, column caf_level")
    assert "'4'" in line
    assert "[2, 3]" in line


def test_caf_level_not_a_whole_number(tmp_path):
    folder = write_extract(tmp_path / "extract", changed("caf_episodes", 0, "caf_level", "2.5"))
    line = problem_line(load_error(folder), "caf_episodes.csv, row 2, column caf_level")
    assert "'2.5'" in line
    assert "not a whole number" in line


@pytest.mark.parametrize("code", ["E0100962", "E010096230", "W01000001", "e01009623", "E01 009623"])
def test_malformed_lsoa11cd(tmp_path, code):
    folder = write_extract(tmp_path / "extract", changed("caf_episodes", 0, "lsoa11cd", code))
    line = problem_line(load_error(folder), "caf_episodes.csv, row 2, column lsoa11cd")
    assert repr(code) in line
    assert "LSOA" in line


def test_bad_boolean(tmp_path):
    folder = write_extract(tmp_path / "extract", changed("families", 2, "health", "maybe"))
    line = problem_line(load_error(folder), "families.csv, row 4, column health")
    assert "'maybe'" in line
    assert "yes/no" in line


def test_required_value_blank(tmp_path):
    folder = write_extract(tmp_path / "extract", changed("caf_episodes", 1, "child_id", ""))
    line = problem_line(load_error(folder), "caf_episodes.csv, row 3, column child_id")
    assert "required" in line


def test_missing_file(tmp_path):
    folder = write_extract(tmp_path / "extract")
    (folder / "caf_refusals.csv").unlink()
    error = load_error(folder)
    assert len(error.problems) == 1
    assert "caf_refusals.csv: file is missing" in str(error)


def test_missing_extract_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such extract"):
        load_extract(tmp_path / "not-there")


def test_header_only_file(tmp_path):
    tables = copy.deepcopy(VALID)
    tables["budget"] = []
    error = load_error(write_extract(tmp_path / "extract", tables))
    assert len(error.problems) == 1
    assert "budget.csv: the file has a header but no rows" in str(error)


def test_no_refusals_and_no_families_are_valid(tmp_path):
    tables = copy.deepcopy(VALID)
    tables["caf_refusals"] = []
    tables["families"] = []
    extract = load_extract(write_extract(tmp_path / "extract", tables))
    assert len(extract.refusals) == 0
    assert len(extract.families) == 0
    assert extract.families["identified_date"].dtype.kind == "M"


def test_several_problems_are_all_reported_together(tmp_path):
    tables = changed("caf_episodes", 0, "caf_level", "4")
    tables["caf_episodes"][1][COLUMN["caf_episodes"]["start_date"]] = "yesterday"
    tables["families"][0][COLUMN["families"]["crime_asb"]] = "perhaps"
    tables["budget"][1][COLUMN["budget"]["spend"]] = "lots"
    error = load_error(write_extract(tmp_path / "extract", tables))
    message = str(error)
    assert "has 4 problem(s)" in message
    assert len(error.problems) == 4
    problem_line(error, "caf_episodes.csv, row 2, column caf_level")
    problem_line(error, "caf_episodes.csv, row 3, column start_date")
    problem_line(error, "families.csv, row 2, column crime_asb")
    problem_line(error, "budget.csv, row 3, column spend")


# --------------------------------------------------------------------------- encodings and Excel


def test_cp1252_file_loads_with_a_warning(tmp_path):
    # \u2019 (curly apostrophe, byte 0x92) and \u2013 (en dash, 0x96) exist in cp1252 but not in
    # Latin-1; £ and é are 0xA3 and 0xE9. None of those bytes alone is valid UTF-8.
    line = "Children\u2019s Centres \u2013 Café"
    folder = write_extract(tmp_path / "extract")
    rows = [[line, "£1,200", "0"], ["Troubled Families", "1118019", "-1004297"]]
    write_csv(folder / "budget.csv", HEADERS["budget"], rows, encoding="cp1252")
    assert b"Children\x92s Centres \x96 Caf\xe9" in (folder / "budget.csv").read_bytes()
    extract = load_extract(folder)
    assert extract.budget["line"].tolist() == [line, "Troubled Families"]
    assert extract.budget["spend"].tolist() == [1200.0, 1118019.0]
    assert len(extract.warnings) == 1
    assert "budget.csv" in extract.warnings[0]
    assert "cp1252" in extract.warnings[0]


def test_utf8_file_with_accents_has_no_warning(tmp_path):
    folder = write_extract(tmp_path / "extract")
    write_csv(folder / "budget.csv", HEADERS["budget"], [["Café services", "£1,200", "0"]])
    extract = load_extract(folder)
    assert extract.budget["line"].tolist() == ["Café services"]
    assert extract.warnings == []


def write_workbook(path: Path, tables: dict[str, list[list[str]]]) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, rows in tables.items():
            frame = pd.DataFrame(rows, columns=HEADERS[name])
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def assert_same_extract(left, right) -> None:
    for frame in ("episodes", "refusals", "families", "budget"):
        pd.testing.assert_frame_equal(getattr(left, frame), getattr(right, frame), obj=frame)


def test_excel_workbook_loads_the_same_as_the_csvs(tmp_path, valid):
    workbook = write_workbook(tmp_path / "extract.xlsx", VALID)
    assert_same_extract(load_extract(workbook), load_extract(valid))


def test_excel_workbook_with_typed_cells_loads_the_same(tmp_path, valid):
    """Dates, numbers and booleans typed into Excel cells rather than as text."""
    path = tmp_path / "typed.xlsx"
    from_csv = load_extract(valid)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        episodes = from_csv.episodes.astype(object).where(from_csv.episodes.notna(), None)
        episodes.to_excel(writer, sheet_name="caf_episodes", index=False)
        from_csv.refusals.to_excel(writer, sheet_name="caf_refusals", index=False)
        families = from_csv.families.astype(object).where(from_csv.families.notna(), None)
        families.to_excel(writer, sheet_name="families", index=False)
        from_csv.budget.to_excel(writer, sheet_name="budget", index=False)
    assert_same_extract(load_extract(path), from_csv)


def test_date_with_a_time_of_day_keeps_only_the_date(tmp_path):
    # Excel cells typed as date-times; a case system's timestamp must not make an episode
    # that started that day "not yet started" at that date.
    tables = changed("caf_episodes", 0, "start_date", "2015-04-05 10:30:00")
    folder = write_extract(tmp_path / "extract", tables)
    episodes = load_extract(folder).episodes
    assert episodes.at[0, "start_date"] == pd.Timestamp(2015, 4, 5)


def test_same_day_episode_with_times_is_not_ending_before_it_starts(tmp_path):
    tables = changed("caf_episodes", 2, "start_date", "2015-12-31 16:00:00")
    tables["caf_episodes"][2][COLUMN["caf_episodes"]["end_date"]] = "2015-12-31 09:00:00"
    episodes = load_extract(write_extract(tmp_path / "extract", tables)).episodes
    assert episodes.at[2, "start_date"] == episodes.at[2, "end_date"] == pd.Timestamp(2015, 12, 31)


def test_excel_problem_names_workbook_sheet_and_row(tmp_path):
    workbook = write_workbook(
        tmp_path / "extract.xlsx", changed("caf_episodes", 1, "caf_level", "4")
    )
    line = problem_line(load_error(workbook), "extract.xlsx[caf_episodes], row 3, column caf_level")
    assert "'4'" in line


def test_excel_workbook_missing_a_sheet(tmp_path):
    tables = copy.deepcopy(VALID)
    del tables["families"]
    error = load_error(write_workbook(tmp_path / "extract.xlsx", tables))
    assert "extract.xlsx[families]: sheet is missing from the workbook (its sheets: " in str(error)
    assert "'caf_episodes', 'caf_refusals', 'budget'" in str(error)


# --------------------------------------------------------------------------- the synthetic extract


def test_committed_synthetic_extract_loads_and_is_synthetic():
    extract = load_extract(SYNTHETIC)
    assert extract.is_synthetic is True
    assert len(extract.episodes) > 0
    assert extract.warnings == []


def test_synthetic_copy_with_one_byte_changed_is_not_synthetic(tmp_path):
    copy_dir = tmp_path / "synthetic-copy"
    shutil.copytree(SYNTHETIC, copy_dir)
    assert load_extract(copy_dir).is_synthetic is True  # an unchanged copy still is
    episodes = copy_dir / "caf_episodes.csv"
    data = bytearray(episodes.read_bytes())
    # First record "E000001,C000466,...": change the last digit of the child id.
    first_record = data.index(b"\n") + 1
    position = data.index(b",", data.index(b",", first_record) + 1) - 1
    data[position] = ord("9") if data[position] != ord("9") else ord("8")
    episodes.write_bytes(bytes(data))
    extract = load_extract(copy_dir)  # still a valid extract
    assert extract.is_synthetic is False


def test_a_blank_line_does_not_shift_the_row_numbers(tmp_path):
    folder = write_extract(
        tmp_path / "extract", changed("caf_episodes", 0, "end_date", "04/04/2015")
    )
    episodes = folder / "caf_episodes.csv"
    header, *records = episodes.read_text(encoding="utf-8").splitlines()
    episodes.write_text("\n".join([header, "", *records]) + "\n", encoding="utf-8")
    # The bad record is now on line 3 of the file: line 2 is blank.
    line = problem_line(load_error(folder), "caf_episodes.csv, row 3, column end_date")
    assert "ends before it starts" in line


def test_excel_sheet_with_title_rows_above_the_header(tmp_path, valid):
    path = tmp_path / "titled.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, rows in VALID.items():
            frame = pd.DataFrame(rows, columns=HEADERS[name])
            # Two rows above the header, as a report export often has: rows 1-2 title, row 3
            # header, records from row 4.
            frame.to_excel(writer, sheet_name=name, index=False, startrow=2)
            writer.sheets[name]["A1"] = "Early Help extract, February 2016"
    extract = load_extract(path)
    from_csv = load_extract(valid)
    for frame in ("episodes", "refusals", "families", "budget"):
        # The index keeps the sheet's row numbering (index + 2 = Excel row), so compare content.
        pd.testing.assert_frame_equal(
            getattr(extract, frame).reset_index(drop=True),
            getattr(from_csv, frame).reset_index(drop=True),
            obj=frame,
        )
    assert any("caf_episodes]: the header is on row 3" in w for w in extract.warnings)


def test_excel_title_rows_keep_the_row_numbers_excel_shows(tmp_path):
    path = tmp_path / "titled.xlsx"
    tables = changed("caf_episodes", 1, "caf_level", "4")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, rows in tables.items():
            pd.DataFrame(rows, columns=HEADERS[name]).to_excel(
                writer, sheet_name=name, index=False, startrow=2
            )
    # header on row 3, first record row 4, the second record (the bad one) row 5
    line = problem_line(load_error(path), "titled.xlsx[caf_episodes], row 5, column caf_level")
    assert "'4'" in line


def test_only_the_committed_synthetic_extract_is_said_to_be_calibrated():
    from dataclasses import replace

    from helpers.extract import is_committed_synthetic
    from helpers.report import data_source_banner

    committed = load_extract(SYNTHETIC)
    assert is_committed_synthetic(committed)
    assert "calibrated to reproduce" in data_source_banner(committed).data
    # Another extract the generator made (another authority, another year): invented, but
    # its figures reproduce nothing, and the page must not say they do.
    generated = replace(committed, sha256="0" * 64)
    assert not is_committed_synthetic(generated)
    banner = data_source_banner(generated).data
    assert "calibrated" not in banner.replace("not calibrated", "")
    assert "made by the project's generator" in banner
    assert not is_committed_synthetic(replace(committed, is_synthetic=False))
