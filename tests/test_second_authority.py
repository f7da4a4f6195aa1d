"""A second authority end to end: the map page for Cornwall, on each LSOA vintage.

Cornwall (E06000052) is a county of several hundred LSOAs, against Coventry's two hundred. The
synthetic generator draws an extract with homes in Cornwall (in 2011 or 2021 codes); the batch
runs the map notebook for it with IMD 2019 (LSOA 2011) and IMD 2025 (LSOA 2021), and with
homes coded in the other vintage than the map's. Each run: the map has exactly Cornwall's
LSOAs of the edition's vintage, every open episode is placed or listed (read = placed +
listed), and the page names Cornwall, the edition and its release. Last, the issue's
acceptance: the monthly batch of September 2026 for Coventry, on IMD 2025 with homes in 2021
codes and on IMD 2019 with homes in 2011 codes.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from helpers import batch, metrics
from helpers.config import categories
from helpers.dev.synthetic import authority_homes, generate, shift_months, write_extract
from helpers.extract import load_extract
from helpers.reference import authority_lsoas, load_lsoa_lookup

#: Every test here runs the map notebook through Papermill (the batch).
pytestmark = pytest.mark.slow

CORNWALL, COVENTRY = "E06000052", "E08000026"
DAY = "2016-01-11"
NOTEBOOK = "04_open_episodes_by_lsoa"


@pytest.fixture(scope="session")
def cornwall_extracts(later_vintages, tmp_path_factory) -> dict[int, Path]:
    """Synthetic extracts with homes in Cornwall, one in 2011 codes, one in 2021 codes."""
    folders = {}
    for vintage in (2011, 2021):
        folder = tmp_path_factory.mktemp(f"cornwall-{vintage}")
        tables = generate(None, homes=authority_homes(CORNWALL, vintage))
        column = "lsoa11cd" if vintage == 2011 else "lsoa21cd"
        folders[vintage] = write_extract(tables, folder, lsoa_column=column, note="Cornwall test")
    return folders


def page_text(report: Path) -> str:
    html = (report / "html" / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize(
    ("imd_year", "map_vintage", "homes_vintage"),
    [(2019, 2011, 2011), (2025, 2021, 2021), (2025, 2021, 2011), (2019, 2011, 2021)],
)
def test_the_map_of_cornwall(cornwall_extracts, tmp_path, imd_year, map_vintage, homes_vintage):
    data_dir = cornwall_extracts[homes_vintage]
    plan = {NOTEBOOK: {"snapshot_date": DAY, "lad_code": CORNWALL, "imd_year": imd_year}}
    report = batch.run_batch(plan, "2016-01", data_dir, tmp_path / "reports", progress=False)
    tables = report / "tables"

    # exactly Cornwall's LSOAs of the edition's vintage
    by_lsoa = pd.read_csv(tables / "open_by_lsoa.csv", dtype={"imd_decile": "Int64"})
    yy = str(map_vintage)[2:]
    expected = authority_lsoas(CORNWALL, map_vintage, load_lsoa_lookup())["lsoa11cd"]
    assert by_lsoa[f"lsoa{yy}cd"].tolist() == expected.tolist()
    assert len(expected) > 300
    assert by_lsoa["imd_decile"].notna().all()

    # every open episode placed or listed
    extract = load_extract(data_dir)
    episodes = extract.episodes
    agency = categories().children_and_families_first
    open_now = metrics.open_at(episodes, pd.Timestamp(DAY)) & (episodes["lead_agency"] == agency)
    listed = pd.read_csv(tables / "data_quality_lsoa.csv", dtype=str)
    assert int(by_lsoa["episodes"].sum()) + len(listed) == int(open_now.sum())
    assert set(listed["episode_id"]) <= set(episodes.loc[open_now, "episode_id"])
    if homes_vintage == map_vintage:  # nothing to convert: only the generator's few strays
        assert set(listed["reason"]) <= {"blank", "outside the authority"}
        assert len(listed) < 0.02 * open_now.sum()
    elif map_vintage == 2021:  # 2011 homes: Cornwall's split LSOAs cannot be placed
        assert "split in 2021" in set(listed["reason"])

    # the page names the authority, the edition, its release and its geography
    text = page_text(report)
    assert f"This page maps Cornwall (local authority district {CORNWALL})" in text
    assert f"in one of Cornwall's {len(expected)} LSOAs" in text
    released = "September 2019" if imd_year == 2019 else "October 2025"
    assert f"IMD {imd_year}" in text and released in text
    assert f"LSOAs ({map_vintage}) in England" in text


@pytest.fixture(scope="session")
def coventry_2026(later_vintages, tmp_path_factory) -> dict[int, Path]:
    """Coventry extracts taken on 30 September 2026, homes in 2011 or in 2021 codes."""
    folders = {}
    for vintage in (2011, 2021):
        folder = tmp_path_factory.mktemp(f"coventry-{vintage}")
        tables = shift_months(generate(None, homes=authority_homes(COVENTRY, vintage)), 126)
        column = "lsoa11cd" if vintage == 2011 else "lsoa21cd"
        folders[vintage] = write_extract(tables, folder, lsoa_column=column, months_later=126)
    return folders


@pytest.mark.parametrize(
    ("flags", "homes_vintage", "map_vintage", "edition"),
    [([], 2021, 2021, "IMD 2025"), (["--imd", "2019"], 2011, 2011, "IMD 2019")],
)
def test_the_monthly_batch_of_september_2026_for_coventry(
    coventry_2026, tmp_path, flags, homes_vintage, map_vintage, edition
):
    """The issue's acceptance: --month 2026-09 --la E08000026 [--imd 2019] on a 2026 extract."""
    data_dir = coventry_2026[homes_vintage]
    argv = ["--month", "2026-09", "--la", COVENTRY, *flags, "--data-dir", str(data_dir)]
    assert batch.main([*argv, "--output-dir", str(tmp_path), "--jobs", "2"]) == 0
    tables = tmp_path / "2026-09" / "tables"
    by_lsoa = pd.read_csv(tables / "open_by_lsoa.csv")
    yy = str(map_vintage)[2:]
    expected = authority_lsoas(COVENTRY, map_vintage, load_lsoa_lookup())["lsoa11cd"]
    assert by_lsoa[f"lsoa{yy}cd"].tolist() == expected.tolist()
    listed = pd.read_csv(tables / "data_quality_lsoa.csv", dtype=str)
    episodes = load_extract(data_dir).episodes
    agency = categories().children_and_families_first
    day = pd.Timestamp("2026-09-30")
    open_now = metrics.open_at(episodes, day) & (episodes["lead_agency"] == agency)
    assert int(by_lsoa["episodes"].sum()) + len(listed) == int(open_now.sum()) > 0
    assert f"{edition} decile" in page_text(tmp_path / "2026-09")
