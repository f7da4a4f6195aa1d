"""Settings a council changes without code: the YAML files under ``config/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

#: The repository root (``src/helpers/config.py`` -> three levels up).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SentenceError(Exception):
    """An error whose message is a sentence telling the analyst what to fix.

    In JupyterLab (IPython) it shows as that sentence alone, not a traceback through the
    helpers: IPython calls ``_render_traceback_`` for the lines to print. The batch reads the
    message, so it is unchanged there.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{self.__class__.__name__}: {self}"]


def config_dir() -> Path:
    """The config folder; ``EARLYHELP_CONFIG_DIR`` overrides it (another council's settings)."""
    return Path(os.environ.get("EARLYHELP_CONFIG_DIR", PROJECT_ROOT / "config"))


def load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass(frozen=True)
class Categories:
    lead_agencies: tuple[str, ...]
    non_la_agencies: tuple[str, ...]
    children_and_families_first: str
    closure_reasons: tuple[str, ...]
    action_plan_completed_reason: str
    referral_to_social_care_reason: str
    caf_levels: tuple[int, ...]
    refused_by: tuple[str, ...]
    strengthening_families_criteria: dict[str, str]
    strengthening_families_min_criteria: int
    local_authority_name: str
    lad_code: str

    @property
    def criteria_columns(self) -> tuple[str, ...]:
        return tuple(self.strengthening_families_criteria)


@cache
def _categories_from(path: Path) -> Categories:
    raw = load_yaml(path)
    return Categories(
        lead_agencies=tuple(raw["lead_agencies"]),
        non_la_agencies=tuple(raw["non_la_agencies"]),
        children_and_families_first=raw["children_and_families_first"],
        closure_reasons=tuple(raw["closure_reasons"]),
        action_plan_completed_reason=raw["action_plan_completed_reason"],
        referral_to_social_care_reason=raw["referral_to_social_care_reason"],
        caf_levels=tuple(int(level) for level in raw["caf_levels"]),
        refused_by=tuple(raw["refused_by"]),
        strengthening_families_criteria=dict(raw["strengthening_families_criteria"]),
        strengthening_families_min_criteria=int(raw["strengthening_families_min_criteria"]),
        local_authority_name=raw["local_authority"]["name"],
        lad_code=raw["local_authority"]["lad_code"],
    )


def categories() -> Categories:
    """The category lists in ``config/categories.yaml``."""
    return _categories_from(config_dir() / "categories.yaml")
