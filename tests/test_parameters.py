"""Parameter values checked against the config and their ranges, with the nearest valid value.

The same check runs in the batch before any notebook (``helpers.preflight``) and in each
notebook as it starts, so an analyst in JupyterLab gets the sentence the batch would give.
"""

from __future__ import annotations

import pytest
from in_process import run_notebook

from helpers import batch
from helpers.config import categories
from helpers.parameters import ParameterError, check_value, lead_agency_meant
from helpers.preflight import RefusedError, check_plan

TEAM = categories().children_and_families_first


@pytest.mark.parametrize(
    ("name", "value", "nearest"),
    [
        ("lead_agency", TEAM.replace("&", "and"), repr(TEAM)),  # "and" for "&"
        ("rolling_window_months", 0, "1"),
        ("rolling_window_months", 61, "60"),
        ("window_months", -3, "1"),
        ("classes", 0, "2"),
        ("classes", 12, "9"),
        ("scheme", "naturalbreaks", "'NaturalBreaks'"),
        ("documents", ["dashboard_2015"], "'dashboard_2015_10'"),
    ],
)
def test_a_value_the_config_or_range_does_not_allow_is_refused_with_the_nearest(
    name, value, nearest
):
    with pytest.raises(ParameterError) as refused:
        check_value(name, value, "04_open_episodes_by_lsoa", "edition: ")
    assert str(refused.value).startswith(f"edition: {name} is ")
    assert str(refused.value).endswith(f"The nearest is {nearest}.")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lead_agency", ""),
        ("lead_agency", TEAM),
        ("rolling_window_months", 1),
        ("rolling_window_months", 60),
        ("classes", 2),
        ("classes", 9),
        ("window_months", 6),
        ("forecast_title", "anything at all"),
    ],
)
def test_the_edges_of_each_range_and_any_configured_name_pass(name, value):
    check_value(name, value, "03_cff_caseload_by_time_open")


def test_blank_means_the_configured_team_and_all_means_every_agency_on_the_map_only():
    assert lead_agency_meant("") == TEAM
    assert lead_agency_meant("Health") == "Health"
    assert lead_agency_meant("all", "04_open_episodes_by_lsoa") is None
    check_value("lead_agency", "all", "04_open_episodes_by_lsoa")
    with pytest.raises(ParameterError):
        check_value("lead_agency", "all", "03_cff_caseload_by_time_open")


def test_the_batch_refuses_such_a_value_before_any_notebook_runs():
    plan = {"03_cff_caseload_by_time_open": {"lead_agency": TEAM.replace("&", "and")}}
    with pytest.raises(RefusedError, match="The nearest is"):
        check_plan(plan, batch.NOTEBOOKS_DIR, "config/editions/x.yaml")
    plan = {"02_opened_closed_outcomes": {"rolling_window_months": 0}}
    with pytest.raises(RefusedError, match="rolling_window_months is 0"):
        check_plan(plan, batch.NOTEBOOKS_DIR, "-p")


def test_a_notebook_run_directly_gives_the_same_sentence():
    run = run_notebook("02_opened_closed_outcomes", rolling_window_months=0)
    assert isinstance(run.error, ParameterError)
    assert "02_opened_closed_outcomes: rolling_window_months is 0" in str(run.error)
    run = run_notebook("03_cff_caseload_by_time_open", lead_agency=TEAM.replace("&", "and"))
    assert isinstance(run.error, ParameterError) and repr(TEAM) in str(run.error)
