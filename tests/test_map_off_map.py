"""The map page warns when the open episodes' homes are not, or mostly not, on its map.

Issue 21: an extract whose homes all lie outside the authority mapped (the wrong district code,
or homes coded for another authority) drew an empty map and gave the run no warning.
"""

from __future__ import annotations

from html import unescape
from types import SimpleNamespace

import pytest
from in_process import run_notebook

from helpers.disclosure import policy
from helpers.map_page import off_map_warning
from helpers.outputs import warnings_path

SETUP = SimpleNamespace(area="Cornwall", lad_code="E06000052", lsoa_vintage=2011)
NOTEBOOK = "04_open_episodes_by_lsoa"


@pytest.mark.parametrize(
    ("placed", "total", "starts"),
    [
        (0, 917, "None of the open episodes' homes"),
        (400, 917, "Fewer than half of the open episodes' homes"),
        (0, "[c]", "None of the open episodes' homes"),  # published: a small total, hidden
    ],
)
def test_homes_off_the_map_are_a_warning_naming_the_district(placed, total, starts):
    mark = policy().mark
    total = mark if total == "[c]" else total
    warning = off_map_warning(SimpleNamespace(placed=placed, total_open=total), SETUP)
    assert warning.startswith(starts)
    assert "Cornwall's LSOAs (district E06000052, LSOA (2011) codes)" in warning
    assert "--la" in warning and "917" not in warning  # no count of people in the run log


@pytest.mark.parametrize(
    ("placed", "total"),
    [(909, 917), (459, 917), (0, 0), ("[c]", 3), ("[c]", "[c]")],
)
def test_no_warning_when_most_homes_are_placed_or_nothing_is_open(placed, total):
    mark = policy().mark
    placed, total = (mark if v == "[c]" else v for v in (placed, total))
    assert off_map_warning(SimpleNamespace(placed=placed, total_open=total), SETUP) is None


@pytest.mark.reference
def test_the_page_warns_when_the_district_is_not_the_extracts(later_vintages, tmp_path):
    """Coventry's committed extract mapped as Cornwall: every home is off the map."""
    tables = tmp_path / "tables"
    tables.mkdir()
    run = run_notebook(
        NOTEBOOK,
        snapshot_date="2016-01-11",
        lad_code="E06000052",
        imd_year=2019,
        output_dir=str(tables),
    )
    assert run.error is None, run.error
    warnings = warnings_path(tables, NOTEBOOK).read_text(encoding="utf-8")
    assert "None of the open episodes' homes are in one of Cornwall's LSOAs" in warnings
    assert "None of the open episodes' homes" in unescape(run.text)  # on the page as well
