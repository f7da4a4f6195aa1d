"""The imports of ``src/helpers`` against the layers the README documents.

The README's architecture table gives each module a floor; a module may import only modules
on floors below its own, the development tools (``helpers.dev``) stand apart and nothing on a
floor imports them, and no module imports another's private (``_``-prefixed) names. Imports
inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "src" / "helpers"
README = PROJECT_ROOT / "README.md"
APART = "apart"
ROW = re.compile(r"^\| (\d+|apart) \| `(helpers(?:\.\w+)+)` \|", re.M)


def documented_floors() -> dict[str, int | str]:
    """Module -> floor (or "apart"), from the README's architecture table."""
    return {m: int(f) if f.isdigit() else f for f, m in ROW.findall(README.read_text("utf-8"))}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def helpers_imports(source: str, name: str) -> list[tuple[str, list[str], int]]:
    """Every import of a ``helpers`` module in ``source``: (module, names taken, line).

    ``from helpers import metrics`` is an import of ``helpers.metrics``; ``from helpers.x import
    y`` of ``helpers.x`` taking ``y``; relative imports are resolved against ``name``.
    """
    found = []
    known = set(modules())
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("helpers")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")[: -node.level] if node.level else []
                base = ".".join([*package, *([base] if base else [])])
            if not (base == "helpers" or base.startswith("helpers.")):
                continue
            names = [a.name for a in node.names]
            submodules = [n for n in names if f"{base}.{n}" in known]
            for n in submodules:
                found.append((f"{base}.{n}", [], node.lineno))
            taken = [n for n in names if n not in submodules]
            if taken:
                found.append((base, taken, node.lineno))
    return found


def private_attributes(source: str, aliases: dict[str, str]) -> list[str]:
    """``alias._name`` where ``alias`` is an imported helpers module."""
    return [
        f"{aliases[node.value.id]}.{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]


def module_aliases(source: str) -> dict[str, str]:
    aliases = {}
    known = set(modules())
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            for a in node.names:
                if f"{node.module}.{a.name}" in known:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("helpers") and a.asname:
                    aliases[a.asname] = a.name
    return aliases


#: The runtime modules: every module but the package roots and the development tools.
RUNTIME = sorted(m for m in modules() if m not in ("helpers", "helpers.dev") and ".dev." not in m)


def test_every_module_has_a_documented_floor_and_every_documented_module_exists():
    floors = documented_floors()
    found = {m for m in modules() if m not in ("helpers", "helpers.dev")}
    assert found - set(floors) == set(), "modules missing from the README's architecture table"
    assert set(floors) - found == set(), "README's architecture table names missing modules"


def test_the_readme_table_is_the_one_this_test_reads():
    floors = documented_floors()  # a broken table would make every other test here vacuous
    assert floors["helpers.config"] == 0 and floors["helpers.batch"] > floors["helpers.report"]
    assert {f for f in floors.values() if f != APART} >= {0, 1, 2, 3, 4, 5}


@pytest.mark.parametrize("name", RUNTIME)
def test_imports_run_only_to_lower_floors(name):
    floors = documented_floors()
    floor = floors[name]
    wrong = []
    for target, _names, line in helpers_imports(modules()[name].read_text("utf-8"), name):
        if target == "helpers":
            continue  # the package root holds only the version
        where = floors.get(target)
        if where == APART or target.startswith("helpers.dev"):
            wrong.append(f"line {line}: {target} is a development tool")
        elif where is None or where >= floor:
            wrong.append(f"line {line}: {target} is on floor {where}, not below {floor}")
    assert wrong == [], f"{name} (floor {floor}) imports upwards or sideways"


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_imports_a_private_name_of_another(name):
    source = modules()[name].read_text("utf-8")
    private = [
        f"{target}.{n}"
        for target, names, _line in helpers_imports(source, name)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    private += private_attributes(source, module_aliases(source))
    assert private == []


def test_the_checker_sees_upward_lazy_and_private_imports():
    source = (
        "from helpers import metrics\n"
        "def f():\n"
        "    from helpers.batch import _data_source\n"
        "    return metrics._private()\n"
    )
    found = helpers_imports(source, "helpers.geo")
    assert ("helpers.batch", ["_data_source"], 3) in found
    assert ("helpers.metrics", [], 1) in found
    assert private_attributes(source, module_aliases(source)) == ["helpers.metrics._private"]
