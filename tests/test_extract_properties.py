"""Property tests of the extract contract: random valid extracts load, one bad cell never does.

(a) Extracts generated within the contract (categories from config/categories.yaml, dates
ISO or DD/MM/YYYY, booleans in any spelling and case, money with or without £ and thousands
separators) always load, with every record written. (b) Changing one cell of such an extract
to a value the contract forbids for that column is always caught, and the message names the
file, the row (record index + 2) and the column.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from helpers.config import categories
from helpers.extract import CONTRACT, ExtractError, load_extract

CATS = categories()
HEADERS = {name: [spec.name for spec in specs] for name, specs in CONTRACT.items()}
COLUMN = {name: {column: i for i, column in enumerate(HEADERS[name])} for name in HEADERS}
SPEC = {name: {spec.name: spec for spec in specs} for name, specs in CONTRACT.items()}
ATTRIBUTE = {
    "caf_episodes": "episodes",
    "caf_refusals": "refusals",
    "families": "families",
    "budget": "budget",
}
#: Each file's column that must be unique.
UNIQUE = {
    "caf_episodes": "episode_id",
    "caf_refusals": "refusal_id",
    "families": "family_id",
    "budget": "line",
}
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

Tables = dict[str, list[list[str]]]

# --------------------------------------------------------------------------- writing


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_extract(folder: Path, tables: Tables) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_csv(folder / f"{name}.csv", HEADERS[name], rows)
    return folder


def cell(tables: Tables, name: str, record: int, column: str) -> str:
    return tables[name][record][COLUMN[name][column]]


# --------------------------------------------------------------------------- valid extracts

FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
ids = st.from_regex(r"[A-Z]{1,3}-?[0-9]{1,5}", fullmatch=True)
dates = st.dates(min_value=dt.date(2013, 1, 1), max_value=dt.date(2016, 12, 31))
lsoa_codes = st.from_regex(r"E01[0-9]{6}", fullmatch=True)


def written(date: dt.date, fmt: str) -> str:
    return date.strftime(fmt)


@st.composite
def date_cells(draw, at_least: dt.date | None = None) -> tuple[dt.date, str]:
    """A date (on or after ``at_least``) and the cell it is written as, ISO or DD/MM/YYYY."""
    if at_least is None:
        date = draw(dates)
    else:
        date = at_least + dt.timedelta(days=draw(st.integers(0, 500)))
    return date, written(date, draw(st.sampled_from(FORMATS)))


@st.composite
def boolean_cells(draw) -> str:
    """true/false, yes/no, y/n or 1/0, each letter in either case, maybe padded by spaces."""
    word = draw(st.sampled_from(["true", "false", "yes", "no", "y", "n", "1", "0"]))
    upper = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    word = "".join(c.upper() if up else c for c, up in zip(word, upper, strict=True))
    return draw(st.sampled_from(["", " "])) + word + draw(st.sampled_from(["", " "]))


@st.composite
def money_cells(draw) -> str:
    pence = draw(st.integers(-(10**9), 10**9))
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    number = f"{pounds:,}" if draw(st.booleans()) else str(pounds)
    decimals = draw(st.sampled_from(["", "2dp", "1dp"]))
    if decimals == "2dp":
        number += f".{rest:02d}"
    elif decimals == "1dp":
        number += f".{rest // 10}"
    return sign + draw(st.sampled_from(["", "£"])) + number


@st.composite
def episodes(draw) -> list[list[str]]:
    episode_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    rows = []
    for episode_id in episode_ids:
        start, start_cell = draw(date_cells())
        if draw(st.booleans()):  # ended, on or after the start, with a reason
            _, end_cell = draw(date_cells(at_least=start))
            reason = draw(st.sampled_from(CATS.closure_reasons))
        else:
            end_cell, reason = "", ""
        rows.append(
            [
                episode_id,
                draw(ids),
                draw(ids),
                draw(st.sampled_from(CATS.lead_agencies)),
                str(draw(st.sampled_from(CATS.caf_levels))),
                start_cell,
                end_cell,
                reason,
                draw(st.one_of(st.just(""), lsoa_codes)),
            ]
        )
    return rows


@st.composite
def refusals(draw) -> list[list[str]]:
    refusal_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    return [
        [
            refusal_id,
            draw(date_cells())[1],
            draw(st.sampled_from(CATS.refused_by)),
            draw(st.sampled_from(CATS.lead_agencies)),
        ]
        for refusal_id in refusal_ids
    ]


@st.composite
def families(draw) -> list[list[str]]:
    family_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    rows = []
    for family_id in family_ids:
        criteria = [draw(boolean_cells()) for _ in CATS.criteria_columns]
        if draw(st.booleans()):  # attached to a phase, and maybe claimed on or after that
            phase = draw(st.sampled_from(["1", "2"]))
            attached, attached_cell = draw(date_cells())
            claimed_cell = draw(st.one_of(st.just(""), date_cells(at_least=attached).map(second)))
        else:
            phase, attached_cell, claimed_cell = "", "", ""
        identified = draw(date_cells())[1]
        rows.append([family_id, identified, *criteria, phase, attached_cell, claimed_cell])
    return rows


budget_lines = st.from_regex(r"[A-Za-z][A-Za-z0-9 &'é-]{0,20}[A-Za-z0-9]", fullmatch=True)


@st.composite
def budgets(draw) -> list[list[str]]:
    lines = draw(st.lists(budget_lines, min_size=1, max_size=4, unique=True))
    return [[line, draw(money_cells()), draw(money_cells())] for line in lines]


DATE_COLUMNS = [
    (name, spec.name) for name, specs in CONTRACT.items() for spec in specs if spec.kind == "date"
]


def column_format(tables: Tables, name: str, column: str) -> str:
    """The format a date column is written in (the contract: one format per column)."""
    for row in tables[name]:
        cell = row[COLUMN[name][column]]
        if cell:
            return "%d/%m/%Y" if "/" in cell else "%Y-%m-%d"
    return FORMATS[0]


@st.composite
def valid_extracts(draw) -> Tables:
    tables = {
        "caf_episodes": draw(episodes()),
        "caf_refusals": draw(refusals()),
        "families": draw(families()),
        "budget": draw(budgets()),
    }
    for name, column in DATE_COLUMNS:  # each date column in one format, drawn for it
        fmt = draw(st.sampled_from(FORMATS))
        for row in tables[name]:
            cell = row[COLUMN[name][column]]
            if cell:
                row[COLUMN[name][column]] = written(parse_cell(cell), fmt)
    return tables


@PROPERTY_SETTINGS
@given(tables=valid_extracts())
def test_random_valid_extracts_always_load(tables):
    with tempfile.TemporaryDirectory() as tmp:
        extract = load_extract(write_extract(Path(tmp) / "extract", tables))
    for name, attribute in ATTRIBUTE.items():
        assert len(getattr(extract, attribute)) == len(tables[name]), name
    # Random ids rarely tie families to episodes or children to one episode: those notes only.
    assert [
        w for w in extract.warnings if not w.endswith("(listed in the data-quality notes).")
    ] == []
    assert extract.episodes["episode_id"].tolist() == [row[0] for row in tables["caf_episodes"]]
    assert extract.episodes["caf_level"].isin(CATS.caf_levels).all()


# --------------------------------------------------------------------------- corruptions

BAD_DATES = [
    "2015-13-01", "2015-02-30", "31/02/2015", "29/02/2015", "04/25/2015", "yesterday",
    "2015-4-31", "1st May 2015", "2015.04.01", "15/04/15", "2015/04/01", "01-04-2015",
    "20150401",
]  # fmt: skip
BAD_BOOLEANS = ["maybe", "2", "t", "f", "ja", "nope", "yes!", "-1", "true/false", "on", "off"]
BAD_CAF_LEVELS = ["1", "4", "0", "-2", "2.5", "two", "3a", "nan", "23"]
BAD_PHASES = ["0", "3", "-1", "1.5", "one", "12"]
# "(100)" is a negative amount as ledgers print it (issue 21); "1897332,00" a continental one.
BAD_MONEY = ["lots", "12.3.4", "£", "1-2", "n/a", "nan", "£1,2a", "--5", "TBC", "1897332,00", "-"]
BAD_LSOA = ["E0100000", "E010000001", "W01000001", "e01000001", "E01 000001", "E01-00001", "X"]
UNKNOWN = {
    "lead_agency": ["Police", "school", "Health Visitor", "Schools", "Childrens Centre"],
    "refused_by": ["Carer", "parent", "Child", "Young person", "Other"],
    "closure_reason": ["Closed", "Moved away", "non-engagement", "NFA"],
}
BLANKS = ["", "   "]


def corruptions(tables: Tables, name: str, record: int, column: str) -> st.SearchStrategy[str]:
    """Values for one cell that break the contract at that cell, whatever else the row holds."""
    spec = SPEC[name][column]
    row = tables[name][record]
    options: list[st.SearchStrategy[str]] = []
    if spec.required:
        options.append(st.sampled_from(BLANKS))  # "is required but blank"
    if column == UNIQUE[name] and len(tables[name]) > 1:
        others = [
            other[COLUMN[name][column]] for i, other in enumerate(tables[name]) if i != record
        ]
        options.append(st.sampled_from(others))  # "appears more than once"
    if spec.kind == "date":
        options.append(st.sampled_from(BAD_DATES))  # "not a date"
    elif spec.kind == "bool":
        options.append(st.sampled_from(BAD_BOOLEANS))
    elif spec.kind == "money":
        options.append(st.sampled_from(BAD_MONEY))
    elif column == "caf_level":
        options.append(st.sampled_from(BAD_CAF_LEVELS))
    elif column == "phase":
        options.append(st.sampled_from(BAD_PHASES))
    elif column == "lsoa11cd":
        options.append(st.sampled_from(BAD_LSOA))
    if column in UNKNOWN:
        options.append(st.sampled_from(UNKNOWN[column]))
    # Rules across columns: only the corruptions the rule reports at this column.
    if name == "caf_episodes":
        start = row[COLUMN[name]["start_date"]]
        ended = row[COLUMN[name]["end_date"]] != ""
        if column == "end_date":  # "ends before it starts"
            options.append(earlier_than(start))
        if column == "closure_reason":
            # ended: "is blank although the episode has ended"; open: "is given but ..."
            options.append(st.just("") if ended else st.sampled_from(CATS.closure_reasons))
    if name == "families":
        phase = row[COLUMN[name]["phase"]]
        attached = row[COLUMN[name]["attached_date"]]
        if column == "phase" and attached:  # "is blank but attached_date is set"
            options.append(st.just(""))
        if column == "attached_date" and phase:  # "is blank but phase is set"
            options.append(st.just(""))
        if column == "claimed_date":
            # attached: "is before attached_date"; not: "is set but ... never attached"
            options.append(earlier_than(attached) if attached else date_cells().map(second))
    assert options, f"no corruption for {name}.{column}"
    return st.one_of(options)


def second(pair: tuple) -> str:
    return pair[1]


def parse_cell(text: str) -> dt.date:
    for fmt in FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(text)


def earlier_than(text: str) -> st.SearchStrategy[str]:
    """A date cell 1 to 400 days before the date written as ``text``, ISO or DD/MM/YYYY."""
    date = parse_cell(text)
    return st.tuples(st.integers(1, 400), st.sampled_from(FORMATS)).map(
        lambda pair: written(date - dt.timedelta(days=pair[0]), pair[1])
    )


@st.composite
def corrupted_extracts(draw, name: str, column: str) -> tuple[Tables, int, str]:
    """A valid extract with one random record's ``column`` in file ``name`` broken."""
    tables = draw(valid_extracts())
    record = draw(st.integers(0, len(tables[name]) - 1))
    value = draw(corruptions(tables, name, record, column))
    if SPEC[name][column].kind == "date":  # a real date breaking a rule: in the column's format
        with contextlib.suppress(ValueError):
            value = written(parse_cell(value), column_format(tables, name, column))
    tables[name][record][COLUMN[name][column]] = value
    return tables, record, value


EVERY_COLUMN = [(name, column) for name in CONTRACT for column in HEADERS[name]]


@pytest.mark.parametrize(
    ("name", "column"), EVERY_COLUMN, ids=[f"{n}.{c}" for n, c in EVERY_COLUMN]
)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking whole extracts: minutes
)
@given(data=st.data())
def test_one_corrupted_cell_is_always_caught(name, column, data):
    tables, record, value = data.draw(corrupted_extracts(name, column), label="corrupted")
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(ExtractError) as caught:
        load_extract(write_extract(Path(tmp) / "extract", tables))
    error = caught.value
    where = f"{name}.csv, row {record + 2}, column {column}"
    lines = [line for line in str(error).splitlines() if line.startswith(f"  - {where}:")]
    # Or a summary line standing for several rows, this one among those it names.
    lines += [
        line
        for line in str(error).splitlines()
        if line.startswith(f"  - {name}.csv, column {column}:")
        and re.search(rf" rows: (\d+, )*{record + 2}(, |;|$)", line)
    ]
    # A date that changes how the whole column reads (04/25/2015 among day-first dates, an ISO
    # date among slashed ones) is a problem of the column, naming the row among its examples.
    whole_column = [
        p
        for p in error.problems
        if (p.file, p.row, p.column) == (f"{name}.csv", None, column)
        and f"row {record + 2}: {value!r}" in p.message
    ]
    assert lines or whole_column, f"no problem at {where} (value {value!r}) in:\n{error}"
    # One cell breaks at most: its own rule, a rule across columns and a duplicate's other row.
    assert len(error.problems) <= 3, str(error)


# --------------------------------------------------------------------------- known bugs

TINY: Tables = {
    "caf_episodes": [
        ["EP-1", "CH-1", "FA-1", "School", "2", "2015-04-05", "", "", ""],
    ],
    "caf_refusals": [["RF-1", "2015-04-01", "Parent", "School"]],
    "families": [["FA-1", "2015-04-01", "y", "n", "y", "n", "y", "n", "", "", ""]],
    "budget": [["Invented line", "1000", "-500"]],
}


def test_tiny_extract_is_valid():
    with tempfile.TemporaryDirectory() as tmp:
        assert len(load_extract(write_extract(Path(tmp) / "extract", TINY)).budget) == 1


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity"])
def test_infinite_money_is_not_an_amount(value):
    tables = copy.deepcopy(TINY)
    tables["budget"][0][COLUMN["budget"]["spend"]] = value
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(ExtractError) as caught:
        load_extract(write_extract(Path(tmp) / "extract", tables))
    assert "budget.csv, row 2, column spend: not an amount of money" in str(caught.value)
