"""Golden tests: the two shipped editions, run by the batch on the synthetic extract.

Each expectation is read from the published figures (config/published/figures.yaml) or written
out by hand from the source documents; none is copied from the code's output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from helpers import batch
from helpers.config import PROJECT_ROOT
from helpers.dev import browser
from helpers.printed_figures import printed_figures

#: Every test here runs notebooks through Papermill (the batch).
pytestmark = pytest.mark.slow

EDITIONS = PROJECT_ROOT / "config" / "editions"


def _run(edition: str, out: Path) -> Path:
    spec = batch.Edition.load(EDITIONS / f"{edition}.yaml")
    return batch.run_batch(
        spec.notebooks, spec.period, output_dir=out, progress=False, edition=spec.path
    )


@pytest.fixture(scope="module")
def october(tmp_path_factory) -> Path:
    return _run("board-2015-10", tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def march(tmp_path_factory) -> Path:
    return _run("cabinet-2016-03", tmp_path_factory.mktemp("reports"))


def table(report: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(report / "tables" / f"{name}.csv", keep_default_na=False)


FIGURES = printed_figures()
DASHBOARD = FIGURES["dashboard_2015_10"]


def test_october_open_by_lead_agency_counts_are_the_published_counts(october):
    got = table(october, "open_by_lead_agency").set_index("lead_agency")["episodes"].to_dict()
    published = DASHBOARD["indicator_1_1_open_by_lead_agency"]["rows"]
    assert got == {agency: count for agency, (count, _pct) in published.items()}
    assert set(table(october, "open_by_lead_agency")["snapshot_date"]) == {"2015-08-31"}


def test_october_shares_agree_except_the_two_printed_in_error(october):
    got = table(october, "open_by_lead_agency").set_index("lead_agency")["pct"]
    published = DASHBOARD["indicator_1_1_open_by_lead_agency"]["rows"]
    differ = {agency for agency, (_c, pct) in published.items() if got[agency] != pct}
    # 87 of 1,887 is 4.61%: the dashboard printed 4.7.
    assert differ == {"Health"}
    held = table(october, "open_by_holder").set_index("held_by")
    assert held.at["Outside the local authority", "episodes"] == 8 + 87 + 376
    assert held.at["Outside the local authority", "pct"] == 25.0  # printed 24.9: 471/1887=24.96


def test_october_refusals(october):
    got = table(october, "refusals").set_index("period_end")["refusals_ytd"].to_dict()
    assert got == {"2015-08-31": 207, "2015-09-30": 261}


def test_october_outcomes_by_month_are_the_printed_counts(october):
    got = table(october, "outcomes_by_month")
    outcomes = DASHBOARD["indicator_1_2_outcomes"]
    months = [str(m) for m in outcomes["months"]]
    assert sorted(got["month"].unique()) == months
    for reason, (monthly, _ytd) in outcomes["rows"].items():
        rows = got[got["closure_reason"] == reason].set_index("month")["episodes"]
        assert [int(rows[m]) for m in months] == monthly, reason


def test_october_year_to_date_follows_the_counts_not_the_misprinted_total(october):
    ytd = table(october, "outcomes_ytd").set_index("closure_reason")
    # Apr-15..Sep-15 action plan completed: 94+123+139+159+66+147 = 728 (printed 730).
    assert ytd.at["Action Plan completed NFA", "episodes"] == 728
    assert ytd["episodes"].sum() == 1094
    assert ytd.at["Action Plan completed NFA", "pct"] == 66.5
    assert ytd.at["Referral to Social Care", "pct"] == 19.2
    assert set(ytd["financial_year"]) == {"2015/16"}


def test_october_benchmark(october):
    bench = table(october, "benchmark").set_index("financial_year")
    for label, printed in DASHBOARD["benchmarking"].items():
        year = "20" + label.split()[-1]  # "Coventry 14/15" -> "2014/15"
        row = bench.loc[year]
        assert row["cafs_ended"] == printed["cafs_ended"]
        assert row["pct_action_plan_completed_nfa"] == printed["pct_action_plan_completed_nfa"]
        assert row["pct_referral_to_social_care"] == printed["pct_referral_to_social_care"]


def test_october_reconciliation_disagrees_exactly_at_the_printed_contradictions(october):
    rec = table(october, "reconciliation")
    disagree = set(rec.loc[rec["status"] == "disagrees", "figure"])
    assert disagree == {
        "Health, share of CAFs open (%)",  # 87/1887 = 4.6%, printed 4.7
        "Held outside the local authority, share (%)",  # 471/1887 = 25.0%, printed 24.9
        "Action Plan completed NFA, year to date",  # the months add to 728, printed 730
        "Commentary: share held by the local authority, 'around 74%' (%)",  # 1416/1887 = 75.0%
    }
    assert (rec["status"] != "disagrees").sum() == len(rec) - 4
    rag = rec[rec["figure"] == "RAG status"]
    assert list(rag["recomputed"]) == ["Amber", "Amber"]


def test_october_strengthening_families(october):
    sf = FIGURES["strengthening_families_phase_2"]
    eligibility = table(october, "families_eligibility")
    assert list(eligibility["meeting_criteria"]) == [
        sf["open_level_3_meeting_criteria"],
        sf["closed_since_2015-01-01_meeting_criteria"],
    ]
    forecast = table(october, "pbr_forecast").set_index("scope")
    # 688 families at 70% are 481.6: 482 whole families, paid £1,800 each (issue 20, case 5)
    assert forecast.at["2015/16 target", "families_turned_around"] == 482
    assert forecast.at["2015/16 target", "forecast_income_gbp"] == 482 * 1800 == 867_600
    assert forecast.at["Five-year programme", "forecast_income_gbp"] == 2191 * 1800


def test_march_time_open_bands(march):
    bands = table(march, "time_open_bands").set_index("band")
    printed = FIGURES["cff_report_2016_03"]["time_open_bands"]
    assert bands["episodes"].to_dict() == {band: count for band, (count, _p) in printed.items()}
    assert bands["episodes"].sum() == 985
    # printed as whole percents: 29.7 -> 30, 22.7 -> 23, ...
    assert [round(p) for p in bands["pct"]] == [pct for _c, pct in printed.values()]


def test_march_budget(march):
    budget = table(march, "budget").set_index("line")
    for line, (spend, income, net) in FIGURES["cff_report_2016_03"][
        "budget_2015_16_forecast_q3"
    ].items():
        if line == "Total":
            assert budget[["spend", "income", "net"]].sum().tolist() == [spend, income, net]
        else:
            assert budget.loc[line, ["spend", "income", "net"]].tolist() == [spend, income, net]


def test_march_reconciliation_agrees_everywhere(march):
    rec = table(march, "reconciliation")
    assert (rec["status"] == "disagrees").sum() == 0
    assert (rec["status"] == "agrees").sum() > 20


def test_editions_write_notebooks_html_and_tables_with_data_source(october, march):
    import nbformat

    for report in (october, march):
        notebooks = sorted((report / "notebooks").glob("*.ipynb"))
        assert notebooks and len(notebooks) == len(list((report / "html").glob("*.html")))
        for path in notebooks:
            source = nbformat.read(path, as_version=4).metadata["earlyhelp"]["data_source"]
            assert source["synthetic"] is True
        assert not list(report.parent.glob(".*partial*"))


@pytest.fixture(scope="module")
def chromium():
    if browser.find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing under CI (python -m helpers.dev.browser --ensure)")
        pytest.skip("Chromium is not installed (python -m helpers.dev.browser --ensure)")


def test_rendered_html_shows_charts_and_no_errors(october, march, chromium):
    for report in (october, march):
        for page in sorted((report / "html").glob("*.html")):
            check = browser.page_check(page)
            assert check["loaded"], page.name
            assert check["broken_images"] == 0, page.name
            assert check["error_outputs"] == 0, page.name
            if not page.name.startswith("07_"):  # the reconciliation is tables only
                assert check["images"] >= 1, f"{page.name} shows no chart"


def test_rendered_html_hides_the_code(october, chromium):
    for page in (october / "html").glob("*.html"):
        assert browser.page_check(page)["code_cells"] == 0, page.name
        assert "report.show_table(" not in page.read_text(encoding="utf-8"), page.name


def test_page_check_catches_broken_images_and_error_outputs(tmp_path, chromium):
    page = tmp_path / "broken.html"
    page.write_text(
        "<html><body><img src='missing.png'><img src='data:image/png;base64,"
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='>"
        "<div data-mime-type='application/vnd.jupyter.stderr'>oops</div></body></html>",
        encoding="utf-8",
    )
    check = browser.page_check(page)
    assert (check["images"], check["broken_images"], check["error_outputs"]) == (2, 1, 1)
