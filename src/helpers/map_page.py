"""The map page's settings: which authority, which LSOA vintage, which deprivation edition.

Notebook 04 takes two parameters for them, ``lad_code`` (the local authority district; blank:
the district in ``config/categories.yaml``) and ``imd_year`` (2015, 2019 or 2025; blank: the
edition current at the snapshot date, :func:`helpers.reference.default_imd_year`). The edition
decides the LSOA vintage of the map: LSOA (2011) for IMD 2015 and 2019, LSOA (2021) for IMD
2025. :func:`map_setup` gathers everything the page needs from them, so that the notebook keeps
its narrative and its calls only, and says in sentences what it could not have.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers import geo
from helpers.config import SentenceError, categories
from helpers.disclosure import is_suppressed
from helpers.reference import (
    MIRROR_ENV,
    AuthorityError,
    ImdEdition,
    ReferenceDataError,
    check_lad_code,
    default_imd_year,
    imd_edition,
    load_imd,
    load_lsoa_boundaries,
    load_lsoa_lookup,
)

LAD_CODE_PATTERN = r"^[EW]0[6-9]\d{6}$"


class MapSettingError(SentenceError, ValueError):
    """A map setting (district code, IMD edition) that cannot be used: a sentence saying why."""


def lad_code_or_default(lad_code: str | None) -> str:
    """The district code as given (upper case), or the one in config when blank.

    A value that is not shaped like a district code (``E06000052``) is a sentence saying so.
    """
    code = str(lad_code or "").strip().upper() or categories().lad_code
    if not re.fullmatch(LAD_CODE_PATTERN, code):
        raise MapSettingError(
            f"{lad_code!r} is not a local authority district code: it is E or W, then 0, then "
            "seven digits, for example E06000052 for Cornwall."
        )
    return code


def imd_year_or_default(imd_year: int | str | None, period_end: object) -> int:
    """The IMD edition's year as given, or the edition current at ``period_end`` when blank."""
    if imd_year in (None, "", 0):
        return default_imd_year(period_end)  # type: ignore[arg-type]
    try:
        return imd_edition(imd_year).year  # type: ignore[arg-type]
    except ValueError as error:
        raise MapSettingError(str(error)) from None


def authority_name(lad_code: str, lookup: pd.DataFrame | None) -> str:
    """The district's name: config's for config's district, otherwise the ONS lookup's."""
    cats = categories()
    if lad_code == cats.lad_code:
        return cats.local_authority_name
    if lookup is None:
        raise MapSettingError(
            f"The map of district {lad_code} needs the ONS LSOA (2011) to LSOA (2021) lookup, "
            f"which could not be had: set {MIRROR_ENV} to a folder holding "
            "lsoa2021/lookup_lsoa11_lsoa21_ltla22.rda, or allow the download."
        )
    try:
        return check_lad_code(lad_code, lookup)
    except AuthorityError as error:
        raise MapSettingError(str(error)) from None


@dataclass
class MapSetup:
    """What the map page needs for one authority and one deprivation edition."""

    lad_code: str
    area: str
    edition: ImdEdition
    boundaries: Any  # a GeoDataFrame in British National Grid: lsoa11cd, lsoa11nm (the vintage's)
    imd: pd.DataFrame | None
    conversion: geo.VintageConversion | None
    problems: list[str] = field(default_factory=list)  # what could not be had, in sentences

    @property
    def lsoa_vintage(self) -> int:
        return self.edition.lsoa_vintage

    @property
    def imd_ok(self) -> bool:
        return self.imd is not None

    def warning(self) -> str | None:
        """The page's one warning about missing reference data, or None."""
        if not self.problems:
            return None
        return " ".join(self.problems)


def map_setup(
    lad_code: str | None,
    imd_year: int | str | None,
    snapshot_date: object,
    **fetch_options: Any,
) -> MapSetup:
    """The authority, its LSOAs of the edition's vintage, the edition, and the ONS lookup.

    Raises :class:`MapSettingError` (a sentence) for a district code or edition that cannot be
    used, or a district whose boundaries need reference files that cannot be had. A missing
    IMD file or lookup is not an error: the page shows the map without them and says so.
    """
    code = lad_code_or_default(lad_code)
    edition = imd_edition(imd_year_or_default(imd_year, snapshot_date))
    problems: list[str] = []
    try:
        lookup = load_lsoa_lookup(**fetch_options)
    except ReferenceDataError as error:
        lookup, lookup_reason = None, str(error)
    area = authority_name(code, lookup)
    try:
        boundaries = load_lsoa_boundaries(code, edition.lsoa_vintage, **fetch_options)
    except ReferenceDataError as error:
        raise MapSettingError(
            f"The LSOA ({edition.lsoa_vintage}) boundaries of {area} could not be had. {error}"
        ) from None
    try:
        imd = load_imd(edition.year, **fetch_options)
    except ReferenceDataError as error:
        imd = None
        problems.append(
            f"The deprivation comparison is missing: {edition.name} could not be had, so this "
            "report shows only the map of open episodes, not the deprivation maps or figures. "
            f"{error}"
        )
    conversion = None
    if lookup is not None:
        conversion = geo.VintageConversion(edition.lsoa_vintage, lookup)
    else:
        problems.append(
            "Homes recorded in LSOA codes of the other year (2011 or 2021) cannot be converted: "
            "the ONS lookup between them could not be had, so such homes are counted as outside "
            f"the authority. {lookup_reason}"
        )
    return MapSetup(code, area, edition, boundaries, imd, conversion, problems)


def deprivation_intro(setup: MapSetup) -> str:
    """The paragraph that opens the deprivation section: the edition, its release, its LSOAs."""
    e = setup.edition
    return (
        f"The map reads deprivation from the English indices of deprivation {e.year} "
        f"(**{e.name}**, released by the {e.publisher} in {e.released_words}). {e.name} ranks "
        f"all {e.lsoas_in_england:,} LSOAs ({e.lsoa_vintage}) in England from 1 (most deprived) "
        "and groups them into ten deciles: decile 1 holds the most deprived 10% of LSOAs in "
        "England, decile 10 the least deprived. If open episodes simply followed the number of "
        "neighbourhoods, each decile's share of episodes would match its share of "
        f"{setup.area}'s LSOAs; the maps, the table and the chart below compare the two."
    )


def geography_statement(setup: MapSetup, recorded_codes: pd.Series) -> str:
    """Which authority, edition and LSOAs the page uses, and which codes the extract holds."""
    e = setup.edition
    lines = [
        f"This page maps **{setup.area}** (local authority district {setup.lad_code}) on its "
        f"{len(setup.boundaries):,} LSOAs of {e.lsoa_vintage}, the neighbourhoods that "
        f"{e.name} ranks."
    ]
    if setup.conversion is not None:
        lines.append(setup.conversion.found_in_words(recorded_codes))
    return " ".join(lines)


def check_settings(lad_code: str | None, imd_year: object) -> list[tuple[str, str]]:
    """The batch's ``--la`` and ``--imd`` checked before any notebook runs, as ``-p`` pairs.

    A district code that is not one, a district not in England, an edition that does not exist,
    or a district other than config's when the ONS lookup cannot be had: a sentence saying
    what to fix (:class:`MapSettingError`).
    """
    pairs: list[tuple[str, str]] = []
    if lad_code:
        code = lad_code_or_default(lad_code)
        if code != categories().lad_code:
            try:
                lookup = load_lsoa_lookup()
            except ReferenceDataError as error:
                raise MapSettingError(f"--la {lad_code}: {error}") from None
            authority_name(code, lookup)
        pairs.append(("lad_code", code))
    if imd_year:
        pairs.append(("imd_year", str(imd_year_or_default(imd_year, None))))  # type: ignore[arg-type]
    return pairs


# --------------------------------------------------------------------------- the map's geography

#: The geographies a published map may be drawn at, finest first.
GEOGRAPHIES: tuple[str, ...] = ("LSOA", "MSOA")


def choose_geography(hidden_shares: Sequence[tuple[str, float]], largest_share: float) -> str:
    """The finest geography whose share of hidden areas is at most ``largest_share``.

    ``hidden_shares`` holds (geography, share hidden) from the finest to the coarsest. When
    every one hides more than the share, the coarsest: it hides the least of what is offered.
    """
    if not hidden_shares:
        raise ValueError("A map needs at least one geography to choose from.")
    for geography, share in hidden_shares:
        if share <= largest_share:
            return geography
    return hidden_shares[-1][0]


def _share_words(hidden: int, areas: int, plural: str, area_name: str) -> str:
    return f"{hidden:,} of {area_name}'s {areas:,} {plural} ({100 * hidden / areas:.0f}%)"


def page_figures(
    setup: MapSetup,
    episodes: pd.DataFrame,
    snapshot_date: object,
    lead_agency: str | None,
    publish: bool,
) -> tuple[Any, str | None]:
    """The map page's figures at the geography it is published at, and a note saying which.

    The analysts' edition is always by LSOA, with no note. The published edition is by LSOA
    when no more than the share of areas set in the disclosure policy would be hidden, and by
    MSOA (LSOAs grouped by the stem of their names) otherwise; the note says which, and why.
    Returns :class:`helpers.figures.LsoaFigures` and the note (Markdown, or None).
    """
    from helpers.disclosure import policy
    from helpers.figures import lsoa_figures

    def figures(msoas: pd.Series | None = None) -> Any:
        return lsoa_figures(
            episodes,
            snapshot_date,
            lead_agency,
            setup.boundaries,
            setup.imd,
            publish=publish,
            conversion=setup.conversion,
            msoas=msoas,
        )

    by_lsoa = figures()
    if not publish:
        return by_lsoa, None
    largest = policy().map_largest_hidden_share
    area = html.escape(setup.area)
    lsoa_words = _share_words(by_lsoa.areas_hidden, len(by_lsoa.areas), "LSOAs", area)
    allowed = (
        f"the council's disclosure policy allows a map to hide at most {largest:.0%} of its areas"
    )
    if by_lsoa.hidden_share <= largest:
        return by_lsoa, (
            f"**The published map is drawn by LSOA:** the count of {lsoa_words} is hidden, "
            f"and {allowed}."
        )
    by_msoa = figures(geo.msoa_of(setup.boundaries))
    chosen = choose_geography(
        [("LSOA", by_lsoa.hidden_share), ("MSOA", by_msoa.hidden_share)], largest
    )
    msoa_words = _share_words(by_msoa.areas_hidden, len(by_msoa.areas), "MSOAs", area)
    note = (
        "**The published map is drawn by middle-layer neighbourhoods (MSOA),** not by LSOA. "
        "A Middle layer Super Output Area (MSOA) groups a few neighbouring LSOAs, usually four "
        "or five, and has 5,000 to 15,000 residents. By LSOA, the count of "
        f"{lsoa_words} would have to be hidden: more than a map may hide and keep its message, "
        f"as {allowed}. By MSOA, the count of {msoa_words} is hidden"
    )
    if chosen == "MSOA" and by_msoa.hidden_share <= largest:
        note += ". "
    else:
        note += (
            ": still more than the policy allows, but the MSOA is the largest neighbourhood "
            "on offer, and the map by MSOA hides the least. "
        )
    note += (
        "The counts of open episodes are therefore given by MSOA only, in the map, the table "
        "of the busiest neighbourhoods and the tables that go with this page; the deprivation "
        "map stays by LSOA, as deprivation is ranked by LSOA, and shows no counts."
    )
    return by_msoa, note


def placed_in_words(figures: Any, who: str, snapshot_date: object, area: str) -> str:
    """The page's headline: episodes open, placed on the map, and the areas with none."""
    from helpers.formats import long_date, number

    lsoas = len(figures.table)
    words = (
        f"**{html.escape(who)}: {number(figures.total_open)} episodes open** on "
        f"{long_date(snapshot_date)}. {number(figures.placed)} are placed in one of "
        f"{html.escape(area)}'s {lsoas:,} LSOAs"
    )
    if figures.geography == "MSOA":
        words += f", which make {len(figures.areas):,} MSOAs"
    plural = "LSOAs" if figures.geography == "LSOA" else "MSOAs"
    if figures.lsoas_without == 0:
        return words + f"; every one of those {plural} has an open episode."
    return words + f"; {number(figures.lsoas_without)} of those {plural} have no open episode."


#: A real authority's extract places nearly every home on its own map; when more than this share
#: of the open episodes cannot be placed, the district code or the homes' vintage is likely wrong.
MOSTLY_OFF_MAP_SHARE = 0.5


def off_map_warning(figures: Any, setup: MapSetup) -> str | None:
    """The run's warning when the open episodes' homes are not, or mostly not, on the map.

    A district code that is not the extract's own, or homes coded in another LSOA vintage, leave
    the map empty without a word otherwise. No count is given (the warning goes to the run log
    of a published edition too); a hidden total still shows that there are open episodes.
    """
    placed, total = figures.placed, figures.total_open
    if is_suppressed(total) or is_suppressed(placed):
        mostly_off = placed == 0 and not is_suppressed(placed)
    else:
        mostly_off = total > 0 and (total - placed) / total > MOSTLY_OFF_MAP_SHARE
    if not mostly_off:
        return None
    which = "None" if placed == 0 else "Fewer than half"
    return (
        f"{which} of the open episodes' homes are in one of {setup.area}'s LSOAs "
        f"(district {setup.lad_code}, LSOA ({setup.lsoa_vintage}) codes): check that the district "
        "code (--la, or lad_code in config/categories.yaml) is the extract's own authority, and "
        "that the homes are coded as LSOAs of that authority. The episodes not on the map are "
        "listed on the page by reason."
    )


def busiest_table(
    figures: Any, snapshot_date: object, publish: bool
) -> tuple[pd.DataFrame, str, dict[str, str]] | None:
    """The ten busiest areas as a table to show: rows, caption, column headers; None if none."""
    from helpers.formats import long_date

    if figures.busiest.empty:
        return None
    ranked = " (ranked among the counts shown)" if publish else ""
    day = long_date(snapshot_date)
    if figures.geography == "MSOA":
        return (
            figures.busiest[["msoa11nm", "lsoas", "episodes"]],
            f"The ten MSOAs with the most open episodes, {day}{ranked}",
            {"msoa11nm": "MSOA name", "lsoas": "LSOAs in it", "episodes": "Open episodes"},
        )
    return (
        figures.busiest[["lsoa11cd", "lsoa11nm", "episodes"]],
        f"The ten LSOAs with the most open episodes, {day}{ranked}",
        {"lsoa11cd": "LSOA code", "lsoa11nm": "LSOA name", "episodes": "Open episodes"},
    )


def area_csv(figures: Any, lsoa_vintage: int) -> tuple[pd.DataFrame, str]:
    """The tidy table of the areas whose counts are printed, and its name: by LSOA or MSOA."""
    if figures.geography == "MSOA":
        return geo.msoa_csv(figures.msoas, lsoa_vintage), "open_by_msoa"
    return geo.lsoa_csv(figures.table, lsoa_vintage), "open_by_lsoa"
