"""What each report prints: one function per notebook, every figure it shows, linked for disclosure.

Floor 3. Every notebook gets its figures here (the map's joins are in ``geo``, the tidy tables in
``tables`` and ``families``). With ``publish=False`` the
tables come back as :mod:`helpers.tables` and :mod:`helpers.families` make them; with
``publish=True`` every count the report prints (in a table, a chart, a sentence or a CSV), and
every count that follows from two printed ones, goes into one :class:`LinkedCounts` with the
sums that link them; what :meth:`LinkedCounts.protect` hides is shown as the suppression mark,
and so is any percentage whose numerator or denominator is hidden.

Each count is keyed by its population (:mod:`helpers.populations`: a lead agency's episodes
open on 28 February 2014, whichever page prints them), so that the batch can protect every
page of an edition together: run by the batch, each function also hides what the rest of the
edition hides and records what it linked (:mod:`helpers.disclosure_record`); run on its own,
it protects its own page.

Money (the budget) and programme settings (targets, payment per family) are not counts of
people and are never suppressed.

A figure the input cannot support (a month before its first record, a time-open band longer
than an Annex A list reaches back, a year to date that starts before the input does) comes
back as :class:`helpers.coverage.NotKnown`, with the reason: it is not a count, so it takes no
part in disclosure control, and no sum that holds it links the counts that are printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from helpers import annex_a, geo, metrics, tables
from helpers import families as sf
from helpers import populations as pop
from helpers.config import Categories, categories
from helpers.coverage import Coverage, NotKnown
from helpers.disclosure import Key, LinkedCounts, is_suppressed, policy
from helpers.disclosure_record import edition_hidden, record_page
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
            known.add(key, value, counts.printed[key], key in counts.shares_only)
    for link in counts.sums:
        if not any(key in not_known for key in link.members):
            known.add_sum(link.total, link.parts)
    return known


class _Masker:
    """Replace hidden counts, and percentages built on them, by the suppression mark; and
    figures the input cannot support by the not-known mark (with why)."""

    def __init__(
        self,
        counts: LinkedCounts,
        publish: bool,
        part: str,
        not_known: Mapping[Key, str] | None = None,
    ):
        self.not_known = dict(not_known or {})
        self.counts = known_counts(counts, self.not_known)
        self.hidden = frozenset()
        if publish:  # run by the batch, the rest of the edition may hide more of these counts
            self.hidden = self.counts.protect(already_hidden=edition_hidden())
            record_page(part, self.counts, self.hidden)
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


def _open_on(day: object, **by: object) -> pop.Population:
    return pop.on_day(pop.OPEN, day, **by)


def _all_open(episodes: pd.DataFrame, day: pd.Timestamp, counted: int) -> pop.Population:
    """The population of a total of open episodes by lead agency: every episode open, unless
    some record no lead agency (then only those that do)."""
    if int(metrics.open_at(episodes, day).sum()) == counted:
        return _open_on(day)
    return _open_on(day, lead_agency="any recorded")


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
    agencies = [
        counts.add(_open_on(day, lead_agency=a), n)
        for a, n in zip(open_table["lead_agency"], open_table["episodes"], strict=True)
    ]
    counted = int(open_table["episodes"].sum())
    total = counts.add(_all_open(episodes, day, counted), counted)
    counts.add_sum(total, agencies)
    holders = [
        counts.add(_open_on(day, held_by=h), n)
        for h, n in zip(held["held_by"], held["episodes"], strict=True)
    ]
    counts.add_sum(total, holders)
    non_la = [
        _open_on(day, lead_agency=a) for a in open_table["lead_agency"] if a in cats.non_la_agencies
    ]
    ungrouped = [
        _open_on(day, lead_agency=a)
        for a in open_table["lead_agency"]
        if a not in cats.lead_agencies
    ]
    counts.add_sum(holders[0], [k for k in agencies if k not in non_la and k not in ungrouped])
    counts.add_sum(holders[1], non_la)
    if ungrouped:  # an Annex A organisation in no group: neither inside the LA nor outside
        counts.add_sum(holders[2], ungrouped)
    # The previous month's share is printed; its counts are not, but protect them as if they were.
    before = [
        counts.add(_open_on(previous_day, held_by=h), n, share_only=True)
        for h, n in zip(previous["held_by"], previous["episodes"], strict=True)
    ]
    counted_before = int(previous["episodes"].sum())
    before_total = counts.add(
        _all_open(episodes, previous_day, counted_before), counted_before, share_only=True
    )
    counts.add_sum(before_total, before)
    ytd, in_month = _refusal_counts(counts, refusals_table, ends)

    by_organisation = None
    if "organisation" in episodes:  # each agency's organisations add to its printed count
        by_organisation = tables.open_by_organisation(episodes, day, open_table)
        organisations = [
            counts.add(_open_on(day, lead_agency=a, organisation=o), n)
            for a, o, n in by_organisation[["lead_agency", "organisation", "episodes"]].itertuples(
                index=False
            )
        ]
        for agency in open_table["lead_agency"]:
            parts = [k for k in organisations if k.get("lead_agency") == str(agency)]
            if parts:
                counts.add_sum(_open_on(day, lead_agency=agency), parts)

    not_known: dict[Key, str] = {}
    if not coverage.covers_day(previous_day):
        not_known.update(dict.fromkeys([*before, before_total], coverage.day_reason(previous_day)))
    for i, end in enumerate(ends):
        months = metrics.year_to_date_months(end)
        if not coverage.covers_months(months):
            reason = coverage.span_reason(months, "the year to date")
            not_known.update(dict.fromkeys([ytd[i], in_month], reason))
    if not coverage.covers_day(day):
        not_known = _everything_unknown(counts, coverage.day_reason(day))
    mask = _Masker(
        counts, publish, f"lead_agency_figures {day.date()} {period_end.date()}", not_known
    )
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


def _refusal_counts(
    counts: LinkedCounts, refusals_table: pd.DataFrame, ends: list[pd.Timestamp]
) -> tuple[list[Key], Key]:
    """The year-to-date refusals at each end, and (never printed) those between the two."""
    ytd = [
        counts.add(pop.over_days(pop.REFUSALS, metrics.financial_year_start(end), end), n)
        for end, n in zip(ends, refusals_table["refusals_ytd"], strict=True)
    ]
    in_month = pop.over_days(pop.REFUSALS, ends[0] + pd.Timedelta(days=1), ends[1])
    if metrics.financial_year_start(ends[0]) == metrics.financial_year_start(ends[1]):
        counts.add(in_month, int(refusals_table["refusals_ytd"].diff().iloc[1]), printed=False)
        counts.add_sum(ytd[1], [ytd[0], in_month])
    return ytd, in_month


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


def _closed(months: pd.PeriodIndex | pd.Period, reason: str | None = None) -> pop.Population:
    """Episodes closed over ``months`` (one month, or a run of them), for one reason or all."""
    if reason is None:
        return pop.over_months(pop.CLOSED, months)
    return pop.over_months(pop.CLOSED, months, closure_reason=reason)


@dataclass(frozen=True)
class _Span:
    """A span of months the page prints closures over, and how it prints them."""

    months: pd.PeriodIndex
    printed_reasons: Sequence[str]  # each with its count
    share_reasons: Sequence[str]  # each as a share of the span's total only
    total_printed: bool  # False: the total is a share's denominator only
    words: str


def _span_counts(
    counts: LinkedCounts, span: _Span, reasons: Sequence[str], reasons_recorded: bool
) -> tuple[dict[str, Key], Key]:
    """Closures over a span of months by reason, linked to the monthly cells and totals."""
    reason_keys = {}
    for reason in reasons:
        parts = [_closed(m, reason) for m in span.months]
        key = counts.add(
            _closed(span.months, reason),
            sum(counts.values[p] for p in parts),
            reason in span.printed_reasons or reason in span.share_reasons,
            share_only=reason in span.share_reasons,
        )
        counts.add_sum(key, parts)
        reason_keys[reason] = key
    month_totals = [_closed(m) for m in span.months]
    total = counts.add(
        _closed(span.months),
        sum(counts.values[k] for k in month_totals),
        share_only=not span.total_printed,
    )
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
        counts.add(_closed(row.month, row.closure_reason), row.episodes, row.month in window)
    for month, group in every.groupby("month", sort=True):
        total = counts.add(_closed(month), closed[month], month in window)
        if recorded:
            counts.add_sum(total, [_closed(month, r) for r in group["closure_reason"]])
    for row in opened_closed.itertuples():  # opened: no printed sum links them
        counts.add(pop.over_months(pop.OPENED, row.month), row.opened)
    spans = {  # the year to date by reason; the benchmark and the trend print shares only
        "ytd": _Span(this_year, reasons, (), True, "the year to date"),
        "last_year": _Span(last_year, (), (nfa, referral), True, "the previous financial year"),
    }
    if last_month is not None:
        spans["ytd_before"] = _Span(
            last_month, (), (nfa,), False, "the year to date a month earlier"
        )
    span_keys = {
        name: _span_counts(counts, span, reasons, recorded) for name, span in spans.items()
    }
    ytd_keys, ytd_total = span_keys["ytd"]
    year_keys, year_total = span_keys["last_year"]

    not_known: dict[Key, str] = {}
    for month in every_month:
        if not coverage.covers_month(month):
            reason = coverage.month_reason(month)
            month_keys = [_closed(month, r) for r in reasons]
            not_known.update(dict.fromkeys([*month_keys, _closed(month)], reason))
            not_known[pop.over_months(pop.OPENED, month)] = reason
    for name, span in spans.items():
        if not coverage.covers_months(span.months):
            keys = [*span_keys[name][0].values(), span_keys[name][1]]
            not_known.update(dict.fromkeys(keys, coverage.span_reason(span.months, span.words)))
    if not recorded:  # counts by reason, and shares of them: none can be known
        by_reason = [k for k in counts.values if k.get("closure_reason") is not None]
        not_known.update({k: REASONS_NOT_RECORDED for k in by_reason if k not in not_known})

    mask = _Masker(counts, publish, f"outcomes_figures {end} {len(window)}", not_known)
    opened_closed = mask.column(
        opened_closed, "opened", [(pop.over_months(pop.OPENED, m),) for m in window]
    )
    opened_closed = mask.column(opened_closed, "closed", [(_closed(m),) for m in window])
    cell_keys = [
        (_closed(m, r),) for m, r in zip(by_month["month"], by_month["closure_reason"], strict=True)
    ]
    by_month = mask.column(by_month, "episodes", cell_keys)
    ytd = mask.column(ytd, "episodes", [(ytd_keys[r],) for r in ytd["closure_reason"]])
    ytd = mask.column(ytd, "pct", [(ytd_keys[r], ytd_total) for r in ytd["closure_reason"]])
    month_totals = [_closed(m) for m in rates["month"]]
    rates = mask.column(rates, "closed", [(k,) for k in month_totals])
    for column, reason in (
        ("pct_action_plan_completed_nfa", nfa),
        ("pct_referral_to_social_care", referral),
    ):
        rates = mask.column(
            rates,
            column,
            [(_closed(m, reason), t) for m, t in zip(rates["month"], month_totals, strict=True)],
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


#: The two longest time-open bands together, as the caseload's sentence counts them.
YEAR_OR_MORE = "a year or more"


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
    agency = str(bands["lead_agency"].iloc[0])  # the default (CFF) named, as the table names it

    def band(label: str) -> pop.Population:
        return _open_on(day, lead_agency=agency, time_open_band=label)

    counts = LinkedCounts()
    keys = [counts.add(band(b), n) for b, n in zip(bands["band"], bands["episodes"], strict=True)]
    total = counts.add(_open_on(day, lead_agency=agency), bands["episodes"].sum())
    counts.add_sum(total, keys)
    long_keys = [band(b) for b in metrics.BANDS_OF_A_YEAR_OR_MORE]
    year_or_more = counts.add(band(YEAR_OR_MORE), sum(counts.values[k] for k in long_keys))
    counts.add_sum(year_or_more, long_keys)
    not_known = {
        band(label): coverage.band_reason()
        for label, _, upper in metrics.TIME_OPEN_BANDS
        if not coverage.covers_band(upper, day)
    }
    if any(k in not_known for k in long_keys):
        not_known[year_or_more] = coverage.band_reason()
    shares = ("shares of the whole caseload",)  # not a count: not known while any band is not
    if not_known:
        not_known[shares] = coverage.band_reason()
    if not coverage.covers_day(day):
        not_known = _everything_unknown(counts, coverage.day_reason(day))
        not_known[shares] = coverage.day_reason(day)
    mask = _Masker(counts, publish, f"time_open_figures {day.date()} {agency}", not_known)
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


#: Phase 2 families attached before the two periods the table shows (never printed).
PHASE_2_EARLIER = "Phase 2, attached before the periods shown"
#: The measures of the attachment counts, dated by their own day.
ATTACHMENT_MEASURES = (pop.ATTACHED, pop.CLAIMED, pop.UNCLAIMED)
#: Families assessed against the criteria: the cells of the eligibility table.
NOT_ASSESSED, ASSESSED = "not yet assessed", "assessed"
MEETING, NOT_MEETING = "meeting the criteria", "assessed, not meeting the criteria"


@dataclass
class FamiliesFigures(ProtectedFigures):
    eligibility: pd.DataFrame  # open and closed families, meeting the criteria, pct
    criteria: pd.DataFrame  # families meeting the criteria with each problem
    by_count: pd.DataFrame  # open level-3 families by number of criteria met
    attached: pd.DataFrame  # attached and claimed by phase and period
    phase_2_attached: object
    phase_2_pct_of_target: object  # of the families to be claimed for in 2015/16
    phase_2_pct_of_programme: object  # of the families over the five years


def _eligibility_counts(
    counts: LinkedCounts, eligibility: pd.DataFrame, family: Callable[..., pop.Population]
) -> tuple[list[Key], ...]:
    """Each group's families: not yet assessed, assessed, meeting the criteria and (never
    printed) assessed but not meeting them, as five lists of keys, a row each."""
    columns: tuple[list[Key], ...] = ([], [], [], [], [])
    for row in eligibility.itertuples():
        group = counts.add(family(row.group), row.families)
        unassessed = counts.add(family(row.group, assessment=NOT_ASSESSED), row.not_assessed)
        seen = counts.add(family(row.group, assessment=ASSESSED), row.assessed)
        met = counts.add(family(row.group, assessment=MEETING), row.meeting_criteria)
        not_met = counts.add(
            family(row.group, assessment=NOT_MEETING),
            row.assessed - row.meeting_criteria,
            printed=False,
        )
        counts.add_sum(group, [unassessed, seen])
        counts.add_sum(seen, [met, not_met])
        for column, key in zip(columns, (group, unassessed, seen, met, not_met), strict=True):
            column.append(key)
    return columns


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

    def family(group: str, **by: object) -> pop.Population:
        return pop.on_day(pop.FAMILIES, as_at, group=group, **by)

    counts = LinkedCounts()
    groups, not_assessed, assessed, meeting, not_meeting = _eligibility_counts(
        counts, eligibility, family
    )
    open_group = eligibility["group"].iloc[0]
    # Families with each problem, and (never printed) the meeting families without it.
    problem_keys = []
    for row in criteria.itertuples():
        key = counts.add(
            family(open_group, assessment=MEETING, criterion=row.criterion), row.families
        )
        without = counts.add(
            family(open_group, assessment=MEETING, without_criterion=row.criterion),
            counts.values[meeting[0]] - row.families,
            printed=False,
        )
        counts.add_sum(meeting[0], [key, without])
        problem_keys.append(key)
    met_keys = [
        counts.add(family(open_group, assessment=ASSESSED, criteria_met=int(n)), f)
        for n, f in zip(by_count["criteria_met"], by_count["families"], strict=True)
    ]
    counts.add_sum(assessed[0], met_keys)
    eligible = by_count["meets_criteria"].to_numpy()
    counts.add_sum(meeting[0], [k for k, e in zip(met_keys, eligible, strict=True) if e])
    counts.add_sum(not_meeting[0], [k for k, e in zip(met_keys, eligible, strict=True) if not e])
    attached_keys, claimed_keys = [], []
    for row in attached.itertuples():
        a = counts.add(pop.on_day(pop.ATTACHED, attachments_as_at, group=row.group), row.attached)
        c = counts.add(pop.on_day(pop.CLAIMED, attachments_as_at, group=row.group), row.claimed)
        unclaimed = pop.on_day(pop.UNCLAIMED, attachments_as_at, group=row.group)
        counts.add_sum(a, [c, counts.add(unclaimed, row.attached - row.claimed, printed=False)])
        attached_keys.append(a)
        claimed_keys.append(c)
    # The last row is all of phase 2: the two periods and (never printed) any attached earlier.
    for measure, keys, column in (
        (pop.ATTACHED, attached_keys, "attached"),
        (pop.CLAIMED, claimed_keys, "claimed"),
    ):
        earlier = int(
            attached[column].iloc[3] - attached[column].iloc[1] - attached[column].iloc[2]
        )
        before = pop.on_day(measure, attachments_as_at, group=PHASE_2_EARLIER)
        counts.add_sum(keys[3], [keys[1], keys[2], counts.add(before, earlier, printed=False)])

    not_known: dict[Key, str] = {}
    early_start = sf.programme().early_start
    if not coverage.covers_day(early_start):
        closed_keys = [groups[1], not_assessed[1], assessed[1], meeting[1], not_meeting[1]]
        not_known = dict.fromkeys(closed_keys, coverage.day_reason(early_start))
    if not coverage.covers_day(as_at):
        not_known = _everything_unknown(counts, coverage.day_reason(as_at))
    elif not coverage.covers_day(attachments_as_at):
        reason = coverage.day_reason(attachments_as_at)
        attachment_keys = [k for k in counts.values if k.measure in ATTACHMENT_MEASURES]
        not_known.update(dict.fromkeys(attachment_keys, reason))
    day, attachments_day = (
        metrics.as_timestamp(as_at).date(),
        metrics.as_timestamp(attachments_as_at).date(),
    )
    mask = _Masker(counts, publish, f"families_figures {day} {attachments_day}", not_known)
    eligibility = mask.column(eligibility, "families", [(k,) for k in groups])
    eligibility = mask.column(eligibility, "not_assessed", [(k,) for k in not_assessed])
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


@dataclass(frozen=True)
class MapKeys:
    """The populations the map counts: a lead agency's (or every) episode open on a day, by
    home, within the authority whose LSOAs (of one vintage) are mapped."""

    day: pd.Timestamp
    lead_agency: str | None
    area: str  # the LSOAs' vintage, "LSOA 2011" or "LSOA 2021"
    authority: str  # the stem of its LSOAs' names

    @classmethod
    def of(
        cls,
        day: pd.Timestamp,
        lead_agency: str | None,
        boundaries: pd.DataFrame,
        conversion: geo.VintageConversion | None,
    ) -> MapKeys:
        vintage = conversion.map_vintage if conversion is not None else 2011
        names = boundaries["lsoa11nm"].astype(str).str.replace(r"\s*\d+[A-Z]?$", "", regex=True)
        authority = str(names.mode().iloc[0]) if len(names) else ""
        return cls(day, lead_agency or None, f"LSOA {vintage}", authority)

    def everyone(self, **by: object) -> pop.Population:
        agency = {"lead_agency": self.lead_agency} if self.lead_agency else {}
        return _open_on(self.day, **agency, **by)

    def lsoa(self, code: str) -> pop.Population:
        return self.everyone(**{"home_" + self.area.replace(" ", "_").lower(): code})

    def msoa(self, name: str) -> pop.Population:
        return self.everyone(home_msoa=name)

    def placed(self) -> pop.Population:
        return self.everyone(home=f"in an {self.area} of {self.authority}")

    def off_map(self, reason: str | None = None) -> pop.Population:
        return self.everyone(home=f"not on the map of {self.authority}", reason=reason or "any")

    def decile(self, decile: int | str) -> pop.Population:
        return self.everyone(home_imd_decile=decile, home=f"in an {self.area} of {self.authority}")


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

    Counts (their populations, :class:`MapKeys`) and the sums linking them:

    - the episodes open in each LSOA, and those placed in the authority's LSOAs, their sum;
      with ``msoas``, the LSOA counts are not printed, each MSOA's is the sum of its LSOAs and
      placed the sum of the MSOAs too;
    - those not on the map for each reason of :data:`helpers.geo.UNMATCHED_REASONS`, and for
      any reason, their sum; every open episode of the lead agency = placed + not on the map;
    - with ``imd`` (:func:`helpers.reference.load_imd2015`): each decile's = the LSOAs of the
      decile (the per-LSOA CSV gives each LSOA's decile, so this sum is public), placed = the
      ten deciles, and deciles 1 and 2 together (the "most deprived" groups of the
      concentration table).

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

    keys = MapKeys.of(day, lead_agency, boundaries, conversion)
    counts = LinkedCounts()
    lsoas = [
        counts.add(keys.lsoa(code), n, printed=by_msoa is None)
        for code, n in zip(table["lsoa11cd"], table["episodes"], strict=True)
    ]
    placed = counts.add(keys.placed(), table["episodes"].sum())
    counts.add_sum(placed, lsoas)
    if by_msoa is not None:
        msoa_keys = [
            counts.add(keys.msoa(name), n)
            for name, n in zip(by_msoa["msoa11nm"], by_msoa["episodes"], strict=True)
        ]
        members: dict[str, list[Key]] = {}
        for key, code in zip(lsoas, table["lsoa11cd"], strict=True):
            members.setdefault(msoas[code], []).append(key)
        for key, name in zip(msoa_keys, by_msoa["msoa11nm"], strict=True):
            counts.add_sum(key, members[name])
        counts.add_sum(placed, msoa_keys)
    reasons = [
        counts.add(keys.off_map(reason), n)
        for reason, n in zip(by_reason["reason"], by_reason["episodes"], strict=True)
    ]
    off_map = counts.add(keys.off_map(), len(unmatched))
    counts.add_sum(off_map, reasons)
    total = counts.add(keys.everyone(), counts.values[placed] + counts.values[off_map])
    counts.add_sum(total, [placed, off_map])
    deciles = concentration = None
    if imd is not None:
        deciles = geo.by_imd_decile(table)
        decile_keys = []
        for d, n in zip(deciles["imd_decile"], deciles["episodes"], strict=True):
            key = counts.add(keys.decile(int(d)), n)
            members = [k for k, dd in zip(lsoas, table["imd_decile"], strict=True) if dd == d]
            if members:
                counts.add_sum(key, members)
            decile_keys.append(key)
        counts.add_sum(placed, decile_keys)
        one, two = keys.decile(1), keys.decile(2)
        first_two = counts.add(keys.decile("1-2"), counts.values[one] + counts.values[two])
        counts.add_sum(first_two, [one, two])

    mask = _Masker(counts, publish, f"lsoa_figures {day.date()} {lead_agency or 'all'}")
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
        d_keys = [keys.decile(int(d)) for d in deciles["imd_decile"]]
        deciles = mask.column(deciles, "episodes", [(k,) for k in d_keys])
        deciles = mask.column(deciles, "pct_episodes", [(k, placed) for k in d_keys])
        c = geo.deprivation_concentration(table)
        one, two = keys.decile(1), keys.decile("1-2")
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


def _field(characteristic: str) -> str:
    """A characteristic as the name of a breakdown: "Age band" -> "age_band"."""
    return characteristic.lower().replace(" ", "_")


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
    day = metrics.as_timestamp(snapshot_date)

    def population(column: str, **by: object) -> pop.Population:
        if column == "open":
            return _open_on(day, **by)
        return pop.over_months(pop.OPENED, months, **by)

    counts = LinkedCounts()
    columns = ["open", "started"] if len(months) else ["open"]
    totals = {}
    keys: dict[str, list[Key]] = {}
    for column in columns:
        cells = list(zip(table["characteristic"], table["group"], table[column], strict=True))
        keys[column] = [counts.add(population(column, **{_field(c): g}), v) for c, g, v in cells]
        first = table["characteristic"].iloc[0]
        totals[column] = counts.add(
            population(column), int(table.loc[table["characteristic"] == first, column].sum())
        )
        for characteristic in table["characteristic"].unique():
            counts.add_sum(
                totals[column],
                [
                    k
                    for k, (c, _, _) in zip(keys[column], cells, strict=True)
                    if c == characteristic
                ],
            )
    for column in columns:
        values = table[column].astype("int64")
        table[f"pct_{column}"] = [metrics.pct(v, counts.values[totals[column]]) for v in values]
    mask = _Masker(
        counts, publish, f"demographics_figures {day.date()} {period_end} {window_months}"
    )
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
