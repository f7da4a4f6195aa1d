"""Open episodes by LSOA, the IMD 2015 join, the decile table and the concentration measures.

Unit tests run on a hand-made geography of four square LSOAs; every expectation is worked out
by hand in the test. The golden tests run on the committed synthetic extract; those that need
IMD 2015 use the ``imd_mirror`` fixture (tests/conftest.py): skipped where the file cannot be
had, failed under CI.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from helpers import geo, maps
from helpers.extract import SYNTHETIC_DIR
from helpers.reference import IMD_2015, IMD_COLUMNS, IMD_SHEET, load_imd2015
from helpers.reference import load_lsoa_boundaries as load_boundaries

matplotlib.use("Agg")

CFF = "Children & Families First"
SNAPSHOT = "2016-01-11"
CODES = ["E01000001", "E01000002", "E01000003", "E01000004"]


# --------------------------------------------------------------------------- a tiny geography


@pytest.fixture
def boundaries() -> gpd.GeoDataFrame:
    """Four 1 km squares in a 2 x 2 grid, in British National Grid."""
    squares = [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)]
    squares += [box(0, 1000, 1000, 2000), box(1000, 1000, 2000, 2000)]
    return gpd.GeoDataFrame(
        {"lsoa11cd": CODES, "lsoa11nm": [f"Town 00{i}A" for i in range(1, 5)]},
        geometry=squares,
        crs="EPSG:27700",
    )


@pytest.fixture
def imd() -> pd.DataFrame:
    """Hand-made ranks and deciles; one extra LSOA elsewhere that the join must ignore."""
    return pd.DataFrame(
        {
            "lsoa11cd": [*CODES, "E01099999"],
            "lsoa11nm": ["a", "b", "c", "d", "elsewhere"],
            "imd_rank": [100, 5000, 20000, 30000, 1],
            "imd_decile": [1, 2, 7, 10, 1],
        }
    )


def _episode(episode_id, lsoa, agency=CFF, start="2015-06-01", end=None) -> dict:
    return {
        "episode_id": episode_id,
        "lead_agency": agency,
        "start_date": pd.Timestamp(start),
        "end_date": pd.Timestamp(end) if end else pd.NaT,
        "lsoa11cd": lsoa,
    }


@pytest.fixture
def episodes() -> pd.DataFrame:
    rows = [
        # open CFF episodes placed on the map: 3 in ...01, 2 in ...02, none in ...03, 1 in ...04
        _episode("A1", "E01000001"),
        _episode("A2", "E01000001"),
        _episode("A3", "E01000001", end="2016-01-12"),  # ends the day after: still open
        _episode("B1", "E01000002"),
        _episode("B2", "E01000002", start=SNAPSHOT),  # starts on the snapshot: open
        _episode("D1", "E01000004"),
        # open CFF episodes that cannot be placed
        _episode("U1", None),
        _episode("U2", "  "),
        _episode("U3", "E0100001"),  # one digit short
        _episode("U4", "e01000001"),  # lower case
        _episode("U5", "E01099999"),  # a real-looking code outside the four
        # not counted for CFF
        _episode("X1", "E01000003", agency="School"),  # open, another agency
        _episode("X2", "E01000001", end=SNAPSHOT),  # ended on the snapshot: not open
        _episode("X3", "E01000002", start="2016-01-12"),  # starts after the snapshot
        _episode("X4", "E01000004", start="2014-01-01", end="2015-01-01"),
        _episode("X5", None, start="2014-01-01", end="2015-01-01"),  # closed, no LSOA
    ]
    frame = pd.DataFrame(rows)
    frame["lsoa11cd"] = frame["lsoa11cd"].astype("string")
    return frame


# --------------------------------------------------------------------------- open_by_lsoa


def test_counts_every_lsoa_with_zeros(episodes, boundaries):
    table, _ = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    assert list(table.columns) == ["snapshot_date", "lsoa11cd", "lsoa11nm", "episodes"]
    assert table["lsoa11cd"].tolist() == CODES
    assert table["lsoa11nm"].tolist() == ["Town 001A", "Town 002A", "Town 003A", "Town 004A"]
    assert table["episodes"].tolist() == [3, 2, 0, 1]
    assert (table["snapshot_date"] == pd.Timestamp(SNAPSHOT)).all()


def test_all_agencies_when_lead_agency_is_none_or_blank(episodes, boundaries):
    for everyone in (None, ""):
        table, unmatched = geo.open_by_lsoa(episodes, SNAPSHOT, everyone, boundaries)
        assert table["episodes"].tolist() == [3, 2, 1, 1]  # the school's episode in ...03
        assert len(unmatched) == 5


def test_unmatched_rows_are_listed_with_their_reason(episodes, boundaries):
    _, unmatched = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    assert list(unmatched.columns) == ["episode_id", "lsoa11cd", "reason"]
    reasons = dict(zip(unmatched["episode_id"], unmatched["reason"], strict=True))
    assert reasons == {
        "U1": "blank",
        "U2": "blank",
        "U3": "malformed",
        "U4": "malformed",
        "U5": "outside the authority",
    }
    given = dict(zip(unmatched["episode_id"], unmatched["lsoa11cd"], strict=True))
    assert given["U3"] == "E0100001" and given["U5"] == "E01099999"  # as given, not altered


def test_nothing_is_dropped(episodes, boundaries):
    table, unmatched = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    open_cff = 6 + 5  # placed (A1-A3, B1-B2, D1) + not placed (U1-U5), counted by hand
    assert int(table["episodes"].sum()) + len(unmatched) == open_cff


def test_no_unmatched_rows_gives_an_empty_frame_with_the_columns(episodes, boundaries):
    placed = episodes[episodes["episode_id"].str.match(r"^[ABD]")]
    _, unmatched = geo.open_by_lsoa(placed, SNAPSHOT, CFF, boundaries)
    assert unmatched.empty
    assert list(unmatched.columns) == ["episode_id", "lsoa11cd", "reason"]


def test_unknown_lead_agency_is_an_error(episodes, boundaries):
    with pytest.raises(ValueError, match="Children and Families First"):
        geo.open_by_lsoa(episodes, SNAPSHOT, "Children and Families First", boundaries)


# --------------------------------------------------------------------------- IMD


def test_join_imd_adds_rank_and_decile(episodes, boundaries, imd):
    table, _ = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    joined = geo.join_imd(table, imd)
    assert len(joined) == 4
    assert joined["lsoa11cd"].tolist() == CODES
    assert joined["imd_rank"].tolist() == [100, 5000, 20000, 30000]
    assert joined["imd_decile"].tolist() == [1, 2, 7, 10]
    assert joined["episodes"].tolist() == [3, 2, 0, 1]


def test_join_imd_names_the_missing_lsoas(episodes, boundaries, imd):
    table, _ = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    with pytest.raises(ValueError, match="E01000003"):
        geo.join_imd(table, imd[imd["lsoa11cd"] != "E01000003"])


def test_by_imd_decile_lists_all_ten(episodes, boundaries, imd):
    table, _ = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    deciles = geo.by_imd_decile(geo.join_imd(table, imd)).set_index("imd_decile")
    assert deciles.index.tolist() == list(range(1, 11))
    assert deciles["lsoas"].tolist() == [1, 1, 0, 0, 0, 0, 1, 0, 0, 1]
    assert deciles["episodes"].tolist() == [3, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    # 1 of 4 LSOAs = 25.0%; 3, 2 and 1 of 6 episodes = 50.0%, 33.3%, 16.7%
    assert deciles["pct_lsoas"].tolist() == [25.0, 25.0, 0, 0, 0, 0, 25.0, 0, 0, 25.0]
    assert deciles["pct_episodes"].tolist() == [50.0, 33.3, 0, 0, 0, 0, 0.0, 0, 0, 16.7]


# --------------------------------------------------------------------------- concentration


def _hand_table(episodes: list[int], ranks: list[int], deciles: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {"lsoa11cd": CODES, "episodes": episodes, "imd_rank": ranks, "imd_decile": deciles}
    )


def test_concentration_shares_and_index_by_hand(episodes, boundaries, imd):
    table, _ = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    result = geo.deprivation_concentration(geo.join_imd(table, imd))
    assert result.episodes == 6 and result.lsoas == 4
    assert (result.episodes_decile_1, result.pct_episodes_decile_1) == (3, 50.0)
    assert (result.lsoas_decile_1, result.pct_lsoas_decile_1) == (1, 25.0)
    assert (result.episodes_deciles_1_2, result.pct_episodes_deciles_1_2) == (5, 83.3)
    assert (result.lsoas_deciles_1_2, result.pct_lsoas_deciles_1_2) == (2, 50.0)
    # by IMD rank, episodes are 3, 2, 0, 1; fractional ranks 1/8, 3/8, 5/8, 7/8; mean 1.5:
    # C = 2 * (3/8 + 6/8 + 0 + 7/8) / (4 * 1.5) - 1 = 4/6 - 1 = -1/3
    assert result.concentration_index == pytest.approx(-1 / 3)
    # ranks of episodes 4, 3, 1, 2 against 1, 2, 3, 4: d^2 = 9 + 1 + 4 + 4 = 18;
    # rho = 1 - 6 * 18 / (4 * (16 - 1)) = -0.8
    assert result.spearman_rho == pytest.approx(-0.8)
    assert 0 < result.spearman_p < 1


def test_concentration_index_equals_one_minus_twice_the_area_under_the_curve():
    # episodes 4, 3, 2, 1 from most to least deprived: cumulative shares .4, .7, .9, 1 at
    # .25, .5, .75, 1; trapezoid area = .25 * (.2 + .55 + .8 + .95) = .625; C = 1 - 1.25
    table = _hand_table([4, 3, 2, 1], [10, 20, 30, 40], [1, 1, 2, 2])
    assert geo.deprivation_concentration(table).concentration_index == pytest.approx(-0.25)


def test_concentration_index_is_zero_when_spread_evenly_and_ranked_by_rank_not_row():
    even = _hand_table([2, 2, 2, 2], [40, 30, 20, 10], [3, 2, 1, 4])
    assert geo.concentration_index(even["episodes"], even["imd_rank"]) == pytest.approx(0)
    # the same LSOAs as the -0.25 case, rows shuffled: the ranking, not the row order, counts
    shuffled = _hand_table([1, 3, 4, 2], [40, 20, 10, 30], [2, 1, 1, 2])
    assert geo.concentration_index(shuffled["episodes"], shuffled["imd_rank"]) == pytest.approx(
        -0.25
    )


def test_spearman_and_index_are_positive_when_episodes_favour_the_less_deprived():
    table = _hand_table([1, 2, 3, 4], [10, 20, 30, 40], [1, 2, 9, 10])
    result = geo.deprivation_concentration(table)
    assert result.spearman_rho == pytest.approx(1.0)
    assert result.concentration_index == pytest.approx(0.25)  # the mirror of -0.25
    assert result.pct_episodes_decile_1 == 10.0 and result.pct_lsoas_decile_1 == 25.0


def test_plain_words_state_the_figures_and_the_verdict():
    # twenty LSOAs, two to a decile, episodes 20, 19, ..., 1 from most to least deprived
    concentrated = pd.DataFrame(
        {
            "lsoa11cd": [f"E01{i:06d}" for i in range(1, 21)],
            "episodes": list(range(20, 0, -1)),
            "imd_rank": range(1, 21),
            "imd_decile": [i // 2 + 1 for i in range(20)],
        }
    )
    result = geo.deprivation_concentration(concentrated)
    # decile 1 holds 20 + 19 = 39 of 210 episodes (18.6%) and 2 of 20 LSOAs (10.0%)
    assert (result.pct_episodes_decile_1, result.pct_lsoas_decile_1) == (18.6, 10.0)
    words = geo.concentration_in_words(result, SNAPSHOT, CFF, "Town")
    assert "11 January 2016" in words and CFF in words
    assert "**18.6%**" in words and "**10.0%**" in words
    assert "-1.00" in words  # Spearman's rho
    assert "support the report's statement" in words
    reversed_ = concentrated.assign(episodes=list(range(1, 21)))
    words = geo.concentration_in_words(
        geo.deprivation_concentration(reversed_), SNAPSHOT, None, "Town"
    )
    assert "do not support" in words and "All lead agencies" in words


# --------------------------------------------------------------------------- map classes


def test_classes_read_as_whole_number_ranges():
    classes = maps.classify_counts(np.arange(10), "EqualInterval", 2)  # bins 4.5 and 9
    assert classes.labels == ["0-4", "5-9"]
    assert classes.counts == [5, 5]
    assert classes.class_of.tolist() == [0] * 5 + [1] * 5


def test_natural_breaks_is_reproducible_and_leaves_the_global_random_state_alone():
    counts = np.array([0, 0, 1, 1, 2, 3, 3, 4, 7, 8, 9, 12, 15, 19, 19])
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    first = maps.classify_counts(counts, "NaturalBreaks", 5)
    assert (np.random.get_state()[1] == before).all()
    second = maps.classify_counts(counts, "NaturalBreaks", 5)
    assert first.labels == second.labels
    assert sum(first.counts) == len(counts)


def test_maps_draw_on_the_tiny_geography(episodes, boundaries, imd):
    table, _ = geo.open_by_lsoa(episodes, SNAPSHOT, CFF, boundaries)
    frame = maps.map_frame(boundaries, geo.join_imd(table, imd))
    for fig in (
        maps.episodes_map(frame, CFF, "Source: test", "Quantiles", 3),
        maps.imd_decile_map(frame, "Source: test"),
        maps.episodes_over_deciles_map(frame, CFF, "Source: test"),
    ):
        texts = [t.get_text() for t in fig.texts]
        assert any("Office for National Statistics" in t for t in texts)
        matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------- golden: synthetic


@pytest.fixture(scope="module")
def synthetic_open():
    from helpers.extract import load_report_extract as load

    extract = load("")
    lsoas = load_boundaries()
    table, unmatched = geo.open_by_lsoa(extract.episodes, SNAPSHOT, CFF, lsoas)
    return table, unmatched, lsoas


def _open_cff_from_raw_csv() -> pd.DataFrame:
    """Open CFF episodes at the snapshot, read from the raw CSV with plain pandas."""
    raw = pd.read_csv(SYNTHETIC_DIR / "caf_episodes.csv", dtype=str, keep_default_na=False)
    start = pd.to_datetime(raw["start_date"], format="%Y-%m-%d")
    end = pd.to_datetime(raw["end_date"].replace("", None), format="%Y-%m-%d")
    day = pd.Timestamp(SNAPSHOT)
    is_open = (start <= day) & (end.isna() | (end > day))
    return raw[is_open & (raw["lead_agency"] == CFF)]


def test_golden_every_open_episode_is_counted_or_listed(synthetic_open):
    table, unmatched, lsoas = synthetic_open
    assert len(table) == 195
    assert set(table["lsoa11cd"]) == set(lsoas["lsoa11cd"])
    assert int(table["episodes"].sum()) + len(unmatched) == 985  # the report's open caseload
    assert len(_open_cff_from_raw_csv()) == 985


def test_golden_per_lsoa_counts_match_the_raw_csv(synthetic_open):
    table, unmatched, _ = synthetic_open
    raw = _open_cff_from_raw_csv()
    expected = raw[raw["lsoa11cd"].isin(set(table["lsoa11cd"]))]["lsoa11cd"].value_counts()
    got = table.set_index("lsoa11cd")["episodes"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    assert set(unmatched["episode_id"]) == set(
        raw.loc[~raw["lsoa11cd"].isin(set(table["lsoa11cd"])), "episode_id"]
    )


def _pct_by_hand(part: int, whole: int) -> float:
    exact = Decimal(100 * part) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_golden_decile_table_matches_a_hand_computation(synthetic_open, imd_mirror: Path, tmp_path):
    table, _, _ = synthetic_open
    imd = load_imd2015(cache=tmp_path, mirror=imd_mirror, allow_download=False)
    got = geo.by_imd_decile(geo.join_imd(table, imd))

    # by hand: the published IMD workbook and the raw CSV, plain pandas
    workbook = pd.read_excel(imd_mirror / IMD_2015.relative_path, sheet_name=IMD_SHEET)
    by_name = {short: long for long, short in IMD_COLUMNS.items()}
    coventry = workbook[workbook[by_name["lad13cd"]] == "E08000026"]
    decile_of = dict(
        zip(coventry[by_name["lsoa11cd"]], coventry[by_name["imd_decile"]], strict=True)
    )
    raw = _open_cff_from_raw_csv()
    placed = raw[raw["lsoa11cd"].isin(decile_of)]
    episodes = placed["lsoa11cd"].map(decile_of).value_counts()
    lsoas = pd.Series(decile_of).value_counts()
    assert lsoas.sum() == 195
    rows = []
    for decile in range(1, 11):
        n_lsoas, n_episodes = int(lsoas.get(decile, 0)), int(episodes.get(decile, 0))
        rows.append(
            {
                "imd_decile": decile,
                "lsoas": n_lsoas,
                "episodes": n_episodes,
                "pct_lsoas": _pct_by_hand(n_lsoas, int(lsoas.sum())),
                "pct_episodes": _pct_by_hand(n_episodes, len(placed)),
            }
        )
    expected = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
