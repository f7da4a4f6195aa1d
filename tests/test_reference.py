"""Reference data: IMD 2015 fetched and verified by checksum, and the committed boundaries."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from helpers.reference import (
    CACHE_RECORD_SUFFIX,
    IMD_2015,
    MIRROR_ENV,
    ReferenceDataError,
    cached_table,
    fetch_reference,
    load_imd2015,
    load_lsoa_boundaries,
)

COVENTRY = "E08000026"
WRONG_BYTES = b"this is not the IMD 2015 workbook\n"


@pytest.fixture
def wrong_mirror(tmp_path: Path) -> Path:
    """A mirror folder whose IMD 2015 file has the wrong bytes."""
    mirror = tmp_path / "wrong-mirror"
    target = mirror / IMD_2015.relative_path
    target.parent.mkdir(parents=True)
    target.write_bytes(WRONG_BYTES)
    return mirror


@pytest.fixture(scope="session")
def imd_england(imd_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """IMD 2015 for England, read once per session into a throwaway cache."""
    cache = tmp_path_factory.mktemp("imd-england")
    return load_imd2015(cache=cache, mirror=imd_mirror, allow_download=False)


@pytest.fixture(scope="session")
def imd_coventry(imd_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    cache = tmp_path_factory.mktemp("imd-coventry")
    return load_imd2015(lad_code=COVENTRY, cache=cache, mirror=imd_mirror, allow_download=False)


# --------------------------------------------------------------------------- failures (no IMD)


def test_mirror_with_wrong_bytes_names_file_and_both_checksums(wrong_mirror, tmp_reference_cache):
    actual = hashlib.sha256(WRONG_BYTES).hexdigest()
    with pytest.raises(ReferenceDataError) as caught:
        fetch_reference(IMD_2015, cache=tmp_reference_cache, mirror=wrong_mirror)
    message = str(caught.value)
    assert Path(IMD_2015.relative_path).name in message
    assert IMD_2015.sha256 in message
    assert actual in message
    assert MIRROR_ENV in message


def test_mirror_with_wrong_bytes_is_not_copied_into_the_cache(wrong_mirror, tmp_reference_cache):
    with pytest.raises(ReferenceDataError):
        fetch_reference(IMD_2015, cache=tmp_reference_cache, mirror=wrong_mirror)
    assert not (tmp_reference_cache / IMD_2015.relative_path).exists()


def test_cached_file_with_wrong_bytes_is_rejected(tmp_reference_cache):
    cached = tmp_reference_cache / IMD_2015.relative_path
    cached.parent.mkdir(parents=True)
    cached.write_bytes(WRONG_BYTES)
    with pytest.raises(ReferenceDataError) as caught:
        fetch_reference(IMD_2015, cache=tmp_reference_cache, allow_download=False)
    assert hashlib.sha256(WRONG_BYTES).hexdigest() in str(caught.value)


def test_mirror_without_the_file_names_the_relative_path(tmp_path, tmp_reference_cache):
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    with pytest.raises(ReferenceDataError) as caught:
        fetch_reference(IMD_2015, cache=tmp_reference_cache, mirror=empty_mirror)
    message = str(caught.value)
    assert IMD_2015.relative_path in message
    assert str(empty_mirror) in message


def test_no_mirror_no_download_and_empty_cache_raises(tmp_reference_cache, monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    with pytest.raises(ReferenceDataError) as caught:
        fetch_reference(IMD_2015, cache=tmp_reference_cache, allow_download=False)
    message = str(caught.value)
    assert IMD_2015.relative_path in message
    assert "downloads are off" in message
    assert not (tmp_reference_cache / IMD_2015.relative_path).exists()


# --------------------------------------------------------------------------- with the real file


def test_mirror_file_is_copied_into_the_cache_and_verified(imd_mirror, tmp_reference_cache):
    path = fetch_reference(IMD_2015, cache=tmp_reference_cache, mirror=imd_mirror)
    assert path == tmp_reference_cache / IMD_2015.relative_path
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == IMD_2015.sha256


def test_cached_file_is_used_without_a_mirror(imd_mirror, tmp_reference_cache, monkeypatch):
    fetch_reference(IMD_2015, cache=tmp_reference_cache, mirror=imd_mirror)
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    path = fetch_reference(IMD_2015, cache=tmp_reference_cache, allow_download=False)
    assert path == tmp_reference_cache / IMD_2015.relative_path


def test_imd2015_coventry_has_195_lsoas_36_in_decile_1(imd_coventry):
    assert len(imd_coventry) == 195
    assert imd_coventry["lsoa11cd"].is_unique
    assert (imd_coventry["lad13cd"] == COVENTRY).all()
    assert int((imd_coventry["imd_decile"] == 1).sum()) == 36


def test_imd2015_england_has_32844_lsoas(imd_england):
    assert len(imd_england) == 32_844
    assert imd_england["lsoa11cd"].is_unique
    assert list(imd_england.columns) == [
        "lsoa11cd",
        "lsoa11nm",
        "lad13cd",
        "lad13nm",
        "imd_rank",
        "imd_decile",
    ]


def test_imd2015_ranks_and_deciles_are_whole_numbers_in_range(imd_england):
    assert imd_england["imd_rank"].dtype == "int64"
    assert imd_england["imd_decile"].dtype == "int64"
    # The published ranks run from 1 to 32,844 (with a few ties, so not a strict permutation).
    assert imd_england["imd_rank"].min() == 1
    assert imd_england["imd_rank"].max() == 32_844
    assert set(imd_england["imd_decile"]) == set(range(1, 11))


# --------------------------------------------------------------------------- boundaries


@pytest.fixture(scope="session")
def boundaries():
    return load_lsoa_boundaries()


def test_boundaries_are_195_lsoas_in_british_national_grid(boundaries):
    assert len(boundaries) == 195
    assert boundaries["lsoa11cd"].is_unique
    assert boundaries.crs.to_epsg() == 27700


def test_boundaries_geometries_are_valid_polygons(boundaries):
    assert boundaries.geometry.notna().all()
    assert not boundaries.geometry.is_empty.any()
    assert boundaries.geometry.is_valid.all()
    assert set(boundaries.geom_type) <= {"Polygon", "MultiPolygon"}


def test_boundaries_lie_around_coventry(boundaries):
    # Coventry's centre is near (433 000, 279 000) on the British National Grid.
    minx, miny, maxx, maxy = boundaries.total_bounds
    assert 420_000 < minx < maxx < 445_000
    assert 270_000 < miny < maxy < 290_000


def test_boundaries_match_the_imd_coventry_lsoas(boundaries, imd_coventry):
    assert set(boundaries["lsoa11cd"]) == set(imd_coventry["lsoa11cd"])


# --------------------------------------------------------------------------- the Parquet cache


def _source(folder: Path, text: str = "lsoa11cd,imd_decile\nE01000001,3\nE01000002,7\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "reference.csv"
    source.write_text(text, encoding="utf-8")
    return source


def _counting_reader(calls: list[Path]):
    def read(path: Path) -> pd.DataFrame:
        calls.append(path)
        return pd.read_csv(path)

    return read


def test_the_cached_copy_is_reused_only_while_it_matches_its_source(tmp_path):
    source = _source(tmp_path / "cache")
    checksum = hashlib.sha256(source.read_bytes()).hexdigest()
    calls: list[Path] = []
    read = _counting_reader(calls)
    first = cached_table(source, checksum, read)
    assert list(first["imd_decile"]) == [3, 7] and len(calls) == 1
    parquet = source.with_suffix(".parquet")
    record = parquet.with_name(parquet.name + CACHE_RECORD_SUFFIX)
    assert parquet.exists() and record.exists()
    assert list(cached_table(source, checksum, read)["imd_decile"]) == [3, 7]
    assert len(calls) == 1  # reused: not read again

    # Tampered: deciles changed in the copy (its modification time newer than the source's).
    pd.DataFrame({"lsoa11cd": ["E01000001", "E01000002"], "imd_decile": [1, 1]}).to_parquet(
        parquet, index=False
    )
    assert list(cached_table(source, checksum, read)["imd_decile"]) == [3, 7]
    assert len(calls) == 2

    # Damaged: bytes that are no Parquet file ("Corrupt snappy compressed data" otherwise).
    parquet.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    assert list(cached_table(source, checksum, read)["imd_decile"]) == [3, 7]
    assert len(calls) == 3

    # Stale: made from another version of the source.
    newer = _source(tmp_path / "cache", "lsoa11cd,imd_decile\nE01000001,4\nE01000002,8\n")
    newer_checksum = hashlib.sha256(newer.read_bytes()).hexdigest()
    assert list(cached_table(newer, newer_checksum, read)["imd_decile"]) == [4, 8]
    assert len(calls) == 4

    # Left by a version that kept no record: made again, and recorded.
    record.unlink()
    cached_table(newer, newer_checksum, read)
    assert len(calls) == 5 and record.exists()
    assert not [p for p in parquet.parent.iterdir() if "partial" in p.name]


def test_a_tampered_or_damaged_imd_cache_gives_the_published_deciles(imd_mirror, tmp_path):
    cache = tmp_path / "cache"
    options = {"cache": cache, "mirror": imd_mirror, "allow_download": False}
    published = load_imd2015(**options)
    parquet = (cache / IMD_2015.relative_path).with_suffix(".parquet")
    tampered = published.assign(imd_decile=1)
    tampered.to_parquet(parquet, index=False)
    assert load_imd2015(**options)["imd_decile"].equals(published["imd_decile"])
    parquet.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])  # cut short
    assert load_imd2015(**options)["imd_decile"].equals(published["imd_decile"])
