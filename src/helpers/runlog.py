"""The batch's run log: ``<report>/run.log`` says how a report was made.

Someone who did not watch the run (an auditor, next month's analyst) reads there the command
line, the data source and its checksum, the code and package versions, each notebook's
parameters and time, and every warning. The batch summary's warning count is the number of
warnings listed here: both come from the same list.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import platform
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from helpers import __version__
from helpers.config import PROJECT_ROOT
from helpers.provenance import described as described_source

LOG_NAME = "run.log"
DISTRIBUTION = "earlyhelp-reporting"
#: Not requirements of the project but what runs its notebooks: their versions matter too.
KERNEL_PACKAGES = ("jupyter_client", "nbclient")


def code_version() -> str:
    """The package version, and the git commit when run from a checkout (``-dirty``: edited)."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    git = f"git {described}" if described else "not a git checkout"
    return f"{DISTRIBUTION} {__version__} ({git})"


def package_versions() -> dict[str, str]:
    """Installed versions of the project's requirements (not the optional extras)."""
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        requirements = []
    names = [
        re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        for requirement in requirements
        if "extra ==" not in requirement
    ]
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in [*names, *KERNEL_PACKAGES]:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass
class NotebookRun:
    """One notebook's line in the log."""

    notebook: str
    parameters: dict
    ok: bool
    seconds: float
    error: str = ""


@dataclass
class RunLog:
    command: str
    title: str
    period: str
    data: Path | str  # the input: a file or folder, or a database URL without its password
    #: What made the report: ``--edition <file>`` or ``--month YYYY-MM`` (see the batch).
    made_by: str = ""
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    data_source: dict | None = None
    partial_month: str = ""
    notebooks: list[NotebookRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    result: str = ""

    def text(self) -> str:
        finished = dt.datetime.now().astimezone()
        source = self.data_source or {}
        lines = [
            f"# {self.title}: how this report was made",
            f"command: {self.command}",
            f"period: {self.period}",
            f"made by: {self.made_by or 'not recorded'}",
            f"started: {self.started.isoformat(timespec='seconds')}",
            f"finished: {finished.isoformat(timespec='seconds')}",
            f"result: {self.result}",
            f"data: {self.data}",
            f"data source: {described_source(source)}",
            f"data sha256: {source.get('extract_sha256', 'not read')}",
            f"data covers: {_covers(source)}",
            f"partial month: {self.partial_month or 'no'}",
            f"code version: {code_version()}",
            "packages:",
            *(f"  {name} {version}" for name, version in package_versions().items()),
            "",
            f"notebooks ({len(self.notebooks)}); each also gets data_dir (a validated copy of "
            "the extract) and output_dir (this report's tables/):",
        ]
        for run in sorted(self.notebooks, key=lambda r: r.notebook):
            status = "ok" if run.ok else f"FAILED: {run.error}"
            lines.append(f"  {run.notebook}: {run.seconds:.1f} s, {status}")
            shown = {k: v for k, v in run.parameters.items() if k not in ("data_dir", "output_dir")}
            lines.append(f"    parameters: {_parameters(shown)}")
        lines += ["", f"warnings ({len(self.warnings)}):"]
        lines += [f"  - {warning}" for warning in self.warnings] or ["  none"]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> Path:
        path = folder / LOG_NAME
        path.write_text(self.text(), encoding="utf-8")
        return path


def _covers(source: dict) -> str:
    """The days the data covers, file by file (``helpers.coverage``), as ISO dates."""
    coverage = source.get("coverage") or {}
    if not coverage.get("first_day"):
        return "not read"
    files = "; ".join(
        f"{name} from {first}" for name, (first, _) in (coverage.get("files") or {}).items()
    )
    year = coverage.get("budget_financial_year") or "undated"
    return f"{coverage['first_day']} to {coverage['last_day']} ({files}; budget {year})" + (
        "; only the work started in that span (a list)" if coverage.get("started_only") else ""
    )


def _parameters(parameters: dict) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in parameters.items()) or "(defaults)"


#: Which notebook the current thread is running (the batch runs each in a thread of its own),
#: so that a library's warning is attributed to the notebook it came from.
_current = threading.local()


@contextmanager
def running(notebook: str) -> Iterator[None]:
    _current.notebook = notebook
    try:
        yield
    finally:
        _current.notebook = None


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        where = getattr(_current, "notebook", None) or "batch"
        message = record.getMessage().strip().replace("\n", " ")
        if record.name == "py.warnings":  # "file:line: Category: text": keep the category/text
            message = re.sub(r"^.*?:\d+: ", "", message)
        else:
            message = f"{record.name}: {message}"
        self.into.append(f"{where}: {message}")


#: Loggers whose warnings belong in the run log: Papermill's (such as "Passed unknown
#: parameter") and Python warnings raised in the batch process.
CAPTURED_LOGGERS = ("papermill", "py.warnings")


@contextmanager
def capture_warnings(into: list[str]) -> Iterator[None]:
    """Collect library warnings into ``into`` instead of letting them reach the console.

    Without a handler of its own, a library logger's warnings go to Python's last-resort
    handler, which prints them to stderr in the middle of the progress bar and leaves them out
    of the summary; here they are counted with the others.
    """
    handler = _Collect(into)
    loggers = [logging.getLogger(name) for name in CAPTURED_LOGGERS]
    previous = [(logger.propagate, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
        if logger.level == logging.NOTSET or logger.level > logging.WARNING:
            logger.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for logger, (propagate, level) in zip(loggers, previous, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)
