"""Reference data of the later vintages: IMD 2019 and 2025, LSOA (2021) boundaries, the ONS lookup.

Each file is verified by checksum from the mirror (or a download); tests that read them ask for
the ``later_vintages`` fixture (tests/conftest.py): skipped with the reason where the files
cannot be had, a failure under CI. The committed Coventry boundary extract is rebuilt by the
code that builds any authority's boundaries, and must come out byte for byte the same.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from helpers import batch
from helpers.reference import (
    BOUNDARIES_GEOJSON,
    IMD_2019,
    IMD_2025,
    LSOA21_BOUNDARIES,
    LSOA_LOOKUP,
    AuthorityError,
    ReferenceDataError,
    authority_lsoas,
    check_lad_code,
    fetch_reference,
    load_imd,
    load_imd2015,
    load_lsoa_boundaries,
    load_lsoa_lookup,
    rebuild_lsoa_boundaries,
)

COVENTRY, CORNWALL = "E08000026", "E06000052"


def test_a_later_file_with_wrong_bytes_is_refused_naming_it(tmp_path, tmp_reference_cache):
    mirror = tmp_path / "mirror"
    target = mirror / LSOA_LOOKUP.relative_path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the lookup\n")
    with pytest.raises(ReferenceDataError) as caught:
        fetch_reference(LSOA_LOOKUP, cache=tmp_reference_cache, mirror=mirror)
    assert "lookup_lsoa11_lsoa21_ltla22.rda" in str(caught.value)
    assert LSOA_LOOKUP.sha256 in str(caught.value)


@pytest.mark.parametrize("ref", [IMD_2019, IMD_2025, LSOA21_BOUNDARIES, LSOA_LOOKUP])
def test_each_later_file_is_verified_into_a_fresh_cache(later_vintages, ref, tmp_reference_cache):
    path = fetch_reference(ref, cache=tmp_reference_cache)
    assert path == tmp_reference_cache / ref.relative_path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ref.sha256


@pytest.fixture(scope="session")
def lookup(later_vintages) -> pd.DataFrame:
    return load_lsoa_lookup()


def test_imd2019_ranks_every_lsoa_2011_in_england(later_vintages):
    imd = load_imd(2019)
    assert len(imd) == 32_844 and imd["lsoa11cd"].is_unique
    assert set(imd["imd_decile"]) == set(range(1, 11))
    assert imd["imd_rank"].min() == 1 and imd["imd_rank"].max() == 32_844


def test_imd2025_ranks_every_lsoa_2021_in_england_as_the_official_file(later_vintages):
    imd = load_imd(2025)
    assert len(imd) == 33_755 and imd["lsoa11cd"].is_unique
    first = imd.set_index("lsoa11cd").loc["E01000001"]
    assert (int(first["imd_rank"]), int(first["imd_decile"])) == (26_525, 8)


def test_the_lookup_has_every_pair_and_coventrys_203_rows(lookup):
    assert len(lookup) == 35_795
    assert set(lookup["change"]) == {"U", "S", "M", "X"}
    assert int((lookup["lad_code"] == COVENTRY).sum()) == 203


def test_the_lookups_2011_coventry_is_imd2015s_coventry(lookup, imd_mirror):
    from_lookup = set(authority_lsoas(COVENTRY, 2011, lookup)["lsoa11cd"])
    assert from_lookup == set(load_imd2015(lad_code=COVENTRY)["lsoa11cd"])
    assert len(from_lookup) == 195


@pytest.mark.parametrize("lad", [COVENTRY, CORNWALL])
def test_every_2021_lsoa_of_the_authority_has_an_imd2025_rank(lookup, lad):
    lsoas = authority_lsoas(lad, 2021, lookup)
    imd = load_imd(2025)
    assert lsoas["lsoa11cd"].isin(set(imd["lsoa11cd"])).all()
    assert len(lsoas) > len(authority_lsoas(lad, 2011, lookup))  # more LSOAs in 2021 here


@pytest.mark.parametrize("vintage", [2011, 2021])
@pytest.mark.parametrize("lad", [COVENTRY, CORNWALL])
def test_authority_boundaries_are_exactly_its_lsoas(lookup, lad, vintage):
    boundaries = load_lsoa_boundaries(lad, vintage)
    expected = authority_lsoas(lad, vintage, lookup)["lsoa11cd"].tolist()
    assert sorted(boundaries["lsoa11cd"]) == expected
    assert boundaries.crs.to_epsg() == 27700
    assert boundaries.geometry.is_valid.all() and not boundaries.geometry.is_empty.any()
    minx, _, maxx, _ = boundaries.total_bounds
    if lad == CORNWALL:  # the far south-west of England
        assert 80_000 < minx < maxx < 250_000
    else:
        assert 420_000 < minx < maxx < 445_000


def test_the_committed_coventry_extract_is_rebuilt_byte_for_byte(later_vintages, tmp_path: Path):
    rebuilt = rebuild_lsoa_boundaries(COVENTRY, target=tmp_path / BOUNDARIES_GEOJSON.name)
    assert rebuilt.read_bytes() == BOUNDARIES_GEOJSON.read_bytes()


def test_a_code_that_is_no_english_district_is_a_sentence(lookup):
    with pytest.raises(AuthorityError, match="is not the code of a local authority district"):
        check_lad_code("E08999999", lookup)
    with pytest.raises(AuthorityError, match="Wales"):
        check_lad_code("W06000015", lookup)
    assert check_lad_code(CORNWALL, lookup) == "Cornwall"


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--la", "E08999999"], "is not the code of a local authority district in England"),
        (["--la", "Coventry"], "is not a local authority district code"),
        (["--imd", "2017"], "choose one of 2015, 2019, 2025"),
    ],
)
def test_the_batch_refuses_a_bad_map_setting_before_running(
    later_vintages, flags, says, tmp_path, capsys
):
    status = batch.main(["--month", "2016-01", *flags, "--output-dir", str(tmp_path)])
    assert status == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # nothing written
