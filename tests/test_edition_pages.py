"""Each page's title and header, and the edition's front page (helpers.edition_pages)."""

from __future__ import annotations

import datetime as dt
import re

import folium
import nbformat
import pandas as pd
import pytest

from helpers import batch, outputs
from helpers.commentary import (
    COMMENTARY_PARTS,
    commentary_folder,
    missing_commentary,
    read_commentary,
    section_commentary_html,
)
from helpers.config import PROJECT_ROOT
from helpers.edition_pages import (
    INTERACTIVE_MAP_NOTE,
    EditionFacts,
    index_html,
    page_title,
    render_page,
    section_name,
)
from helpers.preflight import RefusedError


def _facts(**changes) -> EditionFacts:
    facts = {
        "title": "Improvement Board performance dashboard, October 2015",
        "period": "2015-10",
        "produced": dt.datetime(2026, 11, 23, 17, 5),
        "data_source": {"synthetic": True, "extract": "synthetic", "extract_sha256": "ab" * 32},
        "code_version": "earlyhelp-reporting 0.1.0 (git 70bdbb4)",
    }
    return EditionFacts(**{**facts, **changes})


def _notebook(*outputs_: dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 1.1 Number of CAFs by lead agency\n\nWhat it shows."),
        nbformat.v4.new_code_cell("x = 1", outputs=list(outputs_)),
    ]
    return nb


def test_the_section_is_the_page_heading_and_the_title_names_the_edition_once():
    assert section_name(_notebook(), "01_x") == "1.1 Number of CAFs by lead agency"
    assert section_name(nbformat.v4.new_notebook(), "01_x") == "01_x"
    assert page_title("Budget", _facts()) == (
        "Budget – Improvement Board performance dashboard, October 2015 (analysts' edition)"
    )
    assert page_title("Budget", _facts(title="Report month 2016-02", period="2016-02")) == (
        "Budget – Report month 2016-02, February 2016 (analysts' edition)"
    )


def test_a_page_carries_the_header_and_no_interactive_map(tmp_path):
    interactive = folium.Map(tiles=None)._repr_html_()
    output = nbformat.v4.new_output("display_data", data={"text/html": interactive})
    executed = tmp_path / "01_open_by_lead_agency.ipynb"
    nbformat.write(_notebook(output), executed)
    target = tmp_path / "html" / "01_open_by_lead_agency.html"
    title = "<b>Board</b> & Co"
    assert render_page(executed, target, _facts(title=title)) == (
        "1.1 Number of CAFs by lead agency"
    )
    page = target.read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in page
    assert "<title>1.1 Number of CAFs by lead agency – &lt;b&gt;Board&lt;/b&gt; &amp; Co," in page
    assert "<b>Board</b>" not in page and "&lt;b&gt;Board&lt;/b&gt; &amp; Co" in page
    assert "23 November 2026 at 17:05" in page
    assert INTERACTIVE_MAP_NOTE.split(",")[0] in page
    sources = re.findall(r"""(?:src|href)=["']?(https?:[^"' >]+)""", page)
    assert sources == [], sources
    assert "leaflet" not in page.lower()


def test_the_front_page_lists_headlines_warnings_and_data_quality(tmp_path):
    report = tmp_path / "2015-10"
    (report / "tables").mkdir(parents=True)
    headline = {
        "key": "1.1",
        "title": "Number of CAFs by agency",
        "status": "Amber",
        "trend_arrow": "▼",
        "trend_words": "down on last month (worsening)",
        "measure": "Share held outside the local authority (%)",
        "value": "25.0%",
    }
    outputs.record_headline(headline, "01_open_by_lead_agency", report / "tables")
    pd.DataFrame(
        {"file": ["caf_episodes.csv"], "rows_read": [10], "rows_used": [9], "rows_left_out": [1]}
    ).to_csv(report / "tables" / "data_quality_counts.csv", index=False)
    facts = _facts(publish=True, warnings=["1 invalid row <was> left out"])
    sections = {"01_open_by_lead_agency": "1.1 Number of CAFs by lead agency"}
    page = index_html(facts, sections, report)
    assert not list(report.glob("*.headlines.json"))  # collected, not left in the report
    assert '<a href="html/01_open_by_lead_agency.html">1.1 Number of CAFs by agency</a>' in page
    assert "Share held outside the local authority: 25.0%. Trend: ▼ down on last month" in page
    assert ">Amber</span>" in page
    assert "<li>1 invalid row &lt;was&gt; left out</li>" in page
    assert "<td>10</td><td>9</td><td>1</td>" in page
    assert "a count from 1 to 4" in page and "Published edition, October 2015" in page
    assert "SHA-256 checksum " + "ab" * 32 in page


def test_missing_commentary_is_a_placeholder_for_analysts_and_refuses_publishing(tmp_path):
    folder = tmp_path / "2015-10"
    folder.mkdir()
    (folder / "01_open_by_lead_agency.md").write_text(
        "<!-- a note -->\n## Statistical commentary\n\nA <b>quarter</b> of CAFs.\n\n"
        "## Indicator owner\n\nHead of Early Help\n",
        encoding="utf-8",
    )
    assert read_commentary(folder, "01_open_by_lead_agency") == {
        "Statistical commentary": "A <b>quarter</b> of CAFs.",
        "Indicator owner": "Head of Early Help",
    }
    plan = ["01_open_by_lead_agency", "02_opened_closed_outcomes", "07_reconciliation"]
    missing = missing_commentary(folder, plan)
    assert [m.rsplit(": ", 1)[1] for m in missing] == [
        "Operational commentary",
        "Actions to improve",
        *COMMENTARY_PARTS,  # no file at all for 02; the reconciliation needs none
    ]
    analysts = section_commentary_html(folder, "01_open_by_lead_agency", publish=False)
    assert "A &lt;b&gt;quarter&lt;/b&gt; of CAFs." in analysts  # markup shown as written
    assert analysts.count("<strong>Commentary to come.</strong>") == 2
    published = section_commentary_html(folder, "01_open_by_lead_agency", publish=True)
    assert "Commentary to come" not in published
    with pytest.raises(RefusedError) as refused:
        batch.run_batch(
            {name: {} for name in plan},
            "2015-10",
            output_dir=tmp_path / "reports",
            progress=False,
            publish=True,
            commentary=folder,
        )
    assert "02_opened_closed_outcomes.md: Operational commentary" in str(refused.value)
    assert not (tmp_path / "reports").exists()  # refused before anything was written


def test_the_shipped_editions_have_all_their_commentary():
    for edition in ("board-2015-10", "cabinet-2016-03"):
        path = PROJECT_ROOT / "config" / "editions" / f"{edition}.yaml"
        plan = list(batch.Edition.load(path).notebooks)
        assert missing_commentary(commentary_folder(path), plan) == []


def test_the_front_page_says_a_partial_month_is_partial(tmp_path):
    from helpers.edition_pages import index_html

    facts = _facts(title="Early Help performance report", period="2016-04")
    (tmp_path / "tables").mkdir()
    assert "Partial month" not in index_html(facts, {}, tmp_path)
    facts.partial_since = dt.date(2016, 4, 10)
    assert (
        "<b>Partial month.</b> April 2016 is reported in part: the extract was taken on "
        "10 April 2016, before the month ended"
    ) in index_html(facts, {}, tmp_path)
