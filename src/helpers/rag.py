"""Red/Amber/Green status and trend arrows, from the thresholds in ``config/rag.yaml``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from helpers.config import config_dir, load_yaml


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    measure: str
    higher_is_better: bool
    green: float
    amber: float
    target: float | None = None


@cache
def rag_config() -> dict:
    return load_yaml(config_dir() / "rag.yaml")


def indicator(key: str) -> Indicator:
    raw = rag_config()["indicators"][key]
    return Indicator(key=key, **raw)


#: The status of an indicator whose value is suppressed in a published report.
NOT_PUBLISHED = "Not published"
NOT_PUBLISHED_COLOUR = "#7F7F7F"
#: The status of an indicator with nothing to measure in the period (no CAF open, none closed).
NO_VALUE = "No status"
#: The status of an indicator whose value the input cannot give (it needs earlier records).
NOT_KNOWN = "Not known"


def rag_colour(status: str) -> str:
    if status in (NOT_PUBLISHED, NO_VALUE, NOT_KNOWN):
        return NOT_PUBLISHED_COLOUR
    return rag_config()["colours"][status]


def rag_status(value: float, ind: Indicator) -> str:
    """Green at or beyond ``green``, Amber at or beyond ``amber``, otherwise Red.

    No value (nothing to measure: no CAF open, or none closed in the year) is :data:`NO_VALUE`,
    never a colour: a report period with no activity is not judged.
    """
    if value is None or math.isnan(value):
        return NO_VALUE
    sign = 1 if ind.higher_is_better else -1
    if sign * value >= sign * ind.green:
        return "Green"
    if sign * value >= sign * ind.amber:
        return "Amber"
    return "Red"


@dataclass(frozen=True)
class Trend:
    direction: str  # "up", "down", "level" or "unknown"
    good: bool | None  # None when level or unknown

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "level": "▶"}.get(self.direction, "–")

    @property
    def words(self) -> str:
        if self.direction == "unknown":
            return "no earlier figure to compare with"
        if self.direction == "level":
            return "level with last month"
        verdict = "improving" if self.good else "worsening"
        return f"{self.direction} on last month ({verdict})"


def trend(current: float, previous: float | None, ind: Indicator) -> Trend:
    """Direction of the measure against the previous period, and whether that is good."""
    if previous is None or math.isnan(previous):
        return Trend("unknown", None)
    if current == previous:
        return Trend("level", None)
    direction = "up" if current > previous else "down"
    return Trend(direction, (direction == "up") == ind.higher_is_better)


def gap_to_target(value: object, ind: Indicator) -> str:
    """`` (4.2 points below it)``: how far a percentage is from the target; blank if hidden."""
    if ind.target is None or isinstance(value, str):  # a suppressed value gives no gap
        return ""
    if value is None or math.isnan(float(value)):  # nothing measured, no gap
        return ""
    gap = ind.target - float(value)
    return f" ({abs(gap):.1f} points {'below' if gap > 0 else 'above'} it)"
