"""Runs stop when told, leave nothing behind and do not collide (issue 14, part 6).

The slow tests run the batch as the command line does, in a process of its own, and watch its
kernels with psutil: a notebook kernel is a child process running ``ipykernel``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from helpers import batch, runguard
from helpers.config import PROJECT_ROOT

EDITION = PROJECT_ROOT / "config" / "editions" / "2015-10.yaml"


def batch_process(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "helpers.batch", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "EARLYHELP_NO_PROGRESS": "1"},
    )


def kernels_of(process: psutil.Process) -> set[int]:
    found = set()
    for child in process.children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.add(child.pid)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.slow  # runs notebooks through Papermill
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_starts_no_kernel_after_the_signal_and_leaves_nothing(tmp_path, stop):
    out = tmp_path / "reports"
    run = batch_process("--edition", str(EDITION), "--output-dir", str(out), "--jobs", "1")
    watched = psutil.Process(run.pid)
    deadline = time.monotonic() + 120
    before: set[int] = set()
    while not before:  # the first of four notebooks is running; three are queued
        assert run.poll() is None, f"the run ended before its first kernel: {run.stderr.read()}"
        assert time.monotonic() < deadline, "no kernel started within two minutes"
        before = kernels_of(watched)
        time.sleep(0.05)
    assert list(out.glob(".2015-10.partial-*/.validated-extract/*.parquet")), "no typed copy yet"
    signalled = time.monotonic()
    run.send_signal(stop)
    after: set[int] = set()
    while run.poll() is None:
        after |= kernels_of(watched)  # a kernel takes over a second to start: polled often
        assert time.monotonic() - signalled < 30, "the run did not stop within 30 s"
        time.sleep(0.05)
    took = time.monotonic() - signalled
    _, err = run.communicate()
    assert run.returncode == 130, err
    assert "no report was written" in err
    assert after - before == set(), "a kernel started after the signal"
    alive = [pid for pid in before | after if psutil.pid_exists(pid)]
    alive = [pid for pid in alive if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"kernels still running after the run stopped: {alive}"
    assert sorted(p.name for p in out.iterdir()) == [], "the partial folder (or lock) remains"
    assert took < 10, f"the run took {took:.1f} s to stop"
