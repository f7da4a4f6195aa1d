"""What a notebook page shows around its figures: banner, data quality, tables, warnings.

Floor 5 (display). Loading lives in ``extract``, CSV files and the warnings file in ``outputs``,
number and date formats in ``formats``: this module only turns them into what the reader sees.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from helpers import annex_a, outputs
from helpers.config import SentenceError, categories, config_dir, load_yaml
from helpers.coverage import (
    Coverage,
    CoverageError,
    coverage_of,
    is_mark,
    is_not_known,
    no_activity_sentence,
    not_known_mark,
    not_known_note,
    period_problem,
    reason_of,
)
from helpers.database import source_name
from helpers.disclosure import is_suppressed, suppression_note
from helpers.disclosure_record import protection_scope_note
from helpers.extract import TAKEN_INFERRED, Extract, is_committed_synthetic, source_words
from helpers.formats import (
    long_date,
    number,
    percent,
    reader_words,
    table_date,
    whole_number,
)
from helpers.inputs import load_report_extract
from helpers.outputs import record_warning
from helpers.period import ReportDates, report_dates, snapshot_dates
from helpers.plotting import ACCENT_COLOUR, WARNING_COLOUR, use_house_style

PCT_COLUMNS_PREFIX = "pct"
#: The key, in the metadata of the banner's output, of the record of the data the kernel read.
DATA_RECORD_KEY = "earlyhelp_data"


class DataSourceBanner(HTML):
    """The data-source banner, whose output records the checksum of the data actually read.

    The record goes into the notebook with the banner's output (its ``text/html`` metadata), at
    run time, wherever the notebook runs: the batch, ``make notebooks`` or JupyterLab. The
    pre-commit check (``helpers.dev.notebooks --check``) compares it with the committed
    synthetic extract's checksum, so outputs computed from any other data cannot be committed,
    whatever the notebook's own metadata says.
    """

    def __init__(self, extract: Extract, html: str) -> None:
        super().__init__(html)
        self.record = {"extract_sha256": extract.sha256, "synthetic": extract.is_synthetic}

    def _repr_html_(self) -> tuple[str, dict]:  # (data, metadata): IPython keeps both
        return self.data, {DATA_RECORD_KEY: self.record}


def escape(value: object) -> str:
    """``value`` as text that a page shows as written, never as markup.

    Every value from the extract or the config that goes into a page's HTML or Markdown passes
    through here (or through :func:`table_html`, which does the same for every cell, heading and
    caption): a lead agency recorded as ``<Not Recorded>`` must show, and a budget line holding a
    ``<script>`` must not run in a reviewer's browser.
    """
    return html.escape(str(value), quote=True)


def source_line(extract: Extract) -> str:
    """The footer every chart and table carries: which data it came from."""
    return source_words(
        extract.is_synthetic,
        extract.kind == annex_a.KIND,
        source_name(extract.source),
        extract.sha256,
    )


def data_source_banner(extract: Extract, publish: bool = False) -> HTML:
    """Which data the report came from, its warnings, data quality, and disclosure control."""
    if extract.is_synthetic and extract.kind == annex_a.KIND:
        text = (
            "<b>Synthetic data.</b> These figures come from the committed synthetic Ofsted Annex "
            "A workbook: its early help list (List 2) holds the synthetic extract's assessments "
            "started in the six months to 31 March 2016. No real child is in it."
        )
    elif is_committed_synthetic(extract):
        text = (
            "<b>Synthetic data.</b> These figures come from the committed synthetic extract, "
            "invented and calibrated to reproduce Coventry's published 2015-16 figures. "
            "No real child is in it."
        )
    elif extract.is_synthetic and extract.kind == annex_a.SSD_KIND:
        text = (
            "<b>Synthetic data.</b> These figures come from the committed synthetic Standard "
            "Safeguarding Dataset (the synthetic extract's episodes as the SSD's tables), read "
            f"from <code>{escape(source_name(extract.source))}</code>. No real child is in it."
        )
    elif extract.is_synthetic:
        text = (
            "<b>Synthetic data.</b> These figures come from a synthetic extract made by the "
            "project's generator: invented data, not calibrated to any published figure. "
            "No real child is in it."
        )
    else:
        what = "Standard Safeguarding Dataset" if extract.kind == annex_a.SSD_KIND else "Extract"
        text = f"{what}: <code>{escape(source_name(extract.source))}</code>"
    warnings = "".join(f"<li>{escape(reader_words(w))}</li>" for w in extract.warnings)
    extra = f"<ul>{warnings}</ul>" if warnings else ""
    if publish:
        extra += (
            f"<p><b>Published with statistical disclosure control.</b> {suppression_note()} "
            f"{escape(protection_scope_note())}</p>"
        )
    return DataSourceBanner(
        extract,
        f'<div style="border-left:4px solid {ACCENT_COLOUR};padding:4px 10px;background:#f3f7fb">'
        f"{text}{extra}</div>{data_quality_html(extract, publish)}",
    )


DATA_QUALITY_ROWS_SHOWN = 20


def data_quality_html(extract: Extract, publish: bool = False) -> str:
    """The report's data-quality section: rows left out as invalid, and counts that reconcile.

    A published report gives the counts only: the rows themselves carry ids and values.
    """
    if extract.excluded.empty:
        return ""
    counts = table_html(
        _in_words(extract.row_counts),
        "Rows read, used and left out, by file",
        {
            "file": "File",
            "rows_read": "Rows read",
            "rows_used": "Rows used",
            "rows_left_out": "Rows left out",
        },
    ).data
    if publish:
        return (
            f'<div style="border-left:4px solid {WARNING_COLOUR};padding:4px 10px;margin-top:8px">'
            "<h3>Data quality</h3><p>Rows of the extract that broke its rules were left out of "
            f"every figure in this report, as the analyst chose when running it.</p>{counts}</div>"
        )
    shown = extract.excluded.head(DATA_QUALITY_ROWS_SHOWN)
    rest = len(extract.excluded) - len(shown)
    more = (
        f"<p>... and {rest} more problem(s), listed in the data-quality table that comes with "
        "this report.</p>"
        if rest > 0
        else ""
    )
    problems = table_html(
        _in_words(shown.astype({"row": "string"}).fillna("")),
        "Problems in the rows left out",
        {"file": "File", "row": "Row", "column": "Column", "value": "Value", "problem": "Problem"},
    ).data
    return (
        f'<div style="border-left:4px solid {WARNING_COLOUR};padding:4px 10px;margin-top:8px">'
        "<h3>Data quality</h3><p>These rows of the extract broke its rules and were left out of "
        "every figure in this report, as the analyst chose when running it."
        f"</p>{counts}{problems}{more}</div>"
    )


def _in_words(listing: pd.DataFrame) -> pd.DataFrame:
    """A data-quality listing with its file and column names in the reader's words."""
    out = listing.copy()
    for column in ("file", "column"):
        if column in out:
            out[column] = out[column].map(lambda v: reader_words(v) if isinstance(v, str) else v)
    if "file" in out:  # "the CAF episodes file" reads oddly in a column headed File
        out["file"] = out["file"].str.removeprefix("the ").str.removesuffix(" file")
    return out


def _format(column: str, series: pd.Series) -> Callable[[object], object] | None:
    if len(series) and series.map(is_mark).any():  # the marks pass through, numbers not
        shown = pd.Series([v for v in series if not is_mark(v)])
        unmarked = _format(column, shown.infer_objects() if len(shown) else pd.Series([0]))
        return lambda v: v if is_mark(v) else (unmarked(v) if unmarked else v)
    if column.startswith(PCT_COLUMNS_PREFIX):
        return lambda v: "" if pd.isna(v) else percent(v)
    if pd.api.types.is_integer_dtype(series):
        return number
    if pd.api.types.is_datetime64_any_dtype(series):
        return lambda v: "" if pd.isna(v) else table_date(v)
    if pd.api.types.is_float_dtype(series):
        return lambda v: "" if pd.isna(v) else whole_number(v)
    return None


_NUMBER_TEXT = re.compile(r"^-?[\d,]+(\.\d+)?%?$")


def _reads_as_numbers(series: pd.Series) -> bool:
    """A column of numbers, numbers as text (percentages), marks or blanks: aligned as numbers.

    The outcomes table holds counts and, in its last rows, percentages as text: numbers too.
    """
    # pandas 3 gives text its own dtype ("str"); earlier versions, object.
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return False
    texts = [v for v in series if isinstance(v, str) and v and not is_mark(v)]
    numbers = [v for v in series if isinstance(v, int | float) and not isinstance(v, bool)]
    return (
        bool(texts or numbers)
        and all(_NUMBER_TEXT.match(v) for v in texts)
        and all(isinstance(v, str) or v in numbers for v in series)
    )


def _has_mark(table: pd.DataFrame) -> bool:
    return bool(table.map(is_suppressed).to_numpy().any()) if len(table) else False


def table_html(
    table: pd.DataFrame, caption: str | None = None, labels: dict[str, str] | None = None
) -> HTML:
    """A table as reviewers read it: thousands separators, one-decimal percentages.

    Formats are chosen from the tidy column names (``pct...`` is a percentage); ``labels``
    then gives the headings the reader sees.
    """
    # A deterministic id per table (nbval compares re-runs), distinct per table on a page so
    # that one table's cell styles do not apply to another's.
    key = f"{caption}|{list(table.columns)}|{table.shape}|{table.head(3).astype(str).to_json()}"
    styler = table.style.hide(axis="index").set_uuid(hashlib.sha1(key.encode()).hexdigest()[:10])
    # Styler writes cell text into the HTML as it is: escape every cell, whatever its formatter
    # (pandas escapes the value before the formatter sees it).
    styler = styler.format(escape="html")
    # Alignment is set cell by cell: a table-wide td rule would outrank it.
    number_columns, text_columns = [], []
    for column in table.columns:
        formatter = _format(str(column), table[column])
        if formatter is not None:
            styler = styler.format(formatter, subset=[column], escape="html")
        is_number = (
            formatter is not None
            or pd.api.types.is_numeric_dtype(table[column])
            or _reads_as_numbers(table[column])
        )
        (number_columns if is_number else text_columns).append(column)
    for columns, align in ((number_columns, "right"), (text_columns, "left")):
        if columns:
            styler = styler.set_properties(subset=columns, **{"text-align": align})
    # Headings and caption are written as given, so they are escaped here.
    headings = [escape((labels or {}).get(c, c)) for c in table.columns]
    styler = styler.relabel_index(headings, axis="columns")
    if caption:
        styler = styler.set_caption(escape(caption))
    styler = styler.set_table_styles(
        [
            {"selector": "caption", "props": "caption-side:top;text-align:left;font-weight:bold"},
            {"selector": "th", "props": "text-align:left;background:#f0f0f0;padding:3px 8px"},
            {"selector": "td", "props": "padding:3px 8px"},
        ]
    )
    notes = [suppression_note()] if _has_mark(table) else []
    notes += [n for n in [not_known_note(table.to_numpy().ravel())] if n]
    note = "".join(f'<p style="font-size:85%;color:#555">{escape(n)}</p>' for n in notes)
    return HTML(styler.to_html() + note)


def show_table(
    table: pd.DataFrame, caption: str | None = None, labels: dict[str, str] | None = None
) -> None:
    display(table_html(table, caption, labels))


def write_table(table: pd.DataFrame, name: str, output_dir: str | Path | None) -> None:
    """Write ``<name>.csv``, and beside it ``<name>.not_known.csv`` listing each cell that holds
    the not-known mark (the row as a spreadsheet numbers it, the column, and why)."""
    outputs.write_table(table, name, output_dir)
    cells = [
        (row + 2, column, reason_of(value))
        for column in table.columns
        for row, value in enumerate(table[column])
        if is_not_known(value)
    ]
    if cells and output_dir:
        listing = pd.DataFrame(cells, columns=["row", "column", "reason"])
        outputs.write_table(listing, f"{name}.not_known", output_dir)


def show_notes(notes: list[str], heading: str = "Notes on the printed dashboard") -> None:
    """Numbered notes under a bold heading; nothing when there are none."""
    if notes:
        display(HTML(f"<p><b>{escape(heading)}</b></p>"))
        display(HTML("<ol>" + "".join(f"<li>{escape(note)}</li>" for note in notes) + "</ol>"))


def warn(message: str, notebook: str, output_dir: str | Path | None) -> None:
    """Show a warning at this point of the report, and pass it to the batch summary."""
    display(
        HTML(
            f'<div style="border:2px solid {WARNING_COLOUR};background:#fff4f4;padding:8px 12px">'
            f"<b>Warning:</b> {escape(reader_words(message))}</div>"
        )
    )
    record_warning(message, notebook, output_dir)


@dataclass(frozen=True)
class Section:
    """What every section opens with: its extract, the chart footer, its dates, and the days
    its input covers."""

    extract: Extract
    source: str
    dates: ReportDates | None
    coverage: Coverage = Coverage()


@cache
def _introductions_at(path: Path) -> dict:
    return (load_yaml(path) or {}) if path.is_file() else {}


def introduction(section: str, extract: Extract) -> str:
    """What the page says it is, for the kind of input it is made from (``config/sections.yaml``),
    with the council's team and authority named from its config; blank when none is set."""
    texts = _introductions_at(config_dir() / "sections.yaml").get(section) or {}
    text = texts.get(extract.kind) or ""
    cats = categories()
    return text.format(team=cats.children_and_families_first, authority=cats.local_authority_name)


def open_section(
    data_dir: str,
    publish: bool = False,
    report_month: str = "",
    section: str = "",
    **date_overrides: str,
) -> Section:
    """The common opening of every notebook: house style, the page's introduction for its kind
    of input (``section``: the notebook's name), the extract, the banner, the dates, and the
    days the input covers.

    ``report_month`` (YYYY-MM) dates the section; each of ``date_overrides`` (``snapshot_date``,
    ...) follows from it unless given, and the page then says which dates it used. A section
    dated by one day passes ``snapshot_date`` alone. A month the extract had not finished when
    it was taken is said to be reported in part, on the page. A period the input does not
    cover at all (it ends before the first record, or starts after the extract was taken) stops
    the section with a sentence naming both (:class:`helpers.coverage.CoverageError`).
    """
    use_house_style()
    extract = load_report_extract(data_dir)
    if report_month:
        dates = report_dates(report_month, **date_overrides)
    elif date_overrides.get("snapshot_date"):
        dates = snapshot_dates(date_overrides["snapshot_date"])
    else:
        dates = None
    if intro := introduction(section, extract):
        display(Markdown(escape(intro)))
    display(data_source_banner(extract, publish))
    coverage = coverage_of(extract)
    if dates is not None:
        display(HTML(dates_html(dates, extract)))
        first = dates.snapshot_date if dates.dated_by_snapshot else dates.period.month.start_time
        if problem := period_problem(coverage, first, dates.latest):
            raise CoverageError(problem)
    display(HTML(f'<p class="coverage">{escape(coverage_statement(coverage))}</p>'))
    quiet = None
    if dates is not None and not dates.dated_by_snapshot:
        quiet = no_activity_sentence(extract, dates.period.month)
    if quiet:
        display(HTML(f'<p class="no-activity"><b>Nothing recorded.</b> {escape(quiet)}</p>'))
    return Section(extract, source_line(extract), dates, coverage)


def coverage_statement(coverage: Coverage) -> str:
    """The days the input covers, and (for a list of recent work) what that means for counts."""
    words = coverage.words()
    if coverage.started_only:
        words += (
            " It holds only the assessments started since then: a count of open assessments "
            "counts only those, and a figure that needs earlier work is shown as "
            f"{not_known_mark()} (not known)."
        )
    return words


class SectionNotHeld(SentenceError):
    """A section none of whose figures the extract can give: the notebook stops, saying why."""


def stop_unless_held(extract: Extract, need: str) -> None:
    """Stop a section that needs ``need`` for every figure when the extract lacks it.

    The page says what it cannot show (:func:`cannot_show`); the notebook then stops with that
    sentence rather than drawing a map or tables of nothing. (The batch never runs such a section
    on such an extract: it writes the page that says so instead.)
    """
    sentence = annex_a.cannot_show(extract, need)
    if sentence:
        _show_not_shown(sentence)
        raise SectionNotHeld(f"{sentence} The rest of this section cannot be shown.")


def cannot_show(extract: Extract, need: str) -> bool:
    """Whether the extract lacks ``need`` (see ``annex_a.NOT_HELD``); if so, the page says what
    it cannot show and why, where the figure would have been."""
    sentence = annex_a.cannot_show(extract, need)
    if sentence:
        _show_not_shown(sentence)
    return sentence is not None


def _show_not_shown(sentence: str) -> None:
    """The box a page shows where a figure would have been."""
    display(
        HTML(
            f'<div class="not-shown" style="border-left:4px solid {WARNING_COLOUR};'
            f'padding:4px 10px"><b>Not shown.</b> '
            f"{escape(sentence + ' This part of the report cannot be shown.')}</div>"
        )
    )


def dates_statement(dates: ReportDates) -> str:
    """The report month, and any date set for the report rather than taken from the month."""
    month = f"{dates.period.month:%B %Y}"
    if dates.dated_by_snapshot:
        return f"The figures on this page are counted on {long_date(dates.snapshot_date)}."
    if not dates.set_explicitly:
        return f"Report month: {month}. Every date on this page follows from it."
    listed = "; ".join(f"{date.meaning} {long_date(date.day)}" for date in dates.set_explicitly)
    return (
        f"Report month: {month}, which ends on {long_date(dates.period.end)}. "
        f"Dates set for this report rather than taken from the month: {listed}."
    )


def partial_month_statement(dates: ReportDates, extract: Extract) -> str:
    """A sentence when the section covers days after the extract was taken; else blank."""
    if extract.taken_on is None:
        return ""
    taken = pd.Timestamp(extract.taken_on)
    if dates.latest <= taken:
        return ""
    how = " (the day its files were last saved)" if extract.taken_how == TAKEN_INFERRED else ""
    return (
        f"This month is reported in part. The extract was taken on {long_date(taken)}{how}, "
        f"before the period ends on {long_date(dates.latest)}: anything recorded after "
        f"{long_date(taken)} is missing from these figures."
    )


def dates_html(dates: ReportDates, extract: Extract) -> str:
    """The dates line under the banner, with the partial-month warning where there is one."""
    line = f'<p class="report-dates">{escape(dates_statement(dates))}</p>'
    partial = partial_month_statement(dates, extract)
    if partial:
        line += (
            f'<div class="partial-month" style="border:2px solid {WARNING_COLOUR};'
            f'background:#fff4f4;padding:8px 12px"><b>Partial month.</b> {escape(partial)}</div>'
        )
    return line
