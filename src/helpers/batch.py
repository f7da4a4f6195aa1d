"""The monthly batch: every notebook for a report month (or a named edition), run by Papermill.

Floor 7, the top: it validates the extract (``extract``), derives the dates (``period``) and runs
the notebooks; nothing in ``helpers`` imports it but the development tools.

    python -m helpers.batch --month 2015-09
    python -m helpers.batch --edition config/editions/board-2015-10.yaml
    python -m helpers.batch --edition config/editions/board-2015-10.yaml --publish
    python -m helpers.batch --month 2016-02 -p rolling_window_months 6

writes ``<output-dir>/<edition>/`` (the edition file's name, or the month of a --month run)
with ``notebooks/`` (executed), ``html/`` (code hidden, for reviewers), ``tables/`` (tidy CSVs),
``run.log`` (how the report was made) and ``report.json`` (what made it). Before any
notebook runs, the parameters are checked against the notebooks, the extract is validated and
the period is checked against the extract's date (see ``helpers.preflight``); a refusal exits
with status 2 and writes nothing. The report is built in a temporary folder and moved into place
only when every notebook succeeded, so a failed or interrupted run leaves the previous report for
that edition as it was; a failed run is kept in ``<edition>.failed/``, with its ``run.log``.
``--publish`` applies statistical disclosure control to every table and chart, every page of
the edition together and against the reports published before it in the output folder (pages
that must hide more are rerun: ``helpers.edition_disclosure``), and writes
``<output-dir>/<edition>-published/`` with ``disclosure.json``. Each good run rewrites
``<output-dir>/index.html``, the list of every report in the folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import papermill
from tqdm import tqdm

from helpers.annex_a import not_held_sentence
from helpers.commentary import (
    CommentaryError,
    commentary_folder,
    commentary_warnings,
    missing_commentary,
)
from helpers.config import PROJECT_ROOT
from helpers.coverage import (
    Coverage,
    CoverageError,
    budget_year_problem,
    nothing_recorded,
)
from helpers.database import (
    PASSWORD_ENV,
    DatabaseProblem,
    is_database_url,
    refuse_password_in_url,
)
from helpers.disclosure_record import (
    PublishedCounts,
    RecordError,
    StagedPages,
    read_published_counts,
    report_record_json,
    write_report_record,
)
from helpers.edition_disclosure import (
    EditionNotSettled,
    PagesDisagree,
    Protection,
    protection_warnings,
    settle_edition,
)
from helpers.edition_pages import (
    INDEX,
    REPORT_RECORD,
    EditionFacts,
    PageError,
    read_report_record,
    section_name,
    write_edition,
    write_reports_index,
)
from helpers.extract import (
    ExtractError,
    extract_settings,
    save_validated,
)
from helpers.extract_checks import last_activity_date
from helpers.inputs import FORMATS, input_location, load_any_extract
from helpers.kernels import BatchKernelManager, allow_kernels, stop_all_kernels, with_environment
from helpers.outputs import warnings_path, write_csv
from helpers.period import ReportPeriod
from helpers.preflight import (
    RefusedError,
    apply_overrides,
    as_month,
    check_coverage,
    check_first_record,
    check_plan,
    extract_date,
    load_yaml_text,
    stale_warning,
)
from helpers.provenance import data_source
from helpers.runguard import (
    AlreadyRunning,
    RunLock,
    claim_partial,
    folder_locked,
    publish_mode,
    release_partial,
    remove_stale_partials,
    report_folder_problem,
    run_in_child,
    signals_deferred,
    stop_on_signals,
)
from helpers.runlog import LOG_NAME, NotebookRun, RunLog, capture_warnings, code_version, running

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / "reports"
#: Where a ``--publish`` run goes: beside the analysts' edition of the same period.
PUBLISHED_SUFFIX = "-published"
KERNEL = "python3"


def monthly_plan(month: str | pd.Period | ReportPeriod) -> dict[str, dict]:
    """Per-notebook parameters for a report month: snapshots at its end, windows ending with it."""
    period = month if isinstance(month, ReportPeriod) else ReportPeriod.of(month)
    # A section dated by the month derives its dates from it (helpers.period.report_dates);
    # one dated by a day is counted on the month's last day.
    by_month, by_day = {"report_month": period.name}, {"snapshot_date": period.end_iso}
    plan = {
        "01_open_by_lead_agency": by_month,
        "02_opened_closed_outcomes": by_month,
        "03_cff_caseload_by_time_open": by_day,
        "04_open_episodes_by_lsoa": by_day,
        "05_strengthening_families": by_month,
        "06_budget": by_month,
        "08_demographics": by_month,
    }
    return {
        name: dict(params)
        for name, params in plan.items()
        if (NOTEBOOKS_DIR / f"{name}.ipynb").exists()
    }


@dataclass
class Edition:
    """A named edition: its period and each notebook's parameters, as its file gives them."""

    name: str
    period: str  # the report month, YYYY-MM
    notebooks: dict[str, dict]
    #: The extract the edition is made from (``data_dir`` in its file, from the repository's
    #: root), when it names one; ``--data-dir`` overrides it. None: the synthetic extract.
    data_dir: str | None = None
    #: The edition file, which names the report's folder (``board-2015-10.yaml`` ->
    #: ``reports/board-2015-10/``).
    path: Path | None = None

    @property
    def report_period(self) -> ReportPeriod:
        return ReportPeriod.of(self.period)

    @classmethod
    def load(cls, path: str | Path) -> Edition:
        """Read an edition; dates stay text here, to be checked (and named) by the preflight.

        A file that is not an edition (empty, a list, a key missing or of the wrong kind) is a
        :class:`RefusedError` naming the file and the key.
        """
        path = Path(path)
        refuse_month_named_edition(path)
        raw = _edition_mapping(path)
        return cls(
            name=_edition_text(raw, "name", path),
            period=_edition_period(raw, path),
            notebooks=_edition_notebooks(raw, path),
            data_dir=_edition_data_dir(raw, path),
            path=path,
        )


#: The keys of an edition file: what each must hold, for the refusal that names a wrong one.
EDITION_KEYS = {
    "name": "the edition's name, as its readers know it (text)",
    "period": "the report month, YYYY-MM",
    "notebooks": "each notebook of the edition, with its parameters (a mapping)",
}
#: A name that reads as a bare report month (``2016-03``): the folder of a --month run.
MONTH_LIKE = re.compile(r"^\d{4}-\d{1,2}$")


def refuse_month_named_edition(path: Path) -> None:
    """An edition's report goes to a folder named after its file, and a --month run's to one
    named after the month, so an edition file named like a month (or like a published or failed
    run's folder) could overwrite another report: refused, with the name to choose instead."""
    stem = path.stem
    reason = ""
    if MONTH_LIKE.match(stem):
        reason = f"reads as a report month, and the --month {stem} run's report has that folder"
    elif stem.endswith(PUBLISHED_SUFFIX) or stem.endswith(".failed"):
        reason = "ends like the folder of a published or failed run"
    elif stem.startswith("."):
        reason = "starts with a dot, as the batch's own hidden files do"
    if reason:
        raise RefusedError(
            f"{path}: an edition's report is written to a folder named after its file, and this "
            f"file's name {reason}. Rename the file to say what the edition is, as the shipped "
            "ones do (board-2015-10.yaml, cabinet-2016-03.yaml), and its commentary folder "
            "beside it to match."
        )


def _edition_mapping(path: Path) -> dict:
    if path.is_dir():
        raise RefusedError(f"{path} is a folder: give the edition's file (a .yaml file).")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RefusedError(
            f"{path}: there is no such edition file (the shipped editions are in "
            f"{PROJECT_ROOT / 'config' / 'editions'})."
        ) from None
    except UnicodeDecodeError as error:
        raise RefusedError(
            f"{path}: the edition file is not UTF-8 text ({error.reason} at byte "
            f"{error.start}): save it as UTF-8."
        ) from None
    except OSError as error:
        raise RefusedError(f"{path}: the edition file cannot be read ({error.strerror}).") from None
    raw = load_yaml_text(text, str(path))
    if not isinstance(raw, dict):
        held = "nothing" if raw is None else f"a {_yaml_kind(raw)}"
        raise RefusedError(
            f"{path}: an edition file holds the keys {', '.join(EDITION_KEYS)}, but this one "
            f"holds {held}. Write each key on its own line ('name: ...')."
        )
    return raw


def _yaml_kind(value: object) -> str:
    if isinstance(value, dict):
        return "mapping"
    return "list" if isinstance(value, list) else f"single value ({value!r})"


def _refuse_key(path: Path, key: str, value: object) -> RefusedError:
    if value is None:
        found = "is missing"
    elif value in ({}, "", []):
        found = "is empty"
    else:
        found = f"holds a {_yaml_kind(value)}"
    return RefusedError(f"{path}: the key {key!r} {found}; give {EDITION_KEYS[key]}.")


def _edition_text(raw: dict, key: str, path: Path) -> str:
    value = raw.get(key)
    if isinstance(value, (dict, list)) or value is None or not str(value).strip():
        raise _refuse_key(path, key, value)
    return str(value).strip()


def _edition_period(raw: dict, path: Path) -> str:
    value = _edition_text(raw, "period", path)
    try:  # an edition's own period may be loose (2015-9); a notebook's dates may not
        return ReportPeriod.of(value).name
    except (ValueError, TypeError):
        return str(as_month(value, f"{path}: period"))  # refuses, naming it


def _edition_notebooks(raw: dict, path: Path) -> dict[str, dict]:
    listed = raw.get("notebooks")
    if not isinstance(listed, dict) or not listed:
        raise _refuse_key(path, "notebooks", listed)
    notebooks = {}
    for name, params in listed.items():
        if params is not None and not isinstance(params, dict):
            raise RefusedError(
                f"{path}: notebook {name} holds a {_yaml_kind(params)}; give its parameters as "
                "a mapping ('report_month: 2015-09', one a line, indented under it), or {}."
            )
        if not (NOTEBOOKS_DIR / f"{name}.ipynb").exists():
            raise FileNotFoundError(f"{path}: edition names notebook {name}, not in notebooks/")
        notebooks[str(name)] = dict(params or {})
    return notebooks


def _edition_data_dir(raw: dict, path: Path) -> str | None:
    value = raw.get("data_dir")
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        raise RefusedError(
            f"{path}: the key 'data_dir' holds a {_yaml_kind(value)}; give the extract's path "
            "(a folder or an .xlsx file) from the repository's root, or a database URL."
        )
    if is_database_url(str(value)):  # a URL, as given: never a path under the root
        refuse_password_in_url(str(value), f"{path}: the key 'data_dir'")
        return str(value).strip()
    return str(PROJECT_ROOT / str(value))


@dataclass
class Outcome:
    notebook: str
    ok: bool
    seconds: float
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    #: Why the section was left out of the edition (the input cannot feed it); "" if it ran.
    left_out: str = ""


class BatchError(RuntimeError):
    pass


#: What each section cannot do without (see ``helpers.annex_a.NOT_HELD``), the first being what
#: every figure of it needs. A section whose extract lacks that is left out of the edition: it
#: gets no page, and the edition's front page says which sections were left out and why.
SECTION_NEEDS = {
    "04_open_episodes_by_lsoa": ("address",),
    "05_strengthening_families": ("family",),
    "06_budget": ("budget",),
    "07_reconciliation": ("closure_reason", "refusals", "family"),
    "08_demographics": ("demographics",),
}


def sections_not_shown(plan: dict[str, dict], source: dict) -> dict[str, list[str]]:
    """The sections of ``plan`` the extract cannot feed: notebook -> what it lacks, in words.

    The budget is left out, too, of a month in another financial year than its own.
    """
    absent = set(source.get("absent", ()))
    found = {
        name: [not_held_sentence(source.get("kind", ""), need) for need in needs if need in absent]
        for name, needs in SECTION_NEEDS.items()
        if name in plan and absent.issuperset(needs[:1])
    }
    month = plan.get("06_budget", {}).get("report_month")
    coverage = Coverage.from_record(source.get("coverage"))
    if "06_budget" not in found and month and (problem := budget_year_problem(coverage, month)):
        found["06_budget"] = [problem]
    return found


def section_title(name: str) -> str:
    """A section's name as its page heads it (the notebook's first heading)."""
    return section_name(nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4), name)


def _refuse_uncovered(plan: dict[str, dict], data: dict, source: str) -> list[str]:
    """Refuse what the extract cannot give; the warnings about what it gives as zero.

    A period that ends before the extract's first record would be all zeros (refused, with both
    dates); a report month inside the extract in which nothing at all was recorded is
    reported, with a warning.
    """
    coverage = Coverage.from_record(data.get("coverage"))
    check_first_record(plan, NOTEBOOKS_DIR, coverage, source)
    quiet = set(data.get("months_without_activity", ()))
    months = sorted({str(v) for p in plan.values() for k, v in p.items() if k == "report_month"})
    return [nothing_recorded(month, coverage) for month in months if month in quiet]


def left_out(name: str, reasons: list[str]) -> Outcome:
    """A section left out of the edition: no page, and the run log and front page say why."""
    why = " ".join(reasons)
    return Outcome(name, True, 0.0, parameters={"left out": why}, left_out=why)


def _stringify(params: dict) -> dict:
    return {
        key: (value.isoformat() if isinstance(value, dt.date) else value)
        for key, value in params.items()
    }


def _validate(
    data: Path | str,
    folder: Path,
    tables: Path,
    allow_invalid: bool,
    publish: bool = False,
    data_format: str = "auto",
) -> tuple[dict, list[str], tuple[dt.date, str], dt.date | None]:
    # raises, listing every problem
    extract = load_any_extract(data, allow_invalid, data_format, refused_rows=folder / REFUSED_ROWS)
    save_validated(extract, folder)
    if allow_invalid:  # what was left out, and counts that reconcile
        if not publish:  # row by row, with values: for the analyst, never for publication
            write_csv(extract.excluded, tables / "data_quality.csv")
        write_csv(extract.row_counts, tables / "data_quality_counts.csv")
    if len(extract.notes) and not publish:  # valid rows worth a look, for the analyst only
        write_csv(extract.notes, tables / "data_quality_notes.csv")
    last_activity = last_activity_date(extract.episodes, extract.refusals)
    return (
        data_source(extract),
        list(extract.warnings),
        extract_date(extract),
        last_activity,
    )


def _validate_in_child(
    data: Path | str,
    folder: Path,
    tables: Path,
    allow_invalid: bool = False,
    publish: bool = False,
    data_format: str = "auto",
) -> tuple[dict, list[str], tuple[dt.date, str], dt.date | None]:
    """Validate once, before any notebook runs, and leave a typed copy for the notebooks.

    A short-lived child process does it, so that the memory validation needs goes back to the
    system before the kernels start (a large extract would otherwise stay resident here). The
    child dies with the batch and is killed when the run is stopped (``helpers.runguard``).
    """
    return run_in_child(_validate, data, folder, tables, allow_invalid, publish, data_format)


def run_notebook(
    name: str,
    params: dict,
    staging: Path,
    data_source: dict,
    data_dir: Path,
    publish: bool = False,
    pages: StagedPages | None = None,
) -> Outcome:
    """Execute one notebook into ``staging`` and render its HTML; never raises.

    With ``pages`` (a published run), the notebook writes its tables and its page's record of
    counts to a folder of its own (:class:`helpers.disclosure_record.StagedPages`).
    """
    with running(name):  # library warnings logged meanwhile are this notebook's
        return _run_notebook(name, params, staging, data_source, data_dir, publish, pages)


def _run_notebook(
    name: str,
    params: dict,
    staging: Path,
    data_source: dict,
    data_dir: Path,
    publish: bool,
    pages: StagedPages | None = None,
) -> Outcome:
    started = dt.datetime.now()
    executed = staging / "notebooks" / f"{name}.ipynb"
    tables = pages.tables_of(name) if pages else staging / "tables"
    kernels = with_environment(pages.environment(name)) if pages else BatchKernelManager
    parameters = {
        "data_dir": str(data_dir),
        "output_dir": str(tables),
        **_stringify(params),
        "publish": publish,
    }
    try:
        papermill.execute_notebook(
            str(NOTEBOOKS_DIR / f"{name}.ipynb"),
            str(executed),
            parameters=parameters,
            # The kernel's working folder, given to the kernel alone: papermill's own ``cwd``
            # changes this process's folder, which notebooks run side by side (--jobs) would
            # race for, leaving the batch in whichever folder was restored last.
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
            kernel_name=KERNEL,
            progress_bar=False,
            report_mode=False,
            kernel_manager_class=kernels,
        )
        nb = nbformat.read(executed, as_version=4)
        nb.metadata["earlyhelp"] = {"data_source": data_source, "parameters": parameters}
        nbformat.write(nb, executed)
    except papermill.PapermillExecutionError as error:
        message = f"cell {error.exec_count}: {error.ename}: {error.evalue}"
        return Outcome(name, False, _seconds(started), message, parameters=parameters)
    except Exception as error:  # a kernel that died, a rendering failure
        message = f"{type(error).__name__}: {error}"
        return Outcome(name, False, _seconds(started), message, parameters=parameters)
    warnings = _collect_warnings(tables, name) + _stderr_warnings(nb, name)
    return Outcome(name, True, _seconds(started), warnings=warnings, parameters=parameters)


def _seconds(started: dt.datetime) -> float:
    return (dt.datetime.now() - started).total_seconds()


def _collect_warnings(tables: Path, name: str) -> list[str]:
    path = warnings_path(tables, name)
    if not path.exists():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.unlink()
    return [f"{name}: {line}" for line in lines]


def _stderr_warnings(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """What a notebook's code wrote to stderr (a library's warning, say): a warning of the run."""
    found = []
    for index, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = " ".join(
                    line.strip() for line in output["text"].splitlines() if line.strip()
                )
                found.append(f"{name}: cell {index} wrote to stderr: {text}")
    return found


def _replace_atomically(staging: Path, final: Path) -> None:
    """Move the finished report into place; an earlier report of the period goes only after."""
    final.parent.mkdir(parents=True, exist_ok=True)
    previous = final.with_name(f".{final.name}.previous")
    if previous.is_symlink():  # left by a version that swapped a linked report folder
        previous.unlink()
    elif previous.exists():
        shutil.rmtree(previous)
    if final.exists():
        final.rename(previous)
    release_partial(staging)
    publish_mode(staging)  # mkdtemp made it 0700: colleagues read reports as the umask allows
    staging.rename(final)
    if previous.exists():
        shutil.rmtree(previous)


@dataclass(frozen=True)
class ReportMaking:
    """What a run records of itself in its report: the month, and what made it."""

    report_month: str  # YYYY-MM
    made_by: str  # "--edition <file>" or "--month YYYY-MM"
    commentary_warnings: list[str]


def report_folder_name(period: str, edition: str | Path | None, publish: bool) -> str:
    """A report's folder: the edition file's name (``board-2015-10``) or, for a --month run, the
    month (``2016-03``); ``-published`` after it for the published edition. Edition files may
    not be named like a month (:func:`refuse_month_named_edition`), so the two never meet."""
    base = Path(edition).stem if edition is not None else period
    return f"{base}{PUBLISHED_SUFFIX}" if publish else base


def made_by(period: str, edition: str | Path | None) -> str:
    """What made a report, as its record keeps it: the same again replaces it. An edition of
    the repository is named from its root, so that another clone's run of it is the same."""
    if edition is None:
        return f"--month {period}"
    path = Path(edition).resolve()
    if path.is_relative_to(PROJECT_ROOT):
        path = path.relative_to(PROJECT_ROOT)
    return f"--edition {path}"


def _read_commentary_first(commentary: str | Path | None, plan: dict[str, dict]) -> list[str]:
    """Read the edition's commentary before any notebook runs: its warnings (a file saved in
    Windows-1252); a file that cannot be read is refused now, not after every notebook ran."""
    if commentary is None:
        return []
    try:
        return commentary_warnings(Path(commentary), list(plan))
    except CommentaryError as error:
        raise RefusedError(str(error)) from None


def _refuse_unsafe_report_folder(final: Path, inputs: list[Path], making: str) -> None:
    """Refuse a report folder that is a link, holds or lies in an input, or holds another
    edition's report (see :func:`helpers.runguard.report_folder_problem`)."""
    problem = report_folder_problem(final, inputs)
    if problem:
        raise RefusedError(problem)
    if not final.is_dir() or not any(final.iterdir()):
        return
    record = read_report_record(final)
    if record is None:
        raise RefusedError(
            f"{final} already holds files but no record ({REPORT_RECORD}) of a report this batch "
            "made (an earlier version's report, or another folder). A run replaces its report "
            "folder whole, so this one is left as it is: move or remove it, or choose another "
            "output folder (--output-dir). Nothing was written."
        )
    if record.made_by != making:
        raise RefusedError(
            f"{final} holds another report, {record.name} ({record.which.lower()} edition, "
            f"{record.period_words}, produced {record.produced}), made by "
            f"{record.made_by or 'a run that did not record it'}. This run ({making}) would "
            "replace it, so it is refused: give the edition file a name of its own, or choose "
            "another output folder (--output-dir). Nothing was written."
        )


def _rewrite_reports_index(output: Path) -> None:
    """Rewrite ``<output>/index.html`` after a good run, one run at a time; the report is
    written whatever happens to the index, so a failure here is said, not raised."""
    try:
        with folder_locked(output):
            write_reports_index(output)
    except OSError as error:
        print(
            f"The report was written, but the list of reports in {output} ({INDEX}) could not "
            f"be rewritten: {error.strerror or error}.",
            file=sys.stderr,
        )


def run_batch(
    plan: dict[str, dict],
    period: str,
    data_dir: str | Path | None = None,
    output_dir: str | Path = DEFAULT_OUTPUT_DIR,
    jobs: int = 1,
    strict: bool = False,
    title: str | None = None,
    progress: bool = True,
    allow_invalid: bool = False,
    publish: bool = False,
    partial_month: bool = False,
    command: str | None = None,
    source: str = "the plan",
    commentary: str | Path | None = None,
    data_format: str = "auto",
    edition: str | Path | None = None,
) -> Path:
    """Run ``plan`` (notebook -> parameters) and publish ``<output_dir>/<folder>``.

    The folder is the edition file's name (``board-2015-10.yaml`` -> ``board-2015-10``) when
    ``edition`` names the file the plan came from, else the period (``--month``). With
    ``publish``, every notebook applies disclosure control (``helpers.figures``) and the report
    goes to ``<folder>-published``, beside the analysts' own edition. A run replaces only a
    report made by the same edition (or month): anything else in its folder, and a folder that
    is a link or holds its input, is refused (:class:`RefusedError`), as is a period that ends
    after the extract's date unless ``partial_month``; ``source`` names where the plan came
    from in that message. Every run that starts notebooks leaves ``run.log`` in the report (or
    in ``<folder>.failed/``), and each good run rewrites ``<output_dir>/index.html``.
    """
    notes = _read_commentary_first(commentary, plan)
    making = ReportMaking(period, made_by(period, edition), notes)
    period = report_folder_name(period, edition, publish)
    if publish:
        # Sections every input feeds need their commentary whatever it holds: asked before any
        # folder is made. The others are asked once the extract says whether they are shown.
        _refuse_missing_commentary(commentary, [n for n in plan if n not in SECTION_NEEDS])
    data = input_location(data_dir)  # a database URL stays text: it is no path
    output = Path(output_dir).resolve()
    output.mkdir(parents=True, exist_ok=True)
    final = output / period
    # One run per period and folder: a second is refused (AlreadyRunning) before it writes.
    with RunLock(output, period):
        files = [data] if isinstance(data, Path) else []
        inputs = [*files, *(Path(p) for p in (commentary, edition) if p is not None)]
        _refuse_unsafe_report_folder(final, inputs, making.made_by)
        return _run_locked(
            plan,
            period,
            data,
            output,
            final,
            jobs,
            strict,
            title,
            progress,
            allow_invalid,
            publish,
            partial_month,
            command,
            source,
            commentary,
            data_format,
            making,
        )


def _run_locked(
    plan: dict[str, dict],
    period: str,  # the report's folder: the edition file's name, or the month (-published)
    data: Path | str,  # the input: a file or folder, or a database URL (no password)
    output: Path,
    final: Path,
    jobs: int,
    strict: bool,
    title: str | None,
    progress: bool,
    allow_invalid: bool,
    publish: bool,
    partial_month: bool,
    command: str | None,
    source: str,
    commentary: str | Path | None,
    data_format: str = "auto",
    making: ReportMaking | None = None,
) -> Path:
    making = making or ReportMaking(period, made_by(period, None), [])
    started = time.time()
    remove_stale_partials(output, started)  # left by runs that were killed (SIGKILL)
    # What the reports published before this one printed: a record that cannot be read is
    # refused now, before any notebook runs.
    earlier, unrecorded = _published_before(output) if publish else ([], [])
    allow_kernels()
    log = RunLog(
        command=command or f"run_batch() from Python, in: {shlex.join(sys.argv)}",
        title=title or period,
        period=making.report_month,
        data=data,
        made_by=making.made_by,
        warnings=[*making.commentary_warnings, *unrecorded],
    )
    staging = Path(tempfile.mkdtemp(prefix=f".{period}.partial-", dir=output))
    claim_partial(staging)
    for sub in ("notebooks", "html", "tables"):
        (staging / sub).mkdir()
    outcomes: list[Outcome] = []
    try:
        validated = staging / ".validated-extract"
        try:
            log.data_source, extract_warnings, (taken, how), last_activity = _validate_in_child(
                data, validated, staging / "tables", allow_invalid, publish, data_format
            )
        except ExtractError as error:  # the full list of problems, kept for the analyst
            raise _keep_refused(error, staging, output / f"{period}.failed", log) from None
        # Sections the extract cannot feed (an Annex A list has no budget) are left out.
        for name, reasons in sections_not_shown(plan, log.data_source).items():
            outcomes.append(left_out(name, reasons))
        plan = {name: p for name, p in plan.items() if name not in {o.notebook for o in outcomes}}
        if publish:  # commentary is asked for the sections shown, and only those
            _refuse_missing_commentary(commentary, plan)
        quiet_months = _refuse_uncovered(plan, log.data_source, source)
        log.partial_month = check_coverage(plan, NOTEBOOKS_DIR, taken, how, source, partial_month)
        log.warnings += extract_warnings + quiet_months
        stale = stale_warning(
            plan, NOTEBOOKS_DIR, last_activity, extract_settings().stale_after_days
        )
        log.warnings += [stale] if stale else []
        pages = StagedPages(staging) if publish else None
        if pages and earlier:  # hidden before, hidden again: a monthly series reruns no page
            pages.hand_back(set().union(*(record.hidden for record in earlier)))
        notebooks = _Notebooks(plan, staging, log.data_source, validated, publish, jobs, progress)
        with capture_warnings(log.warnings):
            ran = notebooks.run(list(plan), f"{period} notebooks", pages)
            outcomes += ran
            protection = None
            if pages and all(o.ok for o in ran):
                kept = output / f"{period}.failed"
                outcomes, protection = _protect_edition(
                    notebooks, pages, outcomes, earlier, log, kept
                )
        shutil.rmtree(validated)
        if pages:  # they hold the values of hidden counts: never kept, even for debugging
            pages.remove_records()
        log.notebooks = [
            NotebookRun(o.notebook, o.parameters, o.ok, o.seconds, o.error) for o in outcomes
        ]
        log.warnings += [w for o in sorted(outcomes, key=lambda o: o.notebook) for w in o.warnings]
        failed = [o for o in outcomes if not o.ok]
        if failed or (strict and log.warnings):
            kept = _keep_failed(staging, output / f"{period}.failed", log, failed)
            if failed:
                lines = "\n".join(f"  - {o.notebook}: {o.error}" for o in failed)
                raise BatchError(
                    f"{len(failed)} notebook(s) failed; the report for {period} was not written "
                    f"(any earlier one is unchanged).\n{lines}\n"
                    f"Executed copies for debugging, and the run log: {kept}"
                )
            raise BatchError(
                f"--strict: the run had {len(log.warnings)} warning(s), so the report was not "
                "written (any earlier one is unchanged); fix them or run without --strict:\n"
                + "\n".join(f"  - {w}" for w in log.warnings)
                + f"\nThe run, with its log: {kept}"
            )
        if pages and protection:  # each page's tables into the report's, and what it printed
            _record_what_was_published(pages, protection, staging, period)
        facts = EditionFacts(
            title=title or "Early Help performance report",
            period=making.report_month,
            produced=log.started,
            data_source=log.data_source,
            code_version=code_version(),
            publish=publish,
            warnings=log.warnings,
            commentary=Path(commentary) if commentary else None,
            partial_since=taken if log.partial_month else None,
            made_by=making.made_by,
            left_out={section_title(o.notebook): o.left_out for o in outcomes if o.left_out},
        )
        try:  # the pages (html/) and the front page, with the edition's header
            write_edition(staging, facts)
        except PageError as error:
            kept = _keep_failed(staging, output / f"{period}.failed", log, [], reason=str(error))
            raise BatchError(
                f"Every notebook ran, but {error}; the report for {period} was not written (any "
                f"earlier one is unchanged). The executed notebooks and the run log: {kept}"
            ) from error
        log.result = f"written to {final}"
        log.write(staging)
        with signals_deferred():  # a stop now would leave the period without its report
            _replace_atomically(staging, final)
        # A failed run of the period kept for debugging is out of date beside a good report.
        shutil.rmtree(output / f"{period}.failed", ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _rewrite_reports_index(output)
    _print_summary(final, log.title, outcomes, log.warnings, log.partial_month)
    return final


@dataclass
class _Notebooks:
    """The run's notebooks, run a few at a time; a stop (a signal, Control-C) ends them all."""

    plan: dict[str, dict]
    staging: Path
    data_source: dict | None
    validated: Path
    publish: bool
    jobs: int
    progress: bool

    def run(self, names: list[str], what: str, pages: StagedPages | None) -> list[Outcome]:
        outcomes = []
        pool = ThreadPoolExecutor(max_workers=max(1, self.jobs))
        try:
            futures = [
                pool.submit(
                    run_notebook,
                    name,
                    self.plan[name],
                    self.staging,
                    self.data_source or {},
                    self.validated,
                    self.publish,
                    pages,
                )
                for name in names
            ]
            bar = tqdm(
                total=len(futures), desc=what, unit="nb", disable=not self.progress, file=sys.stderr
            )
            for future in as_completed(futures):
                outcomes.append(future.result())
                bar.update(1)
            bar.close()
        except BaseException:  # stopped (a signal, Control-C): queued notebooks never start
            pool.shutdown(wait=False, cancel_futures=True)
            stop_all_kernels()  # the running ones' threads then finish at once
            raise
        finally:
            pool.shutdown(wait=True)
        return outcomes


def _published_before(output: Path) -> tuple[list[PublishedCounts], list[str]]:
    """What every published report in the output folder printed (a reader may hold them all,
    the one this run replaces too), and a warning for each that kept no record."""
    records, warnings = [], []
    for folder in sorted(output.glob(f"*{PUBLISHED_SUFFIX}")):
        report = read_report_record(folder) if folder.is_dir() else None
        if report is None or report.published is not True:
            continue
        try:
            counts = read_published_counts(folder)
        except RecordError as error:
            raise RefusedError(str(error)) from None
        if counts is None:
            warnings.append(
                f"Disclosure control: the published report {folder.name} keeps no record of the "
                "counts it printed (an earlier version made it), so this edition is not checked "
                "against it; rerun it to give it one."
            )
        else:
            records.append(counts)
    return records, warnings


def _protect_edition(
    notebooks: _Notebooks,
    pages: StagedPages,
    outcomes: list[Outcome],
    earlier: list[PublishedCounts],
    log: RunLog,
    kept: Path,
) -> tuple[list[Outcome], Protection | None]:
    """Every page's counts protected together and against the earlier published reports; a
    page that must hide more is rerun (``helpers.edition_disclosure``). Returns the outcomes,
    those of the pages rerun replaced, and the protection (None when a rerun failed)."""
    latest = {o.notebook: o for o in outcomes}
    rerunning = [0.0]

    def rerun(names: list[str]) -> bool:
        started = time.perf_counter()
        for name in names:
            pages.clear(name)
        again = notebooks.run(names, "disclosure control: pages rerun", pages)
        latest.update({o.notebook: o for o in again})
        rerunning[0] += time.perf_counter() - started
        return all(o.ok for o in again)

    try:
        settled = settle_edition(pages.pages, pages.hand_back, rerun, earlier)
    except (EditionNotSettled, PagesDisagree) as error:
        shutil.rmtree(notebooks.validated, ignore_errors=True)
        pages.remove_records()
        kept = _keep_failed(notebooks.staging, kept, log, [], str(error))
        raise BatchError(f"{error} The run, with its log: {kept}") from None
    outcomes = [latest[o.notebook] for o in outcomes]
    if settled is not None:
        settled.rerun_seconds = rerunning[0]
        log.warnings += protection_warnings(settled)
    return outcomes, settled


def _record_what_was_published(
    pages: StagedPages, protection: Protection, staging: Path, report: str
) -> None:
    """The pages' tables into the report's ``tables/``, and ``disclosure.json``: what the
    report printed, for the editions after it."""
    pages.merge_into(staging)
    edition = protection.edition
    assert edition is not None  # settle_edition gives every protection its edition
    record = report_record_json(
        report, edition.counts, protection.hidden | edition.hidden, edition.pages_of()
    )
    record["check"] = protection.summary()
    write_report_record(staging, record)


def _refuse_missing_commentary(commentary: str | Path | None, plan: Iterable[str]) -> None:
    """A published edition carries its analyst's commentary: refuse one with a part missing
    from a section of ``plan`` (the notebooks shown)."""
    if commentary is None:  # a --month run: no edition, no commentary
        return
    missing = missing_commentary(Path(commentary), list(plan))
    if missing:
        raise RefusedError(
            "--publish: this edition's commentary is missing, so it cannot be published. "
            "Write each part (a '## ' heading and its text) in:\n"
            + "\n".join(f"  - {item}" for item in missing)
        )


#: Every problem of a refused extract, row by row, in ``<period>.failed/``.
REFUSED_ROWS = "refused_rows.csv"


def _keep_refused(error: ExtractError, staging: Path, kept: Path, log: RunLog) -> ExtractError:
    """A refused extract's full list of problems (the message shows a summary), kept in
    ``<period>.failed/`` with the run log; the refusal, naming where the list is."""
    listed = staging / ".validated-extract" / REFUSED_ROWS
    if listed.is_file():
        listed.replace(staging / REFUSED_ROWS)
    shutil.rmtree(staging / ".validated-extract", ignore_errors=True)
    reason = f"the extract was refused ({error.total:,} problem(s))"
    return error.listed_in(_keep_failed(staging, kept, log, [], reason=reason) / REFUSED_ROWS)


def _keep_failed(
    staging: Path, kept: Path, log: RunLog, failed: list[Outcome], reason: str = ""
) -> Path:
    """Keep a failed run in ``<period>.failed/`` for debugging, with its run log."""
    if failed:
        log.result = "FAILED: " + ", ".join(o.notebook for o in failed) + " (no report written)"
    elif reason:
        log.result = f"FAILED: {reason} (no report written)"
    else:
        log.result = f"FAILED: --strict and {len(log.warnings)} warning(s) (no report written)"
    log.write(staging)
    if kept.exists():
        shutil.rmtree(kept)
    release_partial(staging)
    publish_mode(staging)
    staging.rename(kept)
    return kept


def _print_summary(
    final: Path,
    title: str,
    outcomes: list[Outcome],
    warnings: list[str],
    partial_month: str = "",
) -> None:
    count = {sub: len(list((final / sub).glob("*"))) for sub in ("notebooks", "html", "tables")}
    ran = [o for o in outcomes if not o.left_out]
    print(f"\n{title}: {len(ran)} notebooks run -> {final}")
    for outcome in sorted(outcomes, key=lambda o: o.notebook):
        ran = f"left out: {outcome.left_out}" if outcome.left_out else f"{outcome.seconds:5.1f} s"
        print(f"  {outcome.notebook:<36} {ran}")
    print(
        f"  written: {count['notebooks']} notebooks, {count['html']} HTML pages, "
        f"{count['tables']} tables; how it was made: {final / LOG_NAME}"
    )
    if partial_month:
        print(f"  partial month: {partial_month}")
    if warnings:
        print(f"  {len(warnings)} warning(s) (listed in {LOG_NAME}):")
        for warning in warnings:
            print(f"    - {warning}")
    else:
        print("  no warnings")


def map_settings(lad_code: str | None, imd_year: object) -> list[tuple[str, str]]:
    """``--la`` and ``--imd`` as the map notebook's parameters, checked (a refusal says why)."""
    from helpers.map_page import MapSettingError, check_settings

    try:
        return check_settings(lad_code, imd_year)
    except MapSettingError as error:
        raise RefusedError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.batch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", help="report month YYYY-MM: snapshots at its end")
    which.add_argument("--edition", help="a named edition, e.g. config/editions/board-2015-10.yaml")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter in every notebook of the run that takes it (checked first)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="extract folder, .xlsx, or a database URL without its password (set "
        f"{PASSWORD_ENV}); default: the synthetic extract",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="the extract's kind: the native contract, an Ofsted Annex A workbook (its List "
        "2, early help), or the Standard Safeguarding Dataset (ssd: a database URL or a folder "
        "of its tables); auto: a workbook with a List 2 sheet is Annex A, a URL or a folder "
        "holding ssd_early_help_episodes.csv the SSD",
    )
    parser.add_argument("--output-dir", default=str(DEFAULT_OUTPUT_DIR))
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel")
    parser.add_argument("--strict", action="store_true", help="fail on any warning")
    parser.add_argument(
        "--allow-invalid",
        action="store_true",
        help="leave invalid rows out (listed in tables/data_quality.csv) instead of stopping",
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help="statistical disclosure control: counts of 1-4 and what would reveal them shown "
        "as [c]; written to <period>-published",
    )
    parser.add_argument(
        "--partial-month",
        action="store_true",
        help="report a period that ends after the extract's date, within the month it was "
        "taken (the log and summary say so)",
    )
    parser.add_argument(
        "--la",
        metavar="CODE",
        help="the map's local authority district code, e.g. E06000052 (default: config)",
    )
    parser.add_argument(
        "--imd",
        metavar="YEAR",
        help="the map's deprivation edition: 2015, 2019 or 2025 (default: current at the date)",
    )
    args = parser.parse_args(argv)
    arguments = sys.argv[1:] if argv is None else argv
    stop_on_signals()  # SIGTERM, Control-C: unwind through the cleanup, leaving nothing
    try:
        if args.edition:
            edition = Edition.load(args.edition)
            plan, period, title = edition.notebooks, edition.period, edition.name
            data_dir = args.data_dir or edition.data_dir
            source, commentary = args.edition, commentary_folder(args.edition)
        else:
            report_period = ReportPeriod.of(str(as_month(args.month, "--month")))
            period = report_period.name
            plan, title = monthly_plan(report_period), "Early Help performance report"
            source, commentary = f"--month {period}", None
            data_dir = args.data_dir
        plan = check_plan(plan, NOTEBOOKS_DIR, source)
        args.parameter += map_settings(args.la, args.imd)
        if args.parameter:
            plan = apply_overrides(plan, args.parameter, NOTEBOOKS_DIR)
            plan = check_plan(plan, NOTEBOOKS_DIR, source + " with -p")
        for values in plan.values():  # the map's settings however given (edition, -p)
            if values.get("lad_code") or values.get("imd_year"):
                map_settings(str(values.get("lad_code") or ""), values.get("imd_year") or None)
        run_batch(
            plan,
            period,
            data_dir,
            args.output_dir,
            args.jobs,
            args.strict,
            title,
            progress=os.environ.get("EARLYHELP_NO_PROGRESS") is None,
            allow_invalid=args.allow_invalid,
            publish=args.publish,
            partial_month=args.partial_month,
            command=f"python -m helpers.batch {shlex.join(arguments)}",
            source=source,
            commentary=commentary,
            data_format=args.format,
            edition=args.edition,
        )
    except (
        ExtractError,
        RefusedError,
        CoverageError,
        DatabaseProblem,
        FileNotFoundError,
        AlreadyRunning,
    ) as error:
        # what to fix in the input, or a run of the same report already under way
        print(error, file=sys.stderr)
        return 2
    except BatchError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:  # an output folder that cannot be made or written to
        where = error.filename or args.output_dir
        print(
            f"The report cannot be written to {where}: {error.strerror or error}. Choose an "
            "output folder you can write to (--output-dir); no report was written.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt as error:
        print(f"Interrupted ({error}); no report was written.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
