"""Every published figure beside the one recomputed from the extract.

A figure agrees when the recomputed value, rounded to the precision the report printed it at,
equals the printed value. Figures the extract cannot speak to (population, the previous
month's share that was never printed) are listed as ``not comparable`` rather than dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from helpers import families as sf
from helpers import metrics, sections
from helpers.config import Categories, categories
from helpers.extract import Extract
from helpers.published import published_figures
from helpers.rag import indicator, rag_status

DOCUMENTS = ("dashboard_2015_10", "strengthening_families_phase_2", "cff_report_2016_03")


@dataclass
class _Row:
    section: str
    figure: str
    published: object
    recomputed: object
    decimals: int | None = None  # printed precision of a number; None for text
    note: str = ""


def _decimals(value: object) -> int:
    text = str(value)
    return len(text.split(".")[1]) if "." in text else 0


def _status(row: _Row) -> str:
    if row.recomputed is None:
        return "not comparable"
    if isinstance(row.published, str):
        return "agrees" if row.published == row.recomputed else "disagrees"
    decimals = row.decimals if row.decimals is not None else _decimals(row.published)
    recomputed = float(row.recomputed)
    scale = 10**decimals
    rounded = (
        int(recomputed * scale + 0.5 + 1e-9) / scale
        if recomputed >= 0
        else -int(-recomputed * scale + 0.5 + 1e-9) / scale
    )
    return "agrees" if abs(rounded - float(row.published)) < 1e-9 else "disagrees"


def _dashboard(extract: Extract, cats: Categories) -> Iterable[_Row]:
    doc = published_figures()["dashboard_2015_10"]
    episodes = extract.episodes
    a11 = doc["indicator_1_1_open_by_lead_agency"]
    section = "1.1 CAFs open by lead agency (Aug-15)"
    table = sections.open_by_lead_agency(episodes, a11["snapshot"], cats).set_index("lead_agency")
    for agency, (count, share) in a11["rows"].items():
        yield _Row(section, f"{agency}: count", count, int(table.at[agency, "episodes"]))
        yield _Row(section, f"{agency}: %", share, float(table.at[agency, "pct"]))
    total = int(table["episodes"].sum())
    yield _Row(section, "Total: count", a11["total"][0], total)
    held = sections.held_outside_local_authority(table.reset_index(), cats).set_index("held_by")
    non_la = held.loc["Outside the local authority"]
    yield _Row(section, "Number non-LA", a11["non_la"][0], int(non_la["episodes"]))
    yield _Row(section, "% non-LA", a11["non_la"][1], float(non_la["pct"]))
    la_share = float(held.at["Local authority", "pct"])
    yield _Row(
        section,
        "Commentary: share held by the LA 'around 74%'",
        a11["commentary_claims"]["la_share_pct_around"],
        la_share,
        decimals=0,
        note="a rounded claim in the commentary, compared to the nearest whole percent",
    )
    yield _Row(
        section,
        "Commentary: Health share the previous month '6%'",
        a11["commentary_claims"]["health_share_previous_month_pct"],
        None,
        note="the previous month's counts were not printed",
    )
    yield _Row(section, "RAG status", a11["status"], _rag_1_1(float(non_la["pct"])))

    refusals = sections.refusals_year_to_date(
        extract.refusals, ["2015-08-31", "2015-09-30"]
    ).set_index("period_end")["refusals_ytd"]
    for key, day in (("ytd_to_2015-08-31", "2015-08-31"), ("ytd_to_2015-09-30", "2015-09-30")):
        yield _Row(
            "1.1 CAF refusals",
            f"Refusals year to date to {day}",
            doc["refusals"][key],
            int(refusals.loc[pd.Timestamp(day)]),
        )

    yield from _outcomes(extract, cats, doc)


def _rag_1_1(non_la_pct: float) -> str:
    return rag_status(non_la_pct, indicator("1.1"))


def _outcomes(extract: Extract, cats: Categories, doc: dict) -> Iterable[_Row]:
    episodes = extract.episodes
    a12 = doc["indicator_1_2_outcomes"]
    months = pd.PeriodIndex([pd.Period(str(m), freq="M") for m in a12["months"]])
    section = "1.2 CAF outcomes (rolling 13 months)"
    by_month = sections.outcomes_by_month(episodes, months, cats).set_index(
        ["month", "closure_reason"]
    )["episodes"]
    period_end = months[-1]
    ytd = sections.outcomes_year_to_date(episodes, period_end, cats).set_index("closure_reason")
    for reason, (monthly, (ytd_count, ytd_pct)) in a12["rows"].items():
        for month, printed in zip(months, monthly, strict=True):
            label = f"{reason}: {month.strftime('%b-%y')}"
            yield _Row(section, label, printed, int(by_month.loc[(month, reason)]))
        yield _Row(section, f"{reason}: Total (YTD)", ytd_count, int(ytd.at[reason, "episodes"]))
        yield _Row(section, f"{reason}: % (YTD)", ytd_pct, float(ytd.at[reason, "pct"]))
    totals = by_month.groupby(level="month").sum()
    for month, printed in zip(months, a12["total"][0], strict=True):
        yield _Row(section, f"Total: {month.strftime('%b-%y')}", printed, int(totals.loc[month]))
    yield _Row(section, "Total: Total (YTD)", a12["total"][1][0], int(ytd["episodes"].sum()))
    rates = sections.outcome_rates_by_month(episodes, months, cats).set_index("month")
    ytd_nfa = float(ytd.at[cats.action_plan_completed_reason, "pct"])
    ytd_ref = float(ytd.at[cats.referral_to_social_care_reason, "pct"])
    for column, printed_row, ytd_value in (
        ("pct_action_plan_completed_nfa", a12["pct_action_plan_completed_nfa"], ytd_nfa),
        ("pct_referral_to_social_care", a12["pct_referral_to_social_care"], ytd_ref),
    ):
        name = "% Action Plan complete NFA" if "nfa" in column else "% Referral to Social Care"
        for month, printed in zip(months, printed_row[:-1], strict=True):
            yield _Row(
                section,
                f"{name}: {month.strftime('%b-%y')}",
                printed,
                float(rates.at[month, column]),
            )
        yield _Row(section, f"{name}: YTD", printed_row[-1], ytd_value)
    ind = indicator("1.2")
    yield _Row(
        section,
        "Target % action plan completed",
        a12["target_pct_action_plan_completed_nfa"],
        ind.target,
    )
    yield _Row(section, "RAG status", a12["status"], rag_status(ytd_nfa, ind))

    bench = sections.benchmark(episodes, period_end, cats).set_index("financial_year")
    for label, printed in doc["benchmarking"].items():
        fy = "20" + label.split()[-1]  # "Coventry 14/15" -> "2014/15"
        for key, column in (
            ("cafs_ended", "cafs_ended"),
            ("pct_action_plan_completed_nfa", "pct_action_plan_completed_nfa"),
            ("pct_referral_to_social_care", "pct_referral_to_social_care"),
        ):
            yield _Row("1.2 Benchmarking", f"{label}: {key}", printed[key], bench.at[fy, column])


def _strengthening_families(extract: Extract, cats: Categories) -> Iterable[_Row]:
    doc = published_figures()["strengthening_families_phase_2"]
    prog = sf.programme()
    section = "Strengthening Families phase 2"
    as_at = "2015-08-31"
    eligibility = sf.eligibility_summary(extract.episodes, extract.families, as_at, cats)
    eligibility = eligibility["meeting_criteria"]  # open at level 3, then closed since
    yield _Row(
        section,
        "Families open at level 3 to CFF meeting the criteria",
        doc["open_level_3_meeting_criteria"],
        int(eligibility.iloc[0]),
        note=f"as at {as_at}, the dashboard's snapshot for open cases",
    )
    yield _Row(
        section,
        "Closed since 1 January 2015 meeting the criteria",
        doc["closed_since_2015-01-01_meeting_criteria"],
        int(eligibility.iloc[1]),
        note=f"families with no open level-3 CFF episode at {as_at}",
    )
    attached = sf.attachments(extract.families, prog.target_date_2015_16).set_index("group")
    rows = attached["attached"]
    yield _Row(
        section,
        "Phase 1 families remaining",
        doc["phase_1_remaining"]["families"],
        int(rows.iloc[0]),
    )
    yield _Row(
        section,
        "Phase 2 families attached early",
        doc["phase_2_early_families"]["families"],
        int(rows.iloc[1]),
    )
    yield _Row(
        section,
        "Phase 2 early families as % of 3,130",
        doc["phase_2_early_families"]["pct"],
        metrics.pct(int(rows.iloc[1]), prog.families_over_five_years),
        decimals=0,
    )
    yield _Row(
        section, "Further families in 2015/16", doc["further_families_2015_16"], int(rows.iloc[2])
    )
    yield _Row(
        section,
        "Families attached by 31 March 2016 (target 688)",
        doc["target_claimed_by_2016-03-31"],
        int(rows.iloc[3]),
    )
    yield _Row(
        section,
        "Families over five years",
        doc["families_to_work_with_over_5_years"],
        prog.families_over_five_years,
        note="programme setting (config)",
    )
    yield _Row(
        section,
        "Payment per family (£)",
        doc["payment_per_family_gbp"],
        prog.payment_per_family_gbp,
        note="programme setting (config)",
    )
    yield _Row(
        section,
        "Assumed payment-by-results rate (%)",
        doc["assumed_pbr_rate_pct"],
        prog.assumed_pbr_rate_pct,
        note="programme setting (config)",
    )


def _cff_report(extract: Extract, cats: Categories) -> Iterable[_Row]:
    doc = published_figures()["cff_report_2016_03"]
    section = "CFF caseload by time open (11 Jan 2016)"
    bands = sections.time_open_bands(extract.episodes, doc["open_episodes_snapshot"], cats=cats)
    bands = bands.set_index("band")
    yield _Row(section, "Episodes open", doc["open_episodes_total"], int(bands["episodes"].sum()))
    for band, (count, share) in doc["time_open_bands"].items():
        yield _Row(section, f"{band}: episodes", count, int(bands.at[band, "episodes"]))
        yield _Row(section, f"{band}: % case load", share, float(bands.at[band, "pct"]), decimals=0)
    budget = sections.budget_table(extract.budget).set_index("line")
    for line, (spend, income, net) in doc["budget_2015_16_forecast_q3"].items():
        if line == "Total":
            values = budget[["spend", "income", "net"]].sum()
        else:
            values = budget.loc[line, ["spend", "income", "net"]]
        for name, printed in (("spend", spend), ("income", income), ("net", net)):
            yield _Row(
                "Budget 2015/16 forecast, quarter 3",
                f"{line}: {name} (£)",
                printed,
                int(values[name]),
            )
    for key, label in (
        ("residents", "Residents"),
        ("residents_aged_0_19", "Residents aged 0-19"),
        ("team_size", "CFF team size"),
    ):
        yield _Row("Context", label, doc[key], None, note="not held in a case-level extract")


def reconciliation_table(
    extract: Extract, documents: Iterable[str] = DOCUMENTS, cats: Categories | None = None
) -> pd.DataFrame:
    """One row per published figure: published, recomputed, and whether they agree."""
    cats = cats or categories()
    builders = {
        "dashboard_2015_10": _dashboard,
        "strengthening_families_phase_2": _strengthening_families,
        "cff_report_2016_03": _cff_report,
    }
    rows = []
    for document in documents:
        for row in builders[document](extract, cats):
            status = _status(row)
            rows.append(
                {
                    "document": document,
                    "section": row.section,
                    "figure": row.figure,
                    "published": row.published,
                    "recomputed": row.recomputed,
                    "status": status,
                    "agrees": {"agrees": True, "disagrees": False}.get(status),
                    "note": row.note,
                }
            )
    table = pd.DataFrame(rows)
    for column in ("published", "recomputed"):  # as written: 4.7, 975, Amber; blank if none
        table[column] = table[column].map(lambda value: "" if value is None else str(value))
    table["agrees"] = table["agrees"].astype("boolean")
    return table
