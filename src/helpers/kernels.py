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
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import default


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

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # idle after its last cell: nothing to interrupt (see above)
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        socket_dir = getattr(self, "_socket_dir", None)
        if socket_dir is not None and not restart:
            shutil.rmtree(socket_dir, ignore_errors=True)
