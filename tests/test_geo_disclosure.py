"""Disclosure control on the LSOA map (notebook 04): ``helpers.figures.lsoa_figures`` and the
maps of ``helpers.geo`` in publication mode.

Golden tests on the committed synthetic extract; those that need IMD 2015 use the
``imd_mirror`` fixture (tests/conftest.py): skipped where the file cannot be had, failed under CI.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from helpers import geo, maps
from helpers.config import categories
from helpers.disclosure import audit, is_suppressed, policy
from helpers.extract import load_report_extract as load
from helpers.figures import LsoaFigures, MapKeys, lsoa_figures
from helpers.reference import MIRROR_ENV, load_imd2015
from helpers.reference import load_lsoa_boundaries as load_boundaries

matplotlib.use("Agg")

CFF = "Children & Families First"
SNAPSHOT = "2016-01-11"
MARK = policy().mark


def _small(value: object) -> bool:
    return not is_suppressed(value) and policy().is_small(int(value))


def _lsoa(key) -> str | None:
    """The LSOA a count is of (None for a count of another kind)."""
    return key.get("home_lsoa_2011")


@pytest.fixture(scope="module")
def extract():
    return load("")


@pytest.fixture(scope="module")
def boundaries():
    return load_boundaries()


@pytest.fixture(scope="module")
def imd(imd_mirror: Path, tmp_path_factory) -> pd.DataFrame:
    cache = tmp_path_factory.mktemp("imd-cache")
    return load_imd2015(cache=cache, mirror=imd_mirror, allow_download=False)


@pytest.fixture(scope="module")
def published(extract, boundaries, imd) -> LsoaFigures:
    return lsoa_figures(extract.episodes, SNAPSHOT, CFF, boundaries, imd, publish=True)


@pytest.fixture(scope="module")
def plain(extract, boundaries, imd) -> LsoaFigures:
    return lsoa_figures(extract.episodes, SNAPSHOT, CFF, boundaries, imd)


@pytest.fixture(scope="module")
def published_without_imd(extract, boundaries) -> LsoaFigures:
    return lsoa_figures(extract.episodes, SNAPSHOT, CFF, boundaries, publish=True)


@pytest.fixture
def close_figures():
    yield
    matplotlib.pyplot.close("all")


# --------------------------------------------------------------------------- the counts


def test_no_shown_count_is_1_to_4(published):
    assert not any(_small(v) for v in published.table["episodes"])
    assert not any(_small(v) for v in published.deciles["episodes"])
    assert not any(_small(v) for v in published.shares["episodes"])
    assert not any(_small(v) for v in published.unmatched_by_reason["episodes"])
    assert not any(_small(v) for v in published.busiest["episodes"])
    for value in (published.placed, published.unmatched_total, published.total_open):
        assert not _small(value)


def test_every_hidden_count_is_protected(published, published_without_imd):
    for figures in (published, published_without_imd):
        assert figures.hidden, "the synthetic extract has small counts: something is hidden"
        assert audit(figures.counts, figures.hidden) == []
        small = {k for k, v in figures.counts.values.items() if policy().is_small(v)}
        assert small <= figures.hidden  # every printed count of 1-4 (all are printed here)


@pytest.mark.parametrize("agency", [None, *categories().lead_agencies])
def test_every_lead_agency_is_protected(extract, boundaries, imd, agency):
    figures = lsoa_figures(extract.episodes, SNAPSHOT, agency, boundaries, imd, publish=True)
    assert audit(figures.counts, figures.hidden) == []
    assert not any(_small(v) for v in figures.table["episodes"])
    assert not any(_small(v) for v in figures.deciles["episodes"])


def test_golden_what_the_synthetic_extract_hides(published, plain, boundaries):
    values = published.counts.values
    keys = MapKeys.of(pd.Timestamp(SNAPSHOT), CFF, boundaries, None)
    lsoas_hidden = {k for k in published.hidden if _lsoa(k)}
    small_lsoas = {k for k, v in values.items() if _lsoa(k) and 1 <= v <= 4}
    assert lsoas_hidden == small_lsoas and len(small_lsoas) == 84  # no LSOA hidden secondarily
    assert keys.decile(10) in published.hidden  # 4 episodes in the five least deprived LSOAs
    assert keys.off_map("blank") in published.hidden  # 2 episodes with no LSOA
    secondary = {k for k in published.hidden if not 1 <= values[k] <= 4}
    assert secondary == {keys.decile(9), keys.off_map("outside the authority")}
    assert (published.placed, published.unmatched_total, published.total_open) == (978, 7, 985)
    assert published.lsoas_without == plain.lsoas_without == 17
    assert published.unmatched is None  # no row-level listing when published


def test_shown_values_equal_the_unmasked_ones(published, plain):
    pairs = [
        (published.table, plain.table, "episodes"),
        (published.deciles, plain.deciles, "episodes"),
        (published.deciles, plain.deciles, "pct_episodes"),
        (published.shares, plain.shares, "episodes"),
        (published.shares, plain.shares, "pct_episodes"),
        (published.unmatched_by_reason, plain.unmatched_by_reason, "episodes"),
    ]
    for masked, unmasked, column in pairs:
        assert len(masked) == len(unmasked)
        for shown, true in zip(masked[column], unmasked[column], strict=True):
            assert shown in (MARK, true)
        other = [c for c in unmasked.columns if c not in ("episodes", "pct_episodes")]
        pd.testing.assert_frame_equal(masked[other], unmasked[other])
    for value, true in (
        (published.placed, plain.placed),
        (published.unmatched_total, plain.unmatched_total),
        (published.total_open, plain.total_open),
    ):
        assert value in (MARK, true)
    # The busiest list ranks only shown counts, with their true values.
    true_counts = plain.table.set_index("lsoa11cd")["episodes"]
    for code, shown in zip(
        published.busiest["lsoa11cd"], published.busiest["episodes"], strict=True
    ):
        assert shown == true_counts[code] > 0
    assert not set(published.busiest["lsoa11cd"]) & {_lsoa(k) for k in published.hidden}


def test_decile_table_masks_consistently_with_the_lsoa_table(published, plain):
    table = published.table
    for row in published.deciles.itertuples():
        members = table[table["imd_decile"] == row.imd_decile]
        true_total = int(plain.deciles.set_index("imd_decile").at[row.imd_decile, "episodes"])
        assert int(plain.table.loc[members.index, "episodes"].sum()) == true_total
        assert is_suppressed(row.pct_episodes) == is_suppressed(row.episodes)
        hidden = members["episodes"].map(is_suppressed)
        if is_suppressed(row.episodes):
            continue
        remainder = row.episodes - int(members.loc[~hidden, "episodes"].sum())
        if not hidden.any():
            assert remainder == 0
            continue
        # A shown decile never leaves one hidden LSOA, or hidden ones adding to 1-4, to subtract.
        assert hidden.sum() >= 2
        assert remainder > policy().largest_suppressed_count
    # Shown deciles and the placed total never pin a hidden decile either.
    hidden_deciles = published.deciles["episodes"].map(is_suppressed)
    assert hidden_deciles.sum() != 1


def test_words_print_the_mark_and_never_a_hidden_count(published, plain):
    words = geo.unmatched_in_words(
        published.unmatched_by_reason, "Coventry", published.unmatched_total
    )
    assert f"{MARK} with no home LSOA recorded" in words
    assert f"{MARK} with a home LSOA outside Coventry" in words
    assert "data-quality table of episodes not on the map" in words and "E0" not in words
    assert ".csv" not in words  # the reader's words: no file names
    hidden = replace(
        plain.concentration,
        episodes_decile_1=MARK,
        pct_episodes_decile_1=MARK,
        episodes_deciles_1_2=MARK,
        pct_episodes_deciles_1_2=MARK,
    )
    text = geo.concentration_in_words(hidden, SNAPSHOT, CFF, "Coventry")
    assert f"**{MARK}** of these episodes ({MARK})" in text
    assert "times the share" not in text  # the ratio would give the hidden count back
    assert "rank correlation alone" in text
    assert str(plain.concentration.episodes_decile_1) not in text
    table = hidden.shares_table()
    assert list(table["episodes"]) == [MARK, MARK]
    assert list(table["lsoas"]) == [plain.concentration.lsoas_decile_1, 61]


# --------------------------------------------------------------------------- maps and charts


def _extent(path) -> tuple[float, ...]:
    box = path.get_extents()
    return tuple(round(v) for v in (box.x0, box.y0, box.x1, box.y1))


def test_episodes_map_puts_hidden_lsoas_in_the_mark_class(published, boundaries, close_figures):
    frame = maps.map_frame(boundaries, published.table)
    hidden = maps.hidden_lsoas(frame)
    for scheme in maps.SCHEMES:
        fig = maps.episodes_map(frame, CFF, "Source: test", scheme, 5)
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert labels[-1] == f"{MARK} count hidden:  {int(hidden.sum())} LSOAs"
        # Classes come from the shown counts: none starts inside 1-4, each holds an LSOA.
        for label in labels[:-1]:
            lower = int(label.split(":")[0].split("-")[0])
            assert lower == 0 or lower > policy().largest_suppressed_count
            assert not label.endswith(" 0 LSOAs")
        assert sum(int(re.search(r"(\d+) LSOAs", x).group(1)) for x in labels) == len(frame)
        hatched = [c for c in fig.axes[0].collections if c.get_hatch() == maps.HIDDEN_HATCH]
        assert len(hatched) == 1
        expected = frame[hidden].explode(index_parts=False).geometry.bounds.round()
        assert sorted(_extent(p) for p in hatched[0].get_paths()) == sorted(
            tuple(row) for row in expected.to_numpy().astype(int).tolist()
        )
        assert any(MARK in t.get_text() and "confidential" in t.get_text() for t in fig.texts)


def test_circles_are_drawn_for_shown_counts_only(published, plain, boundaries, close_figures):
    frame = maps.map_frame(boundaries, published.table)
    hidden = maps.hidden_lsoas(frame)
    fig = maps.episodes_over_deciles_map(frame, CFF, "Source: test")
    ax = fig.axes[0]
    circles = [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)]
    assert len(circles) == 1
    points = frame[~hidden].astype({"episodes": "int64"})
    points = points[points["episodes"] > 0].geometry.representative_point()
    drawn = {(round(x), round(y)) for x, y in circles[0].get_offsets()}
    assert drawn == {(round(p.x), round(p.y)) for p in points}
    # The largest shown count sets the scale (here it is also the largest of all).
    assert circles[0].get_sizes().max() == pytest.approx(500)
    assert frame.loc[~hidden, "episodes"].astype(int).max() == plain.table["episodes"].max()
    hatched = [c for c in ax.collections if c.get_hatch() == maps.HIDDEN_HATCH]
    assert len(hatched) == 1 and len(hatched[0].get_paths()) == int(hidden.sum())
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert f"{MARK} count hidden:  {int(hidden.sum())} LSOAs" in labels
    assert not any(re.fullmatch(r"[1-4]", label) for label in labels)  # no 1-4 size circle


def test_decile_chart_draws_no_hidden_bar(published, close_figures):
    deciles = published.deciles
    fig = maps.decile_share_chart(deciles, CFF, SNAPSHOT, "Source: test", published.placed)
    ax = fig.axes[0]
    episode_bars = ax.patches[: len(deciles)]
    labels = [t.get_text() for t in ax.texts][: len(deciles)]
    for bar, label, share in zip(episode_bars, labels, deciles["pct_episodes"], strict=True):
        if is_suppressed(share):
            assert bar.get_height() == 0 and label == MARK
        else:
            assert bar.get_height() == pytest.approx(share) and label == f"{share:.1f}"
    assert any("confidential" in t.get_text() for t in fig.texts)
    with pytest.raises(ValueError, match="total_episodes"):
        maps.decile_share_chart(deciles, CFF, SNAPSHOT, "Source: test")


def test_interactive_map_carries_no_hidden_count(published, plain, boundaries):
    frame = maps.map_frame(boundaries, published.table)
    html = maps.explore_map(frame).get_root().render()
    properties = [json.loads(p) for p in re.findall(r'"properties": (\{[^{}]*\})', html)]
    assert len(properties) == len(frame)
    true_counts = plain.table.set_index("lsoa11cd")["episodes"]
    hidden_codes = {_lsoa(k) for k in published.hidden} - {None}
    for item in properties:
        if item["lsoa11cd"] in hidden_codes:
            assert item["episodes"] == MARK and item["class"] == MARK
        else:
            assert item["episodes"] == f"{true_counts[item['lsoa11cd']]:,}"
        # nothing else in the feature holds a count
        assert set(item) == {
            "__folium_color",
            "class",
            "episodes",
            "imd_decile",
            "lsoa11cd",
            "lsoa11nm",
        }


# --------------------------------------------------------------------------- unchanged when plain


def test_unpublished_figures_are_the_existing_functions(extract, boundaries, imd, plain):
    table, unmatched = geo.open_by_lsoa(extract.episodes, SNAPSHOT, CFF, boundaries)
    table = geo.join_imd(table, imd)
    pd.testing.assert_frame_equal(plain.table, table)
    pd.testing.assert_frame_equal(plain.unmatched, unmatched)
    pd.testing.assert_frame_equal(plain.deciles, geo.by_imd_decile(table))
    pd.testing.assert_frame_equal(plain.busiest, geo.busiest_lsoas(table))
    concentration = geo.deprivation_concentration(table)
    assert plain.concentration == concentration
    pd.testing.assert_frame_equal(plain.shares, concentration.shares_table())
    assert plain.hidden == frozenset()
    assert plain.placed == int(table["episodes"].sum())
    assert plain.total_open == plain.placed + len(unmatched) == 985
    assert plain.unmatched_total == len(unmatched)
    assert plain.lsoas_without == int((table["episodes"] == 0).sum())
    assert geo.unmatched_in_words(plain.unmatched, "Coventry").startswith("7 open episodes")


def test_unpublished_maps_draw_as_before(plain, boundaries, close_figures):
    frame = maps.map_frame(boundaries, plain.table)
    assert not maps.hidden_lsoas(frame).any()
    fig = maps.episodes_map(frame, CFF, "Source: test")
    assert not [c for c in fig.axes[0].collections if c.get_hatch()]
    classes = maps.classify_counts(plain.table["episodes"])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        f"{label}:  {n} LSOAs" for label, n in zip(classes.labels, classes.counts, strict=True)
    ]
    fig = maps.decile_share_chart(plain.deciles, CFF, SNAPSHOT, "Source: test")
    assert not any("confidential" in t.get_text() for t in fig.texts)


def test_without_imd_only_lsoas_and_totals_are_linked(published_without_imd, published):
    figures = published_without_imd
    assert figures.deciles is None and figures.shares is None and figures.concentration is None
    assert "imd_decile" not in figures.table
    linked = set(figures.counts.values)
    assert not any(k.get("home_imd_decile") for k in linked)
    assert linked == {k for k in published.counts.values if not k.get("home_imd_decile")}
    assert not any(_small(v) for v in figures.table["episodes"])


# --------------------------------------------------------------------------- the notebook


def _publish_map(tmp_path) -> Path:
    """Notebook 04 alone, run by the batch with --publish."""
    from helpers import batch

    return batch.run_batch(
        {"04_open_episodes_by_lsoa": {"snapshot_date": SNAPSHOT}},
        "2016-01",
        output_dir=tmp_path / "reports",
        progress=False,
        publish=True,
    )


@pytest.mark.slow  # runs notebooks through Papermill
def test_published_notebook_writes_no_count_of_1_to_4(imd_mirror, tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, str(imd_mirror))  # the kernel inherits it
    report = _publish_map(tmp_path)
    tables = report / "tables"
    written = {path.name for path in tables.iterdir()}
    assert "data_quality_lsoa.csv" not in written  # no row-level listing in a publication
    # 84 of 195 LSOAs would be hidden: the published map is by MSOA (tests/test_map_msoa.py)
    assert {"open_by_msoa.csv", "open_by_imd_decile.csv", "unmatched_by_reason.csv"} <= (written)
    assert "open_by_lsoa.csv" not in written
    marks = 0
    # Count columns: open episodes (people). "lsoas" counts areas and is not suppressed.
    for name in ("open_by_msoa.csv", "open_by_imd_decile.csv", "unmatched_by_reason.csv"):
        frame = pd.read_csv(tables / name, dtype=str, keep_default_na=False)
        for value in frame["episodes"]:
            assert value == MARK or not policy().is_small(int(value)), (name, value)
            marks += value == MARK
    assert marks > 0
    html = (report / "html" / "04_open_episodes_by_lsoa.html").read_text(encoding="utf-8")
    assert "E005262" not in html and "E005434" not in html  # no episode id is published
    assert "confidential" in html


@pytest.mark.slow  # runs notebooks through Papermill
def test_published_notebook_without_imd_writes_no_count_of_1_to_4(tmp_path, monkeypatch):
    # As tests/test_map_without_imd.py: an empty cache, no mirror, no downloads.
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    monkeypatch.setenv("EARLYHELP_REFERENCE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("EARLYHELP_OFFLINE", "1")
    report = _publish_map(tmp_path)
    tables = report / "tables"
    assert {path.name for path in tables.iterdir()} == {
        "open_by_msoa.csv",  # without the deciles as with them, too many LSOAs would be hidden
        "unmatched_by_reason.csv",
    }
    for name in ("open_by_msoa.csv", "unmatched_by_reason.csv"):
        frame = pd.read_csv(tables / name, dtype=str, keep_default_na=False)
        assert not any(v != MARK and policy().is_small(int(v)) for v in frame["episodes"])
