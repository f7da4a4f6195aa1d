"""Shared fixtures: whether IMD 2015 can be had, and throwaway reference caches.

IMD 2015 is never committed. Tests that need it ask for the ``imd_mirror`` fixture, which
skips them (with the reason) where the file cannot be had, except under CI (``CI=true``),
where a missing reference file is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.reference import MIRROR_ENV, imd_available


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


@pytest.fixture
def tmp_reference_cache(tmp_path: Path) -> Path:
    """An empty folder to pass as ``cache=`` to fetch_reference / load_imd2015."""
    cache = tmp_path / "reference-cache"
    cache.mkdir()
    return cache
