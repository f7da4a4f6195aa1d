"""The monthly batch on the Standard Safeguarding Dataset in a real PostgreSQL server, and in
SQLite: the same shared tables as the native run on the same episodes; and each way a database
can be wrong is one sentence, exit 2, with no password anywhere.

The server is Debian's PostgreSQL, started once for the session in a temporary folder
(``helpers.dev.postgres``); the synthetic SSD is loaded into it by the dev command (as a
loader role that owns the database), and the batch reads it as a role with SELECT rights only.
Passwords are made for the session and given through the environment, as an analyst gives them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import skip_or_fail
from in_process import run_notebook

from helpers.config import PROJECT_ROOT
from helpers.database import PASSWORD_ENV
from helpers.dev.postgres import TemporaryServer, unavailable_reason

pytestmark = pytest.mark.slow  # runs notebooks through Papermill

SHARED = (
    "open_by_lead_agency",
    "open_by_holder",
    "opened_closed_by_month",
    "outcomes_by_month",
    "outcomes_ytd",
    "outcome_rates_by_month",
    "benchmark",
    "time_open_bands",
)
READER, LOADER = "ssd_reader", "ssd_loader"


class Server:
    """The session's server, its roles' passwords, and the databases made on it."""

    def __init__(self, server: TemporaryServer) -> None:
        self.server = server
        self.passwords = {READER: secrets.token_urlsafe(18), LOADER: secrets.token_urlsafe(18)}
        for role, password in self.passwords.items():
            server.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")

    def database(self, name: str, after_load: str = "") -> str:
        """A database ``name`` holding the synthetic SSD (changed by ``after_load``, SQL run
        as its owner), readable by the reader role; the reader's URL."""
        self.server.psql(f"CREATE DATABASE {name} OWNER {LOADER}")
        load = subprocess.run(
            [sys.executable, "-m", "helpers.dev.synthetic_ssd", "--load",
             self.server.url(LOADER, name)],
            cwd=PROJECT_ROOT, capture_output=True, text=True,
            env={**os.environ, PASSWORD_ENV: self.passwords[LOADER]},
        )  # fmt: skip
        assert load.returncode == 0, load.stderr
        grants = (
            f"GRANT CONNECT ON DATABASE {name} TO {READER}; "
            f"GRANT USAGE ON SCHEMA public TO {READER}; "
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}; "
        )
        self.server.psql(f"SET ROLE {LOADER}; {after_load} {grants}", name)
        return self.server.url(READER, name)


@pytest.fixture(scope="session")
def postgres() -> Server:
    if (reason := unavailable_reason()) is not None:
        skip_or_fail(reason)
    server = TemporaryServer().start()
    try:
        yield Server(server)
    finally:
        server.stop()


def batch(
    data_dir: str, out: Path, password: str | None
) -> tuple[subprocess.CompletedProcess, str]:
    """The monthly batch of March 2016 on ``data_dir``; the run, and every word it left."""
    env = {**os.environ, "EARLYHELP_NO_PROGRESS": "1"}
    env.pop(PASSWORD_ENV, None)
    if password is not None:
        env[PASSWORD_ENV] = password
    run = subprocess.run(
        [sys.executable, "-m", "helpers.batch", "--month", "2016-03", "--data-dir", data_dir,
         "--output-dir", str(out), "--jobs", "2"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    kinds = {".log", ".html", ".csv", ".json", ".ipynb"}
    written = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in out.rglob("*")
        if p.is_file() and p.suffix in kinds
    ]
    return run, "\n".join([run.stdout, run.stderr, *written])


@pytest.fixture(scope="module")
def native_tables(tmp_path_factory) -> Path:
    """The shared tables of the native synthetic extract for March 2016, its notebooks run in
    this process (the batch itself is what the database runs test)."""
    tables = tmp_path_factory.mktemp("native_tables")
    for name in ("01_open_by_lead_agency", "02_opened_closed_outcomes"):
        run = run_notebook(name, report_month="2016-03", output_dir=str(tables))
        assert run.error is None, run.error
    run = run_notebook(
        "03_cff_caseload_by_time_open", snapshot_date="2016-03-31", output_dir=str(tables)
    )
    assert run.error is None, run.error
    return tables


def _same_shared_tables(report: Path, native: Path) -> None:
    for name in SHARED:
        ours = pd.read_csv(report / "tables" / f"{name}.csv")
        theirs = pd.read_csv(native / f"{name}.csv")
        pd.testing.assert_frame_equal(ours, theirs, obj=name)


def test_the_batch_on_postgresql_gives_the_native_tables_as_a_read_only_role(
    postgres, native_tables, tmp_path
):
    url = postgres.database("ssd")
    password = postgres.passwords[READER]
    run, words = batch(url, tmp_path, password)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in words and password not in words
    report = tmp_path / "2016-03"
    _same_shared_tables(report, native_tables)
    log = (report / "run.log").read_text(encoding="utf-8")
    assert f"data: {url}" in log
    assert f"Standard Safeguarding Dataset (invented data), read from {url}" in log
    assert url in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert url in (report / "html" / "01_open_by_lead_agency.html").read_text(encoding="utf-8")
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace(READER, f"{READER}:{password}"))
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as s:
        s.execute(sa.text("DELETE FROM ssd_person"))  # the role the run used only reads
    engine.dispose()


def test_the_batch_on_sqlite_gives_the_native_tables(native_tables, tmp_path):
    url = f"sqlite:///{tmp_path / 'ssd.db'}"
    load = subprocess.run(
        [sys.executable, "-m", "helpers.dev.synthetic_ssd", "--load", url],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert load.returncode == 0, load.stderr
    run, words = batch(url, tmp_path / "out", None)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in words
    _same_shared_tables(tmp_path / "out" / "2016-03", native_tables)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("wrong password", "the server refused role 'ssd_reader'"),
        ("unreachable host", "the database server at 127.0.0.1:1 cannot be reached"),
        ("missing table", "the database has no table ssd_person in the default schema"),
        ("missing column", "column earl_episode_end_reason: column is missing from the table"),
        ("password in the URL", "--data-dir gives a password inside the database URL"),
        ("no SELECT", "role 'ssd_reader' may not read the SSD's tables"),
    ],
)
def test_each_wrong_database_is_one_sentence_exit_2_and_no_password(
    postgres, tmp_path, case, expected
):
    password = postgres.passwords[READER]
    elsewhere = postgres.server.url(READER, "postgres")  # a database the reader may open
    if case == "wrong password":
        data_dir, given = elsewhere, "not-" + password
    elif case == "unreachable host":
        data_dir, given = "postgresql+psycopg://ssd_reader@127.0.0.1:1/ssd", password
    elif case == "missing table":
        data_dir, given = postgres.database("ssd_no_person", "DROP TABLE ssd_person;"), password
    elif case == "missing column":
        drop = "ALTER TABLE ssd_early_help_episodes DROP COLUMN earl_episode_end_reason;"
        data_dir, given = postgres.database("ssd_no_reason", drop), password
    elif case == "no SELECT":
        data_dir, given = postgres.database("ssd_no_select"), password
        postgres.server.psql(f"REVOKE SELECT ON ssd_person FROM {READER}", "ssd_no_select")
    else:  # the password in the URL, none in the environment
        data_dir, given = elsewhere.replace(READER, f"{READER}:{password}"), None
    run, words = batch(data_dir, tmp_path, given)
    assert run.returncode == 2, run.stdout + run.stderr
    assert expected in run.stderr
    assert "Traceback" not in words
    assert password not in words
    assert not (tmp_path / "2016-03").exists()  # no report written


def test_libpqs_own_pgpassword_is_read_too(postgres, monkeypatch):
    from helpers.ssd import load_ssd

    url = postgres.server.url(READER, "ssd")  # made by the batch test above, or made here
    if "ssd" not in postgres.server.psql("SELECT datname FROM pg_database").split():
        url = postgres.database("ssd")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setenv("PGPASSWORD", postgres.passwords[READER])
    extract = load_ssd(url)
    assert (extract.source, extract.is_synthetic, len(extract.episodes)) == (url, True, 8114)
