"""The published figures of the two source reports, as printed (``config/published/``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from helpers.config import config_dir, load_yaml


@cache
def published_figures() -> dict[str, Any]:
    """Every printed figure, exactly as transcribed; nothing here is corrected."""
    return load_yaml(config_dir() / "published" / "figures.yaml")
