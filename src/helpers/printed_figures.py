"""The figures the 2015-16 source reports printed, as transcribed (``config/published/``).

Floor 1 (reads its file through ``config``). Named for the printed documents, not for
``--publish`` (disclosure control): the reconciliation and the synthetic extract's calibration
read these.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from helpers.config import config_dir, load_yaml


@cache
def printed_figures() -> dict[str, Any]:
    """Every printed figure, exactly as transcribed; nothing here is corrected."""
    return load_yaml(config_dir() / "published" / "figures.yaml")
