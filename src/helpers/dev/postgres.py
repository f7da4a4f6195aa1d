"""A throwaway PostgreSQL server for the tests: Debian's ``postgresql``, started in a folder.

    python -m helpers.dev.postgres --ensure     # install Debian's postgresql if it is missing

The tests read the Standard Safeguarding Dataset from a real PostgreSQL server, not a stand-in:
:class:`TemporaryServer` makes a cluster in a new folder (``initdb``), starts it on a free
loopback port (``pg_ctl``), and removes it when stopped. ``initdb`` refuses to run as root, so
as root the server runs as an unprivileged user (``postgres``, which the Debian package makes).
Connections over the Unix socket in the folder are trusted (the test harness, as the cluster's
superuser); connections over TCP, as the batch makes them, need a password (scram-sha-256), so
that a wrong password is refused as it would be by a council's server.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: The Debian package that holds the server (initdb, pg_ctl, postgres).
DEBIAN_PACKAGE = "postgresql"
#: The unprivileged user the server runs as when the tests run as root.
SERVER_USER = "postgres"
SUPERUSER = "earlyhelp_admin"


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (Debian keeps them off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def ensure_postgres() -> Path | None:
    """The server's binaries; installs Debian's ``postgresql`` when missing and root may (apt)."""
    if (found := server_binaries()) is not None:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {DEBIAN_PACKAGE} (Debian) for the database tests...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", DEBIAN_PACKAGE],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        return server_binaries()
    print(
        f"{DEBIAN_PACKAGE} is not installed and cannot be installed from here (needs root and "
        "apt-get): the PostgreSQL tests will be skipped (and fail under CI)."
    )
    return None


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None."""
    if server_binaries() is None:
        return "PostgreSQL's server is not installed (python -m helpers.dev.postgres --ensure)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and there is no unprivileged user {SERVER_USER!r} to run it"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TemporaryServer:
    """A PostgreSQL cluster in a new folder; :meth:`start`, :meth:`psql`, :meth:`stop`."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="earlyhelp-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _as_server_user(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", SERVER_USER, "--", *args] if os.geteuid() == 0 else args

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(self._as_server_user(args), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> TemporaryServer:
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError(unavailable_reason() or "no PostgreSQL server")
        if os.geteuid() == 0:
            shutil.chown(self.folder, user=SERVER_USER)
        self._run(
            [
                str(binaries / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.folder / "server.log"
        self._run([str(binaries / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-o",
                   options, "start"])  # fmt: skip
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the cluster's superuser over the socket; its output."""
        done = subprocess.run(
            ["psql", "-h", str(self.folder), "-p", str(self.port), "-U", SUPERUSER, "-d",
             database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def url(self, role: str, database: str, host: str = "127.0.0.1") -> str:
        """The URL of ``database`` for ``role`` over TCP, without a password."""
        return f"postgresql+psycopg://{role}@{host}:{self.port}/{database}"

    def stop(self) -> None:
        binaries = server_binaries()
        if binaries is not None and self.data.is_dir():
            subprocess.run(
                self._as_server_user(
                    [str(binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.dev.postgres", description=__doc__)
    parser.add_argument("--ensure", action="store_true", help="install postgresql if missing")
    args = parser.parse_args(argv)
    if args.ensure:
        ensure_postgres()
        return 0
    parser.error("give --ensure")
    return 2


if __name__ == "__main__":
    sys.exit(main())
