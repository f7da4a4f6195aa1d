"""The committed synthetic extract: reproducible from its generator, calibrated to the reports."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import families as sf
from helpers import metrics, tables
from helpers.dev.synthetic import SYNTHETIC_DIR, generate, to_csv_text
from helpers.extract import CONTRACT, load_extract
from helpers.printed_figures import printed_figures
from helpers.reference import load_imd2015

FIGURES = printed_figures()


@pytest.fixture(scope="module")
def extract():
    return load_extract(SYNTHETIC_DIR)


def test_regenerating_gives_the_committed_files_byte_for_byte(imd_mirror, tmp_path):
    imd = load_imd2015(cache=tmp_path, mirror=imd_mirror)
    generated = generate(imd)
    for name in CONTRACT:
        committed = (SYNTHETIC_DIR / f"{name}.csv").read_text(encoding="utf-8")
        assert to_csv_text(generated[name], name) == committed, f"{name}.csv differs"


def test_it_is_marked_synthetic(extract):
    assert extract.is_synthetic


def test_open_by_lead_agency_on_31_august_2015(extract):
    got = tables.open_by_lead_agency(extract.episodes, "2015-08-31")
    printed = FIGURES["dashboard_2015_10"]["indicator_1_1_open_by_lead_agency"]["rows"]
    assert dict(zip(got["lead_agency"], got["episodes"], strict=True)) == {
        agency: count for agency, (count, _pct) in printed.items()
    }


def test_closures_by_month_and_reason_september_2014_to_september_2015(extract):
    outcomes = FIGURES["dashboard_2015_10"]["indicator_1_2_outcomes"]
    months = pd.PeriodIndex([pd.Period(str(m), freq="M") for m in outcomes["months"]])
    got = tables.outcomes_by_month(extract.episodes, months).set_index(["month", "closure_reason"])[
        "episodes"
    ]
    for reason, (monthly, _ytd) in outcomes["rows"].items():
        assert [int(got[(m, reason)]) for m in months] == monthly, reason


def test_financial_year_2014_15_closures(extract):
    ended = extract.episodes[extract.episodes["end_date"].between("2014-04-01", "2015-03-31")]
    nfa = (ended["closure_reason"] == "Action Plan completed NFA").sum()
    referral = (ended["closure_reason"] == "Referral to Social Care").sum()
    assert len(ended) == 2046
    assert 0.6095 <= nfa / 2046 < 0.6105  # rounds to 61.0%
    assert 0.2625 <= referral / 2046 < 0.2635  # rounds to 26.3%


def test_refusals_year_to_date(extract):
    dates = extract.refusals["refusal_date"]
    assert dates.between("2015-04-01", "2015-08-31").sum() == 207
    assert dates.between("2015-04-01", "2015-09-30").sum() == 261


def test_cff_caseload_on_11_january_2016(extract):
    bands = tables.time_open_bands(extract.episodes, "2016-01-11")
    assert list(bands["episodes"]) == [293, 224, 174, 130, 97, 67]


def test_strengthening_families_figures(extract):
    population = sf.families_on_report_date(extract.episodes, extract.families, "2015-08-31")
    summary = sf.eligibility_summary(population, "2015-08-31")
    assert list(summary["meeting_criteria"]) == [490, 318]
    attached = sf.attachments(extract.families, "2016-03-31")["attached"].tolist()
    assert attached == [274, 156, 532, 688]


def test_budget_lines_as_printed(extract):
    budget = tables.budget_table(extract.budget).set_index("line")
    printed = FIGURES["cff_report_2016_03"]["budget_2015_16_forecast_q3"]
    for line, (spend, income, net) in printed.items():
        if line != "Total":
            assert budget.loc[line, ["spend", "income", "net"]].tolist() == [spend, income, net]


def test_no_episode_ends_before_it_starts_and_durations_have_a_long_tail(extract):
    episodes = extract.episodes
    days = (episodes["end_date"] - episodes["start_date"]).dt.days.dropna()
    assert (days >= 0).all()
    assert days.quantile(0.99) > 3 * days.median()  # long tail
    assert (days == 0).any()  # a few same-day episodes


def test_openings_each_month_are_plausible(extract):
    months = metrics.rolling_months("2016-03", 30)
    opened = metrics.opened_by_month(extract.episodes, months)
    assert opened.min() >= 80 and opened.max() <= 320


def test_episodes_concentrate_in_the_more_deprived_lsoas(extract, imd_mirror, tmp_path):
    imd = load_imd2015(lad_code="E08000026", cache=tmp_path, mirror=imd_mirror)
    deciles = extract.episodes.merge(imd, on="lsoa11cd")["imd_decile"]
    episodes_in_decile_1 = (deciles == 1).mean()
    lsoas_in_decile_1 = (imd["imd_decile"] == 1).mean()  # 36 of 195
    assert episodes_in_decile_1 > 1.2 * lsoas_in_decile_1
