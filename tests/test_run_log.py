"""An honest log: a quiet console, and run.log saying how every report was made."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from jupyter_client.manager import AsyncKernelManager

from helpers import batch
from helpers.kernels import BatchKernelManager

EDITION = Path(batch.PROJECT_ROOT) / "config" / "editions" / "board-2015-10.yaml"


def logged_warnings(log: str) -> list[str]:
    section = log.split("\nwarnings (", 1)[1]
    count = int(section.split(")", 1)[0])
    listed = [line for line in section.splitlines()[1:] if line.startswith("  - ")]
    assert count == len(listed)
    return listed


def test_an_edition_run_has_a_quiet_console_and_a_full_run_log(tmp_path):
    out = tmp_path / "reports"
    command = [sys.executable, "-m", "helpers.batch", "--edition", str(EDITION)]
    run = subprocess.run(
        [*command, "--output-dir", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "EARLYHELP_NO_PROGRESS"},
    )
    assert run.returncode == 0, run.stderr
    # The console: the progress bar and the summary, no kernel chatter.
    assert "IPKernelApp" not in run.stderr
    assert "KeyboardInterrupt" not in run.stderr
    assert "without encryption" not in run.stderr
    leftover = [line for line in run.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert all(line.startswith("board-2015-10 notebooks:") for line in leftover), leftover

    log = (out / "board-2015-10" / "run.log").read_text(encoding="utf-8")
    assert "command: python -m helpers.batch --edition " in log
    assert "made by: --edition config/editions/board-2015-10.yaml" in log
    assert "period: 2015-10" in log
    assert "data source: the committed synthetic extract" in log
    assert re.search(r"^data sha256: [0-9a-f]{64}$", log, re.MULTILINE)
    assert re.search(r"^code version: earlyhelp-reporting \S+ \(git \S+\)$", log, re.MULTILINE)
    assert re.search(r"^  pandas \d", log, re.MULTILINE)
    edition = yaml.safe_load(EDITION.read_text(encoding="utf-8"))
    for notebook, parameters in edition["notebooks"].items():
        entry = re.search(
            rf"^  {notebook}: (\d+\.\d) s, ok\n    parameters: (.*)$", log, re.MULTILINE
        )
        assert entry, f"{notebook} is not in run.log with its time:\n{log}"
        for name, value in parameters.items():
            shown = value.isoformat() if hasattr(value, "isoformat") else value
            assert f"{name}={shown!r}" in entry.group(2), (name, entry.group(2))
    # The summary's count is the log's.
    assert "no warnings" in run.stdout and logged_warnings(log) == []
    assert str(out / "board-2015-10" / "run.log") in run.stdout


def test_papermills_warnings_are_counted_and_strict_fails_on_them(tmp_path, capsys):
    # An unknown parameter that got past the preflight (run_batch called from Python).
    plan = {"06_budget": {"no_such_parameter": 1}}
    report = batch.run_batch(plan, "2016-01", output_dir=tmp_path / "reports", progress=False)
    summary = capsys.readouterr()
    assert "1 warning(s)" in summary.out
    assert "06_budget: papermill: Passed unknown parameter: no_such_parameter" in summary.out
    assert "Passed unknown parameter" not in summary.err  # in the summary, not spliced in
    log = (report / "run.log").read_text(encoding="utf-8")
    assert logged_warnings(log) == [
        "  - 06_budget: papermill: Passed unknown parameter: no_such_parameter"
    ]

    with pytest.raises(batch.BatchError, match="--strict: the run had 1 warning") as error:
        batch.run_batch(
            plan, "2016-02", output_dir=tmp_path / "reports", strict=True, progress=False
        )
    assert "Passed unknown parameter: no_such_parameter" in str(error.value)
    assert not (tmp_path / "reports" / "2016-02").exists()
    kept = tmp_path / "reports" / "2016-02.failed" / "run.log"
    assert "result: FAILED: --strict and 1 warning(s)" in kept.read_text(encoding="utf-8")


def test_a_failed_run_keeps_its_run_log(tmp_path):
    failing = {"03_cff_caseload_by_time_open": {"snapshot_date": "not a date"}}
    with pytest.raises(batch.BatchError, match="run log"):
        batch.run_batch(failing, "2015-12", output_dir=tmp_path / "reports", progress=False)
    log = (tmp_path / "reports" / "2015-12.failed" / "run.log").read_text(encoding="utf-8")
    assert "result: FAILED: 03_cff_caseload_by_time_open" in log
    assert re.search(r"^  03_cff_caseload_by_time_open: \d+\.\d s, FAILED: cell", log, re.M)
    assert "snapshot_date='not a date'" in log


def test_a_notebook_writing_to_stderr_is_a_warning(tmp_path):
    import nbformat

    executed = nbformat.v4.new_notebook()
    executed.cells = [nbformat.v4.new_code_cell("")]
    executed.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text="careful\n")]
    assert batch._stderr_warnings(executed, "x") == ["x: cell 1 wrote to stderr: careful"]


@pytest.mark.parametrize(
    ("manager", "interrupted"),
    [(BatchKernelManager, False), (AsyncKernelManager, True)],
    ids=["batch-manager", "jupyter-client-default"],
)
def test_shutting_down_a_kernel_does_not_interrupt_it(tmp_path, manager, interrupted):
    """The cause of "KeyboardInterrupt caught in kernel": a SIGINT sent at every shutdown.

    An idle kernel ignores SIGINT, but one still finishing a request (as at the end of a run)
    raises KeyboardInterrupt and logs it. Here a cell records any interrupt in a file while the
    kernel is shut down. jupyter_client's default manager (the control case, showing that the
    test can tell) interrupts it; the batch's does not, and it talks over private Unix sockets.
    """
    started, marker = tmp_path / "started", tmp_path / "interrupted"
    code = (
        "import time\n"
        f"open({str(started)!r}, 'w').close()\n"
        "try:\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:\n"
        f"    open({str(marker)!r}, 'w').close()\n"
    )

    async def start_busy_and_shut_down() -> None:
        km = manager(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path))
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            if manager is BatchKernelManager:
                assert km.transport == "ipc" and Path(km.ip).is_absolute()
            client.execute(code)
            deadline = time.monotonic() + 30
            while not started.exists():
                assert time.monotonic() < deadline, "the cell never started"
                await asyncio.sleep(0.1)
            await km.shutdown_kernel()
        finally:
            client.stop_channels()
            if await km.is_alive():
                await km.shutdown_kernel(now=True)

    asyncio.run(start_busy_and_shut_down())
    assert marker.exists() == interrupted
