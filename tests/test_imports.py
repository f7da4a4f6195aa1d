"""Kernels load only what their notebook uses.

Heavy libraries are imported where they are needed: pandera when an extract is validated (once,
by the batch, before any notebook runs), scipy by the disclosure audit and the deprivation
statistics, geopandas, mapclassify and folium on the map page. Each notebook's own import
statements are run here in a fresh interpreter, followed by what every notebook does first:
load the extract the batch hands it (the validated copy).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.batch import NOTEBOOKS_DIR
from helpers.extract import SYNTHETIC_DIR, load_extract, save_validated

NEVER_AT_IMPORT = {"pandera", "scipy", "geopandas", "folium", "mapclassify"}
#: Loaded only by a kernel whose notebook draws maps (mapclassify itself imports scipy).
MAP_LIBRARIES = {"geopandas", "folium", "mapclassify", "shapely", "pyogrio", "pyproj", "scipy"}
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    script = f"{code}\nimport json, sys\n{listing}"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def notebook_imports(path: Path) -> str:
    """Every import statement of the notebook's code cells, in order."""
    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.append(ast.unparse(node))
    return "\n".join(lines)


def test_importing_the_package_loads_no_heavy_library():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import helpers"],
        capture_output=True,
        text=True,
        check=True,
    )
    # stderr lines: "import time: self [us] | cumulative | imported package"
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "helpers" in imported  # the parse read the report
    assert imported & NEVER_AT_IMPORT == set()


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The typed copy of the synthetic extract, as the batch hands it to every notebook."""
    folder = tmp_path_factory.mktemp("validated")
    save_validated(load_extract(SYNTHETIC_DIR), folder)
    return folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_kernel_loads_only_what_its_notebook_uses(path, validated):
    imports = notebook_imports(path)
    assert "from helpers" in imports
    loaded = loaded_after(
        f"{imports}\nfrom helpers.extract import load_report_extract\n"
        f"load_report_extract({str(validated)!r})"
    )
    assert "helpers" in loaded and "pandas" in loaded
    assert "pandera" not in loaded, "the batch validates; a kernel reads the validated copy"
    draws_maps = any(
        line.startswith("from helpers.maps") or re.match(r"from helpers import .*\bmaps\b", line)
        for line in imports.splitlines()
    )
    if draws_maps:
        assert "geopandas" in loaded  # the check below would be vacuous if this were not seen
    else:
        assert loaded & MAP_LIBRARIES == set(), f"{path.name} draws no map"
