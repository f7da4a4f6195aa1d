"""The kernel manager the batch runs notebooks with: local sockets, and a quiet shutdown.

Two defaults of ``jupyter_client`` made an unattended run's console noisy, and both are fixed at
their cause rather than by filtering lines:

- Kernels listened on TCP ports without encryption, so every kernel printed
  ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption``. The batch and its
  kernels are on one machine, so they talk over Unix domain sockets (the ``ipc`` transport) in a
  private folder (mode 0700) instead: nothing listens on the network at all.
- ``shutdown_kernel`` interrupts the kernel (SIGINT) before asking it to shut down. The batch
  only shuts a kernel down once its last cell has finished, when it is idle, so the interrupt
  stops nothing; in about one run in six it landed while the kernel was between polls and the
  kernel printed ``KeyboardInterrupt caught in kernel``. The shutdown request alone is enough.

A run that is told to stop (SIGTERM, Control-C) must not leave kernels behind nor start new
ones: kernels run in sessions of their own (``jupyter_client`` starts them so), so the signal
never reaches them. Every kernel this manager starts is registered until it is cleaned up, and
:func:`stop_all_kernels` refuses new kernels and ends the registered ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

#: Seconds a kernel has to end after SIGTERM before it is killed.
KERNEL_STOP_GRACE = 2.0

_registry_lock = threading.Lock()
_running: set[BatchKernelManager] = set()
_stopping = threading.Event()


class KernelsStopped(RuntimeError):
    """The run is stopping: no kernel may start."""


def allow_kernels() -> None:
    """Let kernels start again (a new run in the same process, as tests make)."""
    _stopping.clear()


def kernels_stopping() -> bool:
    return _stopping.is_set()


def _end_process_group(pgid: int, grace: float) -> None:
    """SIGTERM to a kernel's process group, then SIGKILL to what is left after ``grace``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def stop_all_kernels(grace: float = KERNEL_STOP_GRACE) -> int:
    """Refuse new kernels and end every running one; return how many were ended.

    Called from the main thread when the run is stopped, while the notebooks' threads wait on
    their kernels: those threads then see a dead kernel and finish at once.
    """
    with _registry_lock:
        _stopping.set()
        managers = list(_running)
    groups = {group for manager in managers if (group := _process_group(manager)) is not None}
    for group in groups:
        _end_process_group(group, grace)
    return len(groups)


def _process_group(manager: BatchKernelManager) -> int | None:
    provisioner: Any = manager.provisioner
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        return None
    # The kernel leads a session of its own, so its group is its pid; asked in case not.
    return getattr(provisioner, "pgid", None) or pid


class BatchKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` on private Unix sockets that does not interrupt at shutdown."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        # For ipc the "ip" is the sockets' path prefix. jupyter_client's default is the relative
        # "kernel-ipc", which resolves against each process's own working directory (the
        # kernel's is notebooks/) and is shared by kernels running side by side (--jobs): each
        # kernel gets a folder of its own, absolute and readable by this user only.
        self._socket_dir = Path(tempfile.mkdtemp(prefix="earlyhelp-kernel-"))
        return str(self._socket_dir / "kernel")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if _stopping.is_set():
            raise KernelsStopped("the run is stopping: the notebook's kernel was not started")
        await super()._async_launch_kernel(kernel_cmd, **kw)
        with _registry_lock:
            _running.add(self)
            stopping = _stopping.is_set()
        if stopping:  # stop_all_kernels ran while this kernel was starting
            group = _process_group(self)
            if group is not None:
                _end_process_group(group, 0.0)
            raise KernelsStopped("the run is stopping: the notebook's kernel was ended")

    #: Variables added to each kernel's environment (see :func:`with_environment`).
    kernel_environment: dict[str, str] = {}  # a class default, never mutated

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.kernel_environment:
            kw["env"] = {**kw.get("env", os.environ), **self.kernel_environment}
        return await super()._async_pre_start_kernel(**kw)

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # idle after its last cell: nothing to interrupt (see above)
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            with _registry_lock:
                _running.discard(self)
        socket_dir = getattr(self, "_socket_dir", None)
        if socket_dir is not None and not restart:
            shutil.rmtree(socket_dir, ignore_errors=True)


def with_environment(environment: dict[str, str]) -> type[BatchKernelManager]:
    """A :class:`BatchKernelManager` whose kernels get ``environment`` besides the batch's own:
    how the batch tells one notebook's kernel, and only that one, where to write its page's
    record (notebooks run side by side with ``--jobs``, so the batch's own environment cannot)."""
    return type(
        "BatchKernelManager", (BatchKernelManager,), {"kernel_environment": dict(environment)}
    )
