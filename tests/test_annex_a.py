"""Reading an Ofsted Annex A workbook's List 2: headers, prefixes, dates, problems, the window.

The round trip: any valid List 2, written as a workbook (with the mess authorities' workbooks
have) and read back, gives the same counts as the rows it was made from.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sdc_oracle import recoverable

from helpers import annex_a, metrics
from helpers.coverage import coverage_of
from helpers.dev.synthetic_annex_a import (
    ANNEX_A_DIR,
    LIST_2_HEADERS,
    WORKBOOK,
    write_list_2_workbook,
)
from helpers.extract import ExtractError

EXAMPLE = ANNEX_A_DIR / WORKBOOK


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Child Unique ID", "child_id"),
        ("child unique id", "child_id"),
        ("ChildUniqueID", "child_id"),
        ("Gender", "sex"),
        ("Sex", "sex"),
        ("Ethnicity", "ethnicity"),
        ("Date of Birth", "date_of_birth"),
        ("Age of Child (Years)", "age_years"),
        ("Age", "age_years"),
        ("AGE OF CHILD (YEARS) ", "age_years"),
        ("Assessment start date", "start_date"),
        ("Assessment Start Date", "start_date"),
        ("Assessment completion date", "end_date"),
        ("Assessment_completion_date", "end_date"),
        ("Organisation completing assessment", "organisation"),
        ("Organization completing assessment", "organisation"),
        ("Referral date", None),
        ("", None),
    ],
)
def test_headers_are_matched_ignoring_case_spaces_and_punctuation(header, name):
    assert annex_a.match_column(header) == name


@pytest.mark.parametrize(
    ("value", "stripped"),
    [
        ("a) Male", "Male"),
        ("A) Male", "Male"),
        ("Male", "Male"),
        ("  b)Female ", "Female"),
        ("s) REFU", "REFU"),
        ("t) NOBT", "NOBT"),
        ("c) Not stated/recorded", "Not stated/recorded"),
        ("", ""),
        (None, ""),
    ],
)
def test_letter_prefixes_are_stripped_whether_or_not_present(value, stripped):
    assert annex_a.strip_prefix(value) == stripped


def test_sex_and_ethnicity_read_with_or_without_prefix_and_unknown_values_refused():
    assert annex_a.sex_label("a) Male") == annex_a.sex_label("male") == "Male"
    assert annex_a.sex_label("d) Neither") == "Neither"
    assert annex_a.sex_label("") == annex_a.NOT_RECORDED
    assert annex_a.sex_label("x) Martian") is None
    assert annex_a.ethnicity_code("s) REFU") == annex_a.ethnicity_code("refu") == "REFU"
    assert annex_a.ethnicity_code("t) NOBT") == "NOBT"
    assert annex_a.ethnicity_code("ZZZZ") is None
    groups = annex_a.ethnicity_group(pd.Series(["WBRI", "MWBA", "APKN", "BAFR", "CHNE", "REFU"]))
    assert list(groups) == [
        "White",
        "Mixed",
        "Asian or Asian British",
        "Black or Black British",
        "Chinese or other ethnic group",
        "Refused",
    ]


def test_ages_with_decimals_fall_in_the_band_of_their_whole_years():
    bands = annex_a.age_band(pd.Series([0.5, 4.9, 5, 15.99, 17, 18, None]))
    assert list(bands) == [
        "Under 1",
        "1 to 4",
        "5 to 9",
        "10 to 15",
        "16 and 17",
        "18 and over",
        annex_a.NOT_RECORDED,
    ]


def test_organisations_fall_in_lead_agency_groups_and_the_rest_are_left_as_recorded():
    group = annex_a.lead_agency_group
    assert group("Whitley Academy") == "School"
    assert group("School Nurse Service") == "Health"  # the earlier group wins
    assert group("Hillfields Children's Centre") == "Children's Centre"
    assert group("Early Help Locality Team North") == "Children & Families First"
    assert group("Children & Families First") == "Children & Families First"
    assert group("Positive Youth Foundation") is None


def test_the_window_keeps_only_the_months_the_list_covers():
    window = metrics.rolling_months("2016-03", 13)
    assert list(metrics.covered_months(window, None)) == list(window)
    kept = metrics.covered_months(window, "2015-10-01")
    assert [str(m) for m in kept] == [
        f"{m}" for m in pd.period_range("2015-10", "2016-03", freq="M")
    ]
    # A month whose first day is before the list starts is left out, not counted from part of it.
    assert str(metrics.covered_months(window, "2015-10-02")[0]) == "2015-11"
    assert len(metrics.covered_months(window, "2016-04-01")) == 0


def _workbook(
    path: Path, rows: list[list], title_rows: int = 1, sheets=("List 1", "List 2")
) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name in sheets:
        sheet = book.create_sheet(name)
        if name != "List 2":
            sheet.append(["#N/A", "=1+1"])
            continue
        for i in range(title_rows):
            sheet.append([f"Title row {i + 1}"])
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


HEADERS = [
    "Child Unique ID",
    "Sex",
    "Ethnicity",
    "Date of Birth",
    "Age",
    "Assessment start date",
    "Assessment completion date",
    "Organisation completing assessment",
]


def test_excel_dates_and_day_first_text_dates_read_alike(tmp_path):
    rows = [
        HEADERS,
        [
            "007",
            "a) Male",
            "a) WBRI",
            dt.datetime(2010, 1, 2),
            5,
            dt.datetime(2015, 11, 3),
            None,
            "Whitley Academy",
        ],
        [
            "008",
            "Female",
            "WBRI",
            "02/01/2010",
            "5.5",
            "03/11/2015",
            "04/12/2015",
            "Health Visiting Team",
        ],
    ]
    extract = annex_a.load_any_extract(_workbook(tmp_path / "a.xlsx", rows))
    episodes = extract.episodes
    assert list(episodes["child_id"]) == ["007", "008"]  # leading zeros kept
    assert list(episodes["start_date"]) == [pd.Timestamp("2015-11-03")] * 2
    assert list(episodes["date_of_birth"]) == [pd.Timestamp("2010-01-02")] * 2
    assert episodes["end_date"].isna().tolist() == [True, False]
    assert list(episodes["lead_agency"]) == ["School", "Health"]
    assert extract.kind == "annex-a" and extract.covers_from == "2015-11-03"
    assert set(extract.absent) == {"closure_reason", "refusals", "family", "address", "budget"}
    assert annex_a.cannot_show(extract, "budget") and not annex_a.cannot_show(
        extract, "demographics"
    )


def test_problems_name_the_file_sheet_excel_row_column_and_value(tmp_path):
    good = ["1", "Male", "WBRI", "", 5, "03/11/2015", "", "Whitley Academy"]
    rows = [HEADERS, good, ["2", "Male", "WBRI", "", 5, "31/02/2015", "", "Whitley Academy"]]
    rows += [["3", "Robot", "WBRI", "", 5, "03/11/2015", "01/11/2015", "Whitley Academy"]]
    path = _workbook(tmp_path / "bad.xlsx", rows, title_rows=2)
    with pytest.raises(ExtractError) as caught:
        annex_a.load_any_extract(path)
    text = str(caught.value)
    # title rows 1-2, header on row 3: the first record is Excel's row 4
    assert "bad.xlsx[List 2], row 5, column Assessment start date: not a date" in text
    assert "'31/02/2015'" in text
    assert "bad.xlsx[List 2], row 6, column Sex: is not one of" in text and "'Robot'" in text
    assert "row 6, column Assessment completion date: is before the assessment start date" in text


def test_allow_invalid_leaves_the_bad_rows_out_and_counts_them(tmp_path, monkeypatch):
    rows = [HEADERS] + [
        [str(i), "Male", "WBRI", "", 5, "03/11/2015", "", "Whitley Academy"] for i in range(200)
    ]
    rows.append(["x", "Male", "WBRI", "", 5, "not a date", "", "Whitley Academy"])
    path = _workbook(tmp_path / "some_bad.xlsx", rows)
    extract = annex_a.load_any_extract(path, allow_invalid=True)
    assert len(extract.episodes) == 200
    counts = extract.row_counts.iloc[0]
    assert (counts["rows_read"], counts["rows_used"], counts["rows_left_out"]) == (201, 200, 1)
    assert list(extract.excluded["row"]) == [203]


def test_a_workbook_without_list_2_or_its_columns_is_one_sentence(tmp_path):
    path = _workbook(tmp_path / "no_list_2.xlsx", [], sheets=("List 1", "List 3"))
    with pytest.raises(ExtractError, match="has no sheet named 'List 2'.*'List 1', 'List 3'"):
        annex_a.load_any_extract(path, data_format="annex-a")
    missing = _workbook(
        tmp_path / "missing.xlsx", [HEADERS[:6], ["1", "Male", "WBRI", "", 5, "03/11/2015"]]
    )
    with pytest.raises(ExtractError, match="column is missing from List 2") as caught:
        annex_a.load_any_extract(missing)
    assert "column Organisation completing assessment: column is missing" in str(caught.value)


def test_the_example_is_recognised_as_annex_a_and_a_native_extract_is_not(tmp_path):
    assert annex_a.is_annex_a(EXAMPLE)
    assert not annex_a.is_annex_a(ANNEX_A_DIR)  # a folder
    extract = annex_a.load_any_extract(EXAMPLE)
    assert extract.is_synthetic and extract.taken_on == "2016-03-31"
    assert len(extract.notes) == 1  # the one organisation in no group, listed once


# --------------------------------------------------------------------------- round trip

ORGANISATIONS = ["Whitley Academy", "Health Visiting Team", "Early Help Locality Team", "Acme Ltd"]
DAY = dt.date(2015, 6, 1)


@st.composite
def list_2(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        start = DAY + dt.timedelta(days=draw(st.integers(0, 300)))
        length = draw(st.one_of(st.none(), st.integers(0, 200)))
        end = None if length is None else start + dt.timedelta(days=length)
        rows.append(
            {
                LIST_2_HEADERS[0]: f"{draw(st.integers(0, 30)):05d}",
                LIST_2_HEADERS[1]: draw(
                    st.sampled_from(
                        ["a) Male", "b) Female", "c) Not stated/recorded", "d) Neither"]
                    )
                ),
                LIST_2_HEADERS[2]: draw(
                    st.sampled_from(
                        ["a) WBRI", "f) MWBC", "j) AIND", "o) BAFR", "s) REFU", "t) NOBT"]
                    )
                ),
                LIST_2_HEADERS[3]: pd.Timestamp(2005, 1, 1)
                + pd.Timedelta(days=draw(st.integers(0, 3000))),
                LIST_2_HEADERS[4]: draw(st.integers(0, 17)),
                LIST_2_HEADERS[5]: pd.Timestamp(start),
                LIST_2_HEADERS[6]: pd.NaT if end is None else pd.Timestamp(end),
                LIST_2_HEADERS[7]: draw(st.sampled_from(ORGANISATIONS)),
            }
        )
        del i
    # A valid list holds each assessment once (the reader refuses one entered twice).
    key = [LIST_2_HEADERS[0], LIST_2_HEADERS[5], LIST_2_HEADERS[7]]
    return pd.DataFrame(rows).drop_duplicates(subset=key).reset_index(drop=True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=list_2(), messy=st.booleans(), seed=st.integers(0, 1000))
def test_any_valid_list_2_round_trips_to_the_same_counts(tmp_path, rows, messy, seed):
    path = write_list_2_workbook(rows, tmp_path / f"round_trip_{seed}.xlsx", messy=messy, seed=seed)
    extract = annex_a.load_any_extract(path)
    episodes = extract.episodes
    assert len(episodes) == len(rows)
    starts, ends = rows[LIST_2_HEADERS[5]], rows[LIST_2_HEADERS[6]]
    assert sorted(episodes["start_date"]) == sorted(starts)
    months = pd.period_range("2015-06", "2016-08", freq="M")
    got = metrics.opened_by_month(episodes, months).tolist()
    assert got == [int((starts.dt.to_period("M") == m).sum()) for m in months]
    got = metrics.closed_by_month(episodes, months).tolist()
    assert got == [int((ends.dt.to_period("M") == m).sum()) for m in months]
    for day in pd.date_range("2015-06-01", "2016-06-01", freq="37D"):
        expected = int(((starts <= day) & (ends.isna() | (ends > day))).sum())
        assert int(metrics.open_at(episodes, day).sum()) == expected
    organisation = rows[LIST_2_HEADERS[7]]
    recorded = episodes["organisation"].value_counts().to_dict()
    if not messy:  # the messy workbook may swap an organisation for one in no group
        assert recorded == organisation.value_counts().to_dict()
    sexes = rows[LIST_2_HEADERS[1]].map(annex_a.strip_prefix).value_counts().to_dict()
    assert episodes["sex"].value_counts().to_dict() == sexes
    codes = rows[LIST_2_HEADERS[2]].map(annex_a.strip_prefix).value_counts().to_dict()
    assert episodes["ethnicity"].value_counts().to_dict() == codes
    table = annex_a.demographics_table(episodes, "2016-06-01", months)
    for characteristic in annex_a.CHARACTERISTICS.values():
        part = table[table["characteristic"] == characteristic]
        assert part["started"].sum() == len(rows)
        assert part["open"].sum() == int(metrics.open_at(episodes, "2016-06-01").sum())


# --------------------------------------------------------------------------- disclosure


@pytest.fixture(scope="module")
def example():
    return annex_a.load_any_extract(EXAMPLE)


def test_published_demographics_hide_small_counts_and_what_would_reveal_them(example):
    from helpers.disclosure import audit, is_suppressed, policy
    from helpers.figures import demographics_figures

    rules = policy()
    plain = demographics_figures(
        example.episodes, "2016-03-31", "2016-03", coverage=coverage_of(example)
    )
    small = [v for v in plain.table["open"] if rules.is_small(int(v))]
    assert small, "the example should hold a small group (sex: Neither)"
    published = demographics_figures(
        example.episodes, "2016-03-31", "2016-03", publish=True, coverage=coverage_of(example)
    )
    assert audit(published.counts, published.hidden) == []
    assert recoverable(published.counts, set(published.hidden)) == []  # independent of the audit
    for column in ("open", "started"):
        shown = [v for v in published.table[column] if not is_suppressed(v)]
        assert not [v for v in shown if rules.is_small(int(v))]
    # a hidden group has a partner hidden with it: a total less the rest does not reveal it
    for _, part in published.table.groupby("characteristic"):
        hidden = sum(is_suppressed(v) for v in part["open"])
        assert hidden != 1
    # every characteristic adds to the same total, as printed
    for _, part in plain.table.groupby("characteristic"):
        assert part["open"].sum() == plain.total_open
        assert part["started"].sum() == plain.total_started


def test_a_window_the_list_does_not_cover_counts_no_starts(example):
    from helpers.figures import demographics_figures

    figures = demographics_figures(
        example.episodes, "2016-03-31", "2015-09", coverage=coverage_of(example)
    )
    assert figures.total_started is None and "started" not in figures.table


def test_open_by_organisation_adds_to_each_lead_agency_and_is_protected_with_it(example):
    from helpers.disclosure import audit
    from helpers.figures import lead_agency_figures

    args = (example.episodes, example.refusals, "2016-03-31", "2016-03-31")
    plain = lead_agency_figures(*args, coverage=coverage_of(example))
    by_agency = plain.by_organisation.groupby("lead_agency")["episodes"].sum()
    agencies = plain.open_table.set_index("lead_agency")["episodes"]
    assert by_agency.to_dict() == agencies[agencies > 0].to_dict()
    assert "Positive Youth Foundation" in set(plain.by_organisation["organisation"])
    held = plain.held.set_index("held_by")["episodes"]
    # an organisation in no group is neither the local authority's nor outside it
    assert held["Not in a lead-agency group"] == agencies["Positive Youth Foundation"]
    assert held.sum() == agencies.sum()
    published = lead_agency_figures(*args, publish=True, coverage=coverage_of(example))
    assert audit(published.counts, published.hidden) == []
    assert recoverable(published.counts, set(published.hidden)) == []


def test_each_kind_of_extract_says_what_it_cannot_show_and_the_window_it_covers(example):
    from helpers.extract import load_report_extract

    native = load_report_extract("")
    assert annex_a.cannot_show(native, "budget") is None
    assert annex_a.cannot_show(native, "demographics") == (
        "The case-management extract this report runs on does not record the child's age, sex "
        "and ethnicity."
    )
    assert annex_a.coverage_sentence(native) == ""
    assert annex_a.covers_date(native, "2001-01-01")
    assert "does not record why an assessment ended" in annex_a.cannot_show(
        example, "closure_reason"
    )
    assert annex_a.coverage_sentence(example).startswith(
        "The early help list covers assessments started from 1 October 2015 to 31 March 2016."
    )
    assert not annex_a.covers_date(example, "2015-09-30")
    assert annex_a.covers_date(example, "2015-10-01")


def test_the_committed_example_is_what_the_generator_makes_and_its_manifest_records(tmp_path):
    import json

    from helpers.dev.synthetic_annex_a import write_example

    manifest = json.loads((ANNEX_A_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sha256"] == annex_a.file_sha256(EXAMPLE)
    made = write_example(tmp_path)  # openpyxl stamps the time it saves: compare the cells
    for sheet in [f"List {n}" for n in range(1, 12)]:
        committed = pd.read_excel(EXAMPLE, sheet_name=sheet, header=None, dtype=str)
        regenerated = pd.read_excel(made, sheet_name=sheet, header=None, dtype=str)
        if sheet != "List 2":  # formulas like =TODAY() are not evaluated: compare the text
            committed, regenerated = committed.fillna(""), regenerated.fillna("")
        pd.testing.assert_frame_equal(committed, regenerated, obj=sheet)


def test_a_list_where_no_organisation_is_in_a_group_keeps_every_name_as_recorded(tmp_path):
    # Found by the round trip: a column of organisations none of which has a group.
    rows = [HEADERS, ["1", "Male", "WBRI", "", 5, "03/11/2015", "", "Acme Ltd"]]
    extract = annex_a.load_any_extract(_workbook(tmp_path / "acme.xlsx", rows))
    assert list(extract.episodes["lead_agency"]) == ["Acme Ltd"]
    assert list(extract.notes["value"]) == ["Acme Ltd"]


def test_the_map_section_stops_with_a_sentence_on_a_list_without_homes():
    from helpers import report
    from helpers.extract import SYNTHETIC_DIR, load_extract

    annex = annex_a.load_any_extract(EXAMPLE)
    with pytest.raises(report.SectionNotHeld, match="does not record where the child lives"):
        report.stop_unless_held(annex, "address")
    # It renders, in JupyterLab, as the sentence alone.
    (line,) = report.SectionNotHeld("x")._render_traceback_()
    assert line.endswith("x")
    report.stop_unless_held(load_extract(SYNTHETIC_DIR), "address")  # the native extract has them
