"""The map page's drawings: choropleth, IMD deciles, circles over deciles, the decile chart,
the interactive map, and their furniture (legends, scale bar, north arrow, attribution).

Floor 5 (display), drawn in the house style of :mod:`helpers.plotting`; the figures come from
:mod:`helpers.geo` (through :func:`helpers.figures.lsoa_figures`). Only the map notebook imports
this module, so only its kernel loads geopandas, mapclassify and folium.

Publication: a count may be the suppression mark (``"[c]"``). The maps and chart then never
draw it: a hidden LSOA has its own hatched "[c]" class on the maps, the classification uses the
shown counts only, and a hidden bar is not drawn. With no mark in the data they draw exactly as
before.
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from helpers.disclosure import is_suppressed, policy, suppression_note
from helpers.formats import long_date, number
from helpers.geo import DECILES, agency_label, msoa_of
from helpers.parameters import SCHEMES as SCHEMES  # kept with the notebooks' other settings
from helpers.plotting import (
    LEGEND_EDGE_COLOUR,
    PALETTE,
    SUPPRESSED_COLOUR,
    SUPPRESSED_HATCH,
    add_footer,
    footer_room,
)
from helpers.reference import IMD_EDITIONS, ImdEdition, boundary_attribution

EPISODES_CMAP = "Purples"
#: IMD deciles 1..10: RdYlBu runs red -> yellow -> blue, so decile 1 (most deprived) is dark
#: red and decile 10 (least deprived) dark blue.
DECILE_COLOURS: tuple[str, ...] = tuple(
    mpl.colors.to_hex(mpl.colormaps["RdYlBu"].resampled(10)(i)) for i in range(10)
)
EDGE_COLOUR = "#ffffff"
OUTLINE_COLOUR = "#333333"
#: MSOA borders over the LSOA decile colours: dark and heavy enough to read between the colours.
MSOA_OUTLINE = "#111111"
MSOA_OUTLINE_WIDTH = 1.6
CIRCLE_FACE = (1.0, 1.0, 1.0, 0.45)  # translucent white: the decile colour shows through
LSOA_BAR_COLOUR = "#AAAAAA"
#: An LSOA whose count is suppressed (publication): light grey, hatched, in its own class.
HIDDEN_FACE = SUPPRESSED_COLOUR
HIDDEN_HATCH = SUPPRESSED_HATCH
HIDDEN_HATCH_COLOUR = "#6e6e6e"
MAP_FIGSIZE = (9.0, 6.5)
MAP_WIDTH_SHARE = 0.62  # of the figure's width: the legends take the rest
MAP_TITLE_SHARE = 0.10  # of its height, above the map
_SCHEME_WORDS = {
    "NaturalBreaks": "natural breaks",
    "FisherJenks": "Fisher-Jenks natural breaks",
    "Quantiles": "quantiles",
    "EqualInterval": "equal intervals",
}


# --------------------------------------------------------------------------- map data


def _areas_with(
    boundaries: gpd.GeoDataFrame, table: pd.DataFrame, key: str, areas: str
) -> gpd.GeoDataFrame:
    """``boundaries`` with the columns of ``table`` (one row per area) joined on ``key``; every
    row of the table must find its area."""
    joined = boundaries[[key, "geometry"]].merge(
        table.astype({key: boundaries[key].dtype}), on=key, how="inner", validate="1:1"
    )
    if len(joined) != len(table):
        raise ValueError(
            f"The {areas} table and the {areas} boundaries do not hold the same {areas}s."
        )
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=boundaries.crs)


def map_frame(boundaries: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The boundaries with the columns of ``table`` (one row per LSOA) joined on ``lsoa11cd``."""
    return _areas_with(boundaries, table, "lsoa11cd", "LSOA")


def msoa_boundaries(boundaries: gpd.GeoDataFrame, msoas: pd.Series) -> gpd.GeoDataFrame:
    """MSOA boundaries: the LSOAs dissolved by their MSOA (``msoas``, indexed by LSOA code,
    :func:`helpers.geo.msoa_of`). One row per MSOA, sorted by name: ``msoa11nm``, ``lsoas``
    (how many LSOAs it holds), ``geometry``."""
    frame = boundaries[["lsoa11cd", "geometry"]].copy()
    frame["msoa11nm"] = frame["lsoa11cd"].astype("string").map(msoas).astype("string")
    if frame["msoa11nm"].isna().any():
        missing = ", ".join(frame.loc[frame["msoa11nm"].isna(), "lsoa11cd"].astype(str)[:5])
        raise ValueError(f"LSOA(s) {missing} belong to no MSOA: give every LSOA its MSOA.")
    dissolved = frame.dissolve(by="msoa11nm", aggfunc={"lsoa11cd": "count"}, sort=True)
    dissolved = dissolved.rename(columns={"lsoa11cd": "lsoas"}).reset_index()
    dissolved["lsoas"] = dissolved["lsoas"].astype("int64")
    return gpd.GeoDataFrame(
        dissolved[["msoa11nm", "lsoas", "geometry"]], geometry="geometry", crs=boundaries.crs
    )


def counted_frame(boundaries: gpd.GeoDataFrame, figures) -> gpd.GeoDataFrame:
    """The areas whose counts the page prints, with their counts: :func:`map_frame` of the
    LSOAs, or :func:`msoa_frame` of the MSOAs when the figures are by MSOA."""
    if figures.msoas is None:
        return map_frame(boundaries, figures.table)
    return msoa_frame(msoa_boundaries(boundaries, msoa_of(boundaries)), figures.msoas)


def msoa_frame(msoa_bounds: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The MSOA boundaries with the per-MSOA ``table`` (:func:`helpers.geo.open_by_msoa`)."""
    return _areas_with(msoa_bounds, table, "msoa11nm", "MSOA")


#: How the maps name each geography: in a title, in short, and in the plural.
AREA_WORDS: dict[str, tuple[str, str, str]] = {
    "LSOA": ("Lower Super Output Area", "LSOA", "LSOAs"),
    "MSOA": ("Middle layer Super Output Area", "MSOA", "MSOAs"),
}


def _area_words(geography: str) -> tuple[str, str, str]:
    if geography not in AREA_WORDS:
        raise ValueError(f"The map's geography is LSOA or MSOA, not {geography!r}.")
    return AREA_WORDS[geography]


@dataclass(frozen=True)
class EpisodeClasses:
    """Integer classes of episode counts: each LSOA's class, and each class's range."""

    class_of: np.ndarray  # class number (0-based) of each value, in the input order
    lower: tuple[int, ...]  # smallest count in each class (inclusive)
    upper: tuple[int, ...]  # largest count in each class (inclusive)

    @property
    def labels(self) -> list[str]:
        return [
            f"{lo}" if lo == hi else f"{lo}-{hi}"
            for lo, hi in zip(self.lower, self.upper, strict=True)
        ]

    @property
    def counts(self) -> list[int]:
        return [int((self.class_of == i).sum()) for i in range(len(self.lower))]


def classify_counts(
    counts: pd.Series | np.ndarray, scheme: str = "NaturalBreaks", k: int = 5
) -> EpisodeClasses:
    """Classes of whole-number counts by a mapclassify ``scheme`` with ``k`` classes.

    mapclassify's upper bounds are rounded down to whole numbers, so the classes read "0-2",
    "3-5", ...; classes left with no whole number in them are merged away. NaturalBreaks
    (k-means) starts from random centroids: it is run with a fixed seed, so a report is
    reproducible.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"classify_counts: scheme {scheme!r} is not one of {list(SCHEMES)}")
    values = np.asarray(counts, dtype="int64")
    state = np.random.get_state()
    np.random.seed(20160111)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "not enough unique values": k drops
            classifier = mapclassify.classify(values.astype("float64"), scheme, k=k)
    finally:
        np.random.set_state(state)
    uppers = sorted({int(math.floor(b)) for b in classifier.bins if b >= values.min()})
    uppers = [u for u in uppers if u < values.max()] + [int(values.max())]
    lowers = [int(values.min())] + [u + 1 for u in uppers[:-1]]
    class_of = np.searchsorted(np.array(uppers), values, side="left")
    return EpisodeClasses(class_of=class_of, lower=tuple(lowers), upper=tuple(uppers))


def classify_shown_counts(
    counts: pd.Series | np.ndarray, scheme: str = "NaturalBreaks", k: int = 5
) -> EpisodeClasses:
    """:func:`classify_counts` of the counts a published map shows (the hidden ones left out).

    Each class starts at the smallest count it holds and classes holding none are dropped, so
    that no class reads as holding counts that are in fact hidden (a "1-6" class when every
    count from 1 to 4 is suppressed, or a "1-3: 0 LSOAs" class).
    """
    values = np.asarray(counts, dtype="int64")
    classes = classify_counts(values, scheme, k)
    keep = [i for i in range(len(classes.lower)) if (classes.class_of == i).any()]
    renumber = np.zeros(len(classes.lower), dtype="int64")
    renumber[keep] = np.arange(len(keep))
    return EpisodeClasses(
        class_of=renumber[classes.class_of],
        lower=tuple(int(values[classes.class_of == i].min()) for i in keep),
        upper=tuple(classes.upper[i] for i in keep),
    )


# --------------------------------------------------------------------------- map furniture


def scale_bar_length(width_m: float) -> int:
    """A round length for the scale bar, at most a sixth of the map's width: 2 km on
    Coventry's map, 20 km on Cornwall's (1, 2 or 5 times a power of ten, in metres)."""
    return _nice_at_or_below(width_m / 6)


def add_scale_bar(ax: Axes, length_m: int | None = None, segments: int = 2) -> None:
    """A black-and-white scale bar in British National Grid metres, bottom left of the map.

    ``length_m`` None: :func:`scale_bar_length` of the map's width, so that any authority's
    map, a city's or a county's, gets a bar that can be read.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    if length_m is None:
        length_m = scale_bar_length(width)
    left, bottom = x0 + 0.02 * width, y0 + 0.025 * height
    bar_height = 0.012 * height
    step = length_m / segments
    for i in range(segments):
        ax.add_patch(
            Rectangle(
                (left + i * step, bottom),
                step,
                bar_height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.8,
                zorder=5,
            )
        )
    for i in (0, segments):  # the ends only: a middle label would crowd a county's short bar
        metres = i * step
        label = f"{metres / 1000:g}" + (" km" if i == segments else "")
        ax.text(
            left + metres,
            bottom + bar_height * 1.6,
            label,
            ha="center",
            va="bottom",
            fontsize=8,
            zorder=5,
        )


def add_north_arrow(ax: Axes, x: float = 0.97, y: float = 0.99) -> None:
    """A north arrow in the top right corner of the map (grid north: true north within 1°)."""
    ax.annotate(
        "",
        xy=(x, y - 0.04),
        xytext=(x, y - 0.12),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5},
    )
    ax.text(
        x, y, "N", transform=ax.transAxes, ha="center", va="top", fontsize=11, fontweight="bold"
    )


def _edition(edition: ImdEdition | None) -> ImdEdition:
    return edition or IMD_EDITIONS[2015]


def map_footer(
    source: str,
    uses_imd: bool,
    suppressed: bool = False,
    edition: ImdEdition | None = None,
    lsoa_vintage: int | None = None,
) -> str:
    """The map's footer lines: data source, boundary attribution, IMD attribution if used.

    ``edition`` is the IMD edition read (default IMD 2015); the boundaries are of
    ``lsoa_vintage`` (default: the edition's). ``suppressed``: the map shows the suppression
    mark, and a last line says what it means.
    """
    edition = _edition(edition)
    lines = [source, boundary_attribution(lsoa_vintage or edition.lsoa_vintage)]
    if uses_imd:
        lines.append(edition.attribution)
    if suppressed:
        lines.append(suppression_note())
    return "\n".join(lines)


def hidden_lsoas(gdf: pd.DataFrame) -> np.ndarray:
    """Which rows' ``episodes`` are the suppression mark (a published report), as booleans."""
    return np.array([is_suppressed(v) for v in gdf["episodes"]], dtype=bool)


def _hidden_label(n_lsoas: int, areas: str = "LSOAs") -> str:
    return f"{policy().mark} count hidden:  {n_lsoas} {areas}"


def _hidden_handle(n_lsoas: int, face: object = HIDDEN_FACE, areas: str = "LSOAs") -> Patch:
    return Patch(
        facecolor=face,
        edgecolor=HIDDEN_HATCH_COLOUR,
        hatch=HIDDEN_HATCH,
        linewidth=0.6,
        label=_hidden_label(n_lsoas, areas),
    )


def _plot_hidden(gdf: gpd.GeoDataFrame, ax: Axes, face: object = HIDDEN_FACE) -> None:
    """Hatch the LSOAs whose count is hidden (``face`` "none" lets a colour below show)."""
    gdf.plot(
        ax=ax,
        facecolor=face,
        edgecolor=HIDDEN_HATCH_COLOUR,
        hatch=HIDDEN_HATCH,
        linewidth=0.0,
        zorder=2,
    )
    gdf.boundary.plot(ax=ax, color=EDGE_COLOUR, linewidth=0.4, zorder=2.5)


def _map_axes(gdf: gpd.GeoDataFrame, title: str, footer: str) -> tuple[Figure, Axes]:
    """A figure with the map on the left, room for legends on the right and the footer below.

    The axes are placed by hand: ``tight_layout`` leaves no room for legends outside them.
    """
    fig = plt.figure(figsize=MAP_FIGSIZE)
    bottom = footer_room(footer, MAP_FIGSIZE[1], margin_pt=10) + 0.01
    ax = fig.add_axes((0.02, bottom, MAP_WIDTH_SHARE, 1 - bottom - MAP_TITLE_SHARE))
    ax.set_aspect("equal")
    ax.set_anchor("NW")
    minx, miny, maxx, maxy = gdf.total_bounds
    width, height = maxx - minx, maxy - miny
    ax.set_xlim(minx - 0.02 * width, maxx + 0.02 * width)
    ax.set_ylim(miny - 0.10 * height, maxy + 0.02 * height)  # room for the scale bar below
    ax.set_title(title, loc="left")
    ax.set_axis_off()
    return fig, ax


def _finish_map(fig: Figure, ax: Axes, footer: str) -> Figure:
    add_scale_bar(ax)
    add_north_arrow(ax)
    add_footer(fig, footer)
    return fig


def _outline(gdf: gpd.GeoDataFrame, ax: Axes) -> None:
    """The authority's outer boundary, drawn over the LSOAs."""
    gpd.GeoSeries([gdf.union_all()], crs=gdf.crs).boundary.plot(
        ax=ax, color=OUTLINE_COLOUR, linewidth=1.0, zorder=3
    )


def _title(what: str, gdf: gpd.GeoDataFrame, lead_agency: str | None) -> str:
    day = long_date(gdf["snapshot_date"].iloc[0])
    return f"{what}\n{agency_label(lead_agency)}, {day}"


def _legend(ax: Axes, handles: list, title: str, **where) -> mpl.legend.Legend:
    """A legend to the right of the map, as a figure legend placed in the map's coordinates.

    A figure legend, so that a second legend does not replace the first and both count when
    the inline backend crops the figure to its contents.
    """
    options = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)} | where
    return ax.figure.legend(
        handles=handles,
        title=title,
        fontsize=9,
        title_fontsize=9.5,
        alignment="left",
        bbox_transform=ax.transAxes,
        **options,
    )


# --------------------------------------------------------------------------- maps


def episodes_map(
    gdf: gpd.GeoDataFrame,
    lead_agency: str | None,
    source: str,
    scheme: str = "NaturalBreaks",
    k: int = 5,
    lsoa_vintage: int = 2011,
    geography: str = "LSOA",
) -> Figure:
    """Choropleth of open episodes per LSOA, classed by ``scheme`` with ``k`` classes.

    ``geography`` "MSOA": ``gdf`` is :func:`msoa_frame`, one row per MSOA, and the title and
    legends say so.

    ``gdf`` is :func:`map_frame` of :func:`helpers.geo.open_by_lsoa`'s table. The legend
    gives each class as a whole-number range, with how many LSOAs fall in it. In a published
    report, LSOAs whose count is the suppression mark are drawn light grey and hatched, in a
    class of their own labelled with the mark; the classes of the others are computed from the
    shown counts only, so no class boundary depends on a hidden count.
    """
    hidden = hidden_lsoas(gdf)
    shown = gdf[~hidden] if hidden.any() else gdf
    cmap = mpl.colormaps[EPISODES_CMAP]
    footer = map_footer(
        source, uses_imd=False, suppressed=bool(hidden.any()), lsoa_vintage=lsoa_vintage
    )
    long, short, plural = _area_words(geography)
    title = _title(f"Open CAF episodes by {long} ({short}, {lsoa_vintage})", gdf, lead_agency)
    fig, ax = _map_axes(gdf, title, footer)
    handles = []
    n = 0
    if len(shown):
        classes = (
            classify_shown_counts(shown["episodes"], scheme, k)
            if hidden.any()
            else classify_counts(gdf["episodes"], scheme, k)
        )
        n = len(classes.lower)
        colours = [mpl.colors.to_hex(cmap(v)) for v in np.linspace(0.18, 0.95, n)]
        shown.plot(
            ax=ax,
            color=[colours[i] for i in classes.class_of],
            edgecolor=EDGE_COLOUR,
            linewidth=0.4,
        )
        handles = [
            Patch(
                facecolor=colour, edgecolor=LEGEND_EDGE_COLOUR, label=f"{label}:  {count} {plural}"
            )
            for colour, label, count in zip(colours, classes.labels, classes.counts, strict=True)
        ]
    if hidden.any():
        _plot_hidden(gdf[hidden], ax)
        handles.append(_hidden_handle(int(hidden.sum()), areas=plural))
    _outline(gdf, ax)
    _legend(ax, handles, f"Open episodes per {short}\n({_SCHEME_WORDS[scheme]}, {n} classes)")
    return _finish_map(fig, ax, footer)


def _decile_handles(gdf: gpd.GeoDataFrame) -> list[Patch]:
    counts = gdf["imd_decile"].value_counts()
    words = {1: " most deprived", 10: " least deprived"}
    return [
        Patch(
            facecolor=colour,
            edgecolor=LEGEND_EDGE_COLOUR,
            label=f"{decile}{words.get(decile, '')}:  {int(counts.get(decile, 0))} LSOAs",
        )
        for decile, colour in zip(DECILES, DECILE_COLOURS, strict=True)
    ]


def _plot_deciles(gdf: gpd.GeoDataFrame, ax: Axes) -> None:
    gdf.plot(
        ax=ax,
        color=[DECILE_COLOURS[d - 1] for d in gdf["imd_decile"]],
        edgecolor=EDGE_COLOUR,
        linewidth=0.4,
    )
    _outline(gdf, ax)


def imd_decile_map(gdf: gpd.GeoDataFrame, source: str, edition: ImdEdition | None = None) -> Figure:
    """IMD decile of each LSOA (``edition``, default IMD 2015): decile 1 (most deprived in
    England) dark red, 10 dark blue."""
    edition = _edition(edition)
    footer = map_footer(source, uses_imd=True, edition=edition)
    day = long_date(gdf["snapshot_date"].iloc[0])
    title = (
        f"Deprivation (IMD {edition.year} decile) of each LSOA ({edition.lsoa_vintage})\n"
        f"for reading against the open CAF episodes of {day}"
    )
    fig, ax = _map_axes(gdf, title, footer)
    _plot_deciles(gdf, ax)
    _legend(ax, _decile_handles(gdf), edition.legend_title)
    return _finish_map(fig, ax, footer)


def _nice_at_or_below(value: float) -> int:
    """The largest of 1, 2, 5, 10, 20, 50, ... not above ``value`` (at least 1)."""
    if value < 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(max(m * power for m in (1, 2, 5) if m * power <= value))


def size_legend_values(largest: int) -> list[int]:
    """Round episode counts for the circle-size legend, ending with the largest count."""
    if largest <= 0:
        return []
    values = {_nice_at_or_below(largest / 4), _nice_at_or_below(largest / 2), int(largest)}
    return sorted(v for v in values if 0 < v <= largest)


def episodes_over_deciles_map(
    gdf: gpd.GeoDataFrame,
    lead_agency: str | None,
    source: str,
    largest_circle_pt2: float = 500,
    edition: ImdEdition | None = None,
    circles: gpd.GeoDataFrame | None = None,
) -> Figure:
    """Open episodes as circles (area proportional to the count) over the IMD decile map.

    ``circles``: the areas holding the counts (default ``gdf``, the LSOAs); when they are the
    MSOAs of :func:`msoa_frame`, their outlines are drawn over the LSOAs' decile colours.

    LSOAs with no open episode have no circle. Each circle sits on a point inside its LSOA
    (``representative_point``). The size legend uses the same scale as the map. In a published
    report an LSOA whose count is the suppression mark has no circle: it is hatched over its
    decile colour instead, and the circle scale is set by the shown counts only.
    """
    areas = circles if circles is not None else gdf
    by_msoa = "msoa11nm" in areas.columns
    short, plural = ("MSOA", "MSOAs") if by_msoa else ("LSOA", "LSOAs")
    hidden = hidden_lsoas(areas)
    edition = _edition(edition)
    footer = map_footer(source, uses_imd=True, suppressed=bool(hidden.any()), edition=edition)
    title = _title(
        (
            f"Open CAF episodes per MSOA (circles) and deprivation of each LSOA (colour, "
            f"IMD {edition.year})"
            if by_msoa
            else f"Open CAF episodes (circles) and deprivation (colour, IMD {edition.year})"
        ),
        gdf,
        lead_agency,
    )
    fig, ax = _map_axes(gdf, title, footer)
    _plot_deciles(gdf, ax)
    if by_msoa:
        areas.boundary.plot(ax=ax, color=MSOA_OUTLINE, linewidth=MSOA_OUTLINE_WIDTH, zorder=3)
    shown = areas[~hidden].astype({"episodes": "int64"}) if hidden.any() else areas
    largest = int(shown["episodes"].max()) if len(shown) else 0
    per_episode = largest_circle_pt2 / largest if largest > 0 else 0.0
    placed = shown[shown["episodes"] > 0]
    points = placed.geometry.representative_point()
    ax.scatter(
        points.x,
        points.y,
        s=placed["episodes"].to_numpy() * per_episode,
        facecolor=CIRCLE_FACE,
        edgecolor="black",
        linewidth=0.7,
        zorder=4,
    )
    if hidden.any():
        _plot_hidden(areas[hidden], ax, face="none")
        if by_msoa:
            areas.boundary.plot(ax=ax, color=MSOA_OUTLINE, linewidth=MSOA_OUTLINE_WIDTH, zorder=3)
        _outline(gdf, ax)
    _legend(ax, _decile_handles(gdf), edition.legend_title.replace(" decile,", " decile (colour),"))
    size_handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=math.sqrt(value * per_episode),
            markerfacecolor=CIRCLE_FACE,
            markeredgecolor="black",
            markeredgewidth=0.7,
            label=number(value) + (" (largest)" if value == largest else ""),
        )
        for value in size_legend_values(largest)
        # published: no reference circle for a count that is never drawn (1 to 4)
        if not (hidden.any() and policy().is_small(value))
    ]
    if hidden.any():
        size_handles.append(_hidden_handle(int(hidden.sum()), face="white", areas=plural))
    _legend(
        ax,
        size_handles,
        f"Open episodes in the {short}\n(circle area)",
        loc="lower left",
        bbox_to_anchor=(1.02, 0.05),
        labelspacing=1.8,
        borderpad=0.8,
        handletextpad=1.5,
    )
    return _finish_map(fig, ax, footer)


def decile_share_chart(
    deciles: pd.DataFrame,
    lead_agency: str | None,
    snapshot_date: str | pd.Timestamp,
    source: str,
    total_episodes: object = None,
    edition: ImdEdition | None = None,
) -> Figure:
    """Side-by-side bars: share of open episodes and share of LSOAs in each IMD decile
    (``edition``, default IMD 2015).

    Where the episode bar is taller than the LSOA bar, the decile holds more than its share
    of the episodes. ``total_episodes`` (the episodes placed on the map; default: the sum of the
    deciles) is named in the legend. In a published report a share that is the suppression
    mark has no bar, only the mark, and the total may be the mark too (give it: a sum of
    suppressed deciles cannot be taken).
    """
    hidden = (
        deciles["pct_episodes"].map(is_suppressed) | deciles["episodes"].map(is_suppressed)
    ).to_numpy(dtype=bool)
    if total_episodes is None:
        if hidden.any():
            raise ValueError("decile_share_chart: give total_episodes when deciles are hidden")
        total_episodes = int(deciles["episodes"].sum())
    edition = _edition(edition)
    footer = f"{source}\n{edition.attribution}"
    if hidden.any():
        footer += f"\n{suppression_note()}"
    fig, ax = plt.subplots(figsize=(9, 5.0))
    positions = np.arange(len(deciles))
    width = 0.4
    total_lsoas = int(deciles["lsoas"].sum())
    episodes_label = f"Open episodes (% of {number(total_episodes)})"
    groups = (
        ("pct_episodes", episodes_label, PALETTE[0], -width / 2),
        ("pct_lsoas", f"LSOAs (% of {number(total_lsoas)})", LSOA_BAR_COLOUR, width / 2),
    )
    top = 0.0
    for column, label, colour, offset in groups:
        masked = hidden if column == "pct_episodes" else np.zeros(len(deciles), dtype=bool)
        heights = deciles[column]
        if masked.any():  # a hidden share has no bar: height 0, labelled with the mark
            heights = pd.Series(
                [0.0 if m else float(v) for v, m in zip(heights, masked, strict=True)]
            )
        top = max(top, float(heights.max()))
        bars = ax.bar(positions + offset, heights, width, label=label, color=colour)
        for bar, value, is_hidden in zip(bars, deciles[column], masked, strict=True):
            ax.annotate(
                policy().mark if is_hidden else f"{value:.1f}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7.5,
            )
    words = {1: "\nmost\ndeprived", 10: "\nleast\ndeprived"}
    ax.set_xticks(list(positions), [f"{d}{words.get(d, '')}" for d in deciles["imd_decile"]])
    ax.set_xlabel(
        f"IMD {edition.year} decile (national: 1 = most deprived 10% of LSOAs "
        f"({edition.lsoa_vintage}) in England)"
    )
    ax.set_ylabel("% of total")
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_title(
        f"Open episodes and LSOAs by deprivation decile\n{agency_label(lead_agency)}, "
        f"{long_date(snapshot_date)}"
    )
    ax.legend(loc="upper right")
    bottom = max(0.07, footer_room(footer, 5.0, margin_pt=10)) if hidden.any() else 0.07
    fig.tight_layout(rect=(0, bottom, 1, 1))
    add_footer(fig, footer)
    return fig


def explore_map(gdf: gpd.GeoDataFrame, scheme: str = "NaturalBreaks", k: int = 5):
    """An interactive map of open episodes (folium), with no background tiles (no internet).

    In a published report the hidden counts are not in the map at all: the tooltips show the
    mark, the LSOAs are coloured by class (computed from the shown counts, as
    :func:`episodes_map`), with the hidden ones in a class of their own.
    """
    wanted = ("lsoa11cd", "lsoa11nm", "msoa11nm", "lsoas", "episodes", "imd_decile")
    columns = [c for c in wanted if c in gdf]
    short = "MSOA" if "msoa11nm" in gdf else "LSOA"
    # Folium's tooltips put each value into the page as HTML: text columns are escaped first.
    gdf = gdf.copy()
    for column in ("lsoa11cd", "lsoa11nm", "msoa11nm"):
        if column in gdf:
            gdf[column] = gdf[column].map(lambda v: v if pd.isna(v) else html.escape(str(v)))
    hidden = hidden_lsoas(gdf)
    if not hidden.any():
        return gdf[[*columns, "geometry"]].explore(
            column="episodes",
            scheme=scheme,
            k=k,
            cmap=EPISODES_CMAP,
            tiles=None,
            tooltip=columns,
            legend=True,
            style_kwds={"color": EDGE_COLOUR, "weight": 0.5, "fillOpacity": 0.85},
        )
    mark = policy().mark
    shown = ~hidden
    labels = np.full(len(gdf), mark, dtype=object)
    categories_, colours = [], []
    if shown.any():
        classes = classify_shown_counts(gdf.loc[shown, "episodes"], scheme, k)
        labels[shown] = [classes.labels[i] for i in classes.class_of]
        categories_ = list(classes.labels)
        cmap = mpl.colormaps[EPISODES_CMAP]
        colours = [mpl.colors.to_hex(cmap(v)) for v in np.linspace(0.18, 0.95, len(classes.lower))]
    frame = gdf[[*columns, "geometry"]].copy()
    frame["episodes"] = [str(v) if is_suppressed(v) else number(v) for v in gdf["episodes"]]
    frame["class"] = labels
    return frame.explore(
        column="class",
        categorical=True,
        categories=[*categories_, mark],
        cmap=[*colours, HIDDEN_FACE],
        tiles=None,
        tooltip=columns,
        legend=True,
        legend_kwds={"caption": f"Open episodes per {short} ({mark}: count hidden)"},
        style_kwds={"color": EDGE_COLOUR, "weight": 0.5, "fillOpacity": 0.85},
    )
