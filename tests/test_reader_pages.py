"""The report as its readers meet it (issue 13), in a real headless Chromium with no network.

Both shipped editions are run, as the analysts' and as the published edition; every page and
each edition's front page is opened with every host unreachable.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import skip_or_fail
from reader_browser import (
    all_text,
    alt_texts,
    axe_violations,
    load,
    offline_chromium,
    outside_requests,
    print_to_pdf,
)

from helpers import batch
from helpers.commentary import COMMENTARY_PARTS, WITHOUT_COMMENTARY, commentary_folder
from helpers.config import PROJECT_ROOT

#: Every test here runs the batch (Papermill) and Chromium.
pytestmark = pytest.mark.slow

EDITIONS = ("board-2015-10", "cabinet-2016-03")
#: What code looks like in a reader's text: a module, a file, a flag, a field name.
FORBIDDEN = {
    "a module": re.compile(r"helpers\."),
    "a CSV file": re.compile(r"\.csv\b"),
    "a config file": re.compile(r"\.ya?ml\b"),
    "a flag": re.compile(r"--"),
    "a field name": re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]"),
}


@pytest.fixture(scope="module")
def editions(tmp_path_factory, imd_mirror) -> dict[tuple[str, bool], Path]:
    """Each shipped edition, analysts' and published: edition and publish -> report folder."""
    out = tmp_path_factory.mktemp("reader")
    found = {}
    for name in EDITIONS:
        spec = batch.Edition.load(PROJECT_ROOT / "config" / "editions" / f"{name}.yaml")
        for publish in (False, True):
            found[name, publish] = batch.run_batch(
                spec.notebooks,
                spec.period,
                output_dir=out,
                jobs=2,
                progress=False,
                title=spec.name,
                publish=publish,
                commentary=commentary_folder(spec.path),
                edition=spec.path,
            )
    return found


@pytest.fixture(scope="module")
def browser():
    with offline_chromium() as driver:
        yield driver


def _pages(report: Path) -> list[Path]:
    return [report / "index.html", *sorted((report / "html").glob("*.html"))]


def test_no_page_asks_any_other_host_and_nothing_fails_to_load(editions, browser):
    problems = []
    for report in editions.values():
        for page in _pages(report):
            loaded = load(browser, page)
            problems += [f"{page}: asks {url}" for url in outside_requests(loaded)]
            problems += [f"{page}: failed {failure}" for failure in loaded.failed]
    assert not problems, "\n".join(problems)


def test_every_page_has_a_human_title_and_the_edition_header(editions, browser):
    for (name, publish), report in editions.items():
        spec = batch.Edition.load(PROJECT_ROOT / "config" / "editions" / f"{name}.yaml")
        which = "published edition" if publish else "analysts' edition"
        for page in sorted((report / "html").glob("*.html")):
            loaded = load(browser, page)
            heading = browser.find_element("tag name", "h1").text.strip()
            assert loaded.title == f"{heading} – {spec.name} ({which})", page
            assert not re.search(r"\w_\w|\.ipynb", loaded.title), loaded.title
            header = browser.find_element("css selector", "header.earlyhelp-header").text
            for words in (spec.name, which, "Period:", "Section:", heading, "Produced:"):
                assert words in header, f"{page.name}: {words!r} not in the header {header!r}"
            period = re.search(r"Period:\s*(\w+ \d{4})", header)
            assert period and period.group(1) in spec.name, header  # the editions name it
            assert browser.find_element("tag name", "html").get_attribute("lang") == "en-GB"


def test_the_front_page_says_what_the_edition_is_and_links_every_page(editions, browser):
    for (name, publish), report in editions.items():
        spec = batch.Edition.load(PROJECT_ROOT / "config" / "editions" / f"{name}.yaml")
        loaded = load(browser, report / "index.html")
        assert loaded.title.startswith(spec.name)
        text = loaded.text
        for words in ("Report period", "Produced", "Data", "Code version", "Warnings"):
            assert words in text, f"{name}: {words!r} missing"
        checksum = r"synthetic extract \(invented data\), SHA-256 checksum [0-9a-f]{64}"
        assert re.search(checksum, text)
        assert re.search(r"Produced\s+\d{1,2} \w+ \d{4} at \d\d:\d\d", text)
        assert re.search(r"Code version\s+earlyhelp-reporting \S+ \(git \w", text)
        links = {
            a.get_attribute("href").rsplit("/", 1)[-1]
            for a in browser.find_elements("css selector", "main a")
        }
        assert {f"{nb}.html" for nb in spec.notebooks} <= links
        indicators = browser.find_elements("css selector", "ul.indicators li")
        expected = {"01_open_by_lead_agency", "02_opened_closed_outcomes"} & set(spec.notebooks)
        assert len(indicators) == len(expected)
        for item in indicators:  # the status in words, on its colour
            assert item.find_element("css selector", ".badge").text in (
                ("Red", "Amber", "Green", "Not published", "No status")
            )
            assert re.search(r"\d+\.\d%|\[c\]|no data", item.text), item.text
        if publish:
            assert "a count from 1 to 4" in text


def test_no_page_speaks_code(editions, browser):
    """Every word a reader can reach, collapsed sections opened, and every image's alt text."""
    problems = []
    for report in editions.values():
        for page in _pages(report):
            load(browser, page)
            for line in [*all_text(browser).splitlines(), *alt_texts(browser)]:
                for what, pattern in FORBIDDEN.items():
                    if pattern.search(line):
                        problems.append(f"{report.name}/{page.name}: {what} in {line[:120]!r}")
    assert not problems, "\n".join(problems)


def test_how_the_figures_are_made_closes_every_page_and_publication_is_said_once(editions, browser):
    for (_name, publish), report in editions.items():
        for page in sorted((report / "html").glob("*.html")):
            load(browser, page)
            summaries = browser.find_elements("css selector", "details > summary")
            assert [s.text for s in summaries] == ["How these figures are made"], page
            details = browser.find_element("css selector", "details")
            assert details.get_attribute("open") is None  # collapsed until the reader opens it
            text = all_text(browser)
            assert text.rstrip().endswith(details.text.strip().splitlines()[-1]), page
            if page.stem == "04_open_episodes_by_lsoa":
                assert ("Published edition." in text) == publish, page


def test_pages_01_and_02_footnote_what_the_board_was_told(editions, browser):
    for publish in (False, True):
        report = editions["board-2015-10", publish]
        load(browser, report / "html" / "01_open_by_lead_agency.html")
        assert "the dashboard printed 4.7%; the counts give 4.6%" in all_text(browser)
        load(browser, report / "html" / "02_opened_closed_outcomes.html")
        assert "the dashboard printed 730; the counts give 728" in all_text(browser)


def test_page_02_prints_on_a4_with_the_year_to_date_columns(editions, browser, tmp_path):
    """The outcomes table once hid its year to date behind a scrollbar on paper."""
    if shutil.which("pdftotext") is None:
        skip_or_fail("pdftotext is needed (Debian: poppler-utils)")
    for publish in (False, True):
        page = editions["board-2015-10", publish] / "html" / "02_opened_closed_outcomes.html"
        pdf = print_to_pdf(browser, page, tmp_path / f"02-{publish}.pdf")
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        table = [line.split() for line in text.splitlines()]
        headings = next(line for line in table if line[:3] == ["CAF", "outcomes", "Sep-14"])
        assert headings[-4:] == ["Total", "(YTD)", "%", "(YTD)"], headings  # not cut off
        total = next(line for line in table if line and line[0] == "Total")
        assert total[-2:] == ["1,094", "100.0%"], total
        nfa = next(line for line in table if line[:3] == ["Action", "Plan", "completed"])
        assert nfa[-1] == "66.5%", nfa  # the year-to-date rate, printed
        # "How these figures are made" is printed open, not as its summary line alone
        assert "A CAF counts as opened in a month" in " ".join(text.split())


def test_every_chart_and_map_says_what_it_shows(editions, browser):
    """Alternative text from the figures, and in the published edition no hidden count in it."""
    for (_name, publish), report in editions.items():
        for page in sorted((report / "html").glob("*.html")):
            load(browser, page)
            for alt in alt_texts(browser):
                assert re.match(r"(Bar chart|Stacked bar chart|Chart|Map): \S", alt), (page, alt)
                assert "No description" not in alt
                if publish:  # a count from 1 to 4 after a name: "Education 3" (not "Sep-14")
                    assert not re.search(r"[A-Za-z)] [1-4](?![\d,.%])", alt), (page, alt)
    load(browser, editions["board-2015-10", False] / "html" / "01_open_by_lead_agency.html")
    (alt,) = alt_texts(browser)
    assert alt.startswith("Bar chart: CAFs open by lead agency, 31 August 2015. ")
    assert "Children & Families First 975" in alt and "Health 87" in alt


def test_axe_finds_no_serious_or_critical_accessibility_problem(editions, browser):
    """axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules on every page and front page of every
    edition, and on the list of reports (the Public Sector Bodies Accessibility Regulations ask
    for WCAG 2.2 AA)."""
    problems = []
    reports_index = next(iter(editions.values())).parent / "index.html"
    for page in [reports_index, *(p for report in editions.values() for p in _pages(report))]:
        load(browser, page)
        problems += [
            f"{page.parent.name}/{page.name}: {rule} ({impact}) at {where}"
            for rule, impact, where in axe_violations(browser)
            if impact in ("serious", "critical")
        ]
    assert not problems, "\n".join(problems)


def test_each_section_carries_its_commentary_before_how_the_figures_are_made(editions, browser):
    for report in editions.values():
        for page in sorted((report / "html").glob("*.html")):
            load(browser, page)
            headings = [h.text for h in browser.find_elements("css selector", "h2, h3")]
            if page.stem in WITHOUT_COMMENTARY:
                assert "Commentary" not in headings, page
                continue
            start = headings.index("Commentary")
            assert headings[start + 1 : start + 5] == list(COMMENTARY_PARTS), (page, headings)
            text = all_text(browser)
            assert text.index("Indicator owner") < text.index("How these figures are made")
            assert "Commentary to come" not in text  # the shipped editions have all of it
