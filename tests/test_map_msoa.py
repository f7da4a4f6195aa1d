"""The published map at a coarser geography (issue 13, part 7): MSOAs from LSOA names, the
choice between LSOA and MSOA under the disclosure policy, and the published page by MSOA.

Golden figures on the committed synthetic extract; those that need IMD 2015 use the
``imd_mirror`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from count_scan import small_counts_on_page
from sdc_oracle import recoverable

from helpers import batch, geo, map_page, maps
from helpers.disclosure import _policy_from, audit, is_suppressed, policy
from helpers.extract import load_report_extract as load
from helpers.figures import lsoa_figures
from helpers.plotting import describe
from helpers.reference import MIRROR_ENV, load_imd2015
from helpers.reference import load_lsoa_boundaries as load_boundaries

matplotlib.use("Agg")

CFF = "Children & Families First"
SNAPSHOT = "2016-01-11"  # the March 2016 edition's map: 84 of 195 LSOAs hidden by LSOA
MARK = policy().mark


def _names(*names: str | None) -> pd.DataFrame:
    return pd.DataFrame(
        {"lsoa11cd": [f"E0100{i:04d}" for i in range(len(names))], "lsoa11nm": list(names)}
    )


# --------------------------------------------------------------------------- MSOAs from names


def test_an_lsoa_is_in_the_msoa_its_name_stems_from():
    frame = _names("Coventry 001A", "Coventry 001B", "Cornwall 072E", "Isles of Scilly 001A")
    msoas = geo.msoa_of(frame)
    assert msoas.tolist() == ["Coventry 001", "Coventry 001", "Cornwall 072", "Isles of Scilly 001"]
    assert msoas.index.tolist() == frame["lsoa11cd"].tolist()


@pytest.mark.parametrize("bad", ["Coventry 001", "Coventry", "Coventry 01A", "Coventry 001a", None])
def test_a_name_that_gives_no_msoa_is_a_sentence_naming_it(bad):
    with pytest.raises(ValueError, match=r"cannot be told from the name: E01000001") as error:
        geo.msoa_of(_names("Coventry 001A", bad))
    assert "for example Coventry 001A in Coventry 001" in str(error.value)


def test_dissolving_gives_one_msoa_per_stem_with_its_lsoas():
    boundaries = load_boundaries()
    msoas = geo.msoa_of(boundaries)
    dissolved = maps.msoa_boundaries(boundaries, msoas)
    expected = msoas.value_counts().sort_index()
    assert dissolved["msoa11nm"].tolist() == expected.index.tolist()
    assert dissolved["lsoas"].tolist() == expected.tolist()
    assert len(dissolved) == 42 and dissolved["lsoas"].sum() == len(boundaries) == 195
    assert dissolved.crs == boundaries.crs
    assert dissolved.area.sum() == pytest.approx(boundaries.area.sum(), rel=1e-6)


# --------------------------------------------------------------------------- the choice


@pytest.mark.parametrize(
    ("lsoa", "msoa", "chosen"),
    [
        (0.25, 0.10, "LSOA"),  # exactly the share allowed: the finer map is kept
        (0.2501, 0.10, "MSOA"),
        (0.0, 0.0, "LSOA"),
        (0.30, 0.25, "MSOA"),
        (0.60, 0.40, "MSOA"),  # both hide too much: the coarsest, which hides the least
    ],
)
def test_the_finest_geography_that_hides_no_more_than_the_share(lsoa, msoa, chosen):
    assert map_page.choose_geography([("LSOA", lsoa), ("MSOA", msoa)], 0.25) == chosen


def test_a_choice_needs_a_geography():
    with pytest.raises(ValueError, match="at least one geography"):
        map_page.choose_geography([], 0.25)


def test_the_share_is_set_in_the_disclosure_policy(tmp_path):
    assert policy().map_largest_hidden_share == 0.25
    path = tmp_path / "disclosure.yaml"
    path.write_text("largest_suppressed_count: 4\nmark: '[c]'\nmap_largest_hidden_share: 1.5\n")
    with pytest.raises(ValueError, match="share of a map's areas, from 0 to 1, not 1.5"):
        _policy_from(path)


# --------------------------------------------------------------------------- the figures


@pytest.fixture(scope="module")
def imd(imd_mirror: Path, tmp_path_factory) -> pd.DataFrame:
    cache = tmp_path_factory.mktemp("imd-cache")
    return load_imd2015(cache=cache, mirror=imd_mirror, allow_download=False)


@pytest.fixture(scope="module")
def by_msoa(imd):
    boundaries = load_boundaries()
    return lsoa_figures(
        load("").episodes,
        SNAPSHOT,
        CFF,
        boundaries,
        imd,
        publish=True,
        msoas=geo.msoa_of(boundaries),
    )


def test_by_msoa_no_lsoa_count_is_printed_and_nothing_small_is_recoverable(by_msoa):
    counts = by_msoa.counts
    lsoas = [k for k in counts.values if k.get("home_lsoa_2011")]
    assert len(lsoas) == 195 and not any(counts.printed[k] for k in lsoas)
    assert "episodes" not in by_msoa.table  # the LSOA table keeps the LSOAs and deciles only
    assert by_msoa.geography == "MSOA" and len(by_msoa.areas) == 42
    assert audit(counts, by_msoa.hidden) == []
    assert recoverable(counts, set(by_msoa.hidden)) == []  # the independent integer check
    shown = by_msoa.msoas["episodes"]
    assert not any(not is_suppressed(v) and policy().is_small(int(v)) for v in shown)
    assert 0 < by_msoa.hidden_share <= policy().map_largest_hidden_share


def test_each_msoa_is_the_sum_of_its_lsoas(by_msoa, imd):
    boundaries = load_boundaries()
    plain = lsoa_figures(load("").episodes, SNAPSHOT, CFF, boundaries, imd)
    sums = plain.table.groupby(plain.table["lsoa11cd"].map(geo.msoa_of(boundaries)))["episodes"]
    for name, value, lsoas in by_msoa.msoas[["msoa11nm", "episodes", "lsoas"]].itertuples(
        index=False
    ):
        assert value == MARK or value == sums.sum()[name], name
        assert lsoas == sums.size()[name]
    assert by_msoa.placed == plain.placed == 978
    assert set(by_msoa.busiest.columns) >= {"msoa11nm", "lsoas", "episodes"}
    assert not any(is_suppressed(v) for v in by_msoa.busiest["episodes"])


@pytest.fixture
def coventry_setup(imd_mirror, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, str(imd_mirror))
    return map_page.map_setup("", 0, SNAPSHOT)


def test_the_page_chooses_msoa_when_published_and_says_why(coventry_setup):
    episodes = load("").episodes
    figures, note = map_page.page_figures(coventry_setup, episodes, SNAPSHOT, CFF, publish=True)
    assert figures.geography == "MSOA"
    assert "drawn by middle-layer neighbourhoods (MSOA)" in note
    assert "84 of Coventry's 195 LSOAs (43%) would have to be hidden" in note
    assert f"{figures.areas_hidden} of Coventry's 42 MSOAs" in note
    assert "at most 25% of its areas" in note
    words = map_page.placed_in_words(figures, CFF, SNAPSHOT, "Coventry")
    assert "which make 42 MSOAs; every one of those MSOAs has an open episode." in words
    frame, name = map_page.area_csv(figures, 2011)
    assert name == "open_by_msoa" and frame.columns.tolist() == [
        "snapshot_date",
        "msoa11nm",
        "lsoas",
        "episodes",
    ]
    rows, caption, headers = map_page.busiest_table(figures, SNAPSHOT, True)
    assert "ten MSOAs" in caption and "msoa11nm" in headers


@pytest.mark.parametrize(
    ("largest", "geography", "said"),
    [
        (0.5, "LSOA", "The published map is drawn by LSOA:** the count of 84 of Coventry's 195"),
        (0.43, "MSOA", "is hidden. The counts"),  # 84/195 is 43.08%: just over
        (0.01, "MSOA", "still more than the policy allows, but the MSOA is the largest"),
    ],
)
def test_the_share_in_the_policy_decides(coventry_setup, monkeypatch, largest, geography, said):
    rules = replace(policy(), map_largest_hidden_share=largest)
    monkeypatch.setattr("helpers.disclosure.policy", lambda: rules)
    episodes = load("").episodes
    figures, note = map_page.page_figures(coventry_setup, episodes, SNAPSHOT, CFF, publish=True)
    assert figures.geography == geography
    assert said in note and f"at most {largest:.0%} of its areas" in note


def test_the_analysts_edition_stays_by_lsoa(coventry_setup):
    episodes = load("").episodes
    figures, note = map_page.page_figures(coventry_setup, episodes, SNAPSHOT, CFF, publish=False)
    assert figures.geography == "LSOA" and note is None and figures.msoas is None
    assert map_page.area_csv(figures, 2011)[1] == "open_by_lsoa"


def test_the_maps_by_msoa_say_so(by_msoa):
    boundaries = load_boundaries()
    counted = maps.counted_frame(boundaries, by_msoa)
    frame = maps.map_frame(boundaries, by_msoa.table)
    try:
        episodes = maps.episodes_map(counted, CFF, "source", geography="MSOA")
        alt = describe(episodes)
        assert "Middle layer Super Output Area (MSOA, 2011)" in alt
        labels = [t.get_text() for legend in episodes.legends for t in legend.get_texts()]
        assert any(label.endswith(" MSOAs") for label in labels)
        assert not any("LSOA" in label for label in labels)
        circles = maps.episodes_over_deciles_map(frame, CFF, "source", circles=counted)
        assert "per MSOA (circles)" in describe(circles)
        circle_labels = [t.get_text() for legend in circles.legends for t in legend.get_texts()]
        assert f"{MARK} count hidden:  {by_msoa.areas_hidden} MSOAs" in circle_labels
    finally:
        matplotlib.pyplot.close("all")


# --------------------------------------------------------------------------- the notebook


def _run_map(tmp_path: Path, publish: bool) -> Path:
    return batch.run_batch(
        {"04_open_episodes_by_lsoa": {"snapshot_date": SNAPSHOT}},
        "2016-03",
        output_dir=tmp_path / "reports",
        progress=False,
        publish=publish,
    )


LSOA_CODE = re.compile(r"\bE0[01]\d{6}\b")


@pytest.mark.slow  # runs notebook 04 through Papermill
def test_the_published_page_is_by_msoa_and_prints_no_lsoa_count(imd_mirror, tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, str(imd_mirror))
    report = _run_map(tmp_path, publish=True)
    tables = {path.name for path in (report / "tables").iterdir()}
    assert "open_by_msoa.csv" in tables and "open_by_lsoa.csv" not in tables
    by_msoa = pd.read_csv(report / "tables" / "open_by_msoa.csv", dtype=str)
    assert len(by_msoa) == 42 and by_msoa["lsoas"].astype(int).sum() == 195
    assert not by_msoa["episodes"].isin(["1", "2", "3", "4"]).any()
    hidden = (by_msoa["episodes"] == MARK).sum()
    assert 0 < hidden <= policy().map_largest_hidden_share * len(by_msoa)
    page = report / "html" / "04_open_episodes_by_lsoa.html"
    html = page.read_text(encoding="utf-8")
    assert "drawn by middle-layer neighbourhoods (MSOA)" in html
    assert "84 of Coventry&#x27;s 195 LSOAs (43%)" in html or "84 of Coventry's 195 LSOAs" in html
    assert small_counts_on_page(page) == []
    assert not LSOA_CODE.search(html)  # no LSOA is named, so none has a count beside it
    alts = re.findall(r'alt="([^"]*)"', html)
    assert any("Middle layer Super Output Area (MSOA" in alt for alt in alts)
    notebook = json.loads(next((report / "notebooks").glob("04_*.ipynb")).read_text())
    assert "The ten MSOAs with the most open episodes" in json.dumps(notebook)


@pytest.mark.slow  # runs notebook 04 through Papermill
def test_the_analysts_page_stays_by_lsoa(imd_mirror, tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, str(imd_mirror))
    report = _run_map(tmp_path, publish=False)
    tables = {path.name for path in (report / "tables").iterdir()}
    assert "open_by_lsoa.csv" in tables and "open_by_msoa.csv" not in tables
    html = (report / "html" / "04_open_episodes_by_lsoa.html").read_text(encoding="utf-8")
    assert "middle-layer neighbourhoods" not in html.split("How these figures are made")[0]
    assert "The ten LSOAs with the most open episodes" in html
    alts = re.findall(r'alt="([^"]*)"', html)
    assert alts and not any("MSOA" in alt for alt in alts)  # circles by LSOA, as before


def test_a_table_whose_areas_are_not_all_on_the_map_is_refused_in_a_sentence():
    import geopandas as gpd
    from shapely.geometry import Point

    from helpers.maps import map_frame, msoa_frame

    lsoas = gpd.GeoDataFrame(
        {"lsoa11cd": ["A", "B"]}, geometry=[Point(0, 0), Point(1, 1)], crs=4326
    )
    with pytest.raises(ValueError, match="LSOA table and the LSOA boundaries"):
        map_frame(lsoas, pd.DataFrame({"lsoa11cd": ["A", "C"], "episodes": [1, 2]}))
    msoas = lsoas.rename(columns={"lsoa11cd": "msoa11nm"})
    joined = msoa_frame(msoas, pd.DataFrame({"msoa11nm": ["B", "A"], "episodes": [5, 6]}))
    assert dict(zip(joined["msoa11nm"], joined["episodes"], strict=True)) == {"A": 6, "B": 5}
    with pytest.raises(ValueError, match="MSOA table and the MSOA boundaries"):
        msoa_frame(msoas, pd.DataFrame({"msoa11nm": ["Z"], "episodes": [5]}))
