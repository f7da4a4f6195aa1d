"""Numbers, text and files as exports write them (issue 21: What to build 3 and 9).

Every extract is the tiny valid one of ``test_extract`` with one thing changed, written here.
Each case was a silent wrong figure, a traceback or an unclear message: ``1897332,00``
published as £189,733,200; a byte invalid in Windows-1252, a ``.csv`` that is an ``.xlsx`` or a
duplicate header gave a traceback; a huge field was echoed whole; ``CAF_EPISODES.CSV`` was
"missing"; a newer ``caf_episodes (1).csv`` was ignored without a word.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_extract import HEADERS, VALID, write_csv, write_extract

from helpers.annex_a import load_any_extract
from helpers.extract import ExtractError, load_extract, parse_money
from helpers.extract_files import EncodingProblem, text_encoding
from helpers.extract_problems import SHOWN_VALUE_CHARS


def refusal(folder: Path) -> str:
    with pytest.raises(ExtractError) as caught:
        load_extract(folder)
    return str(caught.value)


def budget(tmp_path: Path, spend: str) -> Path:
    tables = copy.deepcopy(VALID)
    tables["budget"][0][1] = spend
    return write_extract(tmp_path / "extract", tables)


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("1,234", 1234.0),
        ("1234.50", 1234.5),
        ("(548,142)", -548142.0),
        ("-£1,234.50", -1234.5),
        ("£-1,234.50", -1234.5),
        ("£1,897,332", 1897332.0),
        ("1897332", 1897332.0),
        ("-695286.50", -695286.5),
        ("(£1,004,297.00)", -1004297.0),
        ("£ 12", 12.0),
        ("0", 0.0),
        (".5", 0.5),
        ("\u22121,234", -1234.0),  # a typographic minus, as a report pasted into Excel has
    ],
)
def test_amounts_in_the_forms_uk_exports_write_are_read(written, amount):
    amounts, refusals = parse_money(pd.Series([written]))
    assert amounts.iloc[0] == amount
    assert not any(rows.any() for rows, _ in refusals)


@pytest.mark.parametrize("written", ["1897332,00", "1.897.332,00", "1.234", "12,34", "1.234,5"])
def test_continental_and_ambiguous_amounts_are_refused_never_rescaled(tmp_path, written):
    message = refusal(budget(tmp_path, written))
    assert (
        "budget.csv, row 2, column spend: is written the continental way (a decimal comma, or "
        "dots between thousands), so it would be read as another amount"
    ) in message
    assert f"(value {written!r})" in message


@pytest.mark.parametrize("written", ["lots", "1e5", "£", "--5", "(-5)", "5)", "12,3456", "1,,234"])
def test_other_text_in_an_amount_is_refused_as_not_money(tmp_path, written):
    message = refusal(budget(tmp_path, written))
    assert "budget.csv, row 2, column spend: not an amount of money (write it as 1234.50" in (
        message
    )


def test_the_budget_reads_the_amount_it_prints(tmp_path):
    extract = load_extract(budget(tmp_path, "£1,897,332.00"))
    assert extract.budget["spend"].iloc[0] == 1897332.0


# --------------------------------------------------------------------------- encodings


def test_one_encoding_rule_for_every_text_file(tmp_path):
    cases = {
        "plain.md": ("Café".encode(), "utf-8", None),
        "bom.md": (b"\xef\xbb\xbf" + "Café".encode(), "utf-8-sig", None),
        "utf16.md": ("Café".encode("utf-16"), "utf-16", "is saved as UTF-16"),
        "cp1252.md": ("Caf\u00e9 \u2019".encode("cp1252"), "cp1252", "is not UTF-8 (row 1"),
    }
    for name, (data, codec, warning) in cases.items():
        (tmp_path / name).write_bytes(data)
        found = text_encoding(tmp_path / name)
        assert found.codec == codec, name
        assert (found.warning is None) if warning is None else (warning in found.warning)
    (tmp_path / "bad.md").write_bytes(b"line one\nline \x81two\n")
    with pytest.raises(EncodingProblem) as caught:
        text_encoding(tmp_path / "bad.md")
    assert str(caught.value).startswith(
        "bad.md is neither UTF-8 nor Windows-1252: byte 0x81 at row 2, byte position 14 is not "
        "a character in either"
    )


def test_a_byte_invalid_in_windows_1252_is_a_sentence_naming_file_row_and_byte(tmp_path):
    folder = write_extract(tmp_path / "extract")
    path = folder / "budget.csv"
    path.write_bytes(path.read_bytes().replace(b"Troubled", b"Troub\x81ed"))
    message = refusal(folder)
    assert (
        "budget.csv: the file is neither UTF-8 nor Windows-1252: byte 0x81 at row 2, byte "
        "position 23 is not a character in either"
    ) in message


def test_a_utf8_file_with_a_byte_order_mark_reads_its_first_header(tmp_path):
    folder = write_extract(tmp_path / "extract")
    path = folder / "caf_refusals.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    extract = load_extract(folder)
    assert extract.refusals["refusal_id"].tolist() == ["R1", "R2"]
    assert extract.warnings == []


# --------------------------------------------------------------------------- files


def test_a_csv_that_is_really_a_workbook_is_said_so(tmp_path):
    folder = write_extract(tmp_path / "extract")
    pd.DataFrame({"a": [1]}).to_excel(folder / "families.csv", index=False, engine="openpyxl")
    assert (
        "families.csv: the file is an Excel workbook (.xlsx) with a .csv name, not a CSV file: "
        "open it in Excel and save it as CSV UTF-8"
    ) in refusal(folder)


@pytest.mark.parametrize(
    ("second", "letters"), [("start_date", "F and J"), ("Start Date", "F and J")]
)
def test_a_column_written_twice_is_a_sentence_not_a_traceback(tmp_path, second, letters):
    folder = tmp_path / "extract"
    write_extract(folder)
    rows = [[*r, r[5]] for r in VALID["caf_episodes"]]
    write_csv(folder / "caf_episodes.csv", [*HEADERS["caf_episodes"], second], rows)
    first, then = letters.split(" and ")
    assert (
        f"caf_episodes.csv, column start_date: is written more than once: 'start_date' (column "
        f"{first}) and {second!r} (column {then}) are all read as start_date; keep one of them"
    ) in refusal(folder)


def test_a_file_named_in_another_case_is_read_with_a_warning(tmp_path):
    folder = write_extract(tmp_path / "extract")
    (folder / "caf_episodes.csv").rename(folder / "CAF_EPISODES.CSV")
    extract = load_extract(folder)
    assert len(extract.episodes) == 3
    assert "CAF_EPISODES.CSV was read as caf_episodes.csv (file names are matched ignoring " in (
        " ".join(extract.warnings)
    )
    shutil.copy(folder / "CAF_EPISODES.CSV", folder / "Caf_Episodes.csv")
    assert "more than one file of this name, in different cases" in refusal(folder)


def test_a_newer_copy_beside_a_file_is_refused_and_an_older_one_named(tmp_path):
    folder = write_extract(tmp_path / "extract")
    original = folder / "caf_episodes.csv"
    copy_path = folder / "caf_episodes (1).csv"
    copy_path.write_text(original.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(original, (1_450_000_000, 1_450_000_000))
    os.utime(copy_path, (1_460_000_000, 1_460_000_000))
    message = refusal(folder)
    assert "caf_episodes.csv: a newer file, 'caf_episodes (1).csv'" in message
    assert "which export is meant? Keep only the one to read, named caf_episodes.csv" in message
    os.utime(copy_path, (1_440_000_000, 1_440_000_000))
    warnings = " ".join(load_extract(folder).warnings)
    assert "caf_episodes (1).csv, an older file beside caf_episodes.csv" in warnings
    copy_path.write_bytes(original.read_bytes())
    warnings = " ".join(load_extract(folder).warnings)
    assert "caf_episodes (1).csv is a copy of caf_episodes.csv, byte for byte" in warnings


def test_a_missing_file_names_the_copy_that_may_be_it(tmp_path):
    folder = write_extract(tmp_path / "extract")
    (folder / "caf_refusals.csv").rename(folder / "caf_refusals - Copy.csv")
    assert (
        "caf_refusals.csv: file is missing from the extract; the folder holds 'caf_refusals - "
        "Copy.csv': if that is this file, save or rename it as caf_refusals.csv"
    ) in refusal(folder)


# --------------------------------------------------------------------------- bounded messages


def test_a_long_value_is_cut_in_the_message(tmp_path):
    tables = copy.deepcopy(VALID)
    tables["caf_episodes"][0][3] = "Z" * 20_000  # a lead agency; within a cell's length
    message = refusal(write_extract(tmp_path / "extract", tables))
    assert "Z" * SHOWN_VALUE_CHARS + "... (20,000 characters in all)" in message
    assert len(message) < 3_000


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures memory in /proc")
def test_a_huge_field_is_refused_in_bounded_memory_and_a_short_message(tmp_path):
    """A field of 64 MB (a quote left open): the message is a few lines, and reading takes a
    small multiple of the file, not ten times it (512 MB once took 4.4 GB)."""
    folder = write_extract(tmp_path / "extract")
    path = folder / "caf_episodes.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('E9,C9,F9,"' + "x" * (64 << 20) + '",2,05/04/2015,,,\n')
    # The peak of this process alone: VmHWM starts afresh at exec (ru_maxrss would carry the
    # peak of pytest, forked before it).
    script = (
        "from pathlib import Path\n"
        "from helpers.extract import ExtractError, load_extract\n"
        "try:\n"
        f"    load_extract({str(folder)!r})\n"
        "except ExtractError as error:\n"
        "    status = Path('/proc/self/status').read_text().splitlines()\n"
        "    peak = [line.split()[1] for line in status if line.startswith('VmHWM')][0]\n"
        "    print(len(str(error)), peak)\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    length, peak_kb = map(int, done.stdout.splitlines()[0].split())
    assert "caf_episodes.csv: row 5 is 67,108," in done.stdout
    assert "longer than any record can be: the export is broken there" in done.stdout
    assert length < 1_000
    assert peak_kb < 400_000, f"{peak_kb / 1024:.0f} MB to refuse a 64 MB field"


def test_an_annex_a_workbook_and_a_native_folder_give_the_same_kind_of_sentence(tmp_path):
    folder = write_extract(tmp_path / "extract")
    (folder / "budget.csv").unlink()
    with pytest.raises(ExtractError, match="budget.csv: file is missing from the extract"):
        load_any_extract(folder)
