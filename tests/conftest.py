"""Shared fixtures: whether IMD 2015 can be had, and throwaway reference caches; test markers.

IMD 2015 is never committed. Tests that need it ask for the ``imd_mirror`` fixture, which
skips them (with the reason) where the file cannot be had, except under CI (``CI=true``),
where a missing reference file is a failure rather than a silent skip. Such tests are marked
``reference`` here, from the fixture they ask for, so that the mark cannot drift from the need.

The notebooks' nbval cells re-execute whole notebooks: they are marked ``slow``. A notebook whose
committed outputs hold IMD 2015 figures (it loads IMD 2015) is also marked ``reference``, and
outside CI its cells are skipped with the reason when IMD 2015 cannot be had: they would
otherwise fail, comparing a run without IMD 2015 with outputs that have it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from helpers.reference import (
    IMD_2019,
    IMD_2025,
    LSOA21_BOUNDARIES,
    LSOA_LOOKUP,
    MIRROR_ENV,
    imd_available,
    reference_available,
)

#: The reference files of the later vintages: IMD 2019 and 2025, LSOA (2021), the ONS lookup.
LATER_VINTAGE_FILES = (IMD_2019, IMD_2025, LSOA21_BOUNDARIES, LSOA_LOOKUP)


def running_in_ci() -> bool:
    return os.environ.get("CI") == "true"


def skip_or_fail(reason: str) -> None:
    """Skip the test with ``reason``; under CI (CI=true), fail it instead."""
    if running_in_ci():
        pytest.fail(f"CI=true, so this is a failure rather than a skip: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def imd_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out like a reference mirror that holds the verified IMD 2015 file.

    Availability is decided by :func:`helpers.reference.imd_available` with a fresh cache, so
    the project's own cache under ``data/raw/reference`` does not hide a missing mirror: the
    file has to come from ``EARLYHELP_REFERENCE_MIRROR`` or a verified download. Returns the
    real mirror when that variable is set, otherwise the fresh cache the file was downloaded to
    (which has the same layout).
    """
    fresh_cache = tmp_path_factory.mktemp("imd-availability")
    available, reason = imd_available(cache=fresh_cache)
    if not available:
        skip_or_fail(f"IMD 2015 cannot be had here: {reason}")
    mirror = os.environ.get(MIRROR_ENV)
    return Path(mirror) if mirror else fresh_cache


def _later_vintages_missing(**fetch_options) -> str | None:
    for ref in LATER_VINTAGE_FILES:
        available, reason = reference_available(ref, **fetch_options)
        if not available:
            return reason
    return None


@pytest.fixture(scope="session")
def later_vintages(tmp_path_factory: pytest.TempPathFactory) -> None:
    """IMD 2019, IMD 2025, the LSOA (2021) boundaries and the ONS lookup can be had here.

    Decided with a fresh cache, as for :func:`imd_mirror`: skipped with the reason where they
    cannot be had, a failure under CI (``CI=true``), where the mirror is present.
    """
    reason = _later_vintages_missing(cache=tmp_path_factory.mktemp("later-vintages"))
    if reason is not None:
        skip_or_fail(f"A reference file of the later vintages cannot be had here: {reason}")


@pytest.fixture
def tmp_reference_cache(tmp_path: Path) -> Path:
    """An empty folder to pass as ``cache=`` to fetch_reference / load_imd2015."""
    cache = tmp_path / "reference-cache"
    cache.mkdir()
    return cache


#: What a notebook's source says when its outputs depend on IMD 2015.
USES_IMD = "map_page.map_setup"


@cache
def _imd_unavailable_reason() -> str | None:
    """Why a notebook could not have IMD 2015 here (None when it can), decided once.

    Asked as the notebook asks (project cache, then mirror, then download), since it is the
    notebook's own run that nbval compares.
    """
    available, reason = imd_available()
    if not available:
        return reason
    # The map also reads the ONS lookup (homes in 2021 codes); without it the page warns.
    available, reason = reference_available(LSOA_LOOKUP)
    return None if available else reason


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if {"imd_mirror", "later_vintages"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.reference)
        if item.path.suffix != ".ipynb":
            continue
        item.add_marker(pytest.mark.slow)
        if USES_IMD in item.path.read_text(encoding="utf-8"):
            item.add_marker(pytest.mark.reference)
            reason = None if running_in_ci() else _imd_unavailable_reason()
            if reason is not None:
                item.add_marker(pytest.mark.skip(reason=f"IMD 2015 cannot be had here: {reason}"))
