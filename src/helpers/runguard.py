"""What keeps a batch run to itself: one run per report folder, stopping cleanly, no leftovers.

The batch (floor 7) builds a report in a hidden partial folder beside the report and swaps it
into place at the end. That folder holds a typed copy of the extract (ids, dates, home LSOAs),
so nothing may leave it behind, and two runs may not swap into the same place at once:

- :class:`RunLock`: an advisory lock (``fcntl.flock``) per output folder and period. A second
  run for the same period and folder is refused with :class:`AlreadyRunning`, naming the one
  that holds it (pid, start, command). The lock is released by the kernel when its holder dies,
  however it dies, so a killed run never blocks the next one.
- :func:`claim_partial` / :func:`remove_stale_partials`: each partial folder records its
  owner's pid and process start time; a later run removes the partial folders whose owner is
  gone (SIGKILL, a power cut) and that are older than itself.
- :func:`stop_on_signals`: SIGTERM and SIGINT raise :class:`Interrupted` in the main thread once;
  the batch then cancels what is queued, shuts the kernels down and removes its partial folder.
- :func:`run_in_child`: a function run in a forked child that dies with its parent (the
  validation, which may hold gigabytes while it runs) and is killed when the run is stopped.
- :func:`publish_mode`: the permissions a folder would have had under the umask
  (``tempfile.mkdtemp`` makes 0700, which would keep colleagues out of the report).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: The file in a partial folder that says which process is building it.
OWNER_FILE = ".owner.json"
#: Linux's prctl option that sends a signal to a process when its parent dies.
_PR_SET_PDEATHSIG = 1


class AlreadyRunning(RuntimeError):
    """Another run holds the lock for this period and output folder."""


class Interrupted(KeyboardInterrupt):
    """The run was told to stop (SIGTERM or SIGINT)."""


# --------------------------------------------------------------------------- processes


def process_start_time(pid: int) -> str | None:
    """When process ``pid`` started, as the kernel counts it (None: no such process).

    A pid alone can be reused by an unrelated process after its owner died; the pid and start
    time together name one process. On systems without ``/proc`` the pid's existence is used.
    """
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir() and Path("/proc/self/stat").exists():
        try:
            text = stat.read_text(encoding="ascii", errors="replace")
        except OSError:
            return None
        # Field 22 (start time), counted after the command name, which may hold spaces.
        return text.rsplit(")", 1)[1].split()[19]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return "alive"


def _is_alive(owner: dict[str, Any]) -> bool:
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False
    started = process_start_time(pid)
    return started is not None and started == owner.get("process_start")


def _this_process() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "process_start": process_start_time(os.getpid()),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
    }


# --------------------------------------------------------------------------- the lock


class RunLock:
    """One run per period and output folder, held from before validation to after the swap.

    The lock file (``<output>/.<period>.lock``) holds its holder's pid, start and command, for
    the message a second run prints. It is removed on release; a run that opened the file just
    before it was removed finds, once locked, that the path no longer names its file, and tries
    again, so two runs can never each hold a lock on a different file of the same name.
    """

    def __init__(self, output: Path, period: str) -> None:
        self.path = output / f".{period}.lock"
        self.period = period
        self._handle: Any = None

    def acquire(self) -> None:
        while True:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    handle.close()
                    raise
                handle.seek(0)
                holder = handle.read().strip()
                handle.close()
                raise AlreadyRunning(self._refusal(holder)) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            handle.close()  # the holder removed it as we opened it: lock the new one
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(_this_process()))
        handle.flush()
        self._handle = handle

    def _refusal(self, holder: str) -> str:
        try:
            who = json.loads(holder)
            running = (
                f"process {who['pid']}, started {who['started']}: {who['command']}"
                if isinstance(who, dict)
                else holder
            )
        except (ValueError, KeyError):
            running = "a process that has not yet said which it is"
        return (
            f"Another run is already making the report for {self.period} in "
            f"{self.path.parent} ({running}). Wait for it to finish, or stop it, and run again; "
            "nothing was written."
        )

    def release(self) -> None:
        if self._handle is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # while still locked: see the class docstring
        self._handle.close()  # closing releases the lock
        self._handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself while the block runs, waiting for it.

    For what every run into an output folder rewrites (the reports index): runs of different
    periods hold different :class:`RunLock` s, so they take turns here. The lock is on the
    folder's own descriptor, so nothing is left in the folder.
    """
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


# --------------------------------------------------------------------------- the report folder


def report_folder_problem(final: Path, inputs: list[Path]) -> str | None:
    """Why the batch may not write the report folder ``final`` (None: it may).

    A run replaces its report folder whole, and removes its own leftovers beside it
    (``<name>.failed``, ``.<name>.previous``). So the folder must be a real folder (a symbolic
    link would be replaced by the report, and the target left to look written), it may not be
    or hold any of ``inputs`` (the extract, the commentary: they would be deleted with the old
    report), and it may not lie inside one (the report would be written into the extract).
    """
    if final.is_symlink():
        return (
            f"{final} is a symbolic link (to {os.readlink(final)}). A run replaces its report "
            "folder whole, so it writes only to a real folder of its own: remove the link "
            f"(rm {final}) and run again, or choose another output folder (--output-dir). "
            "Nothing was written."
        )
    if final.exists() and not final.is_dir():
        return (
            f"{final} is a file, where this run's report folder would go: move it, or choose "
            "another output folder (--output-dir). Nothing was written."
        )
    leftovers = (f"{final.name}.failed", f".{final.name}.previous")
    replaced = [final.resolve(), *(final.with_name(name).resolve() for name in leftovers)]
    for source in (Path(p).resolve() for p in inputs):
        if any(source.is_relative_to(place) for place in replaced):
            return (
                f"The report folder {final} is, or holds, the input {source}: a run replaces "
                "its report folder whole, which would delete the input. Keep reports apart from "
                "what they are made from: choose another output folder (--output-dir). "
                "Nothing was written."
            )
        if source.is_dir() and final.resolve().is_relative_to(source):
            return (
                f"The report folder {final} would be written inside the input {source}. Keep "
                "reports apart from what they are made from: choose an output folder outside "
                "it (--output-dir). Nothing was written."
            )
    return None


# --------------------------------------------------------------------------- partial folders


def claim_partial(folder: Path) -> None:
    """Record in a partial folder which process builds it, so that a later run can tell."""
    (folder / OWNER_FILE).write_text(json.dumps(_this_process()), encoding="utf-8")


def release_partial(folder: Path) -> None:
    """The folder is finished (published or kept as ``.failed``): it no longer has an owner."""
    with contextlib.suppress(FileNotFoundError):
        (folder / OWNER_FILE).unlink()


def remove_stale_partials(output: Path, run_started: float) -> list[Path]:
    """Remove partial folders left by killed runs; return what was removed.

    A partial folder is stale when it is older than this run and its recorded owner is no longer
    running. One with no owner record (left by a version before the record) counts as stale
    when it is older than this run by more than a day, since its owner cannot be asked.
    """
    removed = []
    for folder in sorted(output.glob(".*.partial-*")):
        if not folder.is_dir():
            continue
        try:
            age = run_started - folder.stat().st_mtime
            owner_file = folder / OWNER_FILE
            owner = json.loads(owner_file.read_text("utf-8")) if owner_file.is_file() else None
        except (OSError, ValueError):
            continue  # vanished meanwhile, or being written: not ours to judge now
        if age <= 0:
            continue
        if owner is None and age < 24 * 3600:
            continue
        if owner is not None and _is_alive(owner):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def umask() -> int:
    """The process's umask (read without changing it where the system says it)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)  # elsewhere the only way to read it is to set it
    os.umask(current)
    return current


def publish_mode(folder: Path) -> None:
    """Give ``folder`` the permissions ``mkdir`` would have given it under the umask."""
    folder.chmod(0o777 & ~umask())


# --------------------------------------------------------------------------- signals


_signals_seen: list[int] = []


_deferring = False


def _on_stop_signal(signum: int, frame: object) -> None:
    if _deferring:  # the report is being swapped into place: finishing is the quickest stop
        return
    _signals_seen.append(signum)
    if len(_signals_seen) == 1:
        raise Interrupted(signal.Signals(signum).name)
    if len(_signals_seen) >= 3:  # cleanup hangs and the user insists: go now
        os._exit(128 + signum)
    # A second signal lands while the first is being cleaned up after: let the cleanup finish.


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Let the report be swapped into place whatever signal arrives meanwhile.

    The swap is two renames (the old report aside, the new one in): a stop between them would
    leave the period with no report. A stop that arrives during it lets the run finish instead,
    since the report is then written; the run ends at once after, as it was about to.
    """
    global _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = False


def stop_on_signals() -> None:
    """SIGTERM and SIGINT stop the run: the first raises :class:`Interrupted` in the main
    thread, a second is ignored while the run cleans up, a third exits at once."""
    _signals_seen.clear()
    signal.signal(signal.SIGTERM, _on_stop_signal)
    signal.signal(signal.SIGINT, _on_stop_signal)


# --------------------------------------------------------------------------- the child


def _die_with_parent(parent: int) -> None:
    """In a forked child: end when the parent ends, however it ends (SIGKILL included)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:  # systems without prctl: notice that the parent has gone
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _child_main(
    connection: Any, parent: int, function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    _die_with_parent(parent)
    try:
        result: tuple[bool, Any] = (True, function(*args))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        result = (False, error)
    try:
        connection.send(result)
    except Exception as error:  # noqa: BLE001 - an exception that cannot be pickled
        connection.send((False, RuntimeError(f"{type(error).__name__}: {error}")))
    connection.close()


def run_in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a forked child process; its result, or its exception raised here.

    The child's memory goes back to the system when it ends. It dies with this process, and
    when this process is interrupted while waiting, it is killed before the interrupt goes on.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(send, os.getpid(), function, args))
    child.start()
    send.close()
    try:
        try:
            ok, value = receive.recv()
        except EOFError:
            child.join()
            raise RuntimeError(
                f"the validating process ended without a result (exit status {child.exitcode}); "
                "it may have run out of memory"
            ) from None
        child.join()
    except BaseException:
        child.kill()
        child.join()
        raise
    finally:
        receive.close()
    if not ok:
        raise value
    return value
