"""What each report prints: one function per notebook, every figure it shows, linked for disclosure.

Floor 3. Every notebook gets its figures here (the map's joins are in ``geo``, the tidy tables in
``tables`` and ``families``). With ``publish=False`` the
tables come back as :mod:`helpers.tables` and :mod:`helpers.families` make them; with
``publish=True`` every count the report prints (in a table, a chart, a sentence or a CSV), and
every count that follows from two printed ones, goes into one :class:`LinkedCounts` with the
sums that link them; what :meth:`LinkedCounts.protect` hides is shown as the suppression mark,
and so is any percentage whose numerator or denominator is hidden.

Money (the budget) and programme settings (targets, payment per family) are not counts of
people and are never suppressed.

A figure the input cannot support (a month before its first record, a time-open band longer
than an Annex A list reaches back, a year to date that starts before the input does) comes
back as :class:`helpers.coverage.NotKnown`, with the reason: it is not a count, so it takes no
part in disclosure control, and no sum that holds it links the counts that are printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from helpers import annex_a, geo, metrics, tables
from helpers import families as sf
from helpers.config import Categories, categories
from helpers.coverage import Coverage, NotKnown
from helpers.disclosure import Key, LinkedCounts, is_suppressed, policy
from helpers.formats import month_label, number, percent


def known_counts(counts: LinkedCounts, not_known: Mapping[Key, str]) -> LinkedCounts:
    """``counts`` without the figures that are not known, and without any sum holding one.

    A not-known figure is not a count: the reader knows nothing of it, so neither it nor a sum
    it is part of says anything about the counts that are printed.
    """
    if not not_known:
        return counts
    known = LinkedCounts()
    for key, value in counts.values.items():
        if key not in not_known:
            known.add(key, value, counts.printed[key])
    for link in counts.sums:
        if not any(key in not_known for key in link.members):
            known.add_sum(link.total, link.parts)
    return known


class _Masker:
    """Replace hidden counts, and percentages built on them, by the suppression mark; and
    figures the input cannot support by the not-known mark (with why)."""

    def __init__(
        self, counts: LinkedCounts, publish: bool, not_known: Mapping[Key, str] | None = None
    ):
        self.not_known = dict(not_known or {})
        self.counts = known_counts(counts, self.not_known)
        self.hidden = self.counts.protect() if publish else frozenset()
        self.mark = policy().mark

    def shown(self, *keys: Key) -> bool:
        return not any(k in self.hidden for k in keys)

    def value(self, value: object, *keys: Key) -> object:
        reasons = [self.not_known[k] for k in keys if k in self.not_known]
        if reasons:
            return NotKnown(reasons[0])
        return value if self.shown(*keys) else self.mark

    def column(
        self, table: pd.DataFrame, column: str, keys: Sequence[tuple[Key, ...]]
    ) -> pd.DataFrame:
        """``table[column]`` with row i masked when any of ``keys[i]`` is hidden or not known."""
        if all(
            self.shown(*row_keys) and not any(k in self.not_known for k in row_keys)
            for row_keys in keys
        ):
            return table
        values = [self.value(v, *ks) for v, ks in zip(table[column], keys, strict=True)]
        return table.assign(**{column: pd.Series(values, index=table.index, dtype=object)})


@dataclass
class ProtectedFigures:
    """What every report's figures carry, so that a test can audit what was hidden."""

    counts: LinkedCounts  # every printed count and the sums linking them
    hidden: frozenset  # the keys suppressed (empty unless published)


def _everything_unknown(counts: LinkedCounts, reason: str) -> dict[Key, str]:
    """Every figure of a report dated outside the input: each one not known, for one reason."""
    return dict.fromkeys(counts.values, reason)


# --------------------------------------------------------------------------- 1.1


@dataclass
class LeadAgencyFigures(ProtectedFigures):
    open_table: pd.DataFrame  # by lead agency: episodes, pct
    held: pd.DataFrame  # local authority / outside it: episodes, pct
    total: object  # episodes open
    previous_day: pd.Timestamp
    previous_non_la_pct: object  # the share outside the LA a month earlier (RAG trend)
    refusals: pd.DataFrame  # year to date at the previous month end and at the period end
    #: By organisation as recorded, within its lead agency (an Annex A list); None otherwise.
    by_organisation: pd.DataFrame | None = None


def lead_agency_figures(
    episodes: pd.DataFrame,
    refusals: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    refusals_period_end: str | pd.Timestamp,
    publish: bool = False,
    cats: Categories | None = None,
    coverage: Coverage | None = None,
) -> LeadAgencyFigures:
    """Indicator 1.1: CAFs open by lead agency, held outside the LA, trend, refusals.

    ``coverage``: the days the input covers; a figure dated outside them (the trend from a
    month before the first record, refusals from an April before it) is not known.
    """
    cats = cats or categories()
    coverage = coverage or Coverage()
    day = metrics.as_timestamp(snapshot_date)
    open_table = tables.open_by_lead_agency(episodes, day, cats)
    held = tables.held_outside_local_authority(open_table, cats)
    previous_day = metrics.month_earlier(day)
    previous = tables.held_outside_local_authority(
        tables.open_by_lead_agency(episodes, previous_day, cats), cats
    )
    period_end = metrics.as_timestamp(refusals_period_end)
    ends = [metrics.previous_month_end(period_end), period_end]
    refusals_table = tables.refusals_year_to_date(refusals, ends)

    counts = LinkedCounts()
    agencies = counts.add_each("agency", open_table["lead_agency"], open_table["episodes"])
    total = counts.add(("open",), open_table["episodes"].sum())
    counts.add_sum(total, agencies)
    holders = counts.add_each("held_by", held["held_by"], held["episodes"])
    counts.add_sum(total, holders)
    non_la = [("agency", a) for a in open_table["lead_agency"] if a in cats.non_la_agencies]
    ungrouped = [("agency", a) for a in open_table["lead_agency"] if a not in cats.lead_agencies]
    counts.add_sum(holders[0], [k for k in agencies if k not in non_la and k not in ungrouped])
    counts.add_sum(holders[1], non_la)
    if ungrouped:  # an Annex A organisation in no group: neither inside the LA nor outside
        counts.add_sum(holders[2], ungrouped)
    # The previous month's share is printed; its counts are not, but protect them as if they were.
    before = counts.add_each("held_by_before", previous["held_by"], previous["episodes"])
    before_total = counts.add(("open_before",), previous["episodes"].sum())
    counts.add_sum(before_total, before)
    ytd = [counts.add(("refusals_ytd", i), n) for i, n in enumerate(refusals_table["refusals_ytd"])]
    if metrics.financial_year_start(ends[0]) == metrics.financial_year_start(ends[1]):
        # The month between two year-to-date totals is a count too, though never printed.
        in_month = counts.add(
            ("refusals_in_month",),
            int(refusals_table["refusals_ytd"].diff().iloc[1]),
            printed=False,
        )
        counts.add_sum(ytd[1], [ytd[0], in_month])

    by_organisation = None
    if "organisation" in episodes:  # each agency's organisations add to its printed count
        by_organisation = tables.open_by_organisation(episodes, day, open_table)
        organisations = [
            counts.add(("organisation", a, o), n)
            for a, o, n in by_organisation[["lead_agency", "organisation", "episodes"]].itertuples(
                index=False
            )
        ]
        for agency in open_table["lead_agency"]:
            parts = [k for k in organisations if k[1] == agency]
            if parts:
                counts.add_sum(("agency", agency), parts)

    not_known: dict[Key, str] = {}
    if not coverage.covers_day(previous_day):
        not_known.update(dict.fromkeys([*before, before_total], coverage.day_reason(previous_day)))
    for i, end in enumerate(ends):
        months = metrics.year_to_date_months(end)
        if not coverage.covers_months(months):
            reason = coverage.span_reason(months, "the year to date")
            not_known.update(dict.fromkeys([ytd[i], ("refusals_in_month",)], reason))
    if not coverage.covers_day(day):
        not_known = _everything_unknown(counts, coverage.day_reason(day))
    mask = _Masker(counts, publish, not_known)
    if by_organisation is not None:
        by_organisation = mask.column(by_organisation, "episodes", [(k,) for k in organisations])
    open_table = mask.column(open_table, "episodes", [(k,) for k in agencies])
    open_table = mask.column(open_table, "pct", [(k, total) for k in agencies])
    held = mask.column(held, "episodes", [(k,) for k in holders])
    held = mask.column(held, "pct", [(k, total) for k in holders])
    return LeadAgencyFigures(
        open_table=open_table,
        held=held,
        total=mask.value(int(counts.values[total]), total),
        previous_day=previous_day,
        previous_non_la_pct=mask.value(float(previous["pct"].iloc[1]), before[1], before_total),
        refusals=mask.column(refusals_table, "refusals_ytd", [(k,) for k in ytd]),
        by_organisation=by_organisation,
        counts=mask.counts,
        hidden=mask.hidden,
    )


# --------------------------------------------------------------------------- 1.2


@dataclass
class OutcomesFigures(ProtectedFigures):
    months: pd.PeriodIndex  # the rolling window
    opened_closed: pd.DataFrame  # month, opened, closed
    by_month: pd.DataFrame  # month, closure_reason, episodes
    ytd: pd.DataFrame  # closure_reason, episodes, pct: April to the period end
    ytd_total: object
    rates: pd.DataFrame  # month, closed, two percentage rows
    benchmark: pd.DataFrame  # previous financial year and this year to date
    last_month_nfa_pct: object  # year to date a month earlier (RAG trend); NaN in April


def _span_counts(
    counts: LinkedCounts,
    name: str,
    months: pd.PeriodIndex,
    reasons: Sequence[str],
    printed_reasons: Sequence[str],
    reasons_recorded: bool,
) -> tuple[dict[str, Key], Key]:
    """Closures over a span of months by reason, linked to the monthly cells and totals."""
    reason_keys = {}
    for reason in reasons:
        parts = [("closed", m, reason) for m in months]
        key = counts.add(
            (name, reason), sum(counts.values[p] for p in parts), reason in printed_reasons
        )
        counts.add_sum(key, parts)
        reason_keys[reason] = key
    month_totals = [("closed_total", m) for m in months]
    total = counts.add((name, "total"), sum(counts.values[k] for k in month_totals))
    counts.add_sum(total, month_totals)
    if reasons_recorded:
        counts.add_sum(total, list(reason_keys.values()))
    return reason_keys, total


def _reasons_recorded(episodes: pd.DataFrame) -> bool:
    """Whether every closed case records why it closed (an Annex A list records none)."""
    return bool(episodes.loc[episodes["end_date"].notna(), "closure_reason"].notna().all())


#: Why a closure reason is not known, when the input does not record reasons.
REASONS_NOT_RECORDED = "The input does not record why a case closed."


def outcomes_figures(
    episodes: pd.DataFrame,
    period_end: str | pd.Period,
    rolling_window_months: int,
    publish: bool = False,
    cats: Categories | None = None,
    coverage: Coverage | None = None,
) -> OutcomesFigures:
    """Indicator 1.2: CAFs opened and closed, why they closed, year to date, benchmark.

    ``coverage``: the days the input covers. A month it does not cover whole, and a span (the
    year to date, the benchmark year) that holds one, is not known; so is every count by
    closure reason when the input records none.
    """
    cats = cats or categories()
    coverage = coverage or Coverage()
    end = pd.Period(period_end, freq="M")
    window = metrics.rolling_months(end, rolling_window_months)
    this_year = metrics.year_to_date_months(end)
    last_year = metrics.financial_year_months(this_year[0].year - 1)
    last_month = metrics.year_to_date_months(end - 1) if end.month != 4 else None
    reasons = list(cats.closure_reasons)
    nfa, referral = cats.action_plan_completed_reason, cats.referral_to_social_care_reason
    recorded = _reasons_recorded(episodes)
    every_month = window.union(this_year).union(last_year)
    if last_month is not None:
        every_month = every_month.union(last_month)
    opened_closed = tables.opened_closed_by_month(episodes, window)
    # Closures by month and reason, for every month any printed figure adds up.
    every = tables.outcomes_by_month(episodes, every_month, cats)
    closed = metrics.closed_by_month(episodes, every_month)
    by_month = every[every["month"].isin(window)].reset_index(drop=True)
    ytd = tables.outcomes_year_to_date(episodes, end, cats)
    rates = tables.outcome_rates_by_month(episodes, window, cats)
    bench = tables.benchmark(episodes, end, cats)
    last_month_pct = (
        tables.outcomes_year_to_date(episodes, end - 1, cats)
        .set_index("closure_reason")
        .at[nfa, "pct"]
        if last_month is not None
        else float("nan")
    )

    counts = LinkedCounts()
    for row in every.itertuples():
        counts.add(("closed", row.month, row.closure_reason), row.episodes, row.month in window)
    for month, group in every.groupby("month", sort=True):
        total = counts.add(("closed_total", month), closed[month], month in window)
        if recorded:
            counts.add_sum(total, [("closed", month, r) for r in group["closure_reason"]])
    for row in opened_closed.itertuples():  # opened: no printed sum links them
        counts.add(("opened", row.month), row.opened)
    spans = {
        "ytd": (this_year, reasons, "the year to date"),
        "last_year": (last_year, [nfa, referral], "the previous financial year"),
    }
    if last_month is not None:
        spans["ytd_before"] = (last_month, [nfa], "the year to date a month earlier")
    span_keys = {
        name: _span_counts(counts, name, months, reasons, printed, recorded)
        for name, (months, printed, _) in spans.items()
    }
    ytd_keys, ytd_total = span_keys["ytd"]
    year_keys, year_total = span_keys["last_year"]

    not_known: dict[Key, str] = {}
    for month in every_month:
        if not coverage.covers_month(month):
            reason = coverage.month_reason(month)
            month_keys = [("closed", month, r) for r in reasons]
            not_known.update(dict.fromkeys([*month_keys, ("closed_total", month)], reason))
            not_known[("opened", month)] = reason
    for name, (months, _, words) in spans.items():
        if not coverage.covers_months(months):
            keys = [*span_keys[name][0].values(), span_keys[name][1]]
            not_known.update(dict.fromkeys(keys, coverage.span_reason(months, words)))
    if not recorded:  # counts by reason, and shares of them: none can be known
        by_reason = [k for k in counts.values if k[0] == "closed" or k[-1] in set(reasons)]
        not_known.update({k: REASONS_NOT_RECORDED for k in by_reason if k not in not_known})

    mask = _Masker(counts, publish, not_known)
    opened_closed = mask.column(opened_closed, "opened", [(("opened", m),) for m in window])
    opened_closed = mask.column(opened_closed, "closed", [(("closed_total", m),) for m in window])
    cell_keys = [
        (("closed", m, r),)
        for m, r in zip(by_month["month"], by_month["closure_reason"], strict=True)
    ]
    by_month = mask.column(by_month, "episodes", cell_keys)
    ytd = mask.column(ytd, "episodes", [(ytd_keys[r],) for r in ytd["closure_reason"]])
    ytd = mask.column(ytd, "pct", [(ytd_keys[r], ytd_total) for r in ytd["closure_reason"]])
    month_totals = [("closed_total", m) for m in rates["month"]]
    rates = mask.column(rates, "closed", [(k,) for k in month_totals])
    for column, reason in (
        ("pct_action_plan_completed_nfa", nfa),
        ("pct_referral_to_social_care", referral),
    ):
        rates = mask.column(
            rates,
            column,
            [(("closed", m, reason), t) for m, t in zip(rates["month"], month_totals, strict=True)],
        )
    bench_spans = [(year_keys, year_total), (ytd_keys, ytd_total)]
    bench = mask.column(bench, "cafs_ended", [(t,) for _, t in bench_spans])
    for column, reason in (
        ("pct_action_plan_completed_nfa", nfa),
        ("pct_referral_to_social_care", referral),
    ):
        bench = mask.column(bench, column, [(k[reason], t) for k, t in bench_spans])
    if last_month is not None:
        trend_keys, trend_total = span_keys["ytd_before"]
        last_month_pct = mask.value(last_month_pct, trend_keys[nfa], trend_total)
    return OutcomesFigures(
        months=window,
        opened_closed=opened_closed,
        by_month=by_month,
        ytd=ytd,
        ytd_total=mask.value(int(counts.values[ytd_total]), ytd_total),
        rates=rates,
        benchmark=bench,
        last_month_nfa_pct=last_month_pct,
        counts=mask.counts,
        hidden=mask.hidden,
    )


def opened_closed_grid(figures: OutcomesFigures) -> pd.DataFrame:
    """CAFs opened and closed as the dashboard prints them: one row each, months across."""
    table = figures.opened_closed.assign(month=figures.opened_closed["month"].map(month_label))
    across = table.set_index("month")[["opened", "closed"]].T
    across.index = ["Opened", "Closed"]
    return across.reset_index(names="")


def outcomes_grid(figures: OutcomesFigures, cats: Categories | None = None) -> pd.DataFrame:
    """The dashboard's outcomes table: reasons by month, year to date, totals and two % rows."""
    cats = cats or categories()
    wide = figures.by_month.pivot(index="closure_reason", columns="month", values="episodes")
    wide = wide.loc[list(cats.closure_reasons)]
    ytd = figures.ytd.set_index("closure_reason")
    nfa, referral = cats.action_plan_completed_reason, cats.referral_to_social_care_reason

    count, share = number, percent  # a hidden figure (the mark) is text and passes through
    rows = {
        reason: [*map(count, wide.loc[reason]), count(ytd.at[reason, "episodes"])]
        + [share(ytd.at[reason, "pct"])]
        for reason in wide.index
    }
    rows["Total"] = [*map(count, figures.opened_closed["closed"]), count(figures.ytd_total)]
    total_share = (
        figures.ytd_total  # the mark, hidden or not known, stands for its share too
        if isinstance(figures.ytd_total, str)
        else (100.0 if figures.ytd_total else float("nan"))  # n/a: none closed
    )
    rows["Total"] += [share(total_share)]
    for label, column, reason in (
        (f"% {nfa}", "pct_action_plan_completed_nfa", nfa),
        (f"% {referral}", "pct_referral_to_social_care", referral),
    ):
        rows[label] = [*map(share, figures.rates[column]), share(ytd.at[reason, "pct"]), ""]
    columns = [month_label(m) for m in wide.columns] + ["Total (YTD)", "% (YTD)"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).reset_index(
        names="CAF outcomes"
    )


# --------------------------------------------------------------------------- CFF caseload


@dataclass
class TimeOpenFigures(ProtectedFigures):
    bands: pd.DataFrame  # band, episodes, pct
    total: object
    year_or_more: object  # the two longest bands together
    pct_year_or_more: object


def time_open_figures(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    lead_agency: str | None = None,
    publish: bool = False,
    cats: Categories | None = None,
    coverage: Coverage | None = None,
) -> TimeOpenFigures:
    """A lead agency's open episodes by time open, and how many have been open a year or more.

    ``coverage``: on a list that holds only recent work (an Annex A list), a band longer than
    the list reaches back is not known, nor is any share of the whole caseload; the total is
    then the count of the list's own open assessments.
    """
    coverage = coverage or Coverage()
    day = metrics.as_timestamp(snapshot_date)
    bands = tables.time_open_bands(episodes, day, lead_agency, cats)
    counts = LinkedCounts()
    keys = counts.add_each("band", bands["band"], bands["episodes"])
    total = counts.add(("open",), bands["episodes"].sum())
    counts.add_sum(total, keys)
    long_keys = [("band", b) for b in metrics.BANDS_OF_A_YEAR_OR_MORE]
    year_or_more = counts.add(("year_or_more",), sum(counts.values[k] for k in long_keys))
    counts.add_sum(year_or_more, long_keys)
    not_known = {
        ("band", label): coverage.band_reason()
        for label, _, upper in metrics.TIME_OPEN_BANDS
        if not coverage.covers_band(upper, day)
    }
    if any(k in not_known for k in long_keys):
        not_known[year_or_more] = coverage.band_reason()
    shares = ("shares",)  # of the whole caseload: not known while any band is not
    if not_known:
        not_known[shares] = coverage.band_reason()
    if not coverage.covers_day(day):
        not_known = _everything_unknown(counts, coverage.day_reason(day))
        not_known[shares] = coverage.day_reason(day)
    mask = _Masker(counts, publish, not_known)
    bands = mask.column(bands, "episodes", [(k,) for k in keys])
    bands = mask.column(bands, "pct", [(k, total, shares) for k in keys])
    long_count, open_count = counts.values[year_or_more], counts.values[total]
    return TimeOpenFigures(
        bands=bands,
        total=mask.value(open_count, total),
        year_or_more=mask.value(long_count, year_or_more),
        pct_year_or_more=mask.value(
            metrics.pct(long_count, open_count), year_or_more, total, shares
        ),
        counts=mask.counts,
        hidden=mask.hidden,
    )


# --------------------------------------------------------------------------- Strengthening Families


#: The keys of the attachment counts, dated by their own day.
ATTACHED = ("attached", "claimed", "unclaimed")


@dataclass
class FamiliesFigures(ProtectedFigures):
    eligibility: pd.DataFrame  # open and closed families, meeting the criteria, pct
    criteria: pd.DataFrame  # families meeting the criteria with each problem
    by_count: pd.DataFrame  # open level-3 families by number of criteria met
    attached: pd.DataFrame  # attached and claimed by phase and period
    phase_2_attached: object
    phase_2_pct_of_target: object  # of the families to be claimed for in 2015/16
    phase_2_pct_of_programme: object  # of the families over the five years


def families_figures(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    as_at: str | pd.Timestamp,
    attachments_as_at: str | pd.Timestamp,
    publish: bool = False,
    cats: Categories | None = None,
    coverage: Coverage | None = None,
) -> FamiliesFigures:
    """Strengthening Families: who meets the criteria, with which problems; attachments.

    ``coverage``: the families closed since the programme's early start are not known when
    the input starts after it (closures before its first record are not in it).
    """
    cats = cats or categories()
    coverage = coverage or Coverage()
    population = sf.families_on_report_date(episodes, families, as_at, cats)
    eligibility = sf.eligibility_summary(population, as_at)
    criteria = sf.criteria_table(population, families, as_at, cats)
    by_count = sf.criteria_count_table(population, as_at, cats)
    attached = sf.attachments(families, attachments_as_at)

    counts = LinkedCounts()
    groups, assessed, meeting = [], [], []
    for i, row in enumerate(eligibility.itertuples()):
        group = counts.add(("families", i), row.families)
        unassessed = counts.add(("not_assessed", i), row.not_assessed)
        seen = counts.add(("assessed", i), row.assessed)
        met = counts.add(("meeting", i), row.meeting_criteria)
        not_met = counts.add(("not_meeting", i), row.assessed - row.meeting_criteria, printed=False)
        counts.add_sum(group, [unassessed, seen])
        counts.add_sum(seen, [met, not_met])
        groups.append(group)
        assessed.append(seen)
        meeting.append(met)
    # Families with each problem, and (never printed) the meeting families without it.
    problem_keys = []
    for row in criteria.itertuples():
        key = counts.add(("problem", row.criterion), row.families)
        without = counts.add(
            ("without", row.criterion), counts.values[meeting[0]] - row.families, printed=False
        )
        counts.add_sum(meeting[0], [key, without])
        problem_keys.append(key)
    met_keys = [
        counts.add(("criteria_met", int(n)), f)
        for n, f in zip(by_count["criteria_met"], by_count["families"], strict=True)
    ]
    counts.add_sum(assessed[0], met_keys)
    eligible = by_count["meets_criteria"].to_numpy()
    counts.add_sum(meeting[0], [k for k, e in zip(met_keys, eligible, strict=True) if e])
    counts.add_sum(
        ("not_meeting", 0), [k for k, e in zip(met_keys, eligible, strict=True) if not e]
    )
    attached_keys, claimed_keys = [], []
    for i, row in enumerate(attached.itertuples()):
        a = counts.add(("attached", i), row.attached)
        c = counts.add(("claimed", i), row.claimed)
        counts.add_sum(
            a, [c, counts.add(("unclaimed", i), row.attached - row.claimed, printed=False)]
        )
        attached_keys.append(a)
        claimed_keys.append(c)
    # The last row is all of phase 2: the two periods and (never printed) any attached earlier.
    for name, keys, column in (
        ("attached", attached_keys, "attached"),
        ("claimed", claimed_keys, "claimed"),
    ):
        earlier = int(
            attached[column].iloc[3] - attached[column].iloc[1] - attached[column].iloc[2]
        )
        counts.add_sum(
            keys[3], [keys[1], keys[2], counts.add((name, "earlier"), earlier, printed=False)]
        )

    not_known: dict[Key, str] = {}
    early_start = sf.programme().early_start
    if not coverage.covers_day(early_start):
        closed_keys = [groups[1], ("not_assessed", 1), assessed[1], meeting[1], ("not_meeting", 1)]
        not_known = dict.fromkeys(closed_keys, coverage.day_reason(early_start))
    if not coverage.covers_day(as_at):
        not_known = _everything_unknown(counts, coverage.day_reason(as_at))
    elif not coverage.covers_day(attachments_as_at):
        reason = coverage.day_reason(attachments_as_at)
        not_known.update(dict.fromkeys([k for k in counts.values if k[0] in ATTACHED], reason))
    mask = _Masker(counts, publish, not_known)
    eligibility = mask.column(eligibility, "families", [(k,) for k in groups])
    eligibility = mask.column(eligibility, "not_assessed", [("not_assessed", i) for i in range(2)])
    eligibility = mask.column(eligibility, "assessed", [(k,) for k in assessed])
    eligibility = mask.column(eligibility, "meeting_criteria", [(k,) for k in meeting])
    eligibility = mask.column(
        eligibility,
        "pct_meeting_criteria",
        [(m, a) for m, a in zip(meeting, assessed, strict=True)],
    )
    criteria = mask.column(criteria, "families", [(k,) for k in problem_keys])
    criteria = mask.column(criteria, "pct", [(k, meeting[0]) for k in problem_keys])
    by_count = mask.column(by_count, "families", [(k,) for k in met_keys])
    by_count = mask.column(by_count, "pct", [(k, assessed[0]) for k in met_keys])
    attached = mask.column(attached, "attached", [(k,) for k in attached_keys])
    attached = mask.column(attached, "claimed", [(k,) for k in claimed_keys])
    attached = mask.column(attached, "pct_of_target", [(k,) for k in attached_keys])
    prog = sf.programme()
    phase_2 = counts.values[attached_keys[3]]
    return FamiliesFigures(
        eligibility=eligibility,
        criteria=criteria,
        by_count=by_count,
        attached=attached,
        phase_2_attached=mask.value(phase_2, attached_keys[3]),
        phase_2_pct_of_target=mask.value(
            metrics.pct(phase_2, prog.target_families_2015_16), attached_keys[3]
        ),
        phase_2_pct_of_programme=mask.value(
            metrics.pct(phase_2, prog.families_over_five_years), attached_keys[3]
        ),
        counts=mask.counts,
        hidden=mask.hidden,
    )


# --------------------------------------------------------------------------- LSOA map


@dataclass
class LsoaFigures(ProtectedFigures):
    """Notebook 04: open episodes by LSOA, those not on the map, and (with IMD 2015) deciles.

    Counts of LSOAs (areas, not people), IMD ranks and deciles, the concentration index and
    Spearman's rho are never suppressed. When published, the row-level listing of the episodes
    not on the map (episode ids, codes as recorded) is not returned at all: ``unmatched`` is
    None and the report shows ``unmatched_by_reason`` instead.
    """

    table: pd.DataFrame  # one row per LSOA: snapshot_date, lsoa11cd, lsoa11nm, episodes (+ IMD)
    unmatched: pd.DataFrame | None  # episode_id, lsoa11cd, reason; None when published
    unmatched_by_reason: pd.DataFrame  # reason, episodes: every reason, zeros included
    unmatched_total: object  # open episodes not on the map
    placed: object  # open episodes placed in an LSOA of the authority
    total_open: object  # placed + not on the map
    lsoas_without: object  # areas (of ``geography``) with no open episode; the mark if a
    #   hidden one has none
    busiest: pd.DataFrame  # the ten busiest areas; published: among shown non-zero counts
    deciles: pd.DataFrame | None  # geo.by_imd_decile; None without IMD 2015
    concentration: object | None  # geo.DeprivationConcentration, episode counts masked
    shares: pd.DataFrame | None  # concentration.shares_table()
    msoas: pd.DataFrame | None = None  # by MSOA (geo.open_by_msoa), masked; None by LSOA

    @property
    def geography(self) -> str:
        """The areas whose counts are printed: "LSOA" or "MSOA"."""
        return "LSOA" if self.msoas is None else "MSOA"

    @property
    def areas(self) -> pd.DataFrame:
        """The table of the areas whose counts are printed: by LSOA, or by MSOA."""
        return self.msoas if self.msoas is not None else self.table

    @property
    def areas_hidden(self) -> int:
        """How many of those areas have their count hidden (shown as the mark)."""
        return sum(is_suppressed(v) for v in self.areas["episodes"])

    @property
    def hidden_share(self) -> float:
        """The share of those areas whose count is hidden, from 0 to 1."""
        return self.areas_hidden / len(self.areas) if len(self.areas) else 0.0


def lsoa_figures(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    lead_agency: str | None,
    boundaries: pd.DataFrame,
    imd: pd.DataFrame | None = None,
    publish: bool = False,
    cats: Categories | None = None,
    conversion: geo.VintageConversion | None = None,
    msoas: pd.Series | None = None,
) -> LsoaFigures:
    """The map's figures: open episodes per LSOA (or per MSOA), not on the map, by IMD decile.

    With ``msoas`` (each LSOA's MSOA, indexed by LSOA code: :func:`helpers.geo.msoa_of`) the
    counts printed are per MSOA, not per LSOA: the LSOA counts are linked but never printed
    (``table`` then has no ``episodes`` column, ``msoas`` holds the MSOA table and ``busiest``
    the busiest MSOAs), so that no MSOA total less the LSOAs shown can reveal a hidden one.

    Counts (keys) and the sums linking them:

    - ``("lsoa", code)`` for each LSOA, ``("placed",)`` their sum; with ``msoas``, the LSOA
      counts are not printed, ``("msoa", name)`` is the sum of its LSOAs and placed the sum
      of the MSOAs too;
    - ``("unmatched", reason)`` for each reason of :data:`helpers.geo.UNMATCHED_REASONS`,
      ``("unmatched",)`` their sum; ``("open",)`` = placed + unmatched;
    - with ``imd`` (:func:`helpers.reference.load_imd2015`): ``("decile", d)`` = the LSOAs of
      decile d (the per-LSOA CSV gives each LSOA's decile, so this sum is public), placed = the
      ten deciles, and ``("deciles", 1, 2)`` = deciles 1 and 2 (decile 1 alone is
      ``("decile", 1)``: the "most deprived" groups of the concentration table).

    Without IMD 2015 (``imd`` None) the report prints no decile, so no decile is linked; the
    LSOAs hidden may then differ from a run with IMD 2015, and only one of the two should be
    published (``--strict`` refuses to run without it).
    """
    day = metrics.as_timestamp(snapshot_date)
    table, unmatched = geo.open_by_lsoa(
        episodes, day, lead_agency, boundaries, cats, conversion=conversion
    )
    if imd is not None:
        table = geo.join_imd(table, imd)
    by_reason = geo.unmatched_by_reason(unmatched)

    by_msoa = geo.open_by_msoa(table, msoas) if msoas is not None else None

    counts = LinkedCounts()
    lsoas = counts.add_each("lsoa", table["lsoa11cd"], table["episodes"], printed=by_msoa is None)
    placed = counts.add(("placed",), table["episodes"].sum())
    counts.add_sum(placed, lsoas)
    if by_msoa is not None:
        msoa_keys = counts.add_each("msoa", by_msoa["msoa11nm"], by_msoa["episodes"])
        members: dict[str, list[Key]] = {}
        for key, code in zip(lsoas, table["lsoa11cd"], strict=True):
            members.setdefault(msoas[code], []).append(key)
        for key in msoa_keys:
            counts.add_sum(key, members[key[1]])
        counts.add_sum(placed, msoa_keys)
    reasons = counts.add_each("unmatched", by_reason["reason"], by_reason["episodes"])
    off_map = counts.add(("unmatched",), len(unmatched))
    counts.add_sum(off_map, reasons)
    total = counts.add(("open",), counts.values[placed] + counts.values[off_map])
    counts.add_sum(total, [placed, off_map])
    deciles = concentration = None
    if imd is not None:
        deciles = geo.by_imd_decile(table)
        decile_keys = []
        for d, n in zip(deciles["imd_decile"], deciles["episodes"], strict=True):
            key = counts.add(("decile", int(d)), n)
            members = [k for k, dd in zip(lsoas, table["imd_decile"], strict=True) if dd == d]
            if members:
                counts.add_sum(key, members)
            decile_keys.append(key)
        counts.add_sum(placed, decile_keys)
        first_two = counts.add(
            ("deciles", 1, 2), counts.values[("decile", 1)] + counts.values[("decile", 2)]
        )
        counts.add_sum(first_two, [("decile", 1), ("decile", 2)])

    mask = _Masker(counts, publish)
    if by_msoa is None:
        masked_table = mask.column(table, "episodes", [(k,) for k in lsoas])
        areas, area_keys, masked_msoas = table, lsoas, None
    else:  # the LSOA counts are not printed: the table keeps the LSOAs and their deciles only
        masked_table = table.drop(columns=["episodes"])
        areas, area_keys = by_msoa, msoa_keys
        masked_msoas = mask.column(by_msoa, "episodes", [(k,) for k in msoa_keys])
    zero_areas = [k for k in area_keys if counts.values[k] == 0]
    ranked = [mask.shown(k) and counts.values[k] > 0 for k in area_keys]
    busiest = geo.busiest_lsoas(
        areas[ranked] if publish else areas, key="lsoa11cd" if by_msoa is None else "msoa11nm"
    )
    if deciles is not None:
        d_keys = [("decile", int(d)) for d in deciles["imd_decile"]]
        deciles = mask.column(deciles, "episodes", [(k,) for k in d_keys])
        deciles = mask.column(deciles, "pct_episodes", [(k, placed) for k in d_keys])
        c = geo.deprivation_concentration(table)
        one, two = ("decile", 1), ("deciles", 1, 2)
        concentration = replace(
            c,
            episodes=mask.value(c.episodes, placed),
            episodes_decile_1=mask.value(c.episodes_decile_1, one),
            pct_episodes_decile_1=mask.value(c.pct_episodes_decile_1, one, placed),
            episodes_deciles_1_2=mask.value(c.episodes_deciles_1_2, two),
            pct_episodes_deciles_1_2=mask.value(c.pct_episodes_deciles_1_2, two, placed),
        )
    return LsoaFigures(
        table=masked_table,
        unmatched=None if publish else unmatched,
        unmatched_by_reason=mask.column(by_reason, "episodes", [(k,) for k in reasons]),
        unmatched_total=mask.value(counts.values[off_map], off_map),
        placed=mask.value(counts.values[placed], placed),
        total_open=mask.value(counts.values[total], total),
        lsoas_without=mask.value(len(zero_areas), *zero_areas),
        # Ranked among the shown counts only (a hidden area's place in the list would bound
        # its count), and only areas with an episode: no list of zeros above hidden counts.
        busiest=busiest,
        deciles=deciles,
        concentration=concentration,
        shares=concentration.shares_table() if concentration is not None else None,
        counts=counts,
        hidden=mask.hidden,
        msoas=masked_msoas,
    )


# --------------------------------------------------------------------------- demographics


@dataclass
class DemographicsFigures(ProtectedFigures):
    table: pd.DataFrame  # characteristic, group, open, pct_open, started, pct_started
    total_open: object
    total_started: object  # None when the window holds no month the extract covers
    months: pd.PeriodIndex  # the months the started assessments are counted over


def demographics_figures(
    episodes: pd.DataFrame,
    snapshot_date: str | pd.Timestamp,
    period_end: str | pd.Period,
    window_months: int = 6,
    publish: bool = False,
    coverage: Coverage | None = None,
) -> DemographicsFigures:
    """Assessments open at the snapshot and started over the window, by age band, sex and
    ethnic group; each characteristic's groups add to the same printed totals.

    ``coverage``: starts are counted over the months of the window the input covers whole.
    """
    coverage = coverage or Coverage()
    window = metrics.rolling_months(period_end, window_months)
    months = pd.PeriodIndex([m for m in window if coverage.covers_month(m)], freq="M")
    table = annex_a.demographics_table(episodes, snapshot_date, months)
    counts = LinkedCounts()
    columns = ["open", "started"] if len(months) else ["open"]
    totals = {}
    keys: dict[str, list[Key]] = {}
    for column in columns:
        keys[column] = [
            counts.add((column, c, g), v)
            for c, g, v in zip(table["characteristic"], table["group"], table[column], strict=True)
        ]
        first = table["characteristic"].iloc[0]
        totals[column] = counts.add(
            (column,), int(table.loc[table["characteristic"] == first, column].sum())
        )
        for characteristic in table["characteristic"].unique():
            counts.add_sum(
                totals[column],
                [k for k in keys[column] if k[1] == characteristic],
            )
    for column in columns:
        values = table[column].astype("int64")
        table[f"pct_{column}"] = [metrics.pct(v, counts.values[totals[column]]) for v in values]
    mask = _Masker(counts, publish)
    for column in columns:
        table = mask.column(table, column, [(k,) for k in keys[column]])
        table = mask.column(table, f"pct_{column}", [(k, totals[column]) for k in keys[column]])
    order = ["characteristic", "group", "open", "pct_open"]
    order += ["started", "pct_started"] if len(months) else []
    return DemographicsFigures(
        table=table[order],
        total_open=mask.value(counts.values[totals["open"]], totals["open"]),
        total_started=(
            mask.value(counts.values[totals["started"]], totals["started"])
            if "started" in totals
            else None
        ),
        months=months,
        counts=mask.counts,
        hidden=mask.hidden,
    )
