"""The edition as its readers meet it: each page's title and header, and the front page.

Floor 6. The batch hands over what it knows of the run (:class:`EditionFacts`) once every
notebook has run; this module renders each executed notebook to HTML with the edition's header
and a human title, with nothing fetched from another host (the template in
``templates/earlyhelp`` drops the scripts nbconvert would load from a CDN), and writes the
edition's front page, ``index.html``: name, period, production date, data source, code version,
each indicator's headline with its RAG status, warnings and data-quality counts.

Every value from the extract, the config or the run is escaped here: a page shows it as written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote

import nbformat
import pandas as pd

from helpers.commentary import WITHOUT_COMMENTARY, section_commentary_html
from helpers.formats import reader_words
from helpers.outputs import HEADLINES_FILE
from helpers.provenance import described
from helpers.rag import rag_colour

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE = "earlyhelp"
INDEX = "index.html"
#: The language every page declares (WCAG 3.1.1): British English, as the reports are written.
LANGUAGE = "en-GB"

#: The pages' own styles: the edition header, and printing on A4 with nothing cut off.
CSS = """
.earlyhelp-header { font-family: sans-serif; border-bottom: 3px solid #1f4e79;
  margin: 0 0 1em 0; padding: 0.6em 0 0.4em 0; }
.earlyhelp-header .edition { font-size: 1.15em; font-weight: bold; margin: 0 0 0.2em 0; }
.earlyhelp-header .edition a { color: #1f4e79; }
.earlyhelp-header .facts { display: flex; flex-wrap: wrap; gap: 0.2em 1.6em; margin: 0; }
/* Month headings on one line ("Sep-14", never "Sep-/14"). These rules come before nbconvert's
   own, so they name body to outrank its equally specific ones. */
body .jp-RenderedHTMLCommon th { white-space: nowrap; }
/* A4 landscape: the outcomes table (thirteen months, the year to date and its share) fits
   with every column; nothing hides behind a scrollbar on paper. */
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { font-size: 10pt; }
  .earlyhelp-header .edition a { color: inherit; text-decoration: none; }
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-OutputArea, .jp-Cell-outputWrapper {
    overflow: visible !important; }
  body .jp-RenderedHTMLCommon table { font-size: 8.5pt; }
  /* !important: each table sets its own padding under its id, which outranks any class. */
  body .jp-RenderedHTMLCommon td, body .jp-RenderedHTMLCommon th { padding: 2px 3px !important; }
  /* A chart fits on a page with room for its heading (A4 landscape: 190 mm tall), keeping its
     proportions; a heading stays with what follows it rather than ending a page. */
  img { max-width: 100% !important; max-height: 150mm; width: auto !important;
    height: auto !important; break-inside: avoid; }
  h1, h2, h3, .jp-MarkdownCell { break-after: avoid; }
  tr, caption { break-inside: avoid; }
  caption { break-after: avoid; }
}
"""


@dataclass
class EditionFacts:
    """What the batch knows of a finished run, for the pages' headers and the front page."""

    title: str  # the edition's name (its file's ``name``; a --month run: a general title)
    period: str  # the report month, YYYY-MM
    produced: dt.datetime  # when the run started
    data_source: dict  # as stamped in each executed notebook (synthetic, extract, sha256)
    code_version: str
    publish: bool = False
    warnings: list[str] = field(default_factory=list)
    #: The edition's commentary folder (beside its file); None for a --month run.
    commentary: Path | None = None
    #: The day the extract was taken, when the period ends after it (a partial month).
    partial_since: dt.date | None = None
    #: What made the report (``--edition <file>`` or ``--month YYYY-MM``): a rerun of the same
    #: replaces it, anything else is refused (see the batch).
    made_by: str = ""
    #: Sections left out because the input cannot feed them: section title -> why.
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def period_words(self) -> str:
        """``October 2015``."""
        return pd.Period(self.period, freq="M").strftime("%B %Y")

    @property
    def produced_words(self) -> str:
        """``23 November 2026 at 17:20``."""
        return f"{self.produced.day} {self.produced:%B %Y at %H:%M}"

    @property
    def name_and_period(self) -> str:
        """The edition's name, with its period unless the name already says it."""
        if self.period_words in self.title:
            return self.title
        return f"{self.title}, {self.period_words}"

    @property
    def which(self) -> str:
        """Which edition of the report this is: the analysts' own, or the one to publish."""
        return "published edition" if self.publish else "analysts' edition"

    @property
    def edition_words(self) -> str:
        """The edition's name and period, and which edition of it this is."""
        return f"{self.name_and_period} ({self.which})"

    @property
    def source_words(self) -> str:
        """The data, in words, with its full checksum: for the front page."""
        checksum = (self.data_source or {}).get("extract_sha256", "not recorded")
        return f"{described(self.data_source)}, SHA-256 checksum {checksum}"

    @property
    def source_summary(self) -> str:
        """The data, in words, with the start of its checksum: for the reports index."""
        checksum = str((self.data_source or {}).get("extract_sha256", ""))[:12]
        return f"{described(self.data_source)}, SHA-256 {checksum}" if checksum else described({})


def section_name(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The section's name: its page's heading (the first Markdown cell's first line)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            if first.startswith("#"):
                return first.lstrip("#").strip()
            break
    return fallback


def page_title(section: str, facts: EditionFacts) -> str:
    """The browser tab's title: the section first, since tabs cut the end off."""
    return f"{section} – {facts.edition_words}"


def header_html(section: str, facts: EditionFacts, index_href: str = f"../{INDEX}") -> str:
    """The header every page carries: edition (a link to its front page), period, section,
    production date."""
    items = (
        ("Period", facts.period_words),
        ("Section", section),
        ("Produced", facts.produced_words),
    )
    listed = "".join(f"<span><b>{escape(k)}:</b> {escape(v)}</span>" for k, v in items)
    return (
        '<header class="earlyhelp-header">'
        f'<p class="edition"><a href="{escape(index_href)}">{escape(facts.edition_words)}</a></p>'
        f'<p class="facts">{listed}</p></header>'
    )


#: How folium's interactive map announces itself in an output (it loads Leaflet, Bootstrap and
#: jQuery from public CDNs, so a page that carries it is not readable offline).
FOLIUM_MARK = "Make this Notebook Trusted to load map"
INTERACTIVE_MAP_NOTE = (
    "The zoomable version of this map is not part of the report, because it needs the internet. "
    "To use it, open this section in JupyterLab and switch the interactive map on in its first "
    "cell."
)


def leave_out_interactive_maps(nb: nbformat.NotebookNode) -> int:
    """Replace each interactive map in ``nb`` with a sentence on where to see it; how many."""
    replaced = 0
    for cell in nb.cells:
        for index, output in enumerate(cell.get("outputs", [])):
            html = output.get("data", {}).get("text/html", "")
            if FOLIUM_MARK in ("".join(html) if isinstance(html, list) else html):
                cell.outputs[index] = nbformat.v4.new_output(
                    "display_data", data={"text/markdown": INTERACTIVE_MAP_NOTE}
                )
                replaced += 1
    return replaced


#: The first line of the closing "How these figures are made" cell of every notebook.
HOW_MADE_MARK = "<details>"


def add_commentary(nb: nbformat.NotebookNode, folder: Path, notebook: str, publish: bool) -> None:
    """Put the section's commentary where the dashboard has it: after the figures, before the
    closing "How these figures are made".

    It goes in as HTML already rendered and made safe (``helpers.commentary``), the output of a
    cell with no code, so that nbconvert's own Markdown renderer never sees the analyst's text.
    """
    html = section_commentary_html(folder, notebook, publish)
    cell = nbformat.v4.new_code_cell(
        "", outputs=[nbformat.v4.new_output("display_data", data={"text/html": html})]
    )
    closing = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and c.source.lstrip().startswith(HOW_MADE_MARK)
    ]
    nb.cells.insert(closing[-1] if closing else len(nb.cells), cell)


def render_page(executed: Path, target: Path, facts: EditionFacts) -> str:
    """Render an executed notebook as the reader's page (code hidden); returns its section."""
    from nbconvert import HTMLExporter  # the batch's floor only: kernels never render

    nb = nbformat.read(executed, as_version=4)
    leave_out_interactive_maps(nb)
    if facts.commentary is not None and executed.stem not in WITHOUT_COMMENTARY:
        add_commentary(nb, facts.commentary, executed.stem, facts.publish)
    section = section_name(nb, executed.stem)
    nb.metadata["title"] = page_title(section, facts)
    exporter = HTMLExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "earlyhelp_css": CSS,
        "earlyhelp_header": header_html(section, facts),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    # nbconvert accepts only a two-letter language; the reports are in British English.
    body = body.replace('<html lang="en">', f'<html lang="{LANGUAGE}">', 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return section


def collect_headlines(report: Path) -> dict[str, list[dict[str, str]]]:
    """Each notebook's indicator headlines (left by ``outputs.record_headline``), removed."""
    found = {}
    suffix = HEADLINES_FILE.format(notebook="")
    for path in sorted(report.glob(f"*{suffix}")):
        notebook = path.name.removesuffix(suffix)
        found[notebook] = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
    return found


def _badge(headline: dict[str, str]) -> str:
    """A small RAG badge: the status in words on its colour (colour never the only carrier)."""
    status = headline["status"]
    text = "#000000" if status == "Amber" else "#FFFFFF"
    return (
        f'<span class="badge" style="background:{rag_colour(status)};color:{text}">'
        f"{escape(status)}</span>"
    )


def headline_words(headline: dict[str, str]) -> str:
    """``Share of open CAFs held by agencies outside the local authority: 25.0%. Trend: down
    on last month (worsening).``"""
    measure = headline["measure"].removesuffix(" (%)")
    trend = f"{headline['trend_arrow']} {headline['trend_words']}".strip("– ")
    return f"{measure}: {headline['value']}. Trend: {trend}."


def _data_quality(tables: Path) -> str:
    """Counts only (rows read, used and left out; notes on valid rows): never the rows."""
    parts = []
    counts = tables / "data_quality_counts.csv"
    if counts.exists():
        rows = pd.read_csv(counts)
        items = "".join(
            f"<tr><th scope='row'>{escape(reader_words(str(r.file)))}</th>"
            f"<td>{int(r.rows_read):,}</td><td>{int(r.rows_used):,}</td><td>{int(r.rows_left_out):,}</td></tr>"
            for r in rows.itertuples()
        )
        parts.append(
            "<table><caption>Rows of the extract read, used and left out</caption><thead><tr>"
            "<th scope='col'>File</th><th scope='col'>Rows read</th><th scope='col'>Rows used"
            f"</th><th scope='col'>Rows left out</th></tr></thead><tbody>{items}</tbody></table>"
        )
    else:
        parts.append("<p>Every row of the extract met its rules: none was left out.</p>")
    notes = tables / "data_quality_notes.csv"
    if notes.exists():
        count = len(pd.read_csv(notes))
        parts.append(
            f"<p>{count:,} valid row(s) are worth a look (for example, overlapping episodes of "
            "one child); the warnings above say which.</p>"
        )
    return "".join(parts)


def index_html(facts: EditionFacts, sections: dict[str, str], report: Path) -> str:
    """The edition's front page."""
    headlines = collect_headlines(report)
    indicators = "".join(
        f'<li>{_badge(h)} <a href="html/{escape(notebook)}.html">'
        f"{escape(h['key'])} {escape(h['title'])}</a><br>{escape(headline_words(h))}</li>"
        for notebook in sorted(headlines)
        for h in headlines[notebook]
    )
    contents = "".join(
        f'<li><a href="html/{escape(notebook)}.html">{escape(section)}</a></li>'
        for notebook, section in sorted(sections.items())
    )
    warnings = (
        "<ul>" + "".join(f"<li>{escape(reader_words(w))}</li>" for w in facts.warnings) + "</ul>"
        if facts.warnings
        else "<p>No warnings.</p>"
    )
    listing = (
        f"<ul class='indicators'>{indicators}</ul>"
        if indicators
        else "<p>This edition's sections carry no rated indicator: their figures are on the "
        "pages listed below.</p>"
    )
    publication = (
        "<p>This is the published edition: a count from 1 to 4, and any figure that would "
        "reveal one, is shown as [c].</p>"
        if facts.publish
        else ""
    )
    about = (
        ("Report period", facts.period_words),
        ("Produced", facts.produced_words),
        ("Data", facts.source_words),
        ("Code version", facts.code_version),
    )
    listed = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in about)
    return (
        f'<!DOCTYPE html>\n<html lang="{LANGUAGE}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{escape(facts.edition_words)}</title>\n"
        f"<style>{INDEX_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(facts.title)}</h1>\n"
        f"<p class='which'>{escape(facts.which.capitalize())}, {escape(facts.period_words)}</p>\n"
        f"{publication}{_partial_month(facts)}<dl>{listed}</dl>\n"
        f"<h2>Indicators</h2>\n{listing}\n<h2>Sections</h2>\n<ol>{contents}</ol>\n"
        f"{sections_left_out_html(facts)}"
        f"<h2>Warnings</h2>\n{warnings}\n"
        f"<h2>Data quality</h2>\n{_data_quality(report / 'tables')}\n"
        "</main>\n</body>\n</html>\n"
    )


def sections_left_out_html(facts: EditionFacts) -> str:
    """The sections the input could not feed, and why: the front page lists them rather than
    the edition carrying pages with nothing on them."""
    if not facts.left_out:
        return ""
    items = "".join(
        f"<li><b>{escape(section)}.</b> {escape(why)}</li>"
        for section, why in facts.left_out.items()
    )
    return (
        "<h2>Sections left out</h2>\n<p>The data this edition is made from cannot feed these "
        f"sections, so they are not part of it:</p>\n<ul class='left-out'>{items}</ul>\n"
    )


def _partial_month(facts: EditionFacts) -> str:
    """The front page's statement that the month is reported in part, if it is."""
    if facts.partial_since is None:
        return ""
    taken = f"{facts.partial_since.day} {facts.partial_since:%B %Y}"
    return (
        "<p class='partial'><b>Partial month.</b> "
        f"{escape(facts.period_words)} is reported in part: the extract was taken on "
        f"{escape(taken)}, before the month ended, so anything recorded after {escape(taken)} "
        "is missing from these figures.</p>\n"
    )


INDEX_CSS = """
body { font-family: sans-serif; max-width: 60em; margin: 1.5em auto; padding: 0 1em;
  color: #1a1a1a; line-height: 1.4; }
h1 { color: #1f4e79; margin-bottom: 0.2em; }
.which { font-size: 1.1em; margin-top: 0; }
.partial { border: 2px solid #C00000; background: #fff4f4; padding: 8px 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1em; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
ul.indicators { list-style: none; padding: 0; }
ul.indicators li { margin: 0.8em 0; padding-left: 7.5em; text-indent: -7.5em; }
.badge { display: inline-block; min-width: 5.4em; text-indent: 0; text-align: center;
  font-weight: bold;
  padding: 0.2em 0.6em; border-radius: 4px; margin-right: 0.6em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th[scope='row'], caption { text-align: left; }
caption { font-weight: bold; }
@page { size: A4; margin: 15mm; }
"""


class PageError(RuntimeError):
    """A page of the edition that could not be made: the message names it and why."""


def write_edition(staging: Path, facts: EditionFacts) -> None:
    """Render every executed notebook of the run to ``html/`` and write the front page.

    A page that cannot be made (a broken template, a full disk) is a :class:`PageError` naming
    the section, never a traceback: the batch then keeps the run for debugging.
    """
    sections = {}
    for executed in sorted((staging / "notebooks").glob("*.ipynb")):
        try:
            sections[executed.stem] = render_page(
                executed, staging / "html" / f"{executed.stem}.html", facts
            )
        except Exception as error:  # any failure of nbconvert or the disk, named per page
            raise PageError(
                f"the page for {executed.stem} could not be made ({type(error).__name__}: {error})"
            ) from error
    try:
        (staging / INDEX).write_text(index_html(facts, sections, staging), encoding="utf-8")
        write_report_record(staging, facts)
    except Exception as error:
        raise PageError(
            f"the front page could not be made ({type(error).__name__}: {error})"
        ) from error


# --------------------------------------------------------------------------- the reports index

#: In each report folder: what the report is and what made it (for the index, and for the next
#: run into the same folder, which replaces only a report made by the same edition or month).
REPORT_RECORD = "report.json"
#: Shown where a report folder holds no record (made before the batch kept one).
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class ReportRecord:
    """One report folder's record, as the reports index lists it."""

    folder: str
    made_by: str
    name: str
    period_words: str
    data_source: str
    produced: str  # in words
    published: bool | None  # None: not recorded

    @property
    def which(self) -> str:
        if self.published is None:
            return NOT_RECORDED
        return "Published" if self.published else "Analysts'"


def write_report_record(report: Path, facts: EditionFacts) -> Path:
    """Write ``report.json`` into the report folder (before it is swapped into place)."""
    record = {
        "made_by": facts.made_by,
        "name": facts.title,
        "period": facts.period,
        "period_words": facts.period_words,
        "published": facts.publish,
        "produced": facts.produced.isoformat(timespec="seconds"),
        "produced_words": facts.produced_words,
        "data_source": facts.source_summary,
        "data_sha256": (facts.data_source or {}).get("extract_sha256"),
        "code_version": facts.code_version,
    }
    path = report / REPORT_RECORD
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_report_record(report: Path) -> ReportRecord | None:
    """A report folder's record; None when it has none (or one that cannot be read)."""
    try:
        raw = json.loads((report / REPORT_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    return ReportRecord(
        folder=report.name,
        made_by=str(raw.get("made_by", "")),
        name=str(raw.get("name") or report.name),
        period_words=str(raw.get("period_words") or NOT_RECORDED),
        data_source=str(raw.get("data_source") or NOT_RECORDED),
        produced=str(raw.get("produced_words") or NOT_RECORDED),
        published=raw.get("published") if isinstance(raw.get("published"), bool) else None,
    )


def listed_reports(output: Path) -> list[ReportRecord]:
    """Every report in ``output``: each folder with a front page, by its record where it has
    one (a report made before records were kept is listed by its folder's name)."""
    found = []
    for folder in sorted(output.iterdir()):
        hidden_or_failed = folder.name.startswith(".") or folder.name.endswith(".failed")
        if hidden_or_failed or folder.is_symlink() or not (folder / INDEX).is_file():
            continue
        record = read_report_record(folder)
        found.append(
            record
            or ReportRecord(folder.name, "", folder.name, NOT_RECORDED, NOT_RECORDED, "", None)
        )
    return sorted(found, key=lambda r: (r.name.casefold(), r.which, r.folder))


def reports_index_html(output: Path) -> str:
    """``<output>/index.html``: every edition in the folder, with its period, data, date and
    whether it is the published or the analysts' edition."""
    reports = listed_reports(output)
    rows = "".join(
        f'<tr><th scope="row"><a href="{escape(quote(r.folder))}/{INDEX}">{escape(r.name)}</a>'
        f"</th><td>{escape(r.period_words)}</td><td>{escape(r.data_source)}</td>"
        f"<td>{escape(r.produced or NOT_RECORDED)}</td><td>{escape(r.which)}</td></tr>\n"
        for r in reports
    )
    listing = (
        '<table><caption>Reports in this folder</caption>\n<thead><tr><th scope="col">Report'
        '</th><th scope="col">Period</th><th scope="col">Data source</th><th scope="col">'
        'Produced</th><th scope="col">Edition</th></tr></thead>\n'
        f"<tbody>\n{rows}</tbody></table>\n"
        if reports
        else "<p>There is no report in this folder yet.</p>\n"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{LANGUAGE}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        "<title>Early Help reports</title>\n"
        f"<style>{INDEX_CSS}{REPORTS_INDEX_CSS}</style>\n</head>\n<body>\n<main>\n"
        "<h1>Early Help reports</h1>\n"
        f"<p>{len(reports):,} report{'' if len(reports) == 1 else 's'}. Each name opens that "
        "edition's front page. A published "
        "edition shows any count from 1 to 4, and any figure that would reveal one, as [c]; "
        "the analysts' edition of the same report is for the council's own use.</p>\n"
        f"{listing}</main>\n</body>\n</html>\n"
    )


REPORTS_INDEX_CSS = """
table { width: 100%; }
th, td { text-align: left; vertical-align: top; }
td:nth-child(2) { white-space: nowrap; }
td:nth-child(3) { overflow-wrap: anywhere; }
"""


def write_reports_index(output: Path) -> Path:
    """Rewrite ``<output>/index.html`` from the reports in the folder (written whole, then
    moved into place, so a reader never opens half of it)."""
    target = output / INDEX
    partial = output / f".{INDEX}.partial-{os.getpid()}"
    try:
        partial.write_text(reports_index_html(output), encoding="utf-8")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
