"""The synthetic Annex A workbook: the synthetic extract's episodes as an inspection's List 2.

    python -m helpers.dev.synthetic_annex_a    # writes data/raw/synthetic_annex_a/

The episodes come from the committed synthetic extract (made by ``helpers.dev.synthetic`` from
its fixed seed); each becomes an assessment started and completed on the episode's dates, by an
organisation of its lead agency, with an age, sex and ethnicity drawn from the same seed. The
workbook has all eleven lists, each with the mess authorities' workbooks have: title rows above
the header, header spellings, letter prefixes that come and go, Excel and text dates, ``#N/A``
and formulas. Only List 2 is read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.annex_a import file_sha256
from helpers.config import PROJECT_ROOT
from helpers.dev.synthetic import SEED
from helpers.extract import SYNTHETIC_DIR, SYNTHETIC_MANIFEST, load_extract

ANNEX_A_DIR = PROJECT_ROOT / "data" / "raw" / "synthetic_annex_a"
WORKBOOK = "annex_a_example.xlsx"
INSPECTION_DATE = dt.date(2016, 3, 31)  # the synthetic extract's date
FIRST_DAY = dt.date(2015, 10, 1)  # six months before

LIST_2_HEADERS = (
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Assessment start date",
    "Assessment completion date",
    "Organisation completing assessment",
)
ORGANISATIONS = {
    "Children & Families First": [
        "Early Help Locality Team North",
        "Early Help Locality Team South",
        "Children & Families First",
    ],
    "Children's Centre": ["Hillfields Children's Centre", "Foleshill Childrens Centre"],
    "Children's Services": ["Children's Services Duty Team"],
    "Education": ["Education Inclusion Service"],
    "Health": ["Health Visiting Team", "School Nurse Service"],
    "School": ["Whitley Academy", "St John's Primary School", "Caludon Castle School"],
}
#: Names no group of config/annex_a.yaml holds: shown as recorded, listed for the analyst.
UNMAPPED = ["Positive Youth Foundation"]
SEXES = ["a) Male", "b) Female", "c) Not stated/recorded", "d) Neither"]
ETHNICITIES = [
    "WBRI",
    "WIRI",
    "WIRT",
    "WOTH",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
]
ETHNICITY_WEIGHTS = np.array(
    [62, 1, 0.3, 5, 0.5, 2, 1, 1, 1.5, 5, 4, 1, 1.5, 0.5, 5, 1, 0.5, 2, 1, 2], dtype=float
)


def list_2_rows(
    episodes: pd.DataFrame,
    seed: int = SEED,
    since: dt.date | None = None,
    as_recorded: bool = False,
) -> pd.DataFrame:
    """Episodes as List 2 rows (the headers of :data:`LIST_2_HEADERS`, clean values).

    ``since``: only assessments started on or after it (an inspection's six months).
    ``as_recorded``: the organisation is the lead agency itself, so that the native and List 2
    runs group alike; otherwise an organisation of the agency is drawn from the seed.
    """
    rng = np.random.default_rng(seed)
    chosen = episodes.sort_values(["start_date", "episode_id"], kind="stable")
    if since is not None:
        chosen = chosen[chosen["start_date"] >= pd.Timestamp(since)]
    children = pd.Index(chosen["child_id"].astype(str).unique())
    n = len(children)
    ages = pd.Series(rng.integers(0, 18, n) + rng.random(n) * 0.99, index=children)
    sexes = pd.Series(rng.choice(4, n, p=[0.51, 0.47, 0.015, 0.005]), index=children)
    ethnicity = pd.Series(
        rng.choice(len(ETHNICITIES), n, p=ETHNICITY_WEIGHTS / ETHNICITY_WEIGHTS.sum()),
        index=children,
    )
    child = chosen["child_id"].astype(str)
    age = ages.reindex(child).to_numpy()
    reference = pd.Timestamp(INSPECTION_DATE)
    birth = reference - pd.to_timedelta(np.round(age * 365.25), unit="D")
    # A child is born by the day its first assessment starts (the reader refuses a birth after
    # the start): the youngest are born that day at the latest.
    first_start = chosen.groupby(child.to_numpy())["start_date"].transform("min").to_numpy()
    birth = pd.DatetimeIndex(np.minimum(birth.to_numpy(), first_start))
    if as_recorded:
        organisation = chosen["lead_agency"].astype(str).to_numpy()
    else:
        organisation = [
            ORGANISATIONS.get(agency, [agency])[
                int(rng.integers(0, 99)) % len(ORGANISATIONS.get(agency, [agency]))
            ]
            for agency in chosen["lead_agency"].astype(str)
        ]
    return pd.DataFrame(
        {
            LIST_2_HEADERS[0]: child.to_numpy(),
            LIST_2_HEADERS[1]: [SEXES[i] for i in sexes.reindex(child)],
            LIST_2_HEADERS[2]: [
                f"{chr(ord('a') + i)}) {ETHNICITIES[i]}" for i in ethnicity.reindex(child)
            ],
            LIST_2_HEADERS[3]: pd.DatetimeIndex(birth).normalize(),
            LIST_2_HEADERS[4]: np.floor(age).astype(int),
            LIST_2_HEADERS[5]: chosen["start_date"].to_numpy(),
            LIST_2_HEADERS[6]: chosen["end_date"].to_numpy(),
            LIST_2_HEADERS[7]: organisation,
        }
    )


def write_list_2_workbook(
    rows: pd.DataFrame, path: Path, messy: bool = False, seed: int = SEED
) -> Path:
    """An Annex A workbook holding ``rows`` as List 2 (and the other ten lists, a few rows each).

    ``messy``: what authorities' workbooks hold (see the module's docstring).
    """
    from openpyxl import Workbook

    rng = np.random.default_rng(seed + 2)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for number in range(1, 12):
        sheet = workbook.create_sheet(f"List {number}")
        if number != 2:
            _other_list(sheet, number, rng)
            continue
        if messy:
            sheet.append(["Annex A - List 2: Early help"])
            sheet.append(
                [f"Inspection date {INSPECTION_DATE:%d/%m/%Y}. Synthetic data: no real child."]
            )
        sheet.append(list(LIST_2_HEADERS))
        for values in rows.itertuples(index=False):
            cells = [_cell(v) for v in values]
            if messy:
                cells = _mess(cells, rng)
            sheet.append(cells)
    workbook.properties.creator = "helpers.dev.synthetic_annex_a"
    fixed = dt.datetime(2016, 3, 31, 12, 0, 0)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    return value


def _mess(cells: list, rng: np.random.Generator) -> list:
    """One row as authorities fill it in: some prefixes dropped, some dates as text."""
    draw = rng.random(6)
    if draw[0] < 0.15:  # the letter prefix left off
        cells[1] = cells[1].split(") ", 1)[-1]
    if draw[1] < 0.1:
        cells[2] = cells[2].split(") ", 1)[-1]
    if draw[2] < 0.2 and cells[5] is not None:  # a date typed as text, day first
        cells[5] = f"{cells[5]:%d/%m/%Y}"
    if draw[3] < 0.05:
        cells[3] = None  # date of birth not recorded
    if draw[4] < 0.1:
        cells[4] = round(float(cells[4]) + float(rng.random()) * 0.9, 1)  # age with decimals
    if draw[5] < 0.01:
        cells[7] = UNMAPPED[0]
    return cells


def _other_list(sheet, number: int, rng: np.random.Generator) -> None:  # noqa: ANN001
    """A list other than List 2: a title row, a header and a few rows with the usual mess."""
    sheet.append([f"Annex A - List {number}"])
    sheet.append(
        ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Referral date", "Notes"]
    )
    for row in range(4):
        sheet.append(
            [
                f"X{number:02d}{row:03d}",
                ["a) Male", "Female", "#N/A"][row % 3],
                ["a) WBRI", "WBRI", "t) NOBT"][row % 3],
                dt.datetime(2008, 1 + row, 10) if row % 2 else "03/02/2009",
                "=TODAY()-30" if row == 0 else dt.datetime(2016, 1, 5 + row),
                "#N/A" if row == 3 else f"=COUNTA(A3:A{3 + row})",
            ]
        )


def write_example(folder: Path = ANNEX_A_DIR) -> Path:
    """The committed Annex A example, and its manifest (date taken, checksum)."""
    extract = load_extract(SYNTHETIC_DIR)
    rows = list_2_rows(extract.episodes, since=FIRST_DAY)
    path = write_list_2_workbook(rows, folder / WORKBOOK, messy=True)
    manifest = {
        "synthetic": True,
        "generator": "helpers.dev.synthetic_annex_a",
        "seed": SEED,
        "file": WORKBOOK,
        "extract_date": INSPECTION_DATE.isoformat(),
        "sha256": file_sha256(path),
        "note": "The synthetic extract's assessments started in the six months to 31 March 2016, "
        "as an Annex A workbook. Invented data: no real child.",
    }
    (folder / SYNTHETIC_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", default=str(ANNEX_A_DIR))
    args = parser.parse_args(argv)
    print(write_example(Path(args.folder)))


if __name__ == "__main__":
    main()
