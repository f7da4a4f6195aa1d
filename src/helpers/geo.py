"""Open episodes by Lower Super Output Area (LSOA 2011), read against IMD 2015, and the maps.

The Cabinet Member report of March 2016 ends Appendix 1 with "a thematic map showing open CAF
episodes within Children and Families First by Lower Super Output Area" and says the service
"reaches the most disadvantaged/vulnerable children". This module builds that map's figures
(every LSOA of the authority, zeros included), accounts for every open episode that cannot be
placed on it, joins the English indices of deprivation 2015 and measures how far the open
episodes sit in the more deprived LSOAs.

Conventions: boundaries are a GeoDataFrame with ``lsoa11cd``, ``lsoa11nm`` and ``geometry`` in
British National Grid (EPSG:27700, metres), as :func:`helpers.reference.load_lsoa_boundaries`
returns them. IMD 2015 rank 1 is the most deprived LSOA in England; decile 1 is the most
deprived 10% of LSOAs in England.

Publication (disclosure control, :func:`helpers.protected.lsoa_figures`): a count may arrive as
the suppression mark (``"[c]"``) instead of a number. The words, maps and charts below then
never show or draw it: a hidden LSOA has its own hatched "[c]" class on the maps, the
classification uses the shown counts only, and a hidden bar is not drawn. With no mark in the
data they draw exactly as before.
"""

from __future__ import annotations

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
from scipy import stats

from helpers import metrics
from helpers.config import Categories, categories
from helpers.disclosure import is_suppressed, policy, suppression_note
from helpers.extract import LSOA11CD_PATTERN
from helpers.plotting import PALETTE, SUPPRESSED_COLOUR, SUPPRESSED_HATCH, add_footer
from helpers.reference import BOUNDARY_ATTRIBUTION, IMD_ATTRIBUTION
from helpers.report import long_date, number, percent

#: Why an open episode could not be placed on the map, in the order they are tested.
UNMATCHED_REASONS: tuple[str, ...] = ("blank", "malformed", "outside the authority")
DECILES: tuple[int, ...] = tuple(range(1, 11))
#: The classification schemes offered for the episodes map (names as mapclassify spells them).
SCHEMES: tuple[str, ...] = ("NaturalBreaks", "FisherJenks", "Quantiles", "EqualInterval")

EPISODES_CMAP = "Purples"
#: IMD deciles 1..10: RdYlBu runs red -> yellow -> blue, so decile 1 (most deprived) is dark
#: red and decile 10 (least deprived) dark blue.
DECILE_COLOURS: tuple[str, ...] = tuple(
    mpl.colors.to_hex(mpl.colormaps["RdYlBu"].resampled(10)(i)) for i in range(10)
)
EDGE_COLOUR = "#ffffff"
OUTLINE_COLOUR = "#333333"
CIRCLE_FACE = (1.0, 1.0, 1.0, 0.45)  # translucent white: the decile colour shows through
LSOA_BAR_COLOUR = "#AAAAAA"
#: An LSOA whose count is suppressed (publication): light grey, hatched, in its own class.
HIDDEN_FACE = SUPPRESSED_COLOUR
HIDDEN_HATCH = SUPPRESSED_HATCH
HIDDEN_HATCH_COLOUR = "#6e6e6e"
MAP_FIGSIZE = (9.0, 6.5)
MAP_WIDTH_SHARE = 0.62  # of the figure's width: the legends take the rest
MAP_TITLE_SHARE = 0.10  # of its height, above the map
FOOTER_FONT_PT = 7.5  # as helpers.plotting.add_footer writes it
_SCHEME_WORDS = {
    "NaturalBreaks": "natural breaks",
    "FisherJenks": "Fisher-Jenks natural breaks",
    "Quantiles": "quantiles",
    "EqualInterval": "equal intervals",
}


def _agency_label(lead_agency: str | None) -> str:
    return lead_agency if lead_agency else "All lead agencies"


# --------------------------------------------------------------------------- counting


def open_by_lsoa(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    lead_agency: str | None,
    boundaries: pd.DataFrame,
    cats: Categories | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open episodes of one lead agency per LSOA of the authority, and those not on the map.

    ``lead_agency`` None (or blank) counts every agency; a name not in ``config`` raises.
    Open is :func:`helpers.metrics.open_at` at ``snapshot_date``.

    Returns ``(table, unmatched)``:

    - ``table``: one row per LSOA of ``boundaries`` (sorted by code, zeros included) with
      ``snapshot_date``, ``lsoa11cd``, ``lsoa11nm``, ``episodes``;
    - ``unmatched``: one row per open episode whose ``lsoa11cd`` is blank, malformed (not
      ``E01`` and six digits, exactly) or not one of the boundaries' LSOAs ("outside the
      authority"), with ``episode_id``, ``lsoa11cd`` (as given) and ``reason``.

    Nothing is dropped: ``table.episodes.sum() + len(unmatched)`` is the number of open
    episodes.
    """
    codes = boundaries["lsoa11cd"]
    if codes.duplicated().any():
        repeated = sorted(codes[codes.duplicated()].unique())
        raise ValueError(f"open_by_lsoa: boundaries repeat LSOA code(s) {repeated}")
    day = metrics.as_timestamp(snapshot_date)
    selected = metrics.open_at(episodes, day)
    if lead_agency:
        known = (cats or categories()).lead_agencies
        if lead_agency not in known:
            raise ValueError(
                f"open_by_lsoa: lead agency {lead_agency!r} is not one of {list(known)} "
                "(blank means all agencies)"
            )
        selected &= episodes["lead_agency"] == lead_agency
    open_now = episodes.loc[selected, ["episode_id", "lsoa11cd"]]

    given = open_now["lsoa11cd"].astype("string")
    blank = (given.isna() | given.str.strip().eq("")).to_numpy(dtype=bool)
    well_formed = given.str.fullmatch(LSOA11CD_PATTERN).fillna(False).to_numpy(dtype=bool)
    malformed = ~blank & ~well_formed
    inside = given.isin(set(codes)).fillna(False).to_numpy(dtype=bool) & ~blank & ~malformed
    outside = ~blank & ~malformed & ~inside

    reason = np.select([blank, malformed, outside], list(UNMATCHED_REASONS), default="")
    unmatched = (
        pd.DataFrame(
            {
                "episode_id": open_now["episode_id"].to_numpy(),
                "lsoa11cd": given.to_numpy(),
                "reason": reason,
            }
        )
        .loc[~inside]
        .sort_values("episode_id", kind="stable")
        .reset_index(drop=True)
    )
    unmatched["lsoa11cd"] = unmatched["lsoa11cd"].astype("string")
    unmatched["reason"] = unmatched["reason"].astype("string")

    counts = given[inside].value_counts()
    lsoas = boundaries[["lsoa11cd", "lsoa11nm"]].sort_values("lsoa11cd").reset_index(drop=True)
    table = pd.DataFrame(
        {
            "snapshot_date": day,
            "lsoa11cd": lsoas["lsoa11cd"].astype("string"),
            "lsoa11nm": lsoas["lsoa11nm"].astype("string"),
            "episodes": counts.reindex(lsoas["lsoa11cd"], fill_value=0).to_numpy().astype("int64"),
        }
    )
    return table, unmatched


def join_imd(table: pd.DataFrame, imd: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``imd_rank`` and ``imd_decile`` added (left join on ``lsoa11cd``).

    ``imd`` is :func:`helpers.reference.load_imd2015` (England or one district). An LSOA of
    ``table`` missing from ``imd`` is an error that names it: the map would otherwise show a
    neighbourhood with no deprivation and the decile shares would not add up.
    """
    columns = ["lsoa11cd", "imd_rank", "imd_decile"]
    reference = imd[columns]
    if reference["lsoa11cd"].duplicated().any():
        raise ValueError("join_imd: the IMD table repeats LSOA codes")
    joined = table.drop(columns=["imd_rank", "imd_decile"], errors="ignore").merge(
        reference.astype({"lsoa11cd": "string"}), on="lsoa11cd", how="left", validate="1:1"
    )
    missing = joined.loc[joined["imd_rank"].isna(), "lsoa11cd"].tolist()
    if missing:
        shown = ", ".join(missing[:20]) + (
            f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        )
        raise ValueError(
            f"join_imd: {len(missing)} LSOA(s) are not in the IMD 2015 table: {shown}. "
            "IMD 2015 covers every LSOA (2011) in England; check the boundaries and the IMD file."
        )
    return joined.astype({"imd_rank": "int64", "imd_decile": "int64"})


def by_imd_decile(table: pd.DataFrame) -> pd.DataFrame:
    """LSOAs and open episodes in each IMD 2015 decile (1 = most deprived), all ten listed.

    Columns ``imd_decile``, ``lsoas``, ``episodes``, ``pct_lsoas`` (share of the authority's
    LSOAs), ``pct_episodes`` (share of the episodes placed on the map), one decimal place.
    """
    deciles = table["imd_decile"]
    if deciles.isna().any() or not deciles.isin(DECILES).all():
        raise ValueError("by_imd_decile: every LSOA needs an IMD decile from 1 to 10 (join_imd)")
    grouped = table.groupby("imd_decile")
    lsoas = grouped.size().reindex(DECILES, fill_value=0).astype("int64")
    episodes = grouped["episodes"].sum().reindex(DECILES, fill_value=0).astype("int64")
    return pd.DataFrame(
        {
            "imd_decile": np.array(DECILES, dtype="int64"),
            "lsoas": lsoas.to_numpy(),
            "episodes": episodes.to_numpy(),
            "pct_lsoas": metrics.share_pct(lsoas).to_numpy(),
            "pct_episodes": metrics.share_pct(episodes).to_numpy(),
        }
    )


#: The columns of the per-LSOA table as written to CSV (IMD blank where it could not be had).
LSOA_CSV_COLUMNS: tuple[str, ...] = (
    "snapshot_date",
    "lsoa11cd",
    "lsoa11nm",
    "episodes",
    "imd_rank",
    "imd_decile",
)


def lsoa_csv(table: pd.DataFrame) -> pd.DataFrame:
    """The per-LSOA table with every CSV column (IMD columns missing when not joined)."""
    out = table.copy()
    for column in ("imd_rank", "imd_decile"):
        if column not in out:
            out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out[list(LSOA_CSV_COLUMNS)]


def busiest_lsoas(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` LSOAs with the most open episodes (ties by LSOA code, so the list is stable)."""
    ordered = table.sort_values(["episodes", "lsoa11cd"], ascending=[False, True], kind="stable")
    return ordered.head(n).reset_index(drop=True)


def unmatched_by_reason(unmatched: pd.DataFrame) -> pd.DataFrame:
    """The open episodes not on the map, counted by reason: every reason, zeros included.

    Columns ``reason`` and ``episodes``, in the order of :data:`UNMATCHED_REASONS`. This is
    what a published report shows in place of the row-level listing of :func:`open_by_lsoa`.
    """
    counts = unmatched["reason"].value_counts()
    return pd.DataFrame(
        {
            "reason": pd.array(UNMATCHED_REASONS, dtype="string"),
            "episodes": [int(counts.get(reason, 0)) for reason in UNMATCHED_REASONS],
        }
    ).astype({"episodes": "int64"})


def unmatched_in_words(unmatched: pd.DataFrame, area_name: str, total: object = None) -> str:
    """One sentence on the open episodes that are not on the map, by reason.

    ``unmatched`` is either the row-level listing of :func:`open_by_lsoa` (for the analysts'
    edition: the episodes are "listed below") or, in a published report, the count table of
    :func:`unmatched_by_reason`, whose counts may be the suppression mark; then ``total`` (the
    number of unmatched episodes, or the mark) is required, the sentence names the count
    table (``unmatched_by_reason.csv``) and says the episodes themselves are listed only
    in the unpublished edition. A reason with no episode is left out; a hidden one never is.
    """
    by_reason = "episodes" in unmatched.columns
    if by_reason and total is None:
        raise ValueError("unmatched_in_words: give the total with a count table by reason")
    if not by_reason:
        total = len(unmatched)
    if not is_suppressed(total) and int(total) == 0:
        return f"Every open episode has a valid home LSOA in {area_name}: none is off the map."
    phrases = {
        "blank": "no home LSOA recorded",
        "malformed": "a home LSOA code that is not a valid 2011 LSOA code",
        "outside the authority": f"a home LSOA outside {area_name}",
    }
    if by_reason:
        counts = dict(zip(unmatched["reason"], unmatched["episodes"], strict=True))
    else:
        counts = unmatched["reason"].value_counts().to_dict()
    parts = [
        f"{number(counts[reason])} with {phrases[reason]}"
        for reason in UNMATCHED_REASONS
        if reason in counts and (is_suppressed(counts[reason]) or int(counts[reason]) > 0)
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    listed = f" ({listed})" if parts else ""
    if by_reason:
        return (
            f"{number(total)} open episodes are not on the map{listed}. They are counted in "
            "the total above and, by reason, below and in the data quality table "
            "(`unmatched_by_reason.csv`). The episodes themselves are listed only in "
            "the unpublished edition, for correction in the case system."
        )
    return (
        f"{number(total)} open episodes are not on the map{listed}. They are counted in "
        "the total above, listed below and written to the data quality table "
        "(`data_quality_lsoa.csv`) for correction in the case system."
    )


# --------------------------------------------------------------------------- concentration


@dataclass(frozen=True)
class DeprivationConcentration:
    """How far open episodes sit in the more deprived LSOAs: :func:`deprivation_concentration`.

    In a published report (:func:`helpers.protected.lsoa_figures`) the episode counts, and the
    shares built on them, may be the suppression mark; the LSOA counts (areas, not people),
    the concentration index and Spearman's rho never are.
    """

    lsoas: int
    episodes: int
    lsoas_decile_1: int
    episodes_decile_1: int
    pct_lsoas_decile_1: float
    pct_episodes_decile_1: float
    lsoas_deciles_1_2: int
    episodes_deciles_1_2: int
    pct_lsoas_deciles_1_2: float
    pct_episodes_deciles_1_2: float
    concentration_index: float
    spearman_rho: float
    spearman_p: float

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)

    def shares_table(self) -> pd.DataFrame:
        """The two "most deprived" groups: LSOAs and episodes, counts and shares."""
        table = pd.DataFrame(
            {
                "group": [
                    "Most deprived 10% in England (decile 1)",
                    "Most deprived 20% in England (deciles 1-2)",
                ],
                "lsoas": [self.lsoas_decile_1, self.lsoas_deciles_1_2],
                "pct_lsoas": [self.pct_lsoas_decile_1, self.pct_lsoas_deciles_1_2],
                "episodes": [self.episodes_decile_1, self.episodes_deciles_1_2],
                "pct_episodes": [self.pct_episodes_decile_1, self.pct_episodes_deciles_1_2],
            }
        )
        if table["episodes"].map(is_suppressed).any():  # published: the mark stays as it is
            return table.astype({"lsoas": "int64", "episodes": object, "pct_episodes": object})
        return table.astype({"lsoas": "int64", "episodes": "int64"})


def concentration_index(
    episodes: pd.Series | np.ndarray, imd_rank: pd.Series | np.ndarray
) -> float:
    """The standard concentration index of ``episodes`` over LSOAs ranked by deprivation.

    LSOAs are ordered from most deprived (lowest IMD rank) to least deprived and given the
    fractional rank ``R_i = (r_i - 0.5) / n``, where ``r_i`` is the position 1..n (ties share
    their average position) and ``n`` the number of LSOAs, each LSOA weighted equally. With
    ``y_i`` the episodes of LSOA ``i`` and ``mean(y)`` their mean,

        C = 2 * cov(y, R) / mean(y) = (2 / (n * mean(y))) * sum(y_i * R_i) - 1,

    (``cov`` the population covariance). C lies between -1 and 1: 0 when episodes are spread
    evenly over the deprivation ranking, negative when they are concentrated in the more
    deprived LSOAs (``1/n - 1``, close to -1, when all are in the single most deprived),
    positive when concentrated in the less deprived. Equivalently, C = 1 - 2A, where A is the
    area under the concentration curve (cumulative share of episodes against cumulative share
    of LSOAs, most deprived first, joined by straight lines). NaN when there are no episodes.
    """
    y = np.asarray(episodes, dtype="float64")
    n = len(y)
    if n == 0 or y.sum() == 0:
        return float("nan")
    fractional_rank = (stats.rankdata(np.asarray(imd_rank), method="average") - 0.5) / n
    return float(2.0 * np.sum(y * fractional_rank) / (n * y.mean()) - 1.0)


def deprivation_concentration(table: pd.DataFrame) -> DeprivationConcentration:
    """Whether the open episodes of ``table`` (one row per LSOA, IMD joined) favour deprivation.

    - the share of episodes in LSOAs in the most deprived 10% in England (decile 1) and 20%
      (deciles 1-2), against those LSOAs' share of the authority's LSOAs (both by
      :func:`helpers.metrics.pct`, one decimal place);
    - :func:`concentration_index` of episodes over LSOAs ranked by IMD rank (negative:
      concentrated in the more deprived);
    - Spearman's rank correlation between episodes per LSOA and IMD rank, with its two-sided
      p-value (:func:`scipy.stats.spearmanr`). IMD rank 1 is the most deprived, so a negative
      rho means LSOAs that are more deprived tend to have more open episodes. NaN when either
      is constant.
    """
    episodes = table["episodes"].astype("int64")
    total_lsoas, total_episodes = len(table), int(episodes.sum())
    in_1 = table["imd_decile"] == 1
    in_1_2 = table["imd_decile"] <= 2
    if episodes.nunique() > 1 and table["imd_rank"].nunique() > 1:
        result = stats.spearmanr(episodes, table["imd_rank"])
        rho, p_value = float(result.statistic), float(result.pvalue)
    else:
        rho = p_value = float("nan")
    return DeprivationConcentration(
        lsoas=total_lsoas,
        episodes=total_episodes,
        lsoas_decile_1=int(in_1.sum()),
        episodes_decile_1=int(episodes[in_1].sum()),
        pct_lsoas_decile_1=metrics.pct(int(in_1.sum()), total_lsoas),
        pct_episodes_decile_1=metrics.pct(int(episodes[in_1].sum()), total_episodes),
        lsoas_deciles_1_2=int(in_1_2.sum()),
        episodes_deciles_1_2=int(episodes[in_1_2].sum()),
        pct_lsoas_deciles_1_2=metrics.pct(int(in_1_2.sum()), total_lsoas),
        pct_episodes_deciles_1_2=metrics.pct(int(episodes[in_1_2].sum()), total_episodes),
        concentration_index=concentration_index(episodes, table["imd_rank"]),
        spearman_rho=rho,
        spearman_p=p_value,
    )


def _p_words(p_value: float) -> str:
    if p_value < 0.001:
        return "less than 1 in 1,000"
    return f"about {p_value:.3f}"


def _verdict(c: DeprivationConcentration) -> str:
    shares = (c.pct_episodes_decile_1, c.pct_episodes_deciles_1_2)
    if any(is_suppressed(v) for v in shares):
        return _verdict_from_rank_correlation(c)
    over = (
        c.pct_episodes_decile_1 > c.pct_lsoas_decile_1
        and c.pct_episodes_deciles_1_2 > c.pct_lsoas_deciles_1_2
    )
    under = (
        c.pct_episodes_decile_1 < c.pct_lsoas_decile_1
        and c.pct_episodes_deciles_1_2 < c.pct_lsoas_deciles_1_2
    )
    significant = not math.isnan(c.spearman_p) and c.spearman_p < 0.05
    if over and significant and c.spearman_rho < 0:
        return (
            "**These figures support the report's statement** that the service reaches the most "
            "disadvantaged children, in one sense: its open cases are concentrated in the most "
            "deprived neighbourhoods, well beyond those neighbourhoods' share of the city."
        )
    if under and significant and c.spearman_rho > 0:
        return (
            "**These figures do not support the report's statement** that the service reaches "
            "the most disadvantaged children: its open cases are under-represented in the most "
            "deprived neighbourhoods."
        )
    return (
        "**These figures neither support nor contradict the report's statement** that the "
        "service reaches the most disadvantaged children: there is no clear pattern by "
        "deprivation."
    )


def _verdict_from_rank_correlation(c: DeprivationConcentration) -> str:
    """The verdict when the shares of episodes are suppressed: the rank correlation alone."""
    significant = not math.isnan(c.spearman_p) and c.spearman_p < 0.05
    hidden = (
        "The shares of episodes in the most deprived LSOAs are not published (disclosure "
        "control), so this verdict rests on the rank correlation alone: "
    )
    if significant and c.spearman_rho < 0:
        return hidden + (
            "**it supports the report's statement** that the service reaches the most "
            "disadvantaged children, in one sense: more deprived neighbourhoods tend to have "
            "more open cases."
        )
    if significant and c.spearman_rho > 0:
        return hidden + (
            "**it does not support the report's statement** that the service reaches the most "
            "disadvantaged children: more deprived neighbourhoods tend to have fewer open cases."
        )
    return hidden + (
        "**it neither supports nor contradicts the report's statement** that the service "
        "reaches the most disadvantaged children: there is no clear pattern by deprivation."
    )


def concentration_in_words(
    result: DeprivationConcentration,
    snapshot_date: str | pd.Timestamp,
    lead_agency: str | None,
    area_name: str,
) -> str:
    """The concentration figures in plain words (Markdown), with what they do and do not show.

    The verdict on the report's "reaches the most disadvantaged/vulnerable children" is:
    supported when episodes are over-represented in decile 1 and in deciles 1-2 and the rank
    correlation is negative with p < 0.05; contradicted when they are under-represented in
    both and the correlation is positive with p < 0.05; otherwise neither. When the shares are
    suppressed (a published report), the counts and shares print as the mark, the ratio to an
    even spread is left out (it would give the hidden count) and the verdict rests on the rank
    correlation alone.
    """
    c = result
    who, day = _agency_label(lead_agency), long_date(snapshot_date)
    if not is_suppressed(c.episodes) and c.episodes == 0:
        return f"{who} had no open episode that could be placed on the map on {day}."
    lines = [
        f"On {day}, {number(c.episodes)} open episodes of {who} could be placed in one of "
        f"{area_name}'s {c.lsoas:,} LSOAs (small neighbourhoods of about 1,500 residents).",
        "",
        f"- **{percent(c.pct_episodes_decile_1)}** of these episodes "
        f"({number(c.episodes_decile_1)}) were "
        f"in LSOAs among the most deprived 10% in England, though those LSOAs are only "
        f"**{c.pct_lsoas_decile_1:.1f}%** of {area_name}'s LSOAs ({c.lsoas_decile_1:,} of "
        f"{c.lsoas:,}).",
        f"- **{percent(c.pct_episodes_deciles_1_2)}** of the episodes "
        f"({number(c.episodes_deciles_1_2)}) were in the most deprived 20% in England, which "
        f"make up **{c.pct_lsoas_deciles_1_2:.1f}%** of the LSOAs ({c.lsoas_deciles_1_2:,}).",
    ]
    ratio_hidden = is_suppressed(c.episodes_decile_1) or is_suppressed(c.episodes)
    if c.lsoas_decile_1 > 0 and not ratio_hidden:
        ratio = (c.episodes_decile_1 / c.episodes) / (c.lsoas_decile_1 / c.lsoas)
        lines.append(
            f"- So the most deprived 10% of LSOAs hold {ratio:.1f} times the share of episodes "
            f"they would hold if episodes were spread evenly over the LSOAs."
        )
    if not math.isnan(c.spearman_rho):
        direction = "more" if c.spearman_rho < 0 else "fewer"
        lines.append(
            f"- The more deprived an LSOA, the {direction} open episodes it tends to have: "
            f"Spearman's rank correlation between episodes and IMD rank is "
            f"**{c.spearman_rho:.2f}** (it runs from -1 to 1; negative means more episodes "
            f"where deprivation is greater). If there were no link, a correlation at least this "
            f"strong would arise by chance with a probability of {_p_words(c.spearman_p)}."
        )
    lines.append(
        f"- The concentration index is **{c.concentration_index:.2f}** (0: episodes spread "
        f"evenly across the LSOAs from most to least deprived; negative: concentrated in the "
        f"more deprived; close to -1: all in the single most deprived LSOA)."
    )
    lines += [
        "",
        _verdict(c),
        "",
        "What this does not show: deprivation here describes the neighbourhood, not the family, "
        "so it cannot say that each family helped is itself disadvantaged, nor how many "
        "disadvantaged children the service does not reach. LSOAs hold similar numbers of "
        "residents but not of children: a fuller test would compare episodes with the number "
        "of children living in each LSOA.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- map data


def map_frame(boundaries: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The boundaries with the columns of ``table`` (one row per LSOA) joined on ``lsoa11cd``."""
    joined = boundaries[["lsoa11cd", "geometry"]].merge(
        table.astype({"lsoa11cd": boundaries["lsoa11cd"].dtype}),
        on="lsoa11cd",
        how="inner",
        validate="1:1",
    )
    if len(joined) != len(table):
        raise ValueError("map_frame: the table and the boundaries do not hold the same LSOAs")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=boundaries.crs)


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


def add_scale_bar(ax: Axes, length_m: int = 2000, segments: int = 2) -> None:
    """A black-and-white scale bar in British National Grid metres, bottom left of the map."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = x1 - x0, y1 - y0
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
    for i in range(segments + 1):
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


def map_footer(source: str, uses_imd: bool, suppressed: bool = False) -> str:
    """The map's footer lines: data source, boundary attribution, IMD attribution if used.

    ``suppressed``: the map shows the suppression mark, and a last line says what it means.
    """
    lines = [source, BOUNDARY_ATTRIBUTION]
    if uses_imd:
        lines.append(IMD_ATTRIBUTION)
    if suppressed:
        lines.append(suppression_note())
    return "\n".join(lines)


def hidden_lsoas(gdf: pd.DataFrame) -> np.ndarray:
    """Which rows' ``episodes`` are the suppression mark (a published report), as booleans."""
    return np.array([is_suppressed(v) for v in gdf["episodes"]], dtype=bool)


def _hidden_label(n_lsoas: int) -> str:
    return f"{policy().mark} count hidden:  {n_lsoas} LSOAs"


def _hidden_handle(n_lsoas: int, face: object = HIDDEN_FACE) -> Patch:
    return Patch(
        facecolor=face,
        edgecolor=HIDDEN_HATCH_COLOUR,
        hatch=HIDDEN_HATCH,
        linewidth=0.6,
        label=_hidden_label(n_lsoas),
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


def _footer_height(footer: str, fig_height_in: float) -> float:
    """The share of the figure's height the footer lines take, with a small margin."""
    lines = footer.count("\n") + 1
    return (lines * FOOTER_FONT_PT * 1.3 + 10) / (fig_height_in * 72)


def _map_axes(gdf: gpd.GeoDataFrame, title: str, footer: str) -> tuple[Figure, Axes]:
    """A figure with the map on the left, room for legends on the right and the footer below.

    The axes are placed by hand: ``tight_layout`` leaves no room for legends outside them.
    """
    fig = plt.figure(figsize=MAP_FIGSIZE)
    bottom = _footer_height(footer, MAP_FIGSIZE[1]) + 0.01
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
    return f"{what}\n{_agency_label(lead_agency)}, {day}"


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
) -> Figure:
    """Choropleth of open episodes per LSOA, classed by ``scheme`` with ``k`` classes.

    ``gdf`` is :func:`map_frame` of :func:`open_by_lsoa`'s table. The legend gives each class
    as a whole-number range, with how many LSOAs fall in it. In a published report, LSOAs whose
    count is the suppression mark are drawn light grey and hatched, in a class of their own
    labelled with the mark; the classes of the others are computed from the shown counts only,
    so no class boundary depends on a hidden count.
    """
    hidden = hidden_lsoas(gdf)
    shown = gdf[~hidden] if hidden.any() else gdf
    cmap = mpl.colormaps[EPISODES_CMAP]
    footer = map_footer(source, uses_imd=False, suppressed=bool(hidden.any()))
    title = _title("Open CAF episodes by Lower Super Output Area (LSOA)", gdf, lead_agency)
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
            Patch(facecolor=colour, edgecolor="#999999", label=f"{label}:  {count} LSOAs")
            for colour, label, count in zip(colours, classes.labels, classes.counts, strict=True)
        ]
    if hidden.any():
        _plot_hidden(gdf[hidden], ax)
        handles.append(_hidden_handle(int(hidden.sum())))
    _outline(gdf, ax)
    _legend(ax, handles, f"Open episodes per LSOA\n({_SCHEME_WORDS[scheme]}, {n} classes)")
    return _finish_map(fig, ax, footer)


def _decile_handles(gdf: gpd.GeoDataFrame) -> list[Patch]:
    counts = gdf["imd_decile"].value_counts()
    words = {1: " most deprived", 10: " least deprived"}
    return [
        Patch(
            facecolor=colour,
            edgecolor="#999999",
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


def imd_decile_map(gdf: gpd.GeoDataFrame, source: str) -> Figure:
    """IMD 2015 decile of each LSOA: decile 1 (most deprived in England) dark red, 10 dark blue."""
    footer = map_footer(source, uses_imd=True)
    day = long_date(gdf["snapshot_date"].iloc[0])
    title = (
        "Deprivation (IMD 2015 decile) of each LSOA\n"
        f"for reading against the open CAF episodes of {day}"
    )
    fig, ax = _map_axes(gdf, title, footer)
    _plot_deciles(gdf, ax)
    _legend(ax, _decile_handles(gdf), "IMD 2015 decile,\nranked across England")
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
    gdf: gpd.GeoDataFrame, lead_agency: str | None, source: str, largest_circle_pt2: float = 500
) -> Figure:
    """Open episodes as circles (area proportional to the count) over the IMD decile map.

    LSOAs with no open episode have no circle. Each circle sits on a point inside its LSOA
    (``representative_point``). The size legend uses the same scale as the map. In a published
    report an LSOA whose count is the suppression mark has no circle: it is hatched over its
    decile colour instead, and the circle scale is set by the shown counts only.
    """
    hidden = hidden_lsoas(gdf)
    footer = map_footer(source, uses_imd=True, suppressed=bool(hidden.any()))
    title = _title("Open CAF episodes (circles) and deprivation (colour)", gdf, lead_agency)
    fig, ax = _map_axes(gdf, title, footer)
    _plot_deciles(gdf, ax)
    shown = gdf[~hidden].astype({"episodes": "int64"}) if hidden.any() else gdf
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
        _plot_hidden(gdf[hidden], ax, face="none")
        _outline(gdf, ax)
    _legend(ax, _decile_handles(gdf), "IMD 2015 decile (colour),\nranked across England")
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
            label=f"{value:,}" + (" (largest)" if value == largest else ""),
        )
        for value in size_legend_values(largest)
        # published: no reference circle for a count that is never drawn (1 to 4)
        if not (hidden.any() and policy().is_small(value))
    ]
    if hidden.any():
        size_handles.append(_hidden_handle(int(hidden.sum()), face="white"))
    _legend(
        ax,
        size_handles,
        "Open episodes in the LSOA\n(circle area)",
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
) -> Figure:
    """Side-by-side bars: share of open episodes and share of LSOAs in each IMD 2015 decile.

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
    footer = f"{source}\n{IMD_ATTRIBUTION}"
    if hidden.any():
        footer += f"\n{suppression_note()}"
    fig, ax = plt.subplots(figsize=(9, 5.0))
    positions = np.arange(len(deciles))
    width = 0.4
    total_lsoas = int(deciles["lsoas"].sum())
    episodes_label = f"Open episodes (% of {number(total_episodes)})"
    groups = (
        ("pct_episodes", episodes_label, PALETTE[0], -width / 2),
        ("pct_lsoas", f"LSOAs (% of {total_lsoas:,})", LSOA_BAR_COLOUR, width / 2),
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
    ax.set_xlabel("IMD 2015 decile (national: 1 = most deprived 10% of LSOAs in England)")
    ax.set_ylabel("% of total")
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_title(
        f"Open episodes and LSOAs by deprivation decile\n{_agency_label(lead_agency)}, "
        f"{long_date(snapshot_date)}"
    )
    ax.legend(loc="upper right")
    bottom = max(0.07, _footer_height(footer, 5.0)) if hidden.any() else 0.07
    fig.tight_layout(rect=(0, bottom, 1, 1))
    add_footer(fig, footer)
    return fig


def explore_map(gdf: gpd.GeoDataFrame, scheme: str = "NaturalBreaks", k: int = 5):
    """An interactive map of open episodes (folium), with no background tiles (no internet).

    In a published report the hidden counts are not in the map at all: the tooltips show the
    mark, the LSOAs are coloured by class (computed from the shown counts, as
    :func:`episodes_map`), with the hidden ones in a class of their own.
    """
    columns = [c for c in ("lsoa11cd", "lsoa11nm", "episodes", "imd_decile") if c in gdf]
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
            style_kwds={"color": "#ffffff", "weight": 0.5, "fillOpacity": 0.85},
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
    frame["episodes"] = [str(v) if is_suppressed(v) else f"{int(v):,}" for v in gdf["episodes"]]
    frame["class"] = labels
    return frame.explore(
        column="class",
        categorical=True,
        categories=[*categories_, mark],
        cmap=[*colours, HIDDEN_FACE],
        tiles=None,
        tooltip=columns,
        legend=True,
        legend_kwds={"caption": f"Open episodes per LSOA ({mark}: count hidden)"},
        style_kwds={"color": "#ffffff", "weight": 0.5, "fillOpacity": 0.85},
    )
