"""The corpus of broken extracts: each folder under tests/broken_extracts/ fails as it says.

Each folder's expected.txt lists the lines the error message must contain (see the corpus's
README.md). The message must state exactly as many problems as those lines account for, so no
problem is left out and none is reported that the case did not write.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from helpers.extract import CONTRACT, ExtractError, files_written_date, load_extract

CORPUS = Path(__file__).parent / "broken_extracts"
CASES = sorted(path for path in CORPUS.iterdir() if path.is_dir())
#: Cases that load, with a warning: their expected.txt lists the warnings.
LOADS_WITH_WARNING = {"not_utf8", "utf16_encoded", "upper_case_headers", "open_ended_end_date"}
#: Known bugs in the loader, each failing the case it names.
KNOWN_BUGS: dict[str, str] = {}  # case -> reason, marked xfail(strict=True) while open


def case_param(case: Path):
    bug = KNOWN_BUGS.get(case.name)
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(case, id=case.name, marks=marks)


MORE = re.compile(r"^\.\.\. and ([\d,]+) more problem\(s\)$")
ATTRIBUTE = {
    "caf_episodes": "episodes",
    "caf_refusals": "refusals",
    "families": "families",
    "budget": "budget",
}


def expected_lines(case: Path) -> list[str]:
    """The lines of expected.txt; ``{LATEST}`` stands for the last plausible date, the day the
    case's files were written (a fresh clone writes them today)."""
    latest = files_written_date(case)
    text = (case / "expected.txt").read_text(encoding="utf-8")
    text = text.replace("{LATEST}", f"{latest.day} {latest:%B %Y}")
    return [line for line in text.splitlines() if line.strip()]


def records_written(case: Path, name: str, encoding: str = "utf-8") -> int:
    """The number of records (lines after the header) in the case's ``name``.csv."""
    with open(case / f"{name}.csv", newline="", encoding=encoding) as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def load_error(folder: Path) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        load_extract(folder)
    return caught.value


def shown_lines(error: ExtractError) -> list[str]:
    """The message's lines after the first, without the "  - " that marks each problem."""
    return [line.strip().removeprefix("- ") for line in str(error).splitlines()[1:]]


ROWS = re.compile(r", in ([\d,]+) rows(?: with other values)?: [\d, .]+(;|$)")
EXAMPLES = "Examples, row by row:"


def problem_count(expected: list[str]) -> int:
    """The problems ``expected`` accounts for: one per summary line, or the N of its "in N
    rows", plus the N of "... and N more"; the examples after them repeat some, counted once."""
    summary = expected[: expected.index(EXAMPLES)] if EXAMPLES in expected else expected
    count = 0
    for line in summary:
        if (match := MORE.match(line)) or (match := ROWS.search(line)):
            count += int(match.group(1).replace(",", ""))
        else:
            count += 1
    return count


def test_the_corpus_has_every_case():
    names = {case.name for case in CASES}
    assert len(names) == 30, sorted(names)
    for case in CASES:
        assert expected_lines(case), f"{case.name}/expected.txt is empty"
        written = {path.stem for path in case.glob("*.csv")}
        absent = {"caf_refusals"} if case.name == "missing_file" else set()
        assert written == set(CONTRACT) - absent, case.name


@pytest.mark.parametrize("case", [case_param(case) for case in CASES])
def test_broken_extract_is_reported_as_expected(case):
    expected = expected_lines(case)
    if case.name in LOADS_WITH_WARNING:
        extract = load_extract(case)
        for line in expected:
            assert line in extract.warnings, f"{line!r} not among the warnings {extract.warnings}"
        assert len(extract.warnings) == len(expected)
        return
    error = load_error(case)
    message = str(error)
    shown = shown_lines(error)
    for line in expected:
        assert line in shown, f"expected line\n  {line}\nnot in the message:\n{message}"
    count = problem_count(expected)
    assert message.splitlines()[0] == (
        f"The extract {case} has {count} problem(s); no report was written."
    )
    assert len(error.problems) == count
    assert len(shown) == len(expected), message  # nothing shown that expected.txt lacks


def test_not_utf8_loads_every_record_with_a_cp1252_warning():
    case = CORPUS / "not_utf8"
    extract = load_extract(case)
    assert len(extract.warnings) == 1
    assert extract.warnings[0].startswith("budget.csv is not UTF-8 (row 2, byte 26)")
    assert "it was read as Windows-1252 (cp1252)" in extract.warnings[0]
    for name, attribute in ATTRIBUTE.items():  # every record loaded, none dropped
        written = records_written(case, name, encoding="cp1252" if name == "budget" else "utf-8")
        assert len(getattr(extract, attribute)) == written, name
    assert extract.budget["line"].tolist()[0] == "Children\u2019s Centres (invented line)"
    assert extract.budget["spend"].tolist() == [1000.0, 2500.5]


def test_more_than_50_problems_are_summarised_by_column_problem_and_value():
    case = CORPUS / "more_than_50_problems"
    error = load_error(case)
    written = records_written(case, "caf_episodes")  # every episode is broken exactly once
    assert written == 60
    assert f"has {written} problem(s)" in str(error).splitlines()[0]
    assert sorted(problem.row for problem in error.problems) == list(range(2, written + 2))
    shown = shown_lines(error)
    # Five ways of breaking a row, each in every fifth row: five lines, not sixty.
    summary = shown[: shown.index(EXAMPLES)]
    assert len(summary) == 5
    assert [ROWS.search(line).group(1) for line in summary] == ["12"] * 5
    assert summary[0].endswith(
        "in 12 rows: 2, 7, 12, 17, 22, ...; if it is right, add it to caf_levels in "
        "config/categories.yaml"
    )
    examples = shown[shown.index(EXAMPLES) + 1 :]
    assert [line.split(",")[1] for line in examples] == [f" row {r}" for r in range(2, 5)]
