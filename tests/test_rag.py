from __future__ import annotations

import math

import pytest

from helpers.rag import NO_VALUE, Indicator, indicator, rag_status, trend

HIGHER = Indicator("x", "t", "m", higher_is_better=True, green=70, amber=60)
LOWER = Indicator("y", "t", "m", higher_is_better=False, green=10, amber=20)


@pytest.mark.parametrize(
    ("value", "status"),
    [(70.0, "Green"), (69.9, "Amber"), (60.0, "Amber"), (59.9, "Red"), (100, "Green")],
)
def test_higher_is_better_thresholds_are_inclusive(value, status):
    assert rag_status(value, HIGHER) == status


@pytest.mark.parametrize(("value", "status"), [(10, "Green"), (10.1, "Amber"), (20.1, "Red")])
def test_lower_is_better(value, status):
    assert rag_status(value, LOWER) == status


def test_no_value_has_no_colour_status():
    assert rag_status(math.nan, HIGHER) == NO_VALUE
    assert rag_status(None, LOWER) == NO_VALUE


def test_trend_direction_and_polarity():
    assert trend(66.5, 61.0, HIGHER).direction == "up" and trend(66.5, 61.0, HIGHER).good
    assert trend(5, 6, LOWER).good is True
    assert trend(6, 5, LOWER).good is False
    assert trend(5, 5, HIGHER).direction == "level"
    assert trend(5, None, HIGHER).direction == "unknown"


def test_the_october_2015_figures_are_amber_as_printed():
    # 471 of 1,887 open CAFs held outside the LA = 25.0%; 728 of 1,094 closures = 66.5%.
    assert rag_status(25.0, indicator("1.1")) == "Amber"
    assert rag_status(66.5, indicator("1.2")) == "Amber"
    assert indicator("1.2").target == 70
