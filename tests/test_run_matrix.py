"""The run matrix: every notebook, on every kind of input, for every kind of authority, at every
position of the report month, for the analysts and published (issue 20, What to build 1).

Each case must end in a page, or in a sentence that names what to fix (a
:class:`helpers.config.SentenceError`), never a traceback; and the page must print no figure the
input cannot support: a month it does not cover whole, a time-open band longer than a list
reaches back, a year to date that starts before it, each shown as the not-known mark with its
reason, never as a count. Published, no count of 1 to 4 is in any table it writes.

- Input kinds: the committed extract; generated native extracts (``generated_extracts``);
  the committed Annex A example; generated Annex A workbooks (``annex_a_workbooks``).
- Authorities: Coventry's config, and a generated config whose team and agency names are not
  Coventry's (``EARLYHELP_CONFIG_DIR``), with an extract renamed to match.
- Month positions (:data:`POSITIONS`): before the first record (refused), the first month,
  inside, the last whole month, a partial month (the extract was taken mid-month), after the
  extract (refused).

Notebooks run in this process (``in_process``): no kernel per case. A fixed core always runs
(the committed inputs at each position; the issue's public-sample list; another authority);
the generated inputs are sampled by hypothesis, derandomised, so that CI runs the same cases.
The batch itself, which costs some 10 s a run, runs only the few cases that concern it.

Cases and cost (measured on two shared cores): the fixed core, 58 cases (the committed
extract's six native sections and the committed list's five, the map among them, each at five
positions; the map on the committed extract at three), about 40 s; the sampled matrix, 60
hypothesis examples over both generated kinds, both authorities, all six positions and both
editions, about 45 s; two in-process cases of the issue that run in ``make test-fast``; the map
for another authority, 10 s; four batch runs, about 50 s. In all, about two and a half minutes
added to ``make test``. The matrix also found, while it was built, that the reconciliation
raised ``KeyError`` for a lead agency another council does not have, and that a chart raised
on a not-known month whose mark pandas had copied as plain text.

Closing note (what the matrix found while it was built, each now a case here): 02 raised
``KeyError: 'Action Plan completed NFA'`` on a list whose window held no whole month; 08 passed
a month's name where a month was expected (``'str' object has no attribute 'strftime'``);
another authority's team read "0 episodes open" (03) and failed the map (04) because the
notebooks' default was Coventry's team; "Total 989 CAFs open", bands 6-9 to 18+ months and
"open a year or more" were printed as counts from a six-month list; ``--month 2005-01`` and
``1899-01`` gave reports of zeros; a notebook run on a month after the extract printed zeros.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from annex_a_workbooks import ListShape, list_shapes, write_workbook
from generated_extracts import Shape, generate, shapes, write
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from in_process import NOTEBOOKS, Run, run_notebook

from helpers import metrics
from helpers.annex_a import load_any_extract
from helpers.config import PROJECT_ROOT, SentenceError
from helpers.coverage import CoverageError, coverage_of, not_known_mark
from helpers.extract import SYNTHETIC_DIR, save_validated
from helpers.formats import long_date
from helpers.preflight import RefusedError, check_first_record
from helpers.report import SectionNotHeld

EXAMPLE = PROJECT_ROOT / "data" / "raw" / "synthetic_annex_a" / "annex_a_example.xlsx"
POSITIONS = ("before", "first", "inside", "last", "partial", "after")
#: Sections every input feeds; the map, families, budget and reconciliation need what a list lacks.
LIST_SECTIONS = (
    "01_open_by_lead_agency",
    "02_opened_closed_outcomes",
    "03_cff_caseload_by_time_open",
    "08_demographics",
)
NATIVE_SECTIONS = (
    "01_open_by_lead_agency",
    "02_opened_closed_outcomes",
    "03_cff_caseload_by_time_open",
    "05_strengthening_families",
    "06_budget",
    "07_reconciliation",
)
#: The count columns of each table a section writes (published: none may hold 1 to 4).
COUNT_COLUMNS = {
    "open_by_lead_agency": ["episodes"],
    "open_by_holder": ["episodes"],
    "open_by_organisation": ["episodes"],
    "refusals": ["refusals_ytd"],
    "opened_closed_by_month": ["opened", "closed"],
    "outcomes_by_month": ["episodes"],
    "outcomes_ytd": ["episodes"],
    "time_open_bands": ["episodes"],
    "families_eligibility": ["families", "not_assessed", "assessed", "meeting_criteria"],
    "demographics": ["open", "started"],
}
RENAMED = {"Children & Families First": "Family Hub", "Children's Centre": "Family Centre"}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Input:
    """An input ready for notebooks (validated once, as the batch does) and its span."""

    data_dir: Path
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    started_only: bool
    budget_year: str | None  # the financial year its budget is for, where it records one


def prepared(path: Path, folder: Path) -> Input:
    extract = load_any_extract(path)
    save_validated(extract, folder)
    return Input(
        folder,
        extract.episodes["start_date"].min(),
        pd.Timestamp(extract.taken_on),
        extract.covers_from is not None,
        coverage_of(extract).budget_financial_year,
    )


@contextlib.contextmanager
def authority(config_dir: Path | None) -> Iterator[None]:
    """Run as another council (its config folder), or as the repository's own."""
    before = os.environ.get("EARLYHELP_CONFIG_DIR")
    if config_dir is not None:
        os.environ["EARLYHELP_CONFIG_DIR"] = str(config_dir)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("EARLYHELP_CONFIG_DIR", None)
        else:
            os.environ["EARLYHELP_CONFIG_DIR"] = before


def renamed_config(folder: Path) -> Path:
    """A copy of the config whose team and an agency are not Coventry's names."""
    shutil.copytree(PROJECT_ROOT / "config", folder)
    for name in ("categories.yaml", "annex_a.yaml"):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        for old, new in RENAMED.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return folder


def renamed_extract(folder: Path) -> Path:
    """The committed extract with the renamed config's names (no manifest: dated by its files)."""
    folder.mkdir(parents=True)
    for source in SYNTHETIC_DIR.glob("*.csv"):
        text = source.read_text(encoding="utf-8")
        for old, new in RENAMED.items():
            text = text.replace(old, new)
        (folder / source.name).write_text(text, encoding="utf-8")
    taken = dt.datetime(2016, 3, 31, 12).timestamp()
    for path in folder.iterdir():
        os.utime(path, (taken, taken))
    return folder


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="run-matrix-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def committed(workspace: Path) -> dict[str, Input]:
    return {
        "committed extract": prepared(SYNTHETIC_DIR, workspace / "committed"),
        "committed Annex A example": prepared(EXAMPLE, workspace / "example"),
    }


@pytest.fixture(scope="module")
def other_authority(workspace: Path) -> tuple[Path, Input]:
    config = renamed_config(workspace / "other-config")
    with authority(config):
        return config, prepared(renamed_extract(workspace / "other-extract"), workspace / "oth")


# --------------------------------------------------------------------------- positions


def month_at(position: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.Period | None:
    """The report month at ``position`` for an input covering ``first`` to ``last``; None
    where the input has no such month (a list of one month has no month inside it)."""
    first_month, last_month = pd.Period(first, freq="M"), pd.Period(last, freq="M")
    whole_last = last_month if last.is_month_end else last_month - 1
    months = {
        "before": first_month - 1,
        "first": first_month,
        "inside": first_month + (whole_last - first_month).n // 2,
        "last": whole_last,
        "partial": None if last.is_month_end else last_month,
        "after": last_month + 1,
    }
    month = months[position]
    if position in ("inside", "last") and (month is None or month < first_month):
        return None
    if position == "inside" and month in (first_month, whole_last):
        return None
    return month


def parameters_at(notebook: str, month: pd.Period) -> dict[str, object]:
    if notebook == "07_reconciliation":
        return {}  # dated by the published documents it checks
    if notebook in ("03_cff_caseload_by_time_open", "04_open_episodes_by_lsoa"):
        return {"snapshot_date": month.end_time.date().isoformat()}
    return {"report_month": str(month)}


# --------------------------------------------------------------------------- what must hold


def run_case(notebook: str, given: Input, position: str, publish: bool, tables: Path) -> Run:
    month = month_at(position, given.first_day, given.last_day)
    assert month is not None
    parameters = parameters_at(notebook, month)
    tables.mkdir(parents=True, exist_ok=True)
    run = run_notebook(
        notebook,
        data_dir=str(given.data_dir),
        output_dir=str(tables),
        publish=publish,
        **parameters,
    )
    assert "Traceback" not in run.text, f"{notebook} {position}: a traceback on the page"
    if run.error is not None:
        assert isinstance(run.error, SentenceError), f"{notebook} {position}: {run.error!r}"
    dated = bool(parameters)
    if position in ("before", "after") and dated:  # refused, naming both dates
        assert isinstance(run.error, CoverageError), f"{notebook} {position}: {run.error!r}"
        assert long_date(given.first_day) in str(run.error), run.error
        return run
    year = metrics.financial_year_label(month)
    if notebook == "06_budget" and given.budget_year not in (None, year):
        assert isinstance(run.error, CoverageError), run.error  # a budget of another year
        assert given.budget_year in str(run.error) and year in str(run.error)
        return run
    if notebook == "04_open_episodes_by_lsoa" and given.started_only:
        assert isinstance(run.error, SectionNotHeld), run.error  # a list holds no homes
        return run
    assert run.error is None, f"{notebook} {position}: {run.error}"
    mark = not_known_mark()
    if mark in run.text:  # every page that shows the mark says what it means
        assert f"{mark} not known" in run.text or "not known" in run.text
    assert_no_figure_the_input_cannot_support(given, tables, parameters)
    if publish:
        assert_no_small_count_written(tables)
    return run


def _csv(tables: Path, name: str) -> pd.DataFrame | None:
    path = tables / f"{name}.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None


def assert_no_figure_the_input_cannot_support(given: Input, tables: Path, parameters: dict) -> None:
    """Each count that needs days before the first record is the mark, never a number."""
    mark = not_known_mark()
    months = _csv(tables, "opened_closed_by_month")
    if months is not None:
        for row in months.itertuples():
            if pd.Period(row.month, freq="M").start_time < given.first_day:
                assert (row.opened, row.closed) == (mark, mark), row
            else:
                assert mark not in (row.opened, row.closed), row
    bands = _csv(tables, "time_open_bands")
    if bands is not None:
        day = pd.Timestamp(parameters["snapshot_date"])
        unseen = pd.Series(pd.date_range(day - pd.DateOffset(months=20), given.first_day)[:-1])
        for label, _, upper in metrics.TIME_OPEN_BANDS:
            shown = bands.loc[bands["band"] == label, "episodes"].iloc[0]
            # A band needs the starts it could hold: on a list, any before its first record?
            needs_unseen = given.started_only and (
                upper is None or bool((metrics.completed_months(unseen, day) < upper).any())
            )
            assert (shown == mark) == needs_unseen, (label, shown)
    ytd = _csv(tables, "outcomes_ytd")
    if ytd is not None and "report_month" in parameters:
        april = metrics.financial_year_start(pd.Period(parameters["report_month"], freq="M"))
        if april < given.first_day:
            assert (ytd["episodes"] == mark).all(), ytd
    started = _csv(tables, "demographics")
    if started is not None and started["started_from"].ne("").all():
        assert (pd.to_datetime(started["started_from"]) >= given.first_day).all()


def assert_no_small_count_written(tables: Path) -> None:
    for name, columns in COUNT_COLUMNS.items():
        table = _csv(tables, name)
        for column in [c for c in columns if c in table] if table is not None else []:
            small = table[column][table[column].isin(["1", "2", "3", "4"])]
            assert small.empty, f"{name}.csv {column}: {list(small)}"


# --------------------------------------------------------------------------- the fixed core


#: Issue 20, case 1: like the public sample list, five assessments started 16-18 September
#: 2020, numeric ids, decimal ages under ``Age``, Excel dates, organisations in no group.
PUBLIC_SAMPLE = ListShape(
    first_day=dt.date(2020, 9, 16),
    days=2,
    rows=5,
    completed_share=0.4,
    age_header="Age",
    decimal_ages=True,
    ungrouped_share=0.6,
    taken_after=60,
)

CORE = [
    (kind, notebook, position)
    for kind, notebooks in (
        ("committed extract", NATIVE_SECTIONS),
        ("committed Annex A example", (*LIST_SECTIONS, "04_open_episodes_by_lsoa")),
    )
    for notebook in notebooks
    for position in ("before", "first", "inside", "last", "after")
] + [  # the map draws for seconds: once inside, and refused either side
    ("committed extract", "04_open_episodes_by_lsoa", position)
    for position in ("before", "inside", "after")
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "notebook", "position"), CORE)
def test_every_section_of_the_committed_inputs_at_every_position(
    committed, workspace, kind, notebook, position
):
    given = committed[kind]
    if month_at(position, given.first_day, given.last_day) is None:
        pytest.skip(f"{kind} has no {position} month")
    tables = workspace / "core" / kind / notebook / position
    run_case(notebook, given, position, publish=position == "inside", tables=tables)


def test_the_public_sample_list_of_five_assessments_gives_pages_not_crashes(workspace):
    """Issue 20, case 1: the public sample list, read and shown section by section."""
    given = prepared(write_workbook(PUBLIC_SAMPLE, workspace / "sample.xlsx"), workspace / "s")
    for notebook in (
        "02_opened_closed_outcomes",
        "08_demographics",
        "03_cff_caseload_by_time_open",
    ):
        run = run_case(notebook, given, "first", False, workspace / "sample-tables" / notebook)
        assert run.error is None
    bands = _csv(workspace / "sample-tables" / "03_cff_caseload_by_time_open", "time_open_bands")
    assert (bands["episodes"] == not_known_mark()).all()  # two days of starts: no band whole


def test_another_authority_sees_its_own_team_and_no_false_zero(other_authority, workspace):
    """Issue 20, case 2: the team renamed in a copy of the config and in the extract."""
    config, given = other_authority
    with authority(config):
        tables = workspace / "other-tables"
        run = run_case("03_cff_caseload_by_time_open", given, "inside", False, tables)
        month = month_at("inside", given.first_day, given.last_day)
        bands = _csv(tables, "time_open_bands")
    assert set(bands["lead_agency"]) == {"Family Hub"}
    total = int(pd.to_numeric(bands["episodes"]).sum())
    assert total > 0
    assert f"Family Hub: {total:,} episodes open" in run.text
    assert month is not None
    assert "Children & Families First" not in run.text.replace("&amp;", "&")


@pytest.mark.slow
@pytest.mark.reference
def test_another_authority_maps_its_own_team(other_authority, workspace, imd_mirror):
    config, given = other_authority
    with authority(config):
        run = run_case(
            "04_open_episodes_by_lsoa", given, "inside", True, workspace / "other-map" / "t"
        )
    assert "Family Hub" in run.text


# --------------------------------------------------------------------------- sampled


MATRIX_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@MATRIX_SETTINGS
@given(
    data=st.data(),
    kind=st.sampled_from(["generated native extract", "generated Annex A workbook"]),
    other=st.booleans(),
    position=st.sampled_from(POSITIONS),
    publish=st.booleans(),
)
def test_the_sampled_matrix(other_authority, data, kind, other, position, publish):
    config = other_authority[0] if other else None
    with tempfile.TemporaryDirectory() as folder, authority(config):
        folder = Path(folder)
        if kind == "generated native extract":
            shape = data.draw(shapes(), label="extract")
            source = write(folder / "extract", generate(shape))
            notebooks = NATIVE_SECTIONS
        else:
            shape = data.draw(list_shapes(), label="list")
            source = write_workbook(shape, folder / "list.xlsx")
            notebooks = LIST_SECTIONS
        notebook = data.draw(st.sampled_from(notebooks), label="notebook")
        try:
            given = prepared(source, folder / "validated")
        except SentenceError as refused:  # a list the reader refuses: no rows, blank ids
            assert kind == "generated Annex A workbook" and shape.refused, refused
            run = run_notebook(notebook, data_dir=str(source))
            assert isinstance(run.error, SentenceError) and "Traceback" not in run.text
            return
        if month_at(position, given.first_day, given.last_day) is None:
            return  # no such month in this input (a list of one month has none inside)
        run_case(notebook, given, position, publish, folder / "tables")


# --------------------------------------------------------------------------- through the batch


def batch(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.batch", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "EARLYHELP_NO_PROGRESS": "1", **(env or {})},
        check=False,
    )


@pytest.mark.slow
def test_the_batch_writes_the_sample_list_report_and_leaves_out_what_it_cannot_feed(tmp_path):
    workbook = write_workbook(PUBLIC_SAMPLE, tmp_path / "sample.xlsx")
    run = batch(
        "--month",
        "2020-09",
        "--data-dir",
        str(workbook),
        "--output-dir",
        str(tmp_path),
        "--jobs",
        "2",
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    report = tmp_path / "2020-09"
    pages = {p.stem for p in (report / "html").glob("*.html")}
    assert pages == set(LIST_SECTIONS)  # no page saying only what the list cannot show
    front = (report / "index.html").read_text(encoding="utf-8")
    assert "Sections left out" in front and "does not record the budget" in front
    log = (report / "run.log").read_text(encoding="utf-8")
    assert "data covers: 2020-09-16 to 2020-11-17" in log  # the first start to the list's date
    assert "left out" in log


@pytest.mark.slow
def test_the_batch_refuses_a_month_before_the_first_record_naming_both_dates(tmp_path):
    run = batch("--month", "2005-01", "--output-dir", str(tmp_path))
    assert run.returncode == 2, run.stderr
    assert "6 March 2009" in run.stderr and "31 January 2005" in run.stderr
    assert "before its first record" in run.stderr and "Traceback" not in run.stderr
    assert not list(tmp_path.glob("*-*"))  # no report, no failed run
    coverage = coverage_of(load_any_extract(SYNTHETIC_DIR))
    plan = {"01_open_by_lead_agency": {"report_month": "1899-01"}}
    with pytest.raises(RefusedError, match="31 January 1899, before its first record"):
        check_first_record(plan, NOTEBOOKS, coverage, "--month 1899-01")


@pytest.mark.slow
def test_a_month_with_nothing_recorded_is_reported_with_a_note_and_a_warning(tmp_path):
    shape = Shape(first_day=dt.date(2014, 1, 1), months=12, empty_months=(5,), refusals=0)
    source = write(tmp_path / "extract", generate(shape))
    edition = tmp_path / "quiet.yaml"
    edition.write_text(
        "name: A quiet month\nperiod: 2014-06\nnotebooks:\n"
        "  02_opened_closed_outcomes:\n    report_month: 2014-06\n",
        encoding="utf-8",
    )
    reports = tmp_path / "reports"  # beside the edition, not its commentary folder (quiet/)
    run = batch("--edition", str(edition), "--data-dir", str(source), "--output-dir", str(reports))
    assert run.returncode == 0, run.stderr
    assert "Nothing was recorded in June 2014" in run.stdout
    page = (reports / "quiet" / "html" / "02_opened_closed_outcomes.html").read_text("utf-8")
    assert "Nothing was recorded in June 2014" in page


@pytest.mark.slow
def test_publishing_asks_commentary_only_for_the_sections_shown(tmp_path):
    edition = tmp_path / "inspection.yaml"
    edition.write_text(
        "name: Inspection\nperiod: 2016-03\n"
        f"data_dir: {EXAMPLE.relative_to(PROJECT_ROOT)}\nnotebooks:\n"
        "  01_open_by_lead_agency:\n    report_month: 2016-03\n"
        "  05_strengthening_families:\n    report_month: 2016-03\n",
        encoding="utf-8",
    )
    commentary = tmp_path / "inspection"
    commentary.mkdir()
    parts = "\n\n".join(
        f"## {part}\n\nWritten."
        for part in (
            "Statistical commentary",
            "Operational commentary",
            "Actions to improve",
            "Indicator owner",
        )
    )
    (commentary / "01_open_by_lead_agency.md").write_text(parts, encoding="utf-8")
    run = batch("--edition", str(edition), "--publish", "--output-dir", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr  # 05 is left out: no commentary asked for it
    front = (tmp_path / "out" / "inspection-published" / "index.html").read_text("utf-8")
    assert "Strengthening Families" in front and "does not record which children" in front
