"""What the batch checks before any notebook runs, so that it refuses what cannot be meant.

- Every parameter an edition or ``-p`` sets must be one the notebook takes
  (``papermill.inspect_notebook``): a misspelt name would otherwise run the notebook's default
  silently. The error names the edition file (or option), the notebook and the nearest valid name.
- A date must be a real date (``2015-02-30`` is not) and a month a real month (``2015-13`` is not).
- No period may end after the extract was taken: the figures would be computed on missing data
  (open cases that closed unrecorded, no refusals at all). ``--partial-month`` lets a period
  through that ends within the month holding the extract's date, and the run says so.

Each refusal is a :class:`RefusedError` whose message says what to fix; the batch exits with
status 2 and writes no report.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import papermill
import yaml

from helpers.config import SentenceError
from helpers.coverage import Coverage, period_problem
from helpers.extract import Extract, extract_taken_on
from helpers.formats import long_date
from helpers.parameters import ParameterError, check_value
from helpers.period import DEPENDENT_DATES

#: Set by the batch itself for every notebook (``--data-dir``, the report's tables, ``--publish``).
BATCH_PARAMETERS = {
    "data_dir": "--data-dir",
    "output_dir": "--output-dir",
    "publish": "--publish",
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")


class RefusedError(SentenceError, ValueError):
    """A run the batch will not start: the message says what to fix."""


class _NoTimestamps(yaml.SafeLoader):
    """YAML without implicit dates: ``2015-02-30`` stays text, to be checked and named here.

    PyYAML's own date parsing would stop on it with a bare ``ValueError`` and no file name.
    """


_NoTimestamps.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_text(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_NoTimestamps)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        raise RefusedError(f"{source}: not valid YAML ({error})") from error


def parse_value(text: str) -> Any:
    """A ``-p`` value read as an edition's would be: numbers, true/false and lists typed."""
    return load_yaml_text(text, f"-p value {text!r}")


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # "date", "month", "bool", "int", "float", "text", "other"
    default: Any
    help: str


def _kind(name: str, annotation: str, default: Any) -> str:
    if name in DEPENDENT_DATES:  # blank by default: the date then follows the report month
        return "date"
    if name == "report_month":
        return "month"
    annotation = annotation.lower()
    if "date" in annotation and "time" not in annotation:
        return "date"
    if "month" in annotation or "period" in annotation:
        return "month"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        if ISO_DATE.match(default):
            return "date"
        if ISO_MONTH.match(default):
            return "month"
        return "text"
    return "other"


@cache
def notebook_parameters(path: Path) -> dict[str, Parameter]:
    """A notebook's parameters: name, kind (from its annotation or default), default, meaning."""
    found = papermill.inspect_notebook(str(path))
    parameters = {}
    for name, spec in found.items():
        try:
            default = load_yaml_text(str(spec["default"]), f"{path.name}, {name}")
        except RefusedError:  # a default that is Python rather than YAML: no kind from it
            default = None
        annotation = str(spec.get("inferred_type_name") or "")
        kind = _kind(name, annotation, default)
        parameters[name] = Parameter(name, kind, default, spec["help"])
    return parameters


def as_date(value: Any, where: str) -> dt.date:
    """``value`` as a date, or a refusal naming ``where`` and the value."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not ISO_DATE.match(text):
        raise RefusedError(f"{where} is {text!r}, which is not a date: write it as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise RefusedError(
            f"{where} is {text}, which is not a date ({error}): give a day that exists."
        ) from error


def as_month(value: Any, where: str) -> pd.Period:
    """``value`` as a calendar month, or a refusal naming ``where`` and the value."""
    text = str(value).strip()
    if not ISO_MONTH.match(text):
        raise RefusedError(f"{where} is {text!r}, which is not a month: write it as YYYY-MM.")
    if not 1 <= int(text[5:]) <= 12:
        raise RefusedError(f"{where} is {text}, which is not a month: months run 01 to 12.")
    return pd.Period(text, freq="M")


def _nearest(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}? "
    return ""


def check_plan(plan: dict[str, dict], notebooks_dir: Path, source: str) -> dict[str, dict]:
    """Check a plan's parameters against its notebooks; the plan with dates as ISO text.

    ``source`` says where the values came from (the edition file, ``--month``), for the message.
    """
    checked: dict[str, dict] = {}
    for notebook, values in plan.items():
        taken = notebook_parameters(notebooks_dir / f"{notebook}.ipynb")
        checked[notebook] = {}
        for name, value in values.items():
            where = f"{source}: notebook {notebook}, parameter {name}"
            if name in BATCH_PARAMETERS:
                raise RefusedError(
                    f"{where}: the batch sets {name} itself; use {BATCH_PARAMETERS[name]}."
                )
            if name not in taken:
                valid = [p for p in taken if p not in BATCH_PARAMETERS]
                raise RefusedError(
                    f"{source}: notebook {notebook} has no parameter {name!r}; "
                    f"{_nearest(name, valid)}Its parameters are: {', '.join(valid) or 'none'}."
                )
            checked[notebook][name] = _checked_value(taken[name], value, where)
            try:  # against the config and the parameter's range (helpers.parameters)
                check_value(name, checked[notebook][name], notebook, f"{source}: {notebook}: ")
            except ParameterError as error:
                raise RefusedError(str(error)) from None
    return checked


def _checked_value(parameter: Parameter, value: Any, where: str) -> Any:
    if parameter.kind == "date" and parameter.name in DEPENDENT_DATES and _blank(value):
        return ""  # follow the report month
    if parameter.kind == "date":
        return as_date(value, where).isoformat()
    if parameter.kind == "month":
        return str(as_month(value, where))
    if parameter.kind == "bool" and not isinstance(value, bool):
        raise RefusedError(f"{where} is {value!r}: give true or false.")
    if parameter.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise RefusedError(f"{where} is {value!r}: give a whole number.")
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def apply_overrides(
    plan: dict[str, dict], overrides: list[tuple[str, str]], notebooks_dir: Path
) -> dict[str, dict]:
    """``-p NAME VALUE``: set NAME in every notebook of the plan that takes it."""
    result = {notebook: dict(values) for notebook, values in plan.items()}
    for name, text in overrides:
        value = parse_value(text)
        takers = [
            notebook
            for notebook in result
            if name in notebook_parameters(notebooks_dir / f"{notebook}.ipynb")
        ]
        if name in BATCH_PARAMETERS:
            raise RefusedError(
                f"-p {name}: the batch sets {name} itself; use {BATCH_PARAMETERS[name]}."
            )
        if not takers:
            valid = sorted(
                {
                    p
                    for notebook in result
                    for p in notebook_parameters(notebooks_dir / f"{notebook}.ipynb")
                    if p not in BATCH_PARAMETERS
                }
            )
            raise RefusedError(
                f"-p {name}: no notebook in this run ({', '.join(result)}) takes {name!r}; "
                f"{_nearest(name, valid)}Their parameters are: {', '.join(valid) or 'none'}."
            )
        for notebook in takers:
            result[notebook][name] = value
    return result


def extract_date(extract: Extract) -> tuple[dt.date, str]:
    """When the extract was taken, and how that is known (see ``extract.extract_taken_on``)."""
    if extract.taken_on is None:  # an extract built in memory, not read from a path
        return extract_taken_on(Path(extract.source), extract.sha256)
    return dt.date.fromisoformat(extract.taken_on), extract.taken_how


def _period_ends(plan: dict[str, dict], notebooks_dir: Path) -> list[tuple[str, str, dt.date]]:
    """Every date a run reports up to: (notebook, parameter, last day it covers)."""
    ends: list[tuple[str, str, dt.date]] = []
    for notebook, values in plan.items():
        for name, parameter in notebook_parameters(notebooks_dir / f"{notebook}.ipynb").items():
            value = values.get(name, parameter.default)
            # Whether a value is a date at all is check_plan's question, asked first on the
            # command line; a plan handed to run_batch from Python may leave it to the notebook.
            try:
                if parameter.kind == "date":
                    ends.append((notebook, name, as_date(value, "")))
                elif parameter.kind == "month":
                    ends.append((notebook, name, as_month(value, "").end_time.date()))
            except RefusedError:
                continue
    return ends


def stale_warning(
    plan: dict[str, dict], notebooks_dir: Path, last_activity: dt.date | None, days: int
) -> str | None:
    """A warning when nothing happened in the extract for ``days`` before the period ends."""
    ends = _period_ends(plan, notebooks_dir)
    if last_activity is None or not ends:
        return None
    period_end = max(day for _, _, day in ends)
    if (period_end - last_activity).days <= days:
        return None
    return (
        f"The extract's last activity (an episode starting or ending, or a refusal) is on "
        f"{long_date(last_activity)}, {(period_end - last_activity).days} days before the "
        f"period ends on {long_date(period_end)}: the figures after it may be missing rather "
        "than zero. Check that the extract is complete."
    )


def check_first_record(
    plan: dict[str, dict], notebooks_dir: Path, coverage: Coverage, source: str
) -> None:
    """Refuse a period that ends before the extract's first record: every figure would be
    missing, not zero. The message names both dates and the notebook."""
    if coverage.first_day is None:
        return
    for notebook, name, day in _period_ends(plan, notebooks_dir):
        if pd.Timestamp(day) < coverage.first_day:  # a later one is check_coverage's
            raise RefusedError(f"{source}: {notebook} {name}: {period_problem(coverage, day, day)}")


def check_coverage(
    plan: dict[str, dict],
    notebooks_dir: Path,
    taken: dt.date,
    how: str,
    source: str,
    partial_month: bool = False,
) -> str:
    """Refuse dates after the extract's; with ``partial_month``, those in its month pass.

    Returns what the run log and summary should say about a partial month ("" when none).
    """
    ends = _period_ends(plan, notebooks_dir)
    late = [(notebook, name, day) for notebook, name, day in ends if day > taken]
    if not late:
        return ""
    listed = _by_date(late)
    month = pd.Period(taken, freq="M")
    in_month = [item for item in late if pd.Period(item[2], freq="M") == month]
    if partial_month:
        if len(in_month) < len(late):
            raise RefusedError(
                f"{source}: the period ends after the month of the extract's date, "
                f"{long_date(taken)} ({how}): {listed}. --partial-month reports only "
                f"{month:%B %Y}, the month the extract ends in; choose a period that ends by "
                "then or supply a later extract."
            )
        return (
            f"{month:%B %Y} is reported in part: the extract's date is {long_date(taken)} "
            f"({how}), before the period's end: {listed}. Anything after "
            f"{long_date(taken)} is missing from the figures (--partial-month)."
        )
    hint = (
        f"; or, to report {month:%B %Y} only as far as the extract goes, pass --partial-month"
        if len(in_month) == len(late)
        else ""
    )
    raise RefusedError(
        f"{source}: the period ends after the extract's date, {long_date(taken)} ({how}): "
        f"{listed}. Choose a period that ends by {long_date(taken)} or supply a later "
        f"extract{hint}."
    )


def _by_date(items: list[tuple[str, str, dt.date]]) -> str:
    """``30 April 2016 (01_open_by_lead_agency snapshot_date, 02_... period_end)``."""
    days = sorted({day for _, _, day in items})
    return "; ".join(
        f"{long_date(day)} ("
        + ", ".join(f"{notebook} {name}" for notebook, name, when in items if when == day)
        + ")"
        for day in days
    )
