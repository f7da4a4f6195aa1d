"""The synthetic Standard Safeguarding Dataset: the synthetic extract's episodes as SSD tables.

    python -m helpers.dev.synthetic_ssd                   # writes data/raw/synthetic_ssd/
    python -m helpers.dev.synthetic_ssd --out DIR         # the CSV tables, elsewhere
    python -m helpers.dev.synthetic_ssd --load URL        # the tables, into a database

The episodes are the committed synthetic extract's (made by ``helpers.dev.synthetic`` from its
fixed seed), so the shared tables of a report agree with the native run's: each becomes a row
of ``ssd_early_help_episodes`` with the same id, child and dates, its closure reason written as
an SSD end reason that ``config/ssd.yaml`` maps back to it, and an organisation of its lead
agency (the synthetic Annex A workbook's names). Each child is a row of ``ssd_person`` with a
sex, an ethnicity and a date of birth drawn from the same seed (the report reads none of them).
Column names and types are the SSD's (``helpers.ssd``). No real child is in it.

``--load`` creates the two tables in the database the URL names (replacing them), with the
SSD's column types, and loads the CSV rows; the password comes from
``EARLYHELP_DATABASE_PASSWORD`` (or libpq's own places), never from the URL.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.database import (
    DatabaseProblem,
    connection_sentence,
    parse_url,
    refuse_password_in_url,
    with_password,
)
from helpers.dev.synthetic import SEED
from helpers.dev.synthetic_annex_a import ETHNICITIES, ETHNICITY_WEIGHTS, ORGANISATIONS
from helpers.extract import SYNTHETIC_DIR, SYNTHETIC_MANIFEST, load_extract
from helpers.extract_problems import Problems
from helpers.ssd import SYNTHETIC_SSD_DIR, rows_sha256, squeeze, ssd_settings
from helpers.ssd_tables import EPISODES, PERSON, read_folder

EXTRACT_DATE = "2016-03-31"  # the synthetic extract's
#: Each closure reason as the SSD records it: end reasons config/ssd.yaml maps back to it.
END_REASONS = {
    "Action Plan completed NFA": ["Outcomes met", "NFA", "No further action"],
    "Child moved to another LA": ["Moved out of area"],
    "Non-engagement": ["Family disengaged", "Consent withdrawn"],
    "Referral to Social Care": ["Step-up to social care"],
    "Referral to outside Agency": ["Step-across to another agency"],
    "Service requested unavailable": ["Service not available"],
}
#: EARL005A's categories, as the SSD's guidance lists them.
INVOLVEMENT_REASONS = [
    "Parenting and Family Dynamics",
    "Child Well-being and Development",
    "Mental Health (Parent or Child)",
    "Domestic Violence/ Abuse",
    "Socio-economic Challenges",
    "Alcohol/ Substance Misuse (Parent or Child)",
    "Special Circumstances/ Vulnerabilities",
    "Other",
]
EPISODE_TYPES = {
    "earl_episode_id": "text48",
    "earl_person_id": "text48",
    "earl_episode_start_date": "datetime",
    "earl_episode_end_date": "datetime",
    "earl_episode_reason": "text100",
    "earl_episode_end_reason": "text100",
    "earl_episode_organisation": "text100",
    "earl_episode_worker_id": "text48",
}
PERSON_TYPES = {
    "pers_person_id": "text48",
    "pers_sex": "text48",
    "pers_ethnicity": "text48",
    "pers_dob": "datetime",
}
TYPES = {EPISODES: EPISODE_TYPES, PERSON: PERSON_TYPES}


def _draw(rng: np.random.Generator, choices: list[str], n: int) -> list[str]:
    return [choices[i] for i in rng.integers(0, len(choices), n)]


def ssd_tables(episodes: pd.DataFrame, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The synthetic extract's ``episodes`` as the SSD's two tables (text and timestamps)."""
    rng = np.random.default_rng(seed + 25)
    chosen = episodes.sort_values("episode_id", kind="stable").reset_index(drop=True)
    reasons = [
        END_REASONS[r][int(rng.integers(0, 99)) % len(END_REASONS[r])] if pd.notna(r) else None
        for r in chosen["closure_reason"].astype(object)
    ]
    organisations = [
        ORGANISATIONS[a][int(rng.integers(0, 99)) % len(ORGANISATIONS[a])]
        for a in chosen["lead_agency"].astype(str)
    ]
    table = pd.DataFrame(
        {
            "earl_episode_id": chosen["episode_id"].astype(str),
            "earl_person_id": chosen["child_id"].astype(str),
            "earl_episode_start_date": chosen["start_date"],
            "earl_episode_end_date": chosen["end_date"],
            "earl_episode_reason": _draw(rng, INVOLVEMENT_REASONS, len(chosen)),
            "earl_episode_end_reason": reasons,
            "earl_episode_organisation": organisations,
            "earl_episode_worker_id": [f"W{n:04d}" for n in rng.integers(1, 400, len(chosen))],
        }
    )
    return {EPISODES: table, PERSON: _people(rng, chosen)}


def _people(rng: np.random.Generator, episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per child: a sex, an ethnicity, and a birth before the child's first episode."""
    first = episodes.groupby("child_id", sort=True)["start_date"].min()
    n = len(first)
    weights = ETHNICITY_WEIGHTS / ETHNICITY_WEIGHTS.sum()
    age_days = rng.integers(0, 17 * 365, n)
    return pd.DataFrame(
        {
            "pers_person_id": first.index.astype(str),
            "pers_sex": rng.choice(["M", "F", "U"], n, p=[0.51, 0.48, 0.01]),
            "pers_ethnicity": [ETHNICITIES[i] for i in rng.choice(len(ETHNICITIES), n, p=weights)],
            "pers_dob": (first - pd.to_timedelta(age_days, unit="D")).to_numpy(),
        }
    )


def to_csv_text(frame: pd.DataFrame) -> str:
    """A table as committed: UTF-8, ISO dates, blank for none, one line a row."""
    return frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")


def generate(seed: int = SEED) -> dict[str, str]:
    """Each table's CSV text, made from the committed synthetic extract."""
    episodes = load_extract(SYNTHETIC_DIR).episodes
    return {name: to_csv_text(frame) for name, frame in ssd_tables(episodes, seed).items()}


def manifest(folder: Path) -> dict:
    """The manifest of the tables in ``folder``: the checksum of the rows the reader reads."""
    read = read_folder(folder, Problems())
    return {
        "synthetic": True,
        "generator": "helpers.dev.synthetic_ssd",
        "seed": SEED,
        "extract_date": EXTRACT_DATE,
        "sha256": rows_sha256(read.tables[EPISODES]),
        "note": (
            "The committed synthetic extract's episodes as the Standard Safeguarding Dataset's "
            "tables (ssd_early_help_episodes, ssd_person). Invented data: no real child."
        ),
    }


def write_ssd(folder: Path, seed: int = SEED) -> Path:
    """The tables as CSV files in ``folder``, with the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in generate(seed).items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    record = json.dumps(manifest(folder), indent=2) + "\n"
    (folder / SYNTHETIC_MANIFEST).write_text(record, encoding="utf-8")
    return folder


def unmapped_end_reasons() -> list[str]:
    """The generator's end reasons that config/ssd.yaml does not map back (none, or a bug)."""
    mapped = ssd_settings().end_reasons
    return [
        reason
        for outcome, reasons in END_REASONS.items()
        for reason in reasons
        if mapped.get(squeeze(reason)) != outcome
    ]


def load_into(url: str, folder: Path = SYNTHETIC_SSD_DIR) -> int:
    """The CSV tables of ``folder`` loaded into the database ``url`` names, replacing the two
    tables; returns the rows loaded."""
    import sqlalchemy as sa

    refuse_password_in_url(url, "--load")
    kinds = {"text48": sa.String(48), "text100": sa.String(100), "datetime": sa.DateTime()}
    metadata = sa.MetaData()
    tables = {
        name: sa.Table(
            name,
            metadata,
            *(sa.Column(c, kinds[k], primary_key=i == 0) for i, (c, k) in enumerate(t.items())),
        )
        for name, t in TYPES.items()
    }
    engine = sa.create_engine(with_password(parse_url(url)))
    loaded = 0
    try:
        with engine.begin() as session:
            metadata.drop_all(session)
            metadata.create_all(session)
            for name, table in tables.items():
                rows = _rows(folder / f"{name}.csv", TYPES[name])
                session.execute(table.insert(), rows)
                loaded += len(rows)
    except sa.exc.OperationalError as error:
        raise DatabaseProblem(connection_sentence(parse_url(url), error)) from None
    finally:
        engine.dispose()
    return loaded


def _rows(path: Path, types: dict[str, str]) -> list[dict]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = []
    for record in frame.to_dict("records"):
        rows.append(
            {
                column: None
                if record[column] == ""
                else pd.Timestamp(record[column]).to_pydatetime()
                if kind == "datetime"
                else record[column]
                for column, kind in types.items()
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.dev.synthetic_ssd",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default=str(SYNTHETIC_SSD_DIR), help="folder for the CSVs")
    parser.add_argument("--load", metavar="URL", help="load the committed tables into a database")
    args = parser.parse_args(argv)
    try:
        if args.load:
            print(f"loaded {load_into(args.load):,} rows")
            return 0
    except DatabaseProblem as problem:
        print(problem, file=sys.stderr)
        return 2
    print(f"written: {write_ssd(Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
