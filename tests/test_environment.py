"""pyproject.toml and environment.yml pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from helpers.config import PROJECT_ROOT

PYPROJECT = PROJECT_ROOT / "pyproject.toml"
ENVIRONMENT = PROJECT_ROOT / "environment.yml"
PIP_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,]+)\s*$")
CONDA_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*([^\s=<>!,]+)\s*$")
NOT_PACKAGES = {"python", "pip"}  # in environment.yml only: the interpreter and installer


def normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def pyproject_requirements() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])


def conda_requirements() -> list[str]:
    environment = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    specs = [item for item in environment["dependencies"] if isinstance(item, str)]
    return [spec for spec in specs if normalise(re.split(r"[=<>!\s]", spec)[0]) not in NOT_PACKAGES]


def conda_pip_section() -> list[str]:
    """What conda hands to pip: packages conda-forge does not carry, then the project itself."""
    environment = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    sections = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict)]
    assert len(sections) == 1, "environment.yml should have exactly one pip section"
    return sections[0]


def conda_pip_pins() -> list[str]:
    return [spec for spec in conda_pip_section() if spec != "-e ."]


def pins(requirements: list[str], pattern: re.Pattern[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for requirement in requirements:
        match = pattern.match(requirement)
        assert match, f"not an exact pin: {requirement!r}"
        name = normalise(match.group(1))
        assert name not in result, f"{name} is listed twice"
        result[name] = match.group(2)
    return result


@pytest.mark.parametrize("requirement", pyproject_requirements())
def test_every_pyproject_dependency_is_pinned_exactly(requirement):
    assert PIP_PIN.match(requirement), f"{requirement!r} is not pinned with =="


@pytest.mark.parametrize("requirement", conda_requirements())
def test_every_conda_dependency_is_pinned_exactly(requirement):
    assert CONDA_PIN.match(requirement), f"{requirement!r} is not pinned with a single ="


def test_conda_pip_section_installs_the_project_last_and_pins_the_rest():
    # Only packages conda-forge lacks belong here, pinned as in pyproject; the project goes last
    # so that pip finds its dependencies already installed and changes nothing conda chose.
    section = conda_pip_section()
    assert section[-1] == "-e ."
    assert section.count("-e .") == 1
    for spec in conda_pip_pins():
        assert PIP_PIN.match(spec), f"{spec!r} in the pip section is not pinned with =="
    names = {normalise(PIP_PIN.match(spec).group(1)) for spec in conda_pip_pins()}
    assert not names & set(pins(conda_requirements(), CONDA_PIN)), "listed for both conda and pip"


def test_pyproject_and_environment_pin_the_same_versions():
    from_pyproject = pins(pyproject_requirements(), PIP_PIN)
    from_conda = pins(conda_requirements(), CONDA_PIN) | pins(conda_pip_pins(), PIP_PIN)
    only_pyproject = {k: v for k, v in from_pyproject.items() if k not in from_conda}
    only_conda = {k: v for k, v in from_conda.items() if k not in from_pyproject}
    differ = {
        k: (from_pyproject[k], from_conda[k])
        for k in from_pyproject.keys() & from_conda.keys()
        if from_pyproject[k] != from_conda[k]
    }
    assert (only_pyproject, only_conda, differ) == ({}, {}, {})
    assert from_pyproject == from_conda


def test_the_pin_parsers_read_names_and_versions():
    assert pins(["Foo_Bar==1.2.3"], PIP_PIN) == {"foo-bar": "1.2.3"}
    assert pins(["foo-bar=1.2.3"], CONDA_PIN) == {"foo-bar": "1.2.3"}
    for loose in ("foo>=1.2", "foo", "foo==1.2,<2", "foo~=1.2"):
        assert not PIP_PIN.match(loose), loose
    for loose in ("foo>=1.2", "foo", "foo==1.2"):
        assert not CONDA_PIN.match(loose), loose
