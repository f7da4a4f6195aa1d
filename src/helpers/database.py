"""Database URLs: recognising one, its credentials, and its failures as sentences.

An input may be a database rather than a file: ``--data-dir`` (an edition's ``data_dir``, a
notebook's ``data_dir``) then holds a SQLAlchemy URL (``postgresql+psycopg://reader@host/ssd``,
``mssql+pyodbc://...``, ``sqlite:///path/ssd.db``). The URL names the database and the role; it
never holds the password, which would be kept in the shell's history, the run log and every page
that names the data. The password comes from the environment: ``EARLYHELP_DATABASE_PASSWORD``,
or libpq's own ``PGPASSWORD`` or ``~/.pgpass`` file, which psycopg reads itself.

Everything that names a database (the run log, the pages, messages) names it by
:func:`shown_url`, which has no password. A failure to connect or read is a
:class:`DatabaseProblem`: one sentence saying what to fix, never the driver's traceback.

Floor 1: SQLAlchemy is imported only when a database is opened, so that a kernel that reads a
validated copy never loads it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.config import SentenceError

if TYPE_CHECKING:
    import sqlalchemy as sa

#: Where the password is read from, before the driver's own places (PGPASSWORD, ~/.pgpass).
PASSWORD_ENV = "EARLYHELP_DATABASE_PASSWORD"
#: A URL as SQLAlchemy writes one: a dialect, an optional driver, then ``://``.
URL_PATTERN = re.compile(r"^[a-z][a-z0-9]*(\+[a-z0-9_]+)?://", re.IGNORECASE)
#: Seconds to wait for a server before saying it cannot be reached.
CONNECT_TIMEOUT_SECONDS = 10
#: URL query keys that carry a secret (psycopg reads ``password`` from the query too).
SECRET_KEYS = frozenset({"password", "passwd", "pwd"})
WHERE_PASSWORD_GOES = (
    f"put the password in the environment instead ({PASSWORD_ENV}, or PGPASSWORD, or a line in "
    "~/.pgpass for PostgreSQL): the URL is written in the run log, the shell's history and on "
    "every page that names the data"
)


class DatabaseProblem(SentenceError, ValueError):
    """A database that cannot be opened or read as given: the message says what to fix."""


def is_database_url(value: object) -> bool:
    """Whether ``value`` is a database URL (``dialect[+driver]://...``) rather than a path."""
    return isinstance(value, str) and bool(URL_PATTERN.match(value.strip()))


def parse_url(text: str) -> sa.URL:
    """The URL as SQLAlchemy reads it; a :class:`DatabaseProblem` when it cannot be read."""
    import sqlalchemy as sa

    try:
        return sa.make_url(text.strip())
    except sa.exc.ArgumentError:
        raise DatabaseProblem(
            f"{_masked(text)} is not a database URL SQLAlchemy can read: write it as "
            "dialect+driver://role@host:port/database (for example "
            "postgresql+psycopg://earlyhelp_reader@warehouse:5432/ssd) or sqlite:///path/to/ssd.db"
        ) from None


def refuse_password_in_url(text: str, where: str) -> None:
    """Refuse a URL that carries a password (``role:secret@host`` or ``?password=``), naming
    ``where`` it was given and where the password goes instead; the message never shows it."""
    url = parse_url(text)
    secret_query = SECRET_KEYS & {key.lower() for key in url.query}
    if url.password is not None or secret_query:
        raise DatabaseProblem(
            f"{where} gives a password inside the database URL ({shown_url(text)}): remove it "
            f"from the URL and {WHERE_PASSWORD_GOES}."
        )


def shown_url(text: str) -> str:
    """The URL without its password (and without any secret query value): how every record
    of the run names the database."""
    import sqlalchemy as sa

    try:
        url = sa.make_url(text.strip())
    except sa.exc.ArgumentError:
        return _masked(text)
    query = {k: v for k, v in url.query.items() if k.lower() not in SECRET_KEYS}
    # URL.set(password=None) would keep the password (None there means "unchanged").
    bare = sa.URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, query
    )
    return bare.render_as_string(hide_password=False)


def _masked(text: str) -> str:
    """A string that may hold ``role:secret@``, with the secret cut out (for messages about a
    URL too broken to parse)."""
    return re.sub(r"(://[^/:@]*):[^@/]*@", r"\1@", text.strip())


def source_name(source: str) -> str:
    """How a report names its input: a database by its URL (no password), a file or folder by
    its name."""
    return shown_url(source) if is_database_url(source) else Path(source).name


def with_password(url: sa.URL) -> sa.URL:
    password = os.environ.get(PASSWORD_ENV)
    return url.set(password=password) if password else url


def _connect_args(url: sa.URL) -> dict:
    """Driver options: a bounded wait for a server that does not answer."""
    if url.get_backend_name() == "postgresql":
        return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if url.get_backend_name() == "mssql":
        return {"timeout": CONNECT_TIMEOUT_SECONDS}
    return {}


@contextmanager
def connection(text: str) -> Iterator[sa.Connection]:
    """A read-only session on the database ``text`` names (password from the environment);
    each failure to open it is a :class:`DatabaseProblem` naming what to fix."""
    import sqlalchemy as sa

    url = parse_url(text)
    if url.get_backend_name() == "sqlite":
        _refuse_missing_sqlite_file(url)
    try:
        engine = sa.create_engine(with_password(url), connect_args=_connect_args(url))
    except (ImportError, sa.exc.NoSuchModuleError) as error:
        raise DatabaseProblem(
            f"no database driver for {url.drivername!r} is installed here ({error}); "
            "PostgreSQL (postgresql+psycopg) and SQLite (sqlite) are installed with the project, "
            "another database needs its SQLAlchemy driver installed (pip install ...)"
        ) from None
    try:
        try:
            session = engine.connect()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            raise DatabaseProblem(connection_sentence(url, error)) from None
        with session:
            yield session
    finally:
        engine.dispose()


def _refuse_missing_sqlite_file(url: sa.URL) -> None:
    """SQLite makes an empty database where a file is missing: say it is missing instead."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise DatabaseProblem(
            f"there is no SQLite database file {database}: check the path after "
            "sqlite:/// (three slashes, then the path; four for an absolute path)"
        )


def connection_sentence(url: sa.URL, error: Exception) -> str:
    """What a failure to connect means, and what to fix, in one sentence (never the password:
    the driver's own first line is quoted, with the password cut out if it ever held one)."""
    detail = str(getattr(error, "orig", error)).strip().splitlines()
    said = detail[0] if detail else type(error).__name__
    password = os.environ.get(PASSWORD_ENV)
    if password:
        said = said.replace(password, "***")
    lowered = said.lower()
    role = url.username or "(no role given)"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"the server refused role {role!r} ({said}): give the read-only role's "
            f"password in {PASSWORD_ENV} (or PGPASSWORD, or ~/.pgpass), and check the role "
            "named before the @ in the URL"
        )
    if "does not exist" in lowered and "database" in lowered:
        return (
            f"the server has no database {url.database!r} ({said}): check the name "
            "after the last / in the URL"
        )
    where = f"{url.host or 'localhost'}" + (f":{url.port}" if url.port else "")
    return (
        f"the database server at {where} cannot be reached ({said}): check the host and "
        "port in the URL, that the server is running, and that it accepts connections from "
        "this machine"
    )
