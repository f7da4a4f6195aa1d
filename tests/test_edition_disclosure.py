"""Disclosure control across an edition's pages and across editions (issue 21, What to build 6).

The two findings, as regression tests on an extract built to hold the issue's counts:

- ``--month 2014-02 --publish -p lead_agency Health``: page 01 hid Education (4) and Health
  (60), page 03 printed Health's 60, so Education = total - the rest - 60;
- the June and July 2015 editions printed the year-to-date refusals 6 and 10: July's 4.

Whether a hidden count can be recovered is decided by ``sdc_oracle`` (integer programming over
every count of every page and edition), never by the engine's own audit.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from generated_extracts import HEADERS, Shape, generate, shapes, write
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from in_process import run_notebook
from sdc_oracle import RULES, recoverable

from helpers import batch, disclosure_record
from helpers.config import categories
from helpers.disclosure import LinkedCounts
from helpers.disclosure_record import (
    EDITION_HIDDEN_ENV,
    PAGE_RECORD_ENV,
    RecordError,
    read_published_counts,
    report_record_json,
    write_edition_hidden,
    write_report_record,
)
from helpers.edition_disclosure import (
    PagesDisagree,
    edition_counts,
    protect_edition,
    settle_edition,
)
from helpers.extract import load_extract
from helpers.figures import (
    families_figures,
    lead_agency_figures,
    lsoa_figures,
    outcomes_figures,
    time_open_figures,
)
from helpers.populations import OPEN, REFUSALS, on_day, over_days, over_months
from helpers.preflight import RefusedError
from helpers.reference import load_lsoa_boundaries

CATS = categories()
FEBRUARY = pd.Timestamp("2014-02-28")
#: Episodes open on 28 February 2014 by lead agency: Education small, Health its partner.
OPEN_ON_28_FEBRUARY = {
    "Children & Families First": 620,
    "Children's Centre": 300,
    "Children's Services": 70,
    "Education": 4,
    "Health": 60,
    "School": 341,
}
#: Refusals in the months of 2015/16 the editions report: year to date 6 (June), 10 (July).
REFUSALS_BY_MONTH = {"2015-04": 0, "2015-05": 0, "2015-06": 6, "2015-07": 4, "2015-08": 7}
LAST_DAY = dt.date(2015, 9, 30)


def _issue_tables(seed: int = 21) -> dict[str, list[list[str]]]:
    """A valid extract holding the issue's counts (families and budget from the generator)."""
    rng = random.Random(seed)
    tables = generate(Shape(seed=seed, first_day=dt.date(2012, 4, 1), months=42, episodes=50))
    reasons = list(CATS.closure_reasons)
    rows = []

    def episode(agency: str, start: dt.date, end: dt.date | None) -> None:
        n = len(rows) + 1
        reason = "" if end is None else rng.choice(reasons)
        family = f"F{rng.randint(1, 25):05d}"  # families the generator listed, mostly
        rows.append(
            [f"E{n:06d}", f"C{n:06d}", family, agency, "3", start.isoformat()]
            + ["" if end is None else end.isoformat(), reason, ""]
        )

    day = FEBRUARY.date()
    for agency, n in OPEN_ON_28_FEBRUARY.items():
        for _ in range(n):  # open on the day: started before it, ended after it or not yet
            start = day - dt.timedelta(days=rng.randint(0, 700))
            ended = day + dt.timedelta(days=rng.randint(1, 700))
            episode(agency, start, None if ended > LAST_DAY or rng.random() < 0.3 else ended)
    for _ in range(600):  # the others: closed before the day, or started after it
        agency = rng.choice(list(OPEN_ON_28_FEBRUARY))
        if rng.random() < 0.5:
            start = dt.date(2012, 4, 1) + dt.timedelta(days=rng.randint(0, 600))
            episode(agency, start, min(start + dt.timedelta(days=rng.randint(0, 200)), day))
        else:
            start = day + dt.timedelta(days=rng.randint(1, (LAST_DAY - day).days))
            ended = start + dt.timedelta(days=rng.randint(0, 300))
            episode(agency, start, None if ended > LAST_DAY else ended)
    refusals = []
    for month, n in REFUSALS_BY_MONTH.items():
        first = pd.Period(month, freq="M").start_time.date()
        for i in range(n):
            refusals.append(
                [f"R{len(refusals) + 1:05d}", (first + dt.timedelta(days=3 * i)).isoformat()]
                + [rng.choice(CATS.refused_by), rng.choice(CATS.lead_agencies)]
            )
    return {**tables, "caf_episodes": rows, "caf_refusals": refusals}


@pytest.fixture(scope="module")
def issue_folder(tmp_path_factory) -> Path:
    folder = write(tmp_path_factory.mktemp("issue") / "extract", _issue_tables())
    assert list(HEADERS) == ["caf_episodes", "caf_refusals", "families", "budget"]
    return folder


@pytest.fixture(scope="module")
def issue(issue_folder):
    return load_extract(issue_folder)


def _health(day: pd.Timestamp = FEBRUARY):
    return on_day(OPEN, day, lead_agency="Health")


def _education(day: pd.Timestamp = FEBRUARY):
    return on_day(OPEN, day, lead_agency="Education")


def _union_of(*editions: LinkedCounts) -> LinkedCounts:
    """Every count of every edition, as one system with their true values (for the oracle)."""
    union = LinkedCounts()
    for counts in editions:
        for key, value in counts.values.items():
            union.add(key, value, counts.printed[key])
        for rel in counts.sums:
            union.add_sum(rel.total, rel.parts)
    return union


def _unseen(*editions: tuple[LinkedCounts, set]) -> set:
    """The printed counts no edition shows: hidden wherever they are printed."""
    printed = {k for counts, _ in editions for k, p in counts.printed.items() if p}
    shown = {
        k for counts, hidden in editions for k, p in counts.printed.items() if p and k not in hidden
    }
    return printed - shown


# --------------------------------------------------------------------------- one edition's pages


def test_the_same_population_on_two_pages_is_one_count(issue):
    lead = lead_agency_figures(issue.episodes, issue.refusals, FEBRUARY, FEBRUARY, publish=True)
    bands = time_open_figures(issue.episodes, FEBRUARY, "Health", publish=True)
    assert lead.counts.values[_health()] == bands.counts.values[_health()] == 60
    assert lead.counts.values[_education()] == 4
    edition = edition_counts(
        {"01": [(lead.counts, lead.hidden)], "03": [(bands.counts, bands.hidden)]}
    )
    assert edition.pages_of()[_health()] == ["01", "03"]


def test_finding_education_from_health_on_another_page_is_closed(issue):
    lead = lead_agency_figures(issue.episodes, issue.refusals, FEBRUARY, FEBRUARY, publish=True)
    bands = time_open_figures(issue.episodes, FEBRUARY, "Health", publish=True)
    assert {_education(), _health()} <= lead.hidden  # page 01 hides both
    assert _health() not in bands.hidden  # page 03, alone, prints Health's 60
    edition = edition_counts(
        {"01": [(lead.counts, lead.hidden)], "03": [(bands.counts, bands.hidden)]}
    )
    # Each page protected itself: together they give Education away (the finding).
    assert _education() in recoverable(edition.counts, edition.hidden)

    protection = protect_edition(edition, rules=RULES)
    assert recoverable(edition.counts, set(protection.hidden)) == []
    assert set(protection.grown) == {"03"} and _health() in protection.grown["03"]
    assert lead.hidden <= protection.hidden  # what page 01 hid stays hidden


def test_a_page_rerun_with_the_editions_hidden_counts_settles_it(issue, tmp_path, monkeypatch):
    def pages():
        lead = lead_agency_figures(issue.episodes, issue.refusals, FEBRUARY, FEBRUARY, True)
        bands = time_open_figures(issue.episodes, FEBRUARY, "Health", True)
        return {"01": [(lead.counts, lead.hidden)], "03": [(bands.counts, bands.hidden)]}

    hidden_file = tmp_path / "hidden.json"
    monkeypatch.setenv(EDITION_HIDDEN_ENV, str(hidden_file))
    reruns = []
    protection = settle_edition(
        pages,
        lambda h: write_edition_hidden(hidden_file, h),
        lambda names: reruns.append(names) or True,
    )
    assert reruns == [["03"]]  # one rerun, of the page that printed Health
    bands = time_open_figures(issue.episodes, FEBRUARY, "Health", publish=True)
    assert bands.total == "[c]"  # Health's 60 is hidden on page 03 too
    assert recoverable(protection.edition.counts, set(protection.hidden)) == []


# --------------------------------------------------------------------------- across editions


def _published(counts_of_pages: dict, earlier, folder: Path, name: str):
    """Protect an edition in-process and keep its record as the batch would."""
    edition = edition_counts(counts_of_pages)
    protection = protect_edition(edition, earlier, rules=RULES)
    report = folder / name
    report.mkdir(parents=True)
    hidden = protection.hidden | edition.hidden
    write_report_record(
        report, report_record_json(name, edition.counts, hidden, edition.pages_of())
    )
    return edition, protection, read_published_counts(report)


def test_finding_july_refusals_from_june_and_july_year_to_date_is_closed(issue, tmp_path):
    june_end, july_end = pd.Timestamp("2015-06-30"), pd.Timestamp("2015-07-31")
    june = lead_agency_figures(issue.episodes, issue.refusals, june_end, june_end, publish=True)
    july = lead_agency_figures(issue.episodes, issue.refusals, july_end, july_end, publish=True)
    ytd_june = over_days(REFUSALS, "2015-04-01", june_end)
    ytd_july = over_days(REFUSALS, "2015-04-01", july_end)
    in_july = over_months(REFUSALS, pd.Period("2015-07", freq="M"))
    assert (june.counts.values[ytd_june], july.counts.values[ytd_july]) == (6, 10)
    assert july.counts.values[in_july] == 4 and ytd_june in july.hidden
    both = _union_of(june.counts, july.counts)
    # The July page alone hides June's 6, which the June edition printed (the finding).
    pages_alone = _unseen((june.counts, june.hidden), (july.counts, july.hidden))
    assert in_july in recoverable(both, pages_alone)

    _, _, june_record = _published({"01": [(june.counts, june.hidden)]}, [], tmp_path, "june")
    assert june_record.shown[ytd_june] == 6
    edition, protection, _ = _published(
        {"01": [(july.counts, july.hidden)]}, [june_record], tmp_path, "july"
    )
    assert ytd_july in protection.hidden and protection.grown == {"01": {ytd_july}}
    assert protection.checked_against == ["june"] and protection.revised == []
    together = _unseen((june.counts, june.hidden), (july.counts, protection.hidden))
    assert ytd_july in together and recoverable(both, together) == []


def test_the_next_edition_keeps_an_earlier_hidden_count_hidden(issue, tmp_path):
    months = ["2015-06", "2015-07", "2015-08"]
    ends = [pd.Period(m, freq="M").end_time.normalize() for m in months]
    earlier, every = [], []
    for month, end in zip(months, ends, strict=True):
        page = lead_agency_figures(issue.episodes, issue.refusals, end, end, publish=True)
        _, protection, record = _published(
            {"01": [(page.counts, page.hidden)]}, earlier, tmp_path, month
        )
        earlier.append(record)
        every.append((page.counts, set(protection.hidden)))
    # August prints the year to July again: hidden again, as July hid it.
    ytd_july = over_days(REFUSALS, "2015-04-01", ends[1])
    assert all(ytd_july in hidden for counts, hidden in every if counts.printed.get(ytd_july))
    unseen = _unseen(*every)
    assert ytd_july in unseen
    assert recoverable(_union_of(*(counts for counts, _ in every)), unseen) == []


def test_an_earlier_report_of_a_revised_extract_is_taken_apart(issue, tmp_path):
    june_end = pd.Timestamp("2015-06-30")
    june = lead_agency_figures(issue.episodes, issue.refusals, june_end, june_end, publish=True)
    _, _, record = _published({"01": [(june.counts, june.hidden)]}, [], tmp_path, "june")
    revised = issue.refusals.iloc[1:]  # one June refusal entered in error, removed since
    july_end = pd.Timestamp("2015-07-31")
    july = lead_agency_figures(issue.episodes, revised, july_end, july_end, publish=True)
    protection = protect_edition(edition_counts({"01": [(july.counts, july.hidden)]}), [record])
    assert protection.revised == ["june"]
    assert protection.hidden  # the July page's own protection still holds


def test_the_published_record_holds_no_value_the_report_did_not_print(issue, tmp_path):
    june_end = pd.Timestamp("2015-06-30")
    page = lead_agency_figures(issue.episodes, issue.refusals, june_end, june_end, publish=True)
    edition = edition_counts({"01": [(page.counts, page.hidden)]})
    raw = report_record_json("june", edition.counts, edition.hidden, edition.pages_of())
    shown = {json.dumps(c["population"], sort_keys=True): c["shown"] for c in raw["counts"]}
    for key, value in page.counts.values.items():
        entry = shown[json.dumps(key.to_json(), sort_keys=True)]
        if key in page.hidden:
            assert entry == "hidden"
        elif key in page.counts.shares_only:  # the previous month's counts behind a share
            assert entry == "as a share only"
        elif not page.counts.printed[key]:
            assert entry == "not printed"
        else:
            assert entry == value
    assert any(c["shown"] == "as a share only" for c in raw["counts"])


def test_a_record_that_cannot_be_read_is_a_sentence_naming_it(tmp_path):
    report = tmp_path / "2015-06-published"
    report.mkdir()
    (report / disclosure_record.RECORD).write_text('{"record": "something else"}', encoding="utf-8")
    with pytest.raises(RecordError, match="2015-06-published/disclosure.json.*cannot be read"):
        read_published_counts(report)
    assert read_published_counts(tmp_path) is None  # no record: made before they were kept


def test_the_batch_refuses_before_any_notebook_when_a_record_is_broken(issue_folder, tmp_path):
    report = tmp_path / "reports" / "2015-06-published"
    report.mkdir(parents=True)
    (report / "report.json").write_text('{"published": true}', encoding="utf-8")
    (report / disclosure_record.RECORD).write_text("not json", encoding="utf-8")
    with pytest.raises(RefusedError, match="cannot be read"):
        batch.run_batch(
            {"01_open_by_lead_agency": {"report_month": "2015-07"}},
            "2015-07",
            issue_folder,
            tmp_path / "reports",
            progress=False,
            publish=True,
        )
    assert not (tmp_path / "reports" / "2015-07-published").exists()


def test_a_page_run_alone_says_it_protected_itself(monkeypatch, tmp_path):
    monkeypatch.delenv(PAGE_RECORD_ENV, raising=False)
    run = run_notebook("03_cff_caseload_by_time_open", publish=True)  # as in JupyterLab
    assert run.error is None and "This page was protected on its own" in run.text
    assert "only the batch" in run.text
    monkeypatch.setenv(PAGE_RECORD_ENV, str(tmp_path / "page.json"))
    assert "protected together" in disclosure_record.protection_scope_note()


def test_two_pages_counting_one_population_differently_is_a_fault_said_so():
    one, two = LinkedCounts(), LinkedCounts()
    one.add(_health(), 60)
    two.add(_health(), 61)
    with pytest.raises(PagesDisagree, match="03 counts episodes open, 2014-02-28"):
        edition_counts({"01": [(one, frozenset())], "03": [(two, frozenset())]})


# --------------------------------------------------------------------------- any extract

PAGES_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _edition_pages(extract, day: pd.Timestamp, agency: str, boundaries) -> dict:
    """The figures of a --month edition's pages, as each notebook computes them."""
    month = pd.Period(day, freq="M")
    lead = lead_agency_figures(extract.episodes, extract.refusals, day, day, publish=True)
    outcomes = outcomes_figures(extract.episodes, month, 13, publish=True)
    bands = time_open_figures(extract.episodes, day, agency, publish=True)
    mapped = lsoa_figures(extract.episodes, day, agency, boundaries, publish=True)
    everyone = lsoa_figures(extract.episodes, day, None, boundaries, publish=True)
    families = families_figures(extract.episodes, extract.families, day, day, publish=True)
    return {
        "01": [(lead.counts, lead.hidden)],
        "02": [(outcomes.counts, outcomes.hidden)],
        "03": [(bands.counts, bands.hidden)],
        "04": [(mapped.counts, mapped.hidden), (everyone.counts, everyone.hidden)],
        "05": [(families.counts, families.hidden)],
    }


@PAGES_SETTINGS
@given(shape=shapes(), agency=st.sampled_from(CATS.lead_agencies))
def test_one_editions_pages_together_leave_nothing_small_recoverable(shape, agency):
    with tempfile.TemporaryDirectory() as folder:
        extract = load_extract(write(Path(folder) / "extract", generate(shape)))
    day = pd.Period(shape.report_day, freq="M").end_time.normalize()
    edition = edition_counts(_edition_pages(extract, day, agency, load_lsoa_boundaries()))
    protection = protect_edition(edition, rules=RULES)
    counts = edition.counts
    shown_small = [
        k
        for k, v in counts.values.items()
        if counts.printed[k] and k not in protection.hidden and RULES.is_small(v)
    ]
    assert shown_small == []
    assert recoverable(counts, set(protection.hidden)) == []
    assert edition.hidden <= protection.hidden  # every page's own protection is kept


# --------------------------------------------------------------------------- through the batch

MONTHLY = ("01_open_by_lead_agency", "02_opened_closed_outcomes")


def _true_counts(extract, month: str) -> LinkedCounts:
    """What the month's pages link, with every true value: computed here, not read back."""
    end = pd.Period(month, freq="M").end_time.normalize()
    lead = lead_agency_figures(extract.episodes, extract.refusals, end, end)
    outcomes = outcomes_figures(extract.episodes, month, 13)
    return _union_of(lead.counts, outcomes.counts)


@pytest.mark.slow
def test_two_consecutive_monthly_editions_leave_no_small_count_recoverable(
    issue, issue_folder, tmp_path
):
    reports = tmp_path / "reports"
    published = [
        batch.run_batch(
            {name: {"report_month": month} for name in MONTHLY},
            month,
            issue_folder,
            reports,
            progress=False,
            publish=True,
        )
        for month in ("2015-06", "2015-07")
    ]
    records = [read_published_counts(folder) for folder in published]
    july = json.loads((published[1] / disclosure_record.RECORD).read_text(encoding="utf-8"))
    assert july["check"]["checked against"] == ["2015-06-published"]
    assert july["check"]["pages rerun"] == [["01_open_by_lead_agency"]]
    refusals = pd.read_csv(published[1] / "tables" / "refusals.csv", dtype=str)
    assert list(refusals["refusals_ytd"]) == ["[c]", "[c]"]  # 6 (printed in June) and 10

    # The independent check: every count of both editions, their true values, and what no
    # edition shows (hidden wherever it is printed) as the unknowns.
    union = _union_of(_true_counts(issue, "2015-06"), _true_counts(issue, "2015-07"))
    shown = {k for record in records for k in record.shown}
    unseen = {k for record in records for k in record.hidden} - shown
    assert over_days(REFUSALS, "2015-04-01", "2015-07-31") in unseen
    for record in records:  # the record is what the pages printed, value for value
        assert all(union.values[k] == v for k, v in record.shown.items())
        assert record.populations <= set(union.values)
    assert recoverable(union, unseen) == []

    # July again, from the same extract: checked against the July it replaces too, it hides
    # the same counts (a count hidden before stays hidden) and reruns nothing.
    again = batch.run_batch(
        {name: {"report_month": "2015-07"} for name in MONTHLY},
        "2015-07",
        issue_folder,
        reports,
        progress=False,
        publish=True,
    )
    check = json.loads((again / disclosure_record.RECORD).read_text(encoding="utf-8"))["check"]
    assert check["checked against"] == ["2015-06-published", "2015-07-published"]
    assert check["pages rerun"] == []
    assert read_published_counts(again).hidden == records[1].hidden
