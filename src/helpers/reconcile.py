"""Every published figure beside the one recomputed from the extract.

A figure agrees when the recomputed value, rounded to the precision the report printed it at,
equals the printed value. Figures the extract cannot speak to (population, the previous
month's share that was never printed) are listed as ``not comparable`` rather than dropped.
With ``publish``, figures are recomputed through :mod:`helpers.figures`, as the other reports
print them: a figure suppressed there is ``suppressed`` here, and its value is not shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from helpers import families as sf
from helpers import metrics, tables
from helpers.config import Categories, categories
from helpers.coverage import coverage_of, is_mark, is_not_known, reason_of
from helpers.disclosure import is_suppressed
from helpers.extract import Extract
from helpers.figures import (
    families_figures,
    lead_agency_figures,
    outcomes_figures,
    time_open_figures,
)
from helpers.formats import long_date, month_label, number, round_half_up
from helpers.printed_figures import printed_figures
from helpers.rag import indicator, rag_status

DOCUMENTS = ("dashboard_2015_10", "strengthening_families_phase_2", "cff_report_2016_03")
#: Each document as its readers know it (the edition files name them by the keys above).
DOCUMENT_NAMES = {
    "dashboard_2015_10": "Improvement Board performance dashboard, October 2015",
    "strengthening_families_phase_2": "Strengthening Families phase 2 update, October 2015",
    "cff_report_2016_03": "Cabinet Member report on Children and Families First, March 2016",
}
#: The benchmark's figures, in words (keys as in the figures file and the benchmark table).
BENCHMARK_FIGURES = {
    "cafs_ended": "CAFs ended",
    "pct_action_plan_completed_nfa": "action plan completed, no further action (%)",
    "pct_referral_to_social_care": "referral to social care (%)",
}


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
    if is_not_known(row.recomputed):  # the extract does not cover the figure's date
        return "not known"
    if is_suppressed(row.recomputed):
        return "suppressed"
    if isinstance(row.published, str):
        return "agrees" if row.published == row.recomputed else "disagrees"
    decimals = row.decimals if row.decimals is not None else _decimals(row.published)
    recomputed = float(row.recomputed)
    if math.isnan(recomputed):  # a share of nothing: no CAF in its denominator
        return "not computable"
    rounded = round_half_up(recomputed, decimals)
    return "agrees" if abs(rounded - float(row.published)) < 1e-9 else "disagrees"


def _count(value: object) -> object:
    return value if is_mark(value) else int(value)


def _share(value: object) -> object:
    return value if is_mark(value) else float(value)


def _dashboard(extract: Extract, cats: Categories, publish: bool) -> Iterable[_Row]:
    doc = printed_figures()["dashboard_2015_10"]
    a11 = doc["indicator_1_1_open_by_lead_agency"]
    section = "1.1 CAFs open by lead agency (Aug-15)"
    # The refusals were printed year to date at two month ends; the later is the period's end.
    refusal_days = _refusal_days(doc["refusals"])
    figures = lead_agency_figures(
        extract.episodes,
        extract.refusals,
        a11["snapshot"],
        refusal_days[-1],
        publish,
        cats,
        coverage_of(extract),
    )
    table = figures.open_table.set_index("lead_agency")
    for agency, (count, share) in a11["rows"].items():
        if agency not in table.index:  # another council's agencies: the printed one is not theirs
            yield _Row(section, f"{agency}, CAFs open", count, None, note=NOT_CONFIGURED)
            yield _Row(
                section, f"{agency}, share of CAFs open (%)", share, None, note=NOT_CONFIGURED
            )
            continue
        yield _Row(section, f"{agency}, CAFs open", count, _count(table.at[agency, "episodes"]))
        yield _Row(
            section, f"{agency}, share of CAFs open (%)", share, _share(table.at[agency, "pct"])
        )
    yield _Row(section, "All lead agencies, CAFs open", a11["total"][0], _count(figures.total))
    held = figures.held.set_index("held_by")
    non_la = held.loc["Outside the local authority"]
    yield _Row(
        section,
        "Held outside the local authority, CAFs open",
        a11["non_la"][0],
        _count(non_la["episodes"]),
    )
    yield _Row(
        section,
        "Held outside the local authority, share (%)",
        a11["non_la"][1],
        _share(non_la["pct"]),
    )
    la_share = _share(held.at["Local authority", "pct"])
    yield _Row(
        section,
        "Commentary: share held by the local authority, 'around 74%' (%)",
        a11["commentary_claims"]["la_share_pct_around"],
        la_share,
        decimals=0,
        note="a rounded claim in the commentary, compared to the nearest whole percent",
    )
    claim = "health_share_previous_month_pct"  # the agency it names, as the figures file does
    named = next((a for a in a11["rows"] if claim.startswith(a.lower())), "an agency")
    yield _Row(
        section,
        f"Commentary: {named}'s share the month before, '6%' (%)",
        a11["commentary_claims"][claim],
        None,
        note="the previous month's counts were not printed",
    )
    yield _Row(section, "RAG status", a11["status"], _rag(_share(non_la["pct"]), "1.1"))

    refusals = figures.refusals.set_index("period_end")["refusals_ytd"]
    for day in refusal_days:
        yield _Row(
            "1.1 CAF refusals",
            f"Refusals, year to date to {long_date(day)}",
            doc["refusals"][f"{REFUSALS_KEY}{day.date().isoformat()}"],
            _count(refusals.loc[day]),
        )

    yield from _outcomes(extract, cats, doc, publish)


#: Why a printed figure of a category the council's config does not hold cannot be compared.
NOT_CONFIGURED = "no category of this name in config/categories.yaml"

#: How the published figures file names a year-to-date refusals count: ``ytd_to_2015-08-31``.
REFUSALS_KEY = "ytd_to_"


def _refusal_days(printed: dict) -> list[pd.Timestamp]:
    """The month ends the dashboard printed refusals to, read from the figures file's keys."""
    return sorted(pd.Timestamp(key.removeprefix(REFUSALS_KEY)) for key in printed)


def _rag(value: object, key: str) -> object:
    return value if is_mark(value) else rag_status(value, indicator(key))


def _outcomes(extract: Extract, cats: Categories, doc: dict, publish: bool) -> Iterable[_Row]:
    a12 = doc["indicator_1_2_outcomes"]
    months = pd.PeriodIndex([pd.Period(str(m), freq="M") for m in a12["months"]])
    section = "1.2 CAF outcomes (rolling 13 months)"
    year_to_date = "year to date"
    figures = outcomes_figures(
        extract.episodes, months[-1], len(months), publish, cats, coverage_of(extract)
    )
    by_month = figures.by_month.set_index(["month", "closure_reason"])["episodes"]
    ytd = figures.ytd.set_index("closure_reason")
    for reason, (monthly, (ytd_count, ytd_pct)) in a12["rows"].items():
        if reason not in ytd.index:  # a closure reason the council does not record
            for month, printed in [*zip(months, monthly, strict=True), (year_to_date, ytd_count)]:
                label = f"{reason}, {month if isinstance(month, str) else month_label(month)}"
                yield _Row(section, label, printed, None, note=NOT_CONFIGURED)
            continue
        for month, printed in zip(months, monthly, strict=True):
            label = f"{reason}, {month_label(month)}"
            yield _Row(section, label, printed, _count(by_month.loc[(month, reason)]))
        yield _Row(
            section, f"{reason}, {year_to_date}", ytd_count, _count(ytd.at[reason, "episodes"])
        )
        yield _Row(
            section,
            f"{reason}, share of the {year_to_date} (%)",
            ytd_pct,
            _share(ytd.at[reason, "pct"]),
        )
    totals = figures.opened_closed.set_index("month")["closed"]
    for month, printed in zip(months, a12["total"][0], strict=True):
        yield _Row(
            section, f"All reasons, {month_label(month)}", printed, _count(totals.loc[month])
        )
    yield _Row(
        section, f"All reasons, {year_to_date}", a12["total"][1][0], _count(figures.ytd_total)
    )
    rates = figures.rates.set_index("month")
    ytd_nfa = _share(ytd.at[cats.action_plan_completed_reason, "pct"])
    ytd_ref = _share(ytd.at[cats.referral_to_social_care_reason, "pct"])
    for column, printed_row, ytd_value in (
        ("pct_action_plan_completed_nfa", a12["pct_action_plan_completed_nfa"], ytd_nfa),
        ("pct_referral_to_social_care", a12["pct_referral_to_social_care"], ytd_ref),
    ):
        name = "Share with " + BENCHMARK_FIGURES[column].removesuffix(" (%)")
        for month, printed in zip(months, printed_row[:-1], strict=True):
            yield _Row(
                section,
                f"{name}, {month_label(month)} (%)",
                printed,
                _share(rates.at[month, column]),
            )
        yield _Row(section, f"{name}, {year_to_date} (%)", printed_row[-1], ytd_value)
    ind = indicator("1.2")
    yield _Row(
        section,
        "Target: action plan completed, no further action (%)",
        a12["target_pct_action_plan_completed_nfa"],
        ind.target,
    )
    yield _Row(section, "RAG status", a12["status"], _rag(ytd_nfa, "1.2"))

    bench = figures.benchmark.set_index("financial_year")
    for label, printed in doc["benchmarking"].items():
        fy = "20" + label.split()[-1]  # "Coventry 14/15" -> "2014/15"
        for column, name in BENCHMARK_FIGURES.items():
            value = bench.at[fy, column]
            value = _count(value) if column == "cafs_ended" else _share(value)
            yield _Row("1.2 Benchmarking", f"{label}, {name}", printed[column], value)


def _strengthening_families(extract: Extract, cats: Categories, publish: bool) -> Iterable[_Row]:
    doc = printed_figures()["strengthening_families_phase_2"]
    prog = sf.programme()
    section = "Strengthening Families phase 2"
    # The phase 2 figures were counted at the dashboard's snapshot of open cases.
    as_at = printed_figures()["dashboard_2015_10"]["indicator_1_1_open_by_lead_agency"]["snapshot"]
    figures = families_figures(
        extract.episodes,
        extract.families,
        as_at,
        prog.target_date_2015_16,
        publish,
        cats,
        coverage_of(extract),
    )
    eligibility = figures.eligibility["meeting_criteria"]  # open at level 3, then closed since
    yield _Row(
        section,
        "Families open at level 3 to CFF meeting the criteria",
        doc["open_level_3_meeting_criteria"],
        _count(eligibility.iloc[0]),
        note=f"as at {as_at}, the dashboard's snapshot for open cases",
    )
    yield _Row(
        section,
        "Closed since 1 January 2015 meeting the criteria",
        doc["closed_since_2015-01-01_meeting_criteria"],
        _count(eligibility.iloc[1]),
        note=f"families with no open level-3 CFF episode at {as_at}",
    )
    rows = figures.attached.set_index("group")["attached"]
    yield _Row(
        section,
        "Phase 1 families remaining",
        doc["phase_1_remaining"]["families"],
        _count(rows.iloc[0]),
    )
    yield _Row(
        section,
        "Phase 2 families attached early",
        doc["phase_2_early_families"]["families"],
        _count(rows.iloc[1]),
    )
    yield _Row(
        section,
        "Phase 2 families attached early, share of 3,130 (%)",
        doc["phase_2_early_families"]["pct"],
        rows.iloc[1]
        if is_mark(rows.iloc[1])
        else metrics.pct(int(rows.iloc[1]), prog.families_over_five_years),
        decimals=0,
    )
    yield _Row(
        section,
        "Further families in 2015/16",
        doc["further_families_2015_16"],
        _count(rows.iloc[2]),
    )
    yield _Row(
        section,
        "Families attached by 31 March 2016 (target 688)",
        doc["target_claimed_by_2016-03-31"],
        _count(rows.iloc[3]),
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
    yield from _forecast_lines(doc)


def _forecast_lines(doc: dict) -> Iterable[_Row]:
    """Every line of the payment-by-results forecast table beside what the printed figures give.

    The document printed the families (688 for 2015/16, 3,130 over five years), the payment per
    family and the assumed rate (checked above as settings); each line's families turned around
    are its families at that rate in whole families, and its income those families times the
    payment. A line whose parts do not give its total (482 families at £1,800 shown as £866,880,
    the income of 481.6 families) disagrees.
    """
    section = "Strengthening Families phase 2: payment-by-results forecast"
    printed = {
        "2015/16 target": doc["target_claimed_by_2016-03-31"],
        "Five-year programme": doc["families_to_work_with_over_5_years"],
    }
    payment, rate = doc["payment_per_family_gbp"], doc["assumed_pbr_rate_pct"]
    for line in sf.pbr_forecast().itertuples():
        families = printed[line.scope]
        whole = sf.families_turned_around(families, rate)
        exact = families * rate / 100
        at_rate = number(whole)
        if exact != whole:  # 688 at 70%: 481.6, so 482 whole families
            at_rate = f"{exact:,.1f}, so {at_rate} whole families"
        yield _Row(section, f"{line.scope}: families", families, int(line.families))
        yield _Row(
            section,
            f"{line.scope}: families turned around",
            whole,
            int(line.families_turned_around),
            note=f"not printed: {number(families)} families at the printed {rate:g}% are {at_rate}",
        )
        yield _Row(
            section,
            f"{line.scope}: forecast income (£)",
            whole * payment,
            int(line.forecast_income_gbp),
            note=f"not printed: {number(whole)} whole families at the printed £{payment:,} each",
        )


def _cff_report(extract: Extract, cats: Categories, publish: bool) -> Iterable[_Row]:
    doc = printed_figures()["cff_report_2016_03"]
    section = "CFF caseload by time open (11 Jan 2016)"
    figures = time_open_figures(
        extract.episodes, doc["open_episodes_snapshot"], None, publish, cats, coverage_of(extract)
    )
    bands = figures.bands.set_index("band")
    yield _Row(section, "Episodes open", doc["open_episodes_total"], _count(figures.total))
    for band, (count, share) in doc["time_open_bands"].items():
        yield _Row(section, f"{band}, episodes", count, _count(bands.at[band, "episodes"]))
        yield _Row(
            section,
            f"{band}, share of the caseload (%)",
            share,
            _share(bands.at[band, "pct"]),
            decimals=0,
        )
    budget = tables.budget_table(extract.budget).set_index("line")
    for line, (spend, income, net) in doc["budget_2015_16_forecast_q3"].items():
        if line == "Total":
            values = budget[["spend", "income", "net"]].sum()
        elif line in budget.index:
            values = budget.loc[line, ["spend", "income", "net"]]
        else:
            values = None
        for name, printed in (("spend", spend), ("income", income), ("net", net)):
            yield _Row(
                "Budget 2015/16 forecast, quarter 3",
                f"{line}, {name} (£)",
                printed,
                None if values is None else int(values[name]),
                note="" if values is not None else "the extract's budget has no line of this name",
            )
    for key, label in (
        ("residents", "Residents"),
        ("residents_aged_0_19", "Residents aged 0-19"),
        ("team_size", "CFF team size"),
    ):
        yield _Row("Context", label, doc[key], None, note="not held in a case-level extract")


def reconciliation_table(
    extract: Extract,
    documents: Iterable[str] = DOCUMENTS,
    cats: Categories | None = None,
    publish: bool = False,
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
        for row in builders[document](extract, cats, publish):
            status = _status(row)
            unit = _unit(row)
            published = row.published
            note = row.note
            if status == "suppressed":  # the printed figure would give away the hidden one
                published, note = row.recomputed, _join(note, "hidden in the published edition")
            elif status == "not comparable":
                note = note or "the extract cannot give this figure"
            elif status == "not known":
                note = _join(note, reason_of(row.recomputed))
            rows.append(
                {
                    "document": DOCUMENT_NAMES[document],
                    "section": row.section,
                    "figure": row.figure,
                    "unit": unit,
                    "published": _plain(published, unit),
                    "recomputed": _plain(row.recomputed, unit, recomputed=True),
                    "status": status,
                    "agrees": {"agrees": True, "disagrees": False}.get(status),
                    "note": note,
                }
            )
    table = pd.DataFrame(rows, columns=RECONCILIATION_COLUMNS)
    table["agrees"] = table["agrees"].astype("boolean")
    return table


RECONCILIATION_COLUMNS = [
    "document",
    "section",
    "figure",
    "unit",
    "published",
    "recomputed",
    "status",
    "agrees",
    "note",
]


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def _unit(row: _Row) -> str:
    """What kind of figure a row holds, from its printed value and its name."""
    if isinstance(row.published, str):
        return "text"
    if row.figure.endswith("(£)"):
        return "money"
    if row.figure.endswith("(%)"):
        return "percent"
    return "count"


def _plain(value: object, unit: str, recomputed: bool = False) -> str:
    """A value for the CSV: counts and money as integers, a printed percentage as printed and a
    recomputed one to one decimal; blank when there is none (the status and note say why).

    Counts can arrive as floats where a frame held a gap, so they are made whole here.
    """
    if value is None or is_not_known(value):  # blank: the status and note say why
        return ""
    if is_suppressed(value) or isinstance(value, str):
        return str(value)
    number_ = float(value)
    if math.isnan(number_):
        return ""
    if unit in ("count", "money"):
        return str(int(round(number_)))
    return f"{number_:.1f}" if recomputed else str(value)


def for_reading(table: pd.DataFrame) -> pd.DataFrame:
    """The reconciliation as a reader reads it: counts with separators, money in pounds,
    percentages with a % sign (recomputed ones to one decimal), and headings in words."""

    def shown(value: str, unit: str, recomputed: bool) -> str:
        if value == "" or is_suppressed(value) or unit == "text":
            return value
        if unit == "count":
            return number(int(value))
        if unit == "money":
            amount = int(value)
            return f"-£{-amount:,}" if amount < 0 else f"£{amount:,}"
        return f"{float(value):.1f}%" if recomputed else f"{value}%"

    out = pd.DataFrame(
        {
            "Document": table["document"],
            "Section": table["section"],
            "Figure": table["figure"].str.removesuffix(" (%)").str.removesuffix(" (£)"),
            "Printed": [
                shown(v, u, False) for v, u in zip(table["published"], table["unit"], strict=True)
            ],
            "Recomputed": [
                shown(v, u, True) for v, u in zip(table["recomputed"], table["unit"], strict=True)
            ],
            "Result": table["status"].str.capitalize(),
            "Note": table["note"],
        }
    )
    return out


def summary_in_words(table: pd.DataFrame) -> str:
    """The reconciliation in a sentence or two: how many figures agree, and which do not."""
    counts = table["status"].value_counts()
    total, agree = len(table), int(counts.get("agrees", 0))
    parts = [f"{counts.get('disagrees', 0):,} disagree"]
    if counts.get("not comparable", 0):
        parts.append(f"{counts['not comparable']:,} cannot be compared with a case-level extract")
    if counts.get("not computable", 0):
        parts.append(f"{counts['not computable']:,} have nothing to compute them from")
    if counts.get("suppressed", 0):
        parts.append(f"{counts['suppressed']:,} are hidden in this published edition")
    if counts.get("not known", 0):
        parts.append(f"{counts['not known']:,} are not known from this extract (its dates)")
    if agree == total:
        return f"Every one of the {total:,} printed figures agrees with the recomputed figure."
    listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"Of {total:,} printed figures, {agree:,} agree with the recomputed figure; {listed}."


def printed_differences(
    extract: Extract, key: str, when: object, publish: bool = False
) -> list[str]:
    """Footnotes for indicator ``key`` (``"1.1"`` or ``"1.2"``): each figure the October 2015
    dashboard printed for it that its own counts do not give (4.7% for 4.6%, 730 for 728).

    Only when the page shows the dashboard's own date (``when``: the snapshot date for 1.1, the
    last month for 1.2); a page for another month is not about the printed figures.
    """
    doc = printed_figures()["dashboard_2015_10"]
    if key == "1.1":
        printed_when = doc["indicator_1_1_open_by_lead_agency"]["snapshot"]
        same = pd.Timestamp(when) == pd.Timestamp(printed_when)
    else:
        last = doc["indicator_1_2_outcomes"]["months"][-1]
        same = pd.Period(str(when), freq="M") == pd.Period(str(last), freq="M")
    if not same:
        return []
    table = reconciliation_table(extract, ["dashboard_2015_10"], publish=publish)
    differs = table[(table["status"] == "disagrees") & table["section"].str.startswith(key)]
    return [
        f"{row.Figure}: the dashboard printed {row.Printed}; the counts give {row.Recomputed}"
        + (f" ({row.Note})." if row.Note else ".")
        for row in for_reading(differs).itertuples()
    ]
