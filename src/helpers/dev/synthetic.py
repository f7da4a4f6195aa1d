"""The synthetic case-level extract, calibrated to the published figures.

The real extract is confidential. This generator builds a deterministic, plausible extract
(from a seed, the published figures and IMD 2015) that, run through the definitions in
:mod:`helpers.metrics`, gives every published count exactly. Figures the reports print that
contradict their own counts are reproduced from the counts, not forced.

How the calibration works, in the order the code does it:

1. Children & Families First (CFF) episodes open on 11 January 2016 are drawn band by band, so
   the six time-open bands hold exactly the printed counts; nothing else CFF is open that day.
2. Closures from April 2014 to September 2015 are drawn month by month and reason by reason as
   printed (April-August 2014, not printed, are sized so that 2014/15 gives 2,046 closures,
   61.0% action plan completed and 26.3% referred to social care). Their start dates come
   from a long-tailed duration.
3. Episodes open on 31 August 2015 are counted by lead agency; each agency is topped up to the
   printed count with episodes that started before that day and end after it.
4. Later closures and openings are topped up to a plausible monthly level without touching
   the two snapshots; earlier years give the rolling windows some history.
5. Families, Strengthening Families criteria and attachments, refusals, home LSOAs (weighted
   towards the more deprived by IMD 2015 decile) and the budget follow.

Everything not printed is invented: ids, dates within a month, durations, families, LSOAs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.config import Categories, categories
from helpers.extract import CONTRACT, SYNTHETIC_DIR, SYNTHETIC_MANIFEST, extract_sha256
from helpers.metrics import TIME_OPEN_BANDS, completed_months, open_at
from helpers.period import ReportPeriod
from helpers.printed_figures import printed_figures

SEED = 20151031

# The snapshots the printed counts were taken at, from the printed figures themselves.
LEAD_AGENCY_SNAPSHOT = pd.Timestamp(
    printed_figures()["dashboard_2015_10"]["indicator_1_1_open_by_lead_agency"]["snapshot"]
)
CASELOAD_SNAPSHOT = pd.Timestamp(printed_figures()["cff_report_2016_03"]["open_episodes_snapshot"])
#: The extract is taken at the end of the March 2016 report's month.
EXTRACT_DATE = ReportPeriod.of("2016-03").end
HISTORY_START = pd.Period("2013-04", freq="M")  # first month of closures generated
CALIBRATED_FROM = pd.Period("2014-04", freq="M")  # first month whose closures are calibrated
PLAUSIBLE_MONTHLY_CLOSURES = 190
PLAUSIBLE_MONTHLY_REFUSALS = 45

# April-August 2014 are not printed; these closure counts make 2014/15 total 2,046 with
# 1,248 action plans completed (61.0%) and 538 referrals to social care (26.3%).
APRIL_TO_AUGUST_2014 = {
    "Action Plan completed NFA": 412,
    "Child moved to another LA": 14,
    "Non-engagement": 25,
    "Referral to Social Care": 177,
    "Referral to outside Agency": 15,
    "Service requested unavailable": 7,
}
APRIL_TO_AUGUST_MONTHS = pd.period_range("2014-04", "2014-08", freq="M")
# Share of each agency among closures (close to its share of the open caseload).
CLOSURE_AGENCY_MIX = {
    "Children & Families First": 0.50,
    "Children's Centre": 0.20,
    "Children's Services": 0.05,
    "Education": 0.005,
    "Health": 0.045,
    "School": 0.20,
}
LEVEL_3_SHARE = {"Children & Families First": 0.96, "Children's Services": 0.5}
LEVEL_3_SHARE_OTHERS = 0.08
FAMILY_SIZE_PROBABILITIES = (0.55, 0.30, 0.11, 0.04)  # 1, 2, 3 or 4 children
CRITERIA_PREVALENCE = {
    "crime_asb": 0.30,
    "school_attendance": 0.45,
    "children_need_help": 0.70,
    "worklessness": 0.60,
    "domestic_abuse": 0.40,
    "health": 0.50,
}
DECILE_WEIGHT_RATIO = 0.78  # each less deprived decile is this much less likely a home
OUT_OF_AREA_SHARE = 0.004
UNKNOWN_ADDRESS_SHARE = 0.003
OTHER_FAMILIES_ELIGIBLE_SHARE = 0.75  # level-3 families not in a printed count
NEIGHBOURING_LADS = ("E07000218", "E07000219", "E07000220", "E07000222")


def _duration_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Episode length in days: long-tailed (median about seven months), a few same-day."""
    days = np.rint(rng.lognormal(mean=np.log(210), sigma=0.75, size=n)).astype(int)
    days[rng.random(n) < 0.003] = 0
    return np.clip(days, 0, 1500)


def _days_in(rng: np.random.Generator, month: pd.Period, n: int) -> pd.DatetimeIndex:
    offsets = rng.integers(0, month.days_in_month, size=n)
    return pd.DatetimeIndex(month.start_time + pd.to_timedelta(offsets, unit="D"))


def _pick(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    labels = list(mix)
    weights = np.array([mix[label] for label in labels])
    return rng.choice(labels, size=n, p=weights / weights.sum())


def _split(rng: np.random.Generator, total: int, parts: int) -> np.ndarray:
    return rng.multinomial(total, np.full(parts, 1 / parts))


@dataclass
class _Episodes:
    """Episodes accumulated column by column while calibrating."""

    lead_agency: list
    start_date: list
    end_date: list
    closure_reason: list

    @classmethod
    def empty(cls) -> _Episodes:
        return cls([], [], [], [])

    def add(self, agency, start, end, reason) -> None:
        n = len(start)
        self.lead_agency.extend(np.broadcast_to(np.asarray(agency, dtype=object), n))
        self.start_date.extend(pd.DatetimeIndex(start))
        self.end_date.extend(pd.DatetimeIndex(end))
        self.closure_reason.extend(np.broadcast_to(np.asarray(reason, dtype=object), n))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "lead_agency": self.lead_agency,
                "start_date": pd.to_datetime(self.start_date).astype("datetime64[ns]"),
                "end_date": pd.to_datetime(self.end_date).astype("datetime64[ns]"),
                "closure_reason": self.closure_reason,
            }
        )


def _closure_targets(figures: dict, cats: Categories) -> dict[pd.Period, dict[str, int]]:
    """Closures by month and reason: printed months, plus April-August 2014 as calibrated."""
    outcomes = figures["dashboard_2015_10"]["indicator_1_2_outcomes"]
    months = [pd.Period(str(m), freq="M") for m in outcomes["months"]]
    targets = {m: {reason: 0 for reason in cats.closure_reasons} for m in months}
    for reason, (monthly, _ytd) in outcomes["rows"].items():
        for month, count in zip(months, monthly, strict=True):
            targets[month][reason] = int(count)
    return targets


def _cff_open_at_caseload_snapshot(rng, figures, cats, episodes: _Episodes) -> None:
    """Step 1: CFF episodes open on the caseload snapshot, band by band."""
    bands = figures["cff_report_2016_03"]["time_open_bands"]
    candidates = pd.Series(pd.date_range("2011-01-01", CASELOAD_SNAPSHOT, freq="D"))
    months_open = completed_months(candidates, CASELOAD_SNAPSHOT)
    for label, lower, upper in TIME_OPEN_BANDS:
        count = int(bands[label][0])
        in_band = (months_open >= lower) & ((months_open < upper) if upper else True)
        pool = candidates[in_band].to_numpy()
        age = (CASELOAD_SNAPSHOT - pd.DatetimeIndex(pool)).days.to_numpy()
        weight = np.exp(-np.maximum(age - 540, 0) / 150.0)  # the oldest cases are rarest
        starts = rng.choice(pool, size=count, p=weight / weight.sum())
        residual = np.rint(rng.exponential(200, size=count)).astype(int) + 1
        ends = pd.DatetimeIndex(CASELOAD_SNAPSHOT + pd.to_timedelta(residual, unit="D"))
        ends = ends.where(ends <= EXTRACT_DATE)  # still open when the extract was taken
        reasons = _pick(rng, _reason_mix(figures, cats), count).astype(object)
        reasons[ends.isna()] = None
        episodes.add(cats.children_and_families_first, starts, ends, reasons)


def _reason_mix(figures: dict, cats: Categories) -> dict[str, float]:
    rows = figures["dashboard_2015_10"]["indicator_1_2_outcomes"]["rows"]
    return {reason: float(sum(rows[reason][0])) for reason in cats.closure_reasons}


def _closed_episodes(rng, month: pd.Period, counts: dict[str, int], episodes: _Episodes):
    """Closures in ``month``, reason by reason, with long-tailed durations."""
    reasons = np.repeat(list(counts), list(counts.values())).astype(object)
    n = len(reasons)
    ends = _days_in(rng, month, n)
    starts = ends - pd.to_timedelta(_duration_days(rng, n), unit="D")
    agencies = _pick(rng, CLOSURE_AGENCY_MIX, n)
    episodes.add(agencies, starts, ends, reasons)


def _calibrated_closures(rng, figures, cats, episodes: _Episodes) -> None:
    """Step 2: closures April 2014 - September 2015 as printed (and calibrated)."""
    for reason, total in APRIL_TO_AUGUST_2014.items():
        per_month = _split(rng, total, 5)
        for month, count in zip(APRIL_TO_AUGUST_MONTHS, per_month, strict=True):
            _closed_episodes(rng, month, {reason: int(count)}, episodes)
    for month, counts in _closure_targets(figures, cats).items():
        _closed_episodes(rng, month, counts, episodes)


def _history(rng, figures, cats, episodes: _Episodes) -> None:
    """Closures before the calibrated window, so that rolling windows have a past."""
    mix = _reason_mix(figures, cats)
    for month in pd.period_range(HISTORY_START, CALIBRATED_FROM - 1, freq="M"):
        total = rng.poisson(PLAUSIBLE_MONTHLY_CLOSURES * 0.9)
        reasons = _pick(rng, mix, total)
        counts = {reason: int((reasons == reason).sum()) for reason in cats.closure_reasons}
        _closed_episodes(rng, month, counts, episodes)


def _top_up_lead_agency_snapshot(rng, figures, cats, episodes: _Episodes) -> None:
    """Step 3: top each agency up to its printed count of episodes open on 31 August 2015."""
    printed = figures["dashboard_2015_10"]["indicator_1_1_open_by_lead_agency"]["rows"]
    frame = episodes.frame()
    already = frame[open_at(frame, LEAD_AGENCY_SNAPSHOT)]["lead_agency"].value_counts()
    mix = _reason_mix(figures, cats)
    first_free_day = pd.Timestamp("2015-10-01")  # September 2015 closures are calibrated
    for agency in cats.lead_agencies:
        missing = int(printed[agency][0]) - int(already.get(agency, 0))
        if missing < 0:
            raise RuntimeError(f"calibration: {agency} already has {-missing} too many open")
        age = np.rint(rng.lognormal(np.log(150), 0.8, size=missing)).astype(int)
        starts = LEAD_AGENCY_SNAPSHOT - pd.to_timedelta(np.minimum(age, 1500), unit="D")
        if agency == cats.children_and_families_first:
            # CFF's caseload on 11 January 2016 is already complete: close before it.
            window = (CASELOAD_SNAPSHOT - first_free_day).days + 1
            ends = first_free_day + pd.to_timedelta(rng.integers(0, window, missing), unit="D")
        else:
            residual = np.rint(rng.exponential(150, size=missing)).astype(int)
            ends = first_free_day + pd.to_timedelta(residual, unit="D")
            ends = ends.where(ends <= EXTRACT_DATE)
        reasons = _pick(rng, mix, missing).astype(object)
        reasons[pd.isna(ends)] = None
        episodes.add(agency, starts, ends, reasons)


def _top_up_later_months(rng, figures, cats, episodes: _Episodes) -> None:
    """Step 4: closures and openings after the calibrated months, at a plausible level.

    New episodes start after 31 August 2015, so that snapshot is untouched, and CFF ones
    either close before 11 January 2016 or start after it, so that one is untouched too.
    """
    mix = _reason_mix(figures, cats)
    non_cff = {a: w for a, w in CLOSURE_AGENCY_MIX.items() if a != cats.children_and_families_first}
    frame = episodes.frame()
    for month in pd.period_range("2015-10", EXTRACT_DATE.to_period("M"), freq="M"):
        have = int((frame["end_date"].dt.to_period("M") == month).sum())
        want = rng.poisson(PLAUSIBLE_MONTHLY_CLOSURES)
        n = max(want - have, 0)
        ends = _days_in(rng, month, n)
        agencies = _pick(rng, CLOSURE_AGENCY_MIX, n)
        late_cff = (agencies == cats.children_and_families_first) & (ends > CASELOAD_SNAPSHOT)
        agencies[late_cff] = _pick(rng, non_cff, int(late_cff.sum()))
        gap = (ends - LEAD_AGENCY_SNAPSHOT).days.to_numpy() - 1
        starts = ends - pd.to_timedelta(np.floor(rng.random(n) * gap).astype(int), unit="D")
        episodes.add(agencies, starts, ends, _pick(rng, mix, n))
    frame = episodes.frame()
    for month in pd.period_range("2015-09", EXTRACT_DATE.to_period("M"), freq="M"):
        have = int((frame["start_date"].dt.to_period("M") == month).sum())
        n = max(rng.poisson(PLAUSIBLE_MONTHLY_CLOSURES) - have, 0)
        starts = _days_in(rng, month, n)
        starts = starts.where(
            starts > LEAD_AGENCY_SNAPSHOT, LEAD_AGENCY_SNAPSHOT + pd.Timedelta(1, "D")
        )
        agencies = _pick(rng, CLOSURE_AGENCY_MIX, n)
        early_cff = (agencies == cats.children_and_families_first) & (starts <= CASELOAD_SNAPSHOT)
        agencies[early_cff] = _pick(rng, non_cff, int(early_cff.sum()))
        episodes.add(agencies, starts, pd.DatetimeIndex([pd.NaT] * n), None)


def _levels(rng, agencies: pd.Series) -> np.ndarray:
    share = agencies.map(LEVEL_3_SHARE).fillna(LEVEL_3_SHARE_OTHERS).to_numpy()
    return np.where(rng.random(len(agencies)) < share, 3, 2)


def _assign_families(rng, episodes: pd.DataFrame) -> pd.Series:
    """Siblings: consecutive episodes of one agency, by start date, share a family."""
    order = episodes.sort_values(["lead_agency", "start_date", "end_date"], kind="stable").index
    sizes = rng.choice([1, 2, 3, 4], size=len(order), p=FAMILY_SIZE_PROBABILITIES)
    family_of_position = np.repeat(np.arange(len(order)), sizes)[: len(order)]
    family = pd.Series(family_of_position, index=order).reindex(episodes.index)
    # Number families in order of their first episode, so ids read naturally.
    first_start = episodes.groupby(family)["start_date"].min().sort_values(kind="stable")
    renumber = pd.Series(np.arange(1, len(first_start) + 1), index=first_start.index)
    return family.map(renumber).map(lambda number: f"F{number:05d}")


def _criteria(rng, eligible: np.ndarray) -> pd.DataFrame:
    """Six criteria per family: at least two where eligible, at most one otherwise."""
    names = list(CRITERIA_PREVALENCE)
    weights = np.array(list(CRITERIA_PREVALENCE.values()))
    met_counts = np.where(
        eligible,
        rng.choice([2, 3, 4, 5, 6], size=len(eligible), p=[0.35, 0.30, 0.20, 0.10, 0.05]),
        rng.choice([0, 1], size=len(eligible), p=[0.3, 0.7]),
    )
    flags = np.zeros((len(eligible), len(names)), dtype=bool)
    for row, k in enumerate(met_counts):
        chosen = rng.choice(len(names), size=k, replace=False, p=weights / weights.sum())
        flags[row, chosen] = True
    return pd.DataFrame(flags, columns=names)


def _families(rng, figures, cats, episodes: pd.DataFrame) -> pd.DataFrame:
    """Strengthening Families: families with a CFF level-3 episode, criteria and attachments."""
    sf = figures["strengthening_families_phase_2"]
    cff3 = episodes[
        (episodes["lead_agency"] == cats.children_and_families_first) & (episodes["caf_level"] == 3)
    ]
    spans = cff3.groupby("family_id").agg(
        identified_date=("start_date", "min"),
        last_end=("end_date", lambda ends: pd.NaT if ends.isna().any() else ends.max()),
    )
    spans["last_end"] = spans["last_end"].fillna(EXTRACT_DATE)
    open_families = set(cff3.loc[open_at(cff3, LEAD_AGENCY_SNAPSHOT), "family_id"])
    ended = cff3["end_date"].between(pd.Timestamp(sf["early_start"]), LEAD_AGENCY_SNAPSHOT)
    closed_families = set(cff3.loc[ended, "family_id"]) - open_families
    ids = spans.index.to_numpy()
    is_open = np.isin(ids, list(open_families))
    is_closed = np.isin(ids, list(closed_families))
    eligible = rng.random(len(ids)) < OTHER_FAMILIES_ELIGIBLE_SHARE
    for mask, target in (
        (is_open, sf["open_level_3_meeting_criteria"]),
        (is_closed, sf["closed_since_2015-01-01_meeting_criteria"]),
    ):
        positions = np.flatnonzero(mask)
        if len(positions) < target:
            raise RuntimeError(f"calibration: only {len(positions)} families for {target}")
        chosen = rng.choice(positions, size=int(target), replace=False)
        eligible[positions] = False
        eligible[chosen] = True
    families = pd.concat([spans.reset_index(), _criteria(rng, eligible)], axis=1)
    families["phase"] = pd.array([pd.NA] * len(families), dtype="Int64")
    families["attached_date"] = pd.NaT
    families["claimed_date"] = pd.NaT
    _attach(rng, families, eligible, sf)
    return families.drop(columns="last_end")


def _attach(rng, families: pd.DataFrame, eligible: np.ndarray, sf: dict) -> None:
    """Phase 1 families still worked in 2015, then phase 2: early starters and the rest."""
    early_start = pd.Timestamp(sf["early_start"])
    national_start = pd.Timestamp(sf["national_start"])
    year_end = pd.Timestamp("2016-03-31")
    rounds = (
        (1, sf["phase_1_remaining"]["families"], None, early_start - pd.Timedelta(1, "D")),
        (
            2,
            sf["phase_2_early_families"]["families"],
            early_start,
            national_start - pd.Timedelta(1, "D"),
        ),
        (2, sf["further_families_2015_16"], national_start, year_end),
    )
    free = eligible.copy()
    for phase, count, window_start, window_end in rounds:
        lo = (
            families["identified_date"]
            if window_start is None
            else (families["identified_date"].clip(lower=window_start))
        )
        hi = families["last_end"].clip(upper=window_end)
        usable = free & (lo <= hi).to_numpy()
        if phase == 1:  # still being worked with on 1 January 2015
            usable &= (families["last_end"] >= early_start).to_numpy()
        positions = np.flatnonzero(usable)
        if len(positions) < count:
            raise RuntimeError(f"calibration: only {len(positions)} families for phase {phase}")
        chosen = np.sort(rng.choice(positions, size=int(count), replace=False))
        span = (hi.iloc[chosen] - lo.iloc[chosen]).dt.days.to_numpy()
        offset = np.floor(rng.random(len(chosen)) * (span + 1)).astype(int)
        attached = lo.iloc[chosen] + pd.to_timedelta(offset, unit="D")
        families.loc[families.index[chosen], "phase"] = phase
        families.loc[families.index[chosen], "attached_date"] = attached.to_numpy()
        delay = (
            rng.integers(120, 420, size=len(chosen))
            if phase == 1
            else rng.integers(180, 420, size=len(chosen))
        )
        claimed = attached + pd.to_timedelta(delay, unit="D")
        if phase == 1:  # phase 1 claims were made while both phases ran, January-May 2015
            claimed = claimed.clip(lower=early_start, upper=pd.Timestamp("2015-05-31"))
        results = rng.random(len(chosen)) < sf["assumed_pbr_rate_pct"] / 100
        claimed = claimed.where(results & (claimed <= EXTRACT_DATE))
        families.loc[families.index[chosen], "claimed_date"] = claimed.to_numpy()
        free[chosen] = False


@dataclass(frozen=True)
class HomeArea:
    """Where homes are drawn: the authority's LSOAs with their IMD deciles, and LSOAs of other
    districts for the few homes outside it."""

    local: pd.DataFrame  # lsoa11cd (the code, of either vintage), imd_decile; sorted by code
    neighbours: np.ndarray  # LSOA codes outside the authority, sorted


def coventry_2011_homes(imd: pd.DataFrame, lad_code: str) -> HomeArea:
    """The committed extract's homes: the district's LSOAs (2011) in IMD 2015, and four
    neighbouring districts' for the homes outside it."""
    local = imd[imd["lad13cd"] == lad_code].sort_values("lsoa11cd")
    neighbours = imd[imd["lad13cd"].isin(NEIGHBOURING_LADS)]["lsoa11cd"].sort_values().to_numpy()
    return HomeArea(local[["lsoa11cd", "imd_decile"]], neighbours)


def authority_homes(lad_code: str, lsoa_vintage: int, **fetch_options) -> HomeArea:
    """Homes in any English district, in LSOA codes of ``lsoa_vintage`` (2011 or 2021).

    The district's LSOAs are those the ONS lookup assigns to it, weighted by IMD 2019 (for
    2011 codes) or IMD 2025 (for 2021 codes); homes outside it are drawn from the other
    districts of England.
    """
    from helpers.reference import authority_lsoas, load_imd, load_lsoa_lookup

    lookup = load_lsoa_lookup(**fetch_options)
    imd = load_imd(2019 if lsoa_vintage == 2011 else 2025, **fetch_options)
    lsoas = authority_lsoas(lad_code, lsoa_vintage, lookup)
    local = lsoas.merge(imd, on="lsoa11cd", how="inner", validate="1:1")
    others = imd.loc[~imd["lsoa11cd"].isin(set(lsoas["lsoa11cd"])), "lsoa11cd"]
    return HomeArea(
        local[["lsoa11cd", "imd_decile"]].sort_values("lsoa11cd").reset_index(drop=True),
        others.sort_values().to_numpy(),
    )


def _home_lsoas(rng, family_ids: pd.Series, area: HomeArea) -> pd.Series:
    """A home LSOA per family, more likely the more deprived its IMD decile."""
    local = area.local
    weight = DECILE_WEIGHT_RATIO ** (local["imd_decile"].to_numpy() - 1)
    unique = pd.Index(sorted(family_ids.unique()))
    homes = rng.choice(local["lsoa11cd"].to_numpy(), size=len(unique), p=weight / weight.sum())
    homes = homes.astype(object)
    draw = rng.random(len(unique))
    neighbours = area.neighbours
    moved = draw < OUT_OF_AREA_SHARE
    homes[moved] = rng.choice(neighbours, size=int(moved.sum()))
    homes[(draw >= OUT_OF_AREA_SHARE) & (draw < OUT_OF_AREA_SHARE + UNKNOWN_ADDRESS_SHARE)] = None
    return family_ids.map(pd.Series(homes, index=unique))


def _refusals(rng, figures, cats) -> pd.DataFrame:
    counts = figures["dashboard_2015_10"]["refusals"]
    to_august, to_september = int(counts["ytd_to_2015-08-31"]), int(counts["ytd_to_2015-09-30"])
    per_month: dict[pd.Period, int] = {}
    for month in pd.period_range(CALIBRATED_FROM, EXTRACT_DATE.to_period("M"), freq="M"):
        per_month[month] = int(rng.poisson(PLAUSIBLE_MONTHLY_REFUSALS))
    april_to_august = pd.period_range("2015-04", "2015-08", freq="M")
    for month, count in zip(april_to_august, _split(rng, to_august, 5), strict=True):
        per_month[month] = int(count)
    per_month[pd.Period("2015-09", freq="M")] = to_september - to_august
    dates = pd.DatetimeIndex(
        np.concatenate([_days_in(rng, m, n).to_numpy() for m, n in per_month.items()])
    ).sort_values()
    n = len(dates)
    return pd.DataFrame(
        {
            "refusal_id": [f"R{i:05d}" for i in range(1, n + 1)],
            "refusal_date": dates,
            "refused_by": rng.choice(list(cats.refused_by), size=n, p=[0.82, 0.18]),
            "lead_agency": _pick(rng, CLOSURE_AGENCY_MIX, n),
        }
    )


def _budget(figures) -> pd.DataFrame:
    lines = figures["cff_report_2016_03"]["budget_2015_16_forecast_q3"]
    rows = [
        (line, spend, income) for line, (spend, income, _net) in lines.items() if line != "Total"
    ]
    return pd.DataFrame(rows, columns=["line", "spend", "income"])


def generate(
    imd: pd.DataFrame | None,
    seed: int = SEED,
    cats: Categories | None = None,
    homes: HomeArea | None = None,
) -> dict[str, pd.DataFrame]:
    """The four extract tables, calibrated to the published figures (deterministic per seed).

    Homes are drawn in ``homes`` (:func:`authority_homes`, any district and LSOA vintage);
    by default in config's district on LSOA (2011) from IMD 2015 (``imd``), as committed.
    """
    cats = cats or categories()
    if homes is None:
        if imd is None:
            raise ValueError("generate: give IMD 2015 (imd) or the homes' area (homes)")
        homes = coventry_2011_homes(imd, cats.lad_code)
    figures = printed_figures()
    rng = np.random.default_rng(seed)
    collected = _Episodes.empty()
    _cff_open_at_caseload_snapshot(rng, figures, cats, collected)
    _calibrated_closures(rng, figures, cats, collected)
    _history(rng, figures, cats, collected)
    _top_up_lead_agency_snapshot(rng, figures, cats, collected)
    _top_up_later_months(rng, figures, cats, collected)
    episodes = collected.frame()
    episodes = episodes.sort_values(["start_date", "end_date", "lead_agency"], kind="stable")
    episodes = episodes.reset_index(drop=True)
    episodes.insert(0, "episode_id", [f"E{i:06d}" for i in range(1, len(episodes) + 1)])
    episodes.insert(1, "child_id", [f"C{i:06d}" for i in rng.permutation(len(episodes)) + 1])
    episodes.insert(2, "family_id", _assign_families(rng, episodes))
    episodes.insert(4, "caf_level", _levels(rng, episodes["lead_agency"]))
    episodes["lsoa11cd"] = _home_lsoas(rng, episodes["family_id"], homes)
    families = _families(rng, figures, cats, episodes)
    return {
        "caf_episodes": episodes,
        "caf_refusals": _refusals(rng, figures, cats),
        "families": families,
        "budget": _budget(figures),
    }


def shift_months(tables: dict[str, pd.DataFrame], months: int) -> dict[str, pd.DataFrame]:
    """Every date moved ``months`` calendar months later (an extract for a later period).

    The order of dates, and so every count by period, is kept; the calibration to the printed
    figures holds for the shifted periods.
    """
    shifted = {}
    for name, frame in tables.items():
        out = frame.copy()
        for spec in CONTRACT[name]:
            if spec.kind == "date" and spec.name in out:
                out[spec.name] = out[spec.name] + pd.DateOffset(months=months)
        shifted[name] = out
    return shifted


def to_csv_text(frame: pd.DataFrame, name: str, lsoa_column: str = "lsoa11cd") -> str:
    """The extract's CSV form: contract column order, ISO dates, blanks for missing.

    ``lsoa_column`` names the home LSOA's column: ``lsoa21cd`` for homes in 2021 codes.
    """
    columns = [spec.name for spec in CONTRACT[name]]
    out = frame[columns].copy()
    for spec in CONTRACT[name]:
        if spec.kind == "date":
            out[spec.name] = out[spec.name].dt.strftime("%Y-%m-%d")
        elif spec.kind == "bool":
            out[spec.name] = out[spec.name].map({True: "true", False: "false"})
        elif spec.kind == "money":
            out[spec.name] = out[spec.name].map(lambda value: f"{value:.0f}")
    if name == "caf_episodes" and lsoa_column != "lsoa11cd":
        out = out.rename(columns={"lsoa11cd": lsoa_column})
    return out.to_csv(index=False, lineterminator="\n")


def write_extract(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    seed: int = SEED,
    lsoa_column: str = "lsoa11cd",
    months_later: int = 0,
    note: str = "Invented data calibrated to Coventry's published 2015-16 figures. No real child.",
) -> Path:
    """Write the tables as an extract folder with its manifest (``months_later``: the tables
    were shifted by :func:`shift_months`, and so is the extract's date)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        text = to_csv_text(frame, name, lsoa_column)
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    taken = EXTRACT_DATE + pd.DateOffset(months=months_later)
    manifest = {
        "synthetic": True,
        "generator": "helpers.dev.synthetic",
        "seed": seed,
        "extract_date": taken.date().isoformat(),
        # The budget lines are the financial year's forecast in which the extract was taken.
        "budget_financial_year": ReportPeriod.of(taken).financial_year_label,
        "sha256": extract_sha256(folder),
        "note": note,
    }
    (folder / SYNTHETIC_MANIFEST).write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
    )
    return folder


def scale_tables(tables: dict[str, pd.DataFrame], factor: int) -> dict[str, pd.DataFrame]:
    """``factor`` copies of the case-level tables with fresh ids, for benchmarks.

    Counts grow ``factor``-fold (so the published figures are no longer reproduced); dates,
    categories and LSOAs keep their distributions. The budget is not case-level: unchanged.
    """
    if factor < 1:
        raise ValueError(f"scale factor must be a positive whole number, not {factor}")
    if factor == 1:
        return tables
    ids = {
        "caf_episodes": ("episode_id", "child_id", "family_id"),
        "caf_refusals": ("refusal_id",),
        "families": ("family_id",),
    }
    scaled = {}
    for name, frame in tables.items():
        if name not in ids:
            scaled[name] = frame
            continue
        copies = pd.concat([frame] * factor, ignore_index=True)
        copy_number = np.repeat(np.arange(factor), len(frame))
        suffix = pd.Series(copy_number, index=copies.index).map(lambda k: f"-{k:04d}")
        for column in ids[name]:
            copies[column] = copies[column].astype(str) + suffix
        scaled[name] = copies
    return scaled


def main(argv: list[str] | None = None) -> None:
    import argparse

    from helpers.reference import load_imd2015

    parser = argparse.ArgumentParser(
        prog="python -m helpers.dev.synthetic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="copies of the calibrated extract (benchmarks; not committed)",
    )
    parser.add_argument("--out", default=str(SYNTHETIC_DIR))
    parser.add_argument(
        "--la",
        metavar="CODE",
        help="homes in this local authority district (default: config's, as committed)",
    )
    parser.add_argument(
        "--lsoa-vintage",
        type=int,
        choices=(2011, 2021),
        default=2011,
        help="homes in LSOA codes of 2011 (column lsoa11cd) or 2021 (column lsoa21cd)",
    )
    parser.add_argument(
        "--taken",
        metavar="YYYY-MM",
        help="move every date so that the extract is taken at the end of this month",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    committed = args.scale == 1 and not (args.la or args.taken or args.lsoa_vintage != 2011)
    if not committed and out.resolve() == SYNTHETIC_DIR.resolve():
        parser.error("a scaled, moved or other authority's extract is not the committed one: --out")
    if args.la or args.lsoa_vintage != 2011:
        from helpers.map_page import MapSettingError, lad_code_or_default
        from helpers.reference import AuthorityError, ReferenceDataError

        try:
            lad = lad_code_or_default(args.la)
            homes = authority_homes(lad, args.lsoa_vintage)
        except (MapSettingError, AuthorityError, ReferenceDataError) as error:
            parser.error(str(error))
        tables = generate(None, homes=homes)
        note = f"Invented data for district {lad}, homes in LSOA ({args.lsoa_vintage}) codes."
    else:
        tables, note = generate(load_imd2015()), None
    months = 0
    if args.taken:
        target = pd.Period(args.taken, freq="M")
        months = (target - pd.Period(EXTRACT_DATE, freq="M")).n
        tables = shift_months(tables, months)
    column = "lsoa11cd" if args.lsoa_vintage == 2011 else "lsoa21cd"
    extra = {"note": note} if note else {}
    write_extract(scale_tables(tables, args.scale), out, SEED, column, months, **extra)
    print(f"Wrote the synthetic extract (scale {args.scale}) to {out}")


if __name__ == "__main__":
    main()
