"""Open episodes by Lower Super Output Area (LSOA 2011), read against IMD 2015: the map's figures.

The Cabinet Member report of March 2016 ends Appendix 1 with "a thematic map showing open CAF
episodes within Children and Families First by Lower Super Output Area" and says the service
"reaches the most disadvantaged/vulnerable children". This module builds that map's figures
(every LSOA of the authority, zeros included), accounts for every open episode that cannot be
placed on it, joins the English indices of deprivation 2015 and measures how far the open
episodes sit in the more deprived LSOAs, in numbers and in words. Drawing them is
:mod:`helpers.maps`.

Floor 2 (tables). Plain pandas: no geopandas, so a kernel that draws no map never loads it;
scipy (rank statistics) is imported only when the concentration is measured.

Conventions: boundaries are a frame with ``lsoa11cd`` and ``lsoa11nm`` (a GeoDataFrame in
British National Grid, as :func:`helpers.reference.load_lsoa_boundaries` returns them, serves).
IMD 2015 rank 1 is the most deprived LSOA in England; decile 1 is the most deprived 10% of LSOAs
in England.

Publication (disclosure control, :func:`helpers.figures.lsoa_figures`): a count may arrive as
the suppression mark (``"[c]"``) instead of a number. The words below then never show it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import metrics
from helpers.config import Categories, categories
from helpers.disclosure import is_suppressed
from helpers.extract import LSOA11CD_PATTERN
from helpers.formats import long_date, number, percent

#: Why an open episode could not be placed on the map, in the order they are tested.
UNMATCHED_REASONS: tuple[str, ...] = ("blank", "malformed", "outside the authority")
#: Why a home coded in the other LSOA vintage could not be placed (listed only when it happens):
#: a 2011 LSOA split into several 2021 LSOAs, a 2021 LSOA made by merging 2011 LSOAs, or an
#: irregular change. The home could be in any of the parts: it is never placed by guess.
CONVERSION_REASONS: tuple[str, ...] = ("split in 2021", "merged in 2021", "changed irregularly")
DECILES: tuple[int, ...] = tuple(range(1, 11))
#: An LSOA's name is its MSOA's name and a letter: "Coventry 001A" lies in MSOA "Coventry 001"
#: (the ONS names both so, in 2011 and in 2021, for every authority).
LSOA_NAME_IN_MSOA = re.compile(r"^(?P<msoa>.*\S \d{3,})[A-Z]$")


def agency_label(lead_agency: str | None) -> str:
    """Who the figures are for, as titles and sentences name them."""
    return lead_agency if lead_agency else "All lead agencies"


# --------------------------------------------------------------------------- LSOA vintages


@dataclass(frozen=True)
class VintageConversion:
    """Homes coded in LSOA (2011) placed on an LSOA (2021) map, or the reverse.

    ``lookup`` is the ONS LSOA (2011) to LSOA (2021) lookup
    (:func:`helpers.reference.load_lsoa_lookup`: ``lsoa11cd``, ``change``, ``lsoa21cd``), one
    row per pair; ``map_vintage`` is the vintage of the map's LSOAs (2011 or 2021).
    """

    map_vintage: int
    lookup: pd.DataFrame

    def __post_init__(self) -> None:
        if self.map_vintage not in (2011, 2021):
            raise ValueError(f"VintageConversion: no LSOA vintage {self.map_vintage}")

    @property
    def other_vintage(self) -> int:
        return 2021 if self.map_vintage == 2011 else 2011

    def convert(self, codes: pd.Series, area: set[str]) -> tuple[pd.Series, pd.Series]:
        """Each code as an LSOA of the map's vintage where that is exact, and why not otherwise.

        Returns ``(converted, reason)`` aligned with ``codes``. A code already of the map's
        vintage, or unknown in both (blank, malformed, a mistyped code), is returned as given
        with no reason: its treatment is decided as before. A code of the other vintage whose
        area lies wholly in one LSOA of the map's vintage in ``area`` (unchanged; merged, from
        2011 to 2021; split, from 2021 to 2011) becomes that LSOA. One whose area is divided
        among several (split from 2011 to 2021, merged from 2021 to 2011) or changed
        irregularly (ONS change code X) is returned as given with its reason from
        :data:`CONVERSION_REASONS`. One whose areas all lie outside ``area`` is returned as
        given with no reason: it is outside the authority.
        """
        mine = "lsoa11cd" if self.map_vintage == 2011 else "lsoa21cd"
        theirs = "lsoa21cd" if self.map_vintage == 2011 else "lsoa11cd"
        known_mine = set(self.lookup[mine])
        given = codes.astype("string")
        candidates = given[~given.isin(known_mine).fillna(True) & given.notna()].unique()
        rows = self.lookup[self.lookup[theirs].isin(set(candidates))]
        placed: dict[str, str] = {}
        why: dict[str, str] = {}
        divided = CONVERSION_REASONS[0] if self.map_vintage == 2021 else CONVERSION_REASONS[1]
        for code, group in rows.groupby(theirs, sort=False):
            targets = set(group[mine])
            if not targets & area:
                continue  # every part outside the authority
            if (group["change"] == "X").any():
                why[code] = CONVERSION_REASONS[2]
            elif len(targets) == 1:
                placed[code] = next(iter(targets))
            else:
                why[code] = divided
        converted = given.map(lambda c: placed.get(c, c) if isinstance(c, str) else c)
        reason = given.map(lambda c: why.get(c) if isinstance(c, str) else None)
        return converted.astype("string"), reason.astype("string")

    def found_in_words(self, codes: pd.Series) -> str:
        """Which vintage the recorded codes are of, in one sentence for the page."""
        given = pd.Series(codes.dropna().astype("string").unique(), dtype="string")
        only_11 = set(self.lookup["lsoa11cd"]) - set(self.lookup["lsoa21cd"])
        only_21 = set(self.lookup["lsoa21cd"]) - set(self.lookup["lsoa11cd"])
        n11, n21 = int(given.isin(only_11).sum()), int(given.isin(only_21).sum())

        def codes(n: int) -> str:
            return f"{n:,} code exists" if n == 1 else f"{n:,} codes exist"

        if n11 == 0 and n21 == 0:
            found = "every recorded home LSOA code is the same in 2011 and 2021"
        elif n21 == 0:
            found = (
                f"the home LSOAs are recorded in 2011 codes ({codes(n11)} only in 2011, "
                "none only in 2021)"
            )
        elif n11 == 0:
            found = (
                f"the home LSOAs are recorded in 2021 codes ({codes(n21)} only in 2021, "
                "none only in 2011)"
            )
        else:
            found = (
                f"the home LSOAs are recorded in a mix of codes ({n11:,} exist only in 2011 "
                f"and {n21:,} only in 2021)"
            )
        return (
            f"The map uses the LSOAs of {self.map_vintage}; {found}. A home recorded in the "
            f"other year's code is placed through the Office for National Statistics' lookup "
            f"between the two where its area lies wholly in one LSOA of {self.map_vintage}; "
            "where it does not, it is listed below and left off the map, never placed by guess."
        )


# --------------------------------------------------------------------------- counting


def open_by_lsoa(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    lead_agency: str | None,
    boundaries: pd.DataFrame,
    cats: Categories | None = None,
    conversion: VintageConversion | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open episodes of one lead agency per LSOA of the authority, and those not on the map.

    With ``conversion`` (the map's LSOA vintage and the ONS lookup), a home coded in the other
    vintage is placed through :meth:`VintageConversion.convert`: an unchanged or wholly
    contained area exactly, a split, merged or irregularly changed one listed with that reason.

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
    area = set(codes)
    reason_changed = np.full(len(given), "", dtype=object)
    if conversion is not None:
        converted, why = conversion.convert(given, area)
        reason_changed = why.fillna("").to_numpy(dtype=object)
        given_placed = converted
    else:
        given_placed = given
    inside = given_placed.isin(area).fillna(False).to_numpy(dtype=bool) & ~blank & ~malformed
    changed = (reason_changed != "") & ~blank & ~malformed & ~inside
    outside = ~blank & ~malformed & ~inside & ~changed

    reason = np.select(
        [blank, malformed, changed, outside],
        [UNMATCHED_REASONS[0], UNMATCHED_REASONS[1], reason_changed, UNMATCHED_REASONS[2]],
        default="",
    )
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

    counts = given_placed[inside].value_counts()
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
            f"join_imd: {len(missing)} LSOA(s) are not in the IMD table: {shown}. "
            "Each edition covers every LSOA of its year in England (2011 for IMD 2015 and "
            "2019, 2021 for IMD 2025); check that the map's LSOAs are of the edition's year."
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


def lsoa_csv(table: pd.DataFrame, lsoa_vintage: int = 2011) -> pd.DataFrame:
    """The per-LSOA table with every CSV column (IMD columns missing when not joined).

    The code and name columns are named for the map's LSOA vintage: ``lsoa11cd`` and
    ``lsoa11nm``, or ``lsoa21cd`` and ``lsoa21nm`` on a map of LSOAs (2021).
    """
    out = table.copy()
    for column in ("imd_rank", "imd_decile"):
        if column not in out:
            out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    out = out[list(LSOA_CSV_COLUMNS)]
    if lsoa_vintage == 2021:
        out = out.rename(columns={"lsoa11cd": "lsoa21cd", "lsoa11nm": "lsoa21nm"})
    return out


def busiest_lsoas(table: pd.DataFrame, n: int = 10, key: str = "lsoa11cd") -> pd.DataFrame:
    """The ``n`` areas with the most open episodes (ties by ``key``, so the list is stable).

    ``key`` is the area's code or name column: ``lsoa11cd`` for LSOAs, ``msoa11nm`` for the
    table of :func:`open_by_msoa`.
    """
    ordered = table.sort_values(["episodes", key], ascending=[False, True], kind="stable")
    return ordered.head(n).reset_index(drop=True)


# --------------------------------------------------------------------------- MSOAs


def msoa_of(boundaries: pd.DataFrame) -> pd.Series:
    """Each LSOA's MSOA (middle layer), named from its name: ``Coventry 001A`` -> ``Coventry 001``.

    Returns the MSOA names indexed by ``lsoa11cd``. An LSOA whose name does not end in a
    three-digit number and a letter is an error naming it: its MSOA cannot be known.
    """
    names = boundaries["lsoa11nm"].astype("string")
    stems = names.str.extract(LSOA_NAME_IN_MSOA, expand=False)
    bad = names[stems.isna()]
    if len(bad):
        codes = boundaries.loc[bad.index, "lsoa11cd"].astype("string")
        shown = ", ".join(
            f"{c} ({n!r})" if not pd.isna(n) else f"{c} (no name)"
            for c, n in zip(codes[:5], bad[:5], strict=True)
        )
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ValueError(
            f"The middle-layer neighbourhood (MSOA) of {len(bad)} LSOA(s) cannot be told from "
            f"the name: {shown}{more}. An LSOA's name should be its MSOA's name and a letter, "
            "for example Coventry 001A in Coventry 001."
        )
    return pd.Series(
        stems.to_numpy(), index=boundaries["lsoa11cd"].astype("string"), name="msoa11nm"
    )


def open_by_msoa(table: pd.DataFrame, msoas: pd.Series) -> pd.DataFrame:
    """Open episodes per MSOA: the LSOA ``table`` (:func:`open_by_lsoa`) added up by ``msoas``.

    ``msoas`` gives each LSOA's MSOA (:func:`msoa_of`); every LSOA of the table needs one.
    Returns one row per MSOA, sorted by name: ``snapshot_date``, ``msoa11nm`` (for either
    vintage, as ``lsoa11cd``), ``lsoas`` (how many LSOAs it holds), ``episodes``.
    """
    msoa = table["lsoa11cd"].map(msoas)
    if msoa.isna().any():
        missing = ", ".join(table.loc[msoa.isna(), "lsoa11cd"].astype(str)[:5])
        raise ValueError(f"LSOA(s) {missing} belong to no MSOA: give every LSOA its MSOA.")
    grouped = table.assign(msoa11nm=msoa.astype("string")).groupby("msoa11nm", sort=True)
    out = pd.DataFrame(
        {
            "lsoas": grouped.size().astype("int64"),
            "episodes": grouped["episodes"].sum().astype("int64"),
        }
    ).reset_index()
    out.insert(0, "snapshot_date", table["snapshot_date"].iloc[0] if len(table) else pd.NaT)
    return out


#: The columns of the per-MSOA table as written to CSV.
MSOA_CSV_COLUMNS: tuple[str, ...] = ("snapshot_date", "msoa11nm", "lsoas", "episodes")


def msoa_csv(table: pd.DataFrame, lsoa_vintage: int = 2011) -> pd.DataFrame:
    """The per-MSOA table with its CSV columns, the name column named for the vintage."""
    out = table[list(MSOA_CSV_COLUMNS)]
    if lsoa_vintage == 2021:
        out = out.rename(columns={"msoa11nm": "msoa21nm"})
    return out


def unmatched_by_reason(unmatched: pd.DataFrame) -> pd.DataFrame:
    """The open episodes not on the map, counted by reason: every reason, zeros included.

    Columns ``reason`` and ``episodes``, in the order of :data:`UNMATCHED_REASONS`. This is
    what a published report shows in place of the row-level listing of :func:`open_by_lsoa`.
    """
    counts = unmatched["reason"].value_counts()
    reasons = list(UNMATCHED_REASONS) + [r for r in CONVERSION_REASONS if counts.get(r, 0) > 0]
    return pd.DataFrame(
        {
            "reason": pd.array(reasons, dtype="string"),
            "episodes": [int(counts.get(reason, 0)) for reason in reasons],
        }
    ).astype({"episodes": "int64"})


def unmatched_in_words(unmatched: pd.DataFrame, area_name: str, total: object = None) -> str:
    """One sentence on the open episodes that are not on the map, by reason.

    ``unmatched`` is either the row-level listing of :func:`open_by_lsoa` (for the analysts'
    edition: the episodes are "listed below") or, in a published report, the count table of
    :func:`unmatched_by_reason`, whose counts may be the suppression mark; then ``total`` (the
    number of unmatched episodes, or the mark) is required, the sentence names the count
    table (``unmatched_by_reason.csv``, in words) and says the episodes themselves are listed
    only in the unpublished edition. A reason with no episode is left out; a hidden one never is.
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
        "malformed": "a home LSOA code that is not a valid LSOA code",
        "outside the authority": f"a home LSOA outside {area_name}",
        "split in 2021": (
            "a 2011 home LSOA that was split into several 2021 LSOAs, so the home could be in "
            "any of them"
        ),
        "merged in 2021": (
            "a 2021 home LSOA made by merging several 2011 LSOAs, so the home could be in any "
            "of them"
        ),
        "changed irregularly": "a home LSOA whose boundary changed irregularly in 2021",
    }
    if by_reason:
        counts = dict(zip(unmatched["reason"], unmatched["episodes"], strict=True))
    else:
        counts = unmatched["reason"].value_counts().to_dict()
    parts = [
        f"{number(counts[reason])} with {phrases[reason]}"
        for reason in UNMATCHED_REASONS[:2] + CONVERSION_REASONS + UNMATCHED_REASONS[2:]
        if reason in counts and (is_suppressed(counts[reason]) or int(counts[reason]) > 0)
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    listed = f" ({listed})" if parts else ""
    if by_reason:
        return (
            f"{number(total)} open episodes are not on the map{listed}. They are counted in "
            "the total above and, by reason, below and in the data-quality table of episodes "
            "not on the map. The episodes themselves are listed only in the unpublished "
            "edition, for correction in the case system."
        )
    return (
        f"{number(total)} open episodes are not on the map{listed}. They are counted in "
        "the total above, listed below and written to the data-quality table of episodes not "
        "on the map, for correction in the case system."
    )


# --------------------------------------------------------------------------- concentration


@dataclass(frozen=True)
class DeprivationConcentration:
    """How far open episodes sit in the more deprived LSOAs: :func:`deprivation_concentration`.

    In a published report (:func:`helpers.figures.lsoa_figures`) the episode counts, and the
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
    from scipy import stats  # only where the concentration is measured

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
    from scipy import stats  # only where the concentration is measured

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
            "deprived neighbourhoods, well beyond those neighbourhoods' share of the area."
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
    who, day = agency_label(lead_agency), long_date(snapshot_date)
    if not is_suppressed(c.episodes) and c.episodes == 0:
        return f"{who} had no open episode that could be placed on the map on {day}."
    lines = [
        f"On {day}, {number(c.episodes)} open episodes of {who} could be placed in one of "
        f"{area_name}'s {number(c.lsoas)} LSOAs (small neighbourhoods of about 1,500 residents).",
        "",
        f"- **{percent(c.pct_episodes_decile_1)}** of these episodes "
        f"({number(c.episodes_decile_1)}) were "
        f"in LSOAs among the most deprived 10% in England, though those LSOAs are only "
        f"**{percent(c.pct_lsoas_decile_1)}** of {area_name}'s LSOAs "
        f"({number(c.lsoas_decile_1)} of {number(c.lsoas)}).",
        f"- **{percent(c.pct_episodes_deciles_1_2)}** of the episodes "
        f"({number(c.episodes_deciles_1_2)}) were in the most deprived 20% in England, which "
        f"make up **{percent(c.pct_lsoas_deciles_1_2)}** of the LSOAs "
        f"({number(c.lsoas_deciles_1_2)}).",
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
