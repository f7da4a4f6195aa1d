"""No Coventry name or code in the code, or in a notebook's defaults: they come from config.

Another council copies ``config/`` and renames its team and agencies there; a name written
into the code or a notebook's parameters cell would then print a false zero (a caseload of a
team that does not exist) or fail. The names are read from the config itself, so that the test
follows it: every lead agency, closure reason and who-refused value of
``config/categories.yaml``, the team, the district code, and the lead-agency groups of
``config/annex_a.yaml``. The development tools (``helpers.dev``) make Coventry's synthetic data
and may name it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers.config import PROJECT_ROOT, load_yaml

PACKAGE = PROJECT_ROOT / "src" / "helpers"
NOTEBOOKS = PROJECT_ROOT / "notebooks"


def coventry_names() -> set[str]:
    """Coventry's category names, team and district code, as its config gives them."""
    cats = load_yaml(PROJECT_ROOT / "config" / "categories.yaml")
    annex_a = load_yaml(PROJECT_ROOT / "config" / "annex_a.yaml")
    return {
        *cats["lead_agencies"],
        *cats["non_la_agencies"],
        cats["children_and_families_first"],
        *cats["closure_reasons"],
        *cats["refused_by"],
        cats["local_authority"]["lad_code"],
        *annex_a["lead_agency_groups"],
    }


def found_in(text: str, names: set[str]) -> list[str]:
    """Each name that ``text`` holds as a whole word (``Health``, not ``healthy``)."""
    return sorted(n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text))


def test_the_names_are_read_from_the_config():
    names = coventry_names()
    assert {"Children & Families First", "E08000026", "Referral to Social Care"} <= names


@pytest.mark.parametrize(
    "module",
    [p for p in sorted(PACKAGE.rglob("*.py")) if "dev" not in p.relative_to(PACKAGE).parts],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_module_of_the_package_names_them(module: Path):
    hits = found_in(module.read_text(encoding="utf-8"), coventry_names())
    assert not hits, f"{module.name} names {hits}: take them from config (helpers.config)"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_notebook_default_names_them(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{notebook.name} has no parameters cell"
    hits = found_in(cells[0].source, coventry_names())
    assert not hits, f"{notebook.name}'s parameters cell names {hits}: leave them to config"


def test_the_search_finds_a_name_where_one_is_written():
    names = coventry_names()
    assert found_in('lead_agency: str = "Children & Families First"', names)
    assert found_in("lad_code = 'E08000026'", names) == ["E08000026"]
    assert not found_in("a healthy school-age child", names)
