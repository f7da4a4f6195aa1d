"""The payment-by-results forecast adds up (issue 20, case 5): "482 families ... £866,880" was
the income of 481.6 families. Each line is whole families at the assumed rate times the payment
per family, and the reconciliation checks every line against the printed figures."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import families as sf
from helpers import reconcile
from helpers.extract import SYNTHETIC_DIR, load_extract

SECTION = "Strengthening Families phase 2: payment-by-results forecast"


@pytest.mark.parametrize(
    ("families", "rate", "whole"),
    [
        (688, 70, 482),  # 481.6: the printed 2015/16 target
        (3130, 70, 2191),  # exactly 2,191
        (5, 50, 3),  # 2.5: half up
        (7, 50, 4),  # 3.5: half up, not to even
        (1, 70, 1),  # 0.7
        (1, 40, 0),  # 0.4
        (0, 70, 0),
        (10, 35, 4),  # 3.5 computed in floating point
        (688, 100, 688),
    ],
)
def test_families_turned_around_are_whole_families_rounded_half_up(families, rate, whole):
    assert sf.families_turned_around(families, rate) == whole


def test_every_forecast_line_adds_up():
    forecast = sf.pbr_forecast()
    for line in forecast.itertuples():
        assert line.forecast_income_gbp == line.families_turned_around * line.payment_per_family_gbp
        assert abs(line.families_turned_around - line.families * 0.7) <= 0.5
    target = forecast.set_index("scope").loc["2015/16 target"]
    assert (target["families"], target["families_turned_around"]) == (688, 482)
    assert target["forecast_income_gbp"] == 867_600  # 482 x £1,800, not £866,880


@pytest.fixture(scope="module")
def extract():
    return load_extract(SYNTHETIC_DIR)


def _forecast_rows(extract) -> pd.DataFrame:
    table = reconcile.reconciliation_table(extract, ["strengthening_families_phase_2"])
    return table[table["section"] == SECTION].set_index("figure")


def test_the_reconciliation_checks_every_line_of_the_forecast(extract):
    rows = _forecast_rows(extract)
    for scope in sf.pbr_forecast()["scope"]:
        for figure in ("families", "families turned around", "forecast income (£)"):
            assert f"{scope}: {figure}" in rows.index
    assert (rows["status"] == "agrees").all(), rows
    income = rows.loc["2015/16 target: forecast income (£)"]
    assert (income["published"], income["unit"]) == ("867600", "money")
    assert "481.6, so 482 whole families" in rows.loc["2015/16 target: families turned around"].note


def test_a_forecast_line_that_does_not_add_up_disagrees(extract, monkeypatch):
    original = sf.pbr_forecast

    def fractional() -> pd.DataFrame:  # the old forecast: money for 481.6 families
        forecast = original()
        forecast["forecast_income_gbp"] = forecast["families"] * 1800 * 70 // 100
        return forecast

    monkeypatch.setattr(sf, "pbr_forecast", fractional)
    rows = _forecast_rows(extract)
    income = rows.loc["2015/16 target: forecast income (£)"]
    assert (income["status"], income["published"], income["recomputed"]) == (
        "disagrees",
        "867600",
        "866880",
    )
    assert rows.loc["Five-year programme: forecast income (£)", "status"] == "agrees"  # 2,191
