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

EDITION = PROJECT_ROOT / "config" / "editions" / "board-2015-10.yaml"


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
    partial = ".board-2015-10.partial-*/.validated-extract/*.parquet"
    assert list(out.glob(partial)), "no typed copy yet"
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


HOLD_LOCK = """
import sys, time
from pathlib import Path
from helpers.runguard import RunLock
lock = RunLock(Path(sys.argv[1]), sys.argv[2])
lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


def hold_lock(out: Path, period: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out), period], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_for_the_same_period_and_folder_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    holder = hold_lock(out, "2015-09")
    try:
        status = batch.main(["--month", "2015-09", "--output-dir", str(out)])
        err = capsys.readouterr().err
        assert status == 2, err
        assert "Another run is already making the report for 2015-09" in err
        assert f"process {holder.pid}" in err
        assert not (out / "2015-09").exists()
        assert not list(out.glob(".2015-09.partial-*"))
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_per_period_and_is_freed_when_its_holder_is_killed(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    holder = hold_lock(out, "2015-09")
    with runguard.RunLock(out, "2015-10"):  # another period: not blocked
        pass
    with pytest.raises(runguard.AlreadyRunning):
        runguard.RunLock(out, "2015-09").acquire()
    holder.send_signal(signal.SIGKILL)  # no cleanup at all: the kernel drops the lock
    holder.wait()
    with runguard.RunLock(out, "2015-09"):
        assert json.loads((out / ".2015-09.lock").read_text("utf-8"))["pid"] == os.getpid()
    assert not (out / ".2015-09.lock").exists(), "the lock file is removed on release"


def partial_folder(out: Path, name: str, owner: dict | None, age_seconds: float) -> Path:
    folder = out / name
    (folder / ".validated-extract").mkdir(parents=True)
    (folder / ".validated-extract" / "caf_episodes.parquet").write_bytes(b"typed copy")
    if owner is not None:
        (folder / runguard.OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    then = time.time() - age_seconds
    os.utime(folder, (then, then))
    return folder


def killed_run_partial(out: Path) -> tuple[Path, int]:
    """The partial folder a run left when it was killed, and the pid its owner had (now gone)."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    owner = {"pid": dead.pid, "process_start": "1"}
    return partial_folder(out, ".2015-09.partial-killed", owner, 60), dead.pid


def test_only_partial_folders_of_dead_runs_older_than_the_run_are_stale(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    killed, dead_pid = killed_run_partial(out)
    me = {"pid": os.getpid(), "process_start": runguard.process_start_time(os.getpid())}
    live = partial_folder(out, ".2015-08.partial-live", me, 60)
    reused_pid = partial_folder(
        out, ".2015-07.partial-reused", {"pid": os.getpid(), "process_start": "1"}, 60
    )
    unowned_recent = partial_folder(out, ".2015-06.partial-unowned", None, 60)
    unowned_old = partial_folder(out, ".2015-05.partial-unowned", None, 3 * 24 * 3600)
    newer = partial_folder(out, ".2015-04.partial-newer", {"pid": dead_pid}, -60)
    removed = runguard.remove_stale_partials(out, time.time())
    assert sorted(removed) == sorted([killed, reused_pid, unowned_old])
    assert not killed.exists(), "a partial folder of a dead run remains"
    assert not reused_pid.exists(), "a live pid with another start time is another process"
    assert not unowned_old.exists()
    assert live.exists(), "a partial folder of a live run was removed"
    assert unowned_recent.exists(), "an unowned partial folder under a day old was removed"
    assert newer.exists(), "a partial folder newer than the run was removed"


VALIDATE_SLOWLY = """
import time
from helpers.runguard import run_in_child
run_in_child(time.sleep, 120)
"""


def test_the_validating_child_dies_with_its_parent_even_on_sigkill():
    parent = subprocess.Popen([sys.executable, "-c", VALIDATE_SLOWLY])
    watched = psutil.Process(parent.pid)
    deadline = time.monotonic() + 30
    while not (children := watched.children()):
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child = children[0]
    time.sleep(0.5)  # let it set itself up to die with its parent
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    try:
        child.wait(timeout=5)
    except psutil.TimeoutExpired:
        child.kill()
        pytest.fail("the validating child outlived its parent (killed with SIGKILL)")


def test_a_childs_exception_is_raised_in_the_parent_as_it_was():
    from helpers.extract import ExtractError, Problem

    def refuse() -> None:
        raise ExtractError("x", [Problem("caf_episodes.csv", 2, "start_date", "?", "bad")])

    with pytest.raises(ExtractError, match="caf_episodes.csv, row 2, column start_date"):
        runguard.run_in_child(refuse)
    assert runguard.run_in_child(sum, [1, 2]) == 3


def test_a_run_clears_stale_partials_before_validating(tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    killed, _ = killed_run_partial(out)
    bad = tmp_path / "extract"
    bad.mkdir()
    (bad / "caf_episodes.csv").write_text("", encoding="utf-8")  # refused by validation
    status = batch.main(["--month", "2015-09", "--output-dir", str(out), "--data-dir", str(bad)])
    assert status == 2, capsys.readouterr().err
    assert not killed.exists(), "the run left the killed run's partial folder"
    # Only the refusal's list of problems, kept for the analyst (no report, no partial folder).
    assert sorted(p.name for p in out.iterdir()) == ["2015-09.failed"], "the refused run left"
    assert (out / "2015-09.failed" / "refused_rows.csv").is_file()


@pytest.mark.slow  # runs a notebook through Papermill
def test_a_good_run_takes_the_umask_and_removes_the_stale_failed_folder(tmp_path):
    out = tmp_path / "reports"
    stale = out / "2016-01.failed"
    (stale / "notebooks").mkdir(parents=True)
    previous = os.umask(0o027)  # neither mkdtemp's 0700 nor the usual 0755
    try:
        final = batch.run_batch({"06_budget": {}}, "2016-01", output_dir=out, progress=False)
    finally:
        os.umask(previous)
    assert final.stat().st_mode & 0o777 == 0o750
    assert (final / "tables").stat().st_mode & 0o777 == 0o750
    assert not stale.exists(), "the stale .failed folder stayed beside the good report"
    assert sorted(p.name for p in out.iterdir()) == ["2016-01", "index.html"]


def test_a_stop_during_the_swap_lets_the_swap_finish_and_stops_otherwise():
    previous = {n: signal.getsignal(n) for n in (signal.SIGTERM, signal.SIGINT)}
    runguard.stop_on_signals()
    try:
        swapped = False
        with runguard.signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)  # the handler runs here, in the main thread, and returns
            swapped = True
        assert swapped
        with pytest.raises(runguard.Interrupted):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
