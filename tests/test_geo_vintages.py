"""LSOA vintages: homes coded in 2011 or 2021 placed on a map of either, by the ONS lookup's rules.

Hand-made lookups and episodes, no reference file: one test per rule (unchanged, merged, split,
irregular, unknown, another authority) in each direction, and the counts reconcile: open
episodes read = placed on the map + listed off it. The map's settings (district code, IMD
edition, its default by date) are checked here too.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import geo, map_page
from helpers.reference import IMD_EDITIONS, default_imd_year, imd_edition

DAY = "2026-09-30"

#: A made-up lookup in the ONS layout. Authority A has, in 2011, U1, M1, M2, S1, X1; in 2021,
#: U1, M12 (M1 and M2 merged), S1a and S1b (S1 split), X1n (X1 changed irregularly). Authority
#: B has O1 (unchanged) and OS (split into OSa, OSb).
LOOKUP = pd.DataFrame(
    [
        ("E01000001", "U", "E01000001", "A"),  # unchanged
        ("E01000002", "M", "E01100012", "A"),  # merged with the next one
        ("E01000003", "M", "E01100012", "A"),
        ("E01000004", "S", "E01100041", "A"),  # split in two
        ("E01000004", "S", "E01100042", "A"),
        ("E01000005", "X", "E01100051", "A"),  # irregular
        ("E01000009", "U", "E01000009", "B"),  # another authority, unchanged
        ("E01000008", "S", "E01100081", "B"),  # another authority, split
        ("E01000008", "S", "E01100082", "B"),
    ],
    columns=["lsoa11cd", "change", "lsoa21cd", "lad_code"],
).astype("string")


def area(vintage: int) -> pd.DataFrame:
    """Authority A's LSOAs of ``vintage`` as boundaries (codes and names only)."""
    column = "lsoa11cd" if vintage == 2011 else "lsoa21cd"
    codes = sorted(set(LOOKUP.loc[LOOKUP["lad_code"] == "A", column]))
    return pd.DataFrame({"lsoa11cd": codes, "lsoa11nm": [f"A {c}" for c in codes]}).astype("string")


def episodes(*homes: str | None) -> pd.DataFrame:
    """One open episode per home, ids E1, E2, ... in order."""
    n = len(homes)
    return pd.DataFrame(
        {
            "episode_id": [f"E{i}" for i in range(1, n + 1)],
            "lead_agency": ["Health"] * n,
            "start_date": pd.to_datetime(["2026-01-01"] * n),
            "end_date": pd.to_datetime([None] * n),
            "lsoa11cd": pd.array(list(homes), dtype="string"),
        }
    )


def place(map_vintage: int, *homes: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    conversion = geo.VintageConversion(map_vintage, LOOKUP)
    table, unmatched = geo.open_by_lsoa(
        episodes(*homes), DAY, None, area(map_vintage), conversion=conversion
    )
    assert table["episodes"].sum() + len(unmatched) == len(homes)  # read = placed + listed
    return table, unmatched


def placed_at(table: pd.DataFrame) -> dict[str, int]:
    return {c: int(n) for c, n in zip(table["lsoa11cd"], table["episodes"], strict=True) if n}


def reasons(unmatched: pd.DataFrame) -> dict[str, str]:
    return dict(zip(unmatched["episode_id"], unmatched["reason"], strict=True))


# --------------------------------------------------------------------------- 2011 homes, 2021 map


def test_unchanged_2011_code_is_placed_as_it_is():
    table, unmatched = place(2021, "E01000001")
    assert placed_at(table) == {"E01000001": 1} and unmatched.empty


def test_merged_2011_codes_are_placed_in_the_2021_lsoa_they_form():
    table, unmatched = place(2021, "E01000002", "E01000003")
    assert placed_at(table) == {"E01100012": 2} and unmatched.empty


def test_split_2011_code_is_listed_never_guessed():
    table, unmatched = place(2021, "E01000004")
    assert placed_at(table) == {}
    assert reasons(unmatched) == {"E1": "split in 2021"}
    assert unmatched["lsoa11cd"].tolist() == ["E01000004"]  # as recorded


def test_irregular_2011_code_is_listed():
    table, unmatched = place(2021, "E01000005")
    assert placed_at(table) == {} and reasons(unmatched) == {"E1": "changed irregularly"}


def test_unknown_and_malformed_and_blank_codes_keep_their_treatment():
    _, unmatched = place(2021, "E01999999", "X123", None)
    assert reasons(unmatched) == {
        "E1": "outside the authority",
        "E2": "malformed",
        "E3": "blank",
    }


def test_another_authoritys_codes_are_outside_even_when_split():
    _, unmatched = place(2021, "E01000009", "E01000008", "E01100081")
    assert set(reasons(unmatched).values()) == {"outside the authority"}


# --------------------------------------------------------------------------- 2021 homes, 2011 map


def test_2021_part_of_a_split_area_is_placed_in_the_2011_lsoa_that_holds_it():
    table, unmatched = place(2011, "E01100041", "E01100042")
    assert placed_at(table) == {"E01000004": 2} and unmatched.empty


def test_2021_merged_code_is_listed_on_a_2011_map():
    table, unmatched = place(2011, "E01100012")
    assert placed_at(table) == {} and reasons(unmatched) == {"E1": "merged in 2021"}


def test_2021_irregular_code_is_listed_on_a_2011_map():
    _, unmatched = place(2011, "E01100051")
    assert reasons(unmatched) == {"E1": "changed irregularly"}


def test_2021_unchanged_code_and_other_authority_on_a_2011_map():
    table, unmatched = place(2011, "E01000001", "E01100082")
    assert placed_at(table) == {"E01000001": 1}
    assert reasons(unmatched) == {"E2": "outside the authority"}


def test_a_mixed_extract_reconciles_and_counts_each_reason():
    homes = ["E01000001", "E01000002", "E01000004", "E01000004", "E01000005", None, "bad"]
    homes += ["E01000009", "E01100041"]
    table, unmatched = place(2021, *homes)
    assert int(table["episodes"].sum()) == 3  # U1, M1 -> M12, and S1a as recorded in 2021
    by_reason = geo.unmatched_by_reason(unmatched)
    counts = dict(zip(by_reason["reason"], by_reason["episodes"], strict=True))
    assert counts == {
        "blank": 1,
        "malformed": 1,
        "outside the authority": 1,
        "split in 2021": 2,
        "changed irregularly": 1,
    }
    assert int(by_reason["episodes"].sum()) == len(unmatched) == len(homes) - 3


def test_without_conversion_other_vintage_codes_are_outside_as_before():
    table, unmatched = geo.open_by_lsoa(episodes("E01000004", "E01000001"), DAY, None, area(2021))
    assert placed_at(table) == {"E01000001": 1}
    assert reasons(unmatched) == {"E1": "outside the authority"}


def test_the_reasons_table_keeps_its_three_rows_when_nothing_is_converted():
    _, unmatched = place(2011, "E01000001", None)
    assert geo.unmatched_by_reason(unmatched)["reason"].tolist() == list(geo.UNMATCHED_REASONS)


def test_the_sentence_explains_a_split_home_without_codes_or_field_names():
    _, unmatched = place(2021, "E01000004")
    words = geo.unmatched_in_words(unmatched, "Somewhere")
    assert "split into several 2021 LSOAs" in words
    assert "lsoa" not in words and "_" not in words


@pytest.mark.parametrize(
    ("homes", "found"),
    [
        (["E01000004", "E01000001"], "recorded in 2011 codes (1 code exists only in 2011"),
        (["E01100041", "E01000001"], "recorded in 2021 codes"),
        (["E01000001"], "the same in 2011 and 2021"),
        (["E01000004", "E01100041"], "a mix of codes"),
    ],
)
def test_the_page_says_which_vintage_the_codes_are(homes, found):
    words = geo.VintageConversion(2021, LOOKUP).found_in_words(pd.Series(homes, dtype="string"))
    assert found in words


def test_the_csv_names_the_columns_of_the_maps_vintage():
    table, _ = place(2021, "E01000001")
    assert list(geo.lsoa_csv(table, 2021).columns)[1:3] == ["lsoa21cd", "lsoa21nm"]
    assert list(geo.lsoa_csv(table).columns)[1:3] == ["lsoa11cd", "lsoa11nm"]


# --------------------------------------------------------------------------- the settings


@pytest.mark.parametrize(
    ("day", "year"),
    [
        ("2016-01-11", 2015),  # the March 2016 edition
        ("2019-09-25", 2015),
        ("2019-09-26", 2019),  # IoD2019 released 26 September 2019
        ("2025-10-29", 2019),
        ("2025-10-30", 2025),  # IoD2025 released 30 October 2025
        ("2026-09-30", 2025),
    ],
)
def test_the_default_edition_is_the_one_released_by_the_date(day, year):
    assert default_imd_year(day) == year
    assert map_page.imd_year_or_default(0, day) == year
    assert map_page.imd_year_or_default("", day) == year


def test_editions_name_their_release_and_geography():
    assert [e.lsoa_vintage for e in IMD_EDITIONS.values()] == [2011, 2011, 2021]
    assert IMD_EDITIONS[2025].released == dt.date(2025, 10, 30)
    assert "released October 2025" in IMD_EDITIONS[2025].attribution
    assert "LSOAs (2021)" in IMD_EDITIONS[2025].attribution
    assert "33,755 LSOAs (2021)" in IMD_EDITIONS[2025].legend_title
    assert "32,844 LSOAs (2011)" in IMD_EDITIONS[2019].legend_title


def test_an_edition_that_does_not_exist_is_a_sentence():
    with pytest.raises(ValueError, match="choose one of 2015, 2019, 2025"):
        imd_edition(2017)
    with pytest.raises(map_page.MapSettingError, match="choose one of"):
        map_page.imd_year_or_default("twenty", "2026-09-30")


@pytest.mark.parametrize("code", ["E0800002", "Coventry", "E12000005", "08000026"])
def test_a_value_that_is_not_a_district_code_is_a_sentence(code):
    with pytest.raises(map_page.MapSettingError, match="is not a local authority district code"):
        map_page.lad_code_or_default(code)


def test_a_blank_district_is_configs_and_case_is_ignored():
    assert map_page.lad_code_or_default("") == "E08000026"
    assert map_page.lad_code_or_default(" e06000052 ") == "E06000052"


def test_configs_district_is_named_without_the_lookup():
    assert map_page.authority_name("E08000026", None) == "Coventry"
    with pytest.raises(map_page.MapSettingError, match="lookup"):
        map_page.authority_name("E06000052", None)


@pytest.mark.parametrize(
    ("width_km", "bar_km"), [(15, 2), (22, 2), (30, 5), (45, 5), (170, 20), (400, 50), (5, 0.5)]
)
def test_the_scale_bar_suits_a_city_or_a_county(width_km, bar_km):
    from helpers.maps import scale_bar_length

    assert scale_bar_length(width_km * 1000) == bar_km * 1000
