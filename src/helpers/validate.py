"""Check an input without running the report: is it valid, and if not, what to fix.

    python -m helpers.validate <input> [--format auto|native|annex-a] [--output-dir DIR]
                               [--allow-invalid]

``<input>`` is anything the batch reads: a folder of the native extract's CSV files, a native
workbook, or an Ofsted Annex A workbook (its List 2). The input is read and checked exactly as
the batch checks it, and no notebook runs. It prints either ``valid: ...`` with the rows read
and the warnings, or the refusal's summary (one line per file, column, problem and value, with
its rows and the setting to change). With ``--output-dir``, it also writes what the batch
writes about the data's quality (``data_quality.csv``, ``data_quality_counts.csv``,
``data_quality_notes.csv``), the full list of problems of a refused input
(``refused_rows.csv``) and a page to read them on (``data_quality.html``). These hold ids and
values from the input: keep the folder where the input is kept.

Exit status: 0 valid, 2 refused (or an input that cannot be read at all).
"""

from __future__ import annotations

import argparse
import html
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.database import DatabaseProblem, is_database_url, source_name
from helpers.extract import Extract, ExtractError, SummaryLine
from helpers.inputs import FORMATS, input_location, load_any_extract
from helpers.outputs import write_csv

REFUSED_ROWS = "refused_rows.csv"  # the batch's name for the same list
PAGE = "data_quality.html"
TABLES = {
    "episodes": "episodes",
    "refusals": "refusals",
    "families": "families",
    "budget": "budget",
}


@dataclass
class Verdict:
    """What a check found: valid or not, the sentence to print, and what to show on the page."""

    source: str
    valid: bool
    sentence: str
    row_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    lines: list[SummaryLine] = field(default_factory=list)
    total: int = 0
    written: list[Path] = field(default_factory=list)


def check(
    source: Path | str,
    data_format: str = "auto",
    output_dir: Path | None = None,
    allow_invalid: bool = False,
) -> Verdict:
    """Read and check ``source`` as the batch would; write the data-quality files when
    ``output_dir`` is given."""
    listed = output_dir / REFUSED_ROWS if output_dir else None
    try:
        extract = load_any_extract(source, allow_invalid, data_format, refused_rows=listed)
    except ExtractError as error:
        verdict = Verdict(str(source), False, str(error), lines=error.lines, total=error.total)
        if listed is not None and listed.is_file():
            verdict.written.append(listed)
    else:
        verdict = Verdict(
            str(source),
            True,
            valid_sentence(extract),
            row_counts=extract.row_counts,
            warnings=list(extract.warnings),
        )
        if output_dir is not None:
            verdict.written += write_quality_tables(extract, output_dir)
            if listed is not None and listed.is_file():  # rows --allow-invalid left out
                verdict.written.append(listed)
    if output_dir is not None:
        page = output_dir / PAGE
        output_dir.mkdir(parents=True, exist_ok=True)
        page.write_text(quality_page(verdict), encoding="utf-8")
        verdict.written.append(page)
    return verdict


def valid_sentence(extract: Extract) -> str:
    """``valid: 8,114 rows of caf_episodes.csv, ...; 2 warnings`` and the warnings."""
    counts = extract.row_counts
    if len(counts):
        rows = ", ".join(f"{int(r.rows_used):,} rows of {r.file}" for r in counts.itertuples())
    else:
        rows = ", ".join(f"{len(getattr(extract, t)):,} {t}" for t in TABLES)
    left_out = int(counts["rows_left_out"].sum()) if len(counts) else 0
    also = f" ({left_out:,} invalid row(s) left out)" if left_out else ""
    warnings = "".join(f"\n  - {w}" for w in extract.warnings)
    return f"valid: {rows}{also}; {len(extract.warnings)} warning(s){warnings}"


def write_quality_tables(extract: Extract, folder: Path) -> list[Path]:
    """The files the batch writes about the data's quality (rows left out, counts, notes)."""
    return [
        write_csv(extract.excluded, folder / "data_quality.csv"),
        write_csv(extract.row_counts, folder / "data_quality_counts.csv"),
        write_csv(extract.notes, folder / "data_quality_notes.csv"),
    ]


STYLE = """
body { font-family: Arial, Helvetica, sans-serif; margin: 2rem; color: #0b0c0c; max-width: 70rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.status { padding: .75rem 1rem; border-left: .4rem solid; font-weight: bold; }
.valid { border-color: #00703c; background: #e8f4ee; } .refused { border-color: #d4351c;
background: #fbeae8; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: .4rem .5rem; text-align: left;
vertical-align: top; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { word-break: break-all; }
"""


def quality_page(verdict: Verdict) -> str:
    """A page on the input's data quality, readable offline (nothing fetched)."""
    e = html.escape
    status = (
        f"Valid: the report can run on it ({len(verdict.warnings)} warning(s))."
        if verdict.valid
        else f"Refused: {verdict.total:,} problem(s). Nothing can be reported until they are fixed."
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Data quality: {e(source_name(verdict.source))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Data quality: {e(source_name(verdict.source))}</h1>",
        f"<p>Input: <code>{e(verdict.source)}</code></p>",
        f'<p class="status {"valid" if verdict.valid else "refused"}">{e(status)}</p>',
    ]
    if verdict.lines:
        parts += [
            "<h2>What to fix</h2>",
            "<table><thead><tr><th>file</th><th>column</th><th>problem</th><th>value</th>"
            '<th class="n">rows</th><th>first rows</th><th>what to change</th></tr></thead>'
            "<tbody>",
            *(_problem_row(line) for line in verdict.lines),
            "</tbody></table>",
        ]
        parts.append(
            f"<p>Every problem, row by row, is in <code>{REFUSED_ROWS}</code> beside this page.</p>"
        )
    if len(verdict.row_counts):
        parts += ["<h2>Rows read</h2>", _counts_table(verdict.row_counts)]
    if verdict.warnings:
        parts += ["<h2>Warnings</h2>", "<ul>"]
        parts += [f"<li>{e(w)}</li>" for w in verdict.warnings]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _problem_row(line: SummaryLine) -> str:
    e = html.escape
    value = "(other values)" if line.other_values else ("" if line.value is None else line.value)
    rows = ", ".join(str(r) for r in line.rows) + (", ..." if line.count > len(line.rows) else "")
    cells = [line.file, line.column or "", line.message, value]
    return (
        "<tr>"
        + "".join(f"<td>{e(c)}</td>" for c in cells)
        + f'<td class="n">{line.count:,}</td><td>{e(rows)}</td><td>{e(line.fix or "")}</td></tr>'
    )


def _counts_table(counts: pd.DataFrame) -> str:
    head = "".join(
        f"<th{'' if c == 'file' else ' class=n'}>{html.escape(c.replace('_', ' '))}</th>"
        for c in counts.columns
    )
    rows = [
        "<tr>"
        + "".join(
            f'<td class="n">{v:,}</td>' if isinstance(v, int) else f"<td>{html.escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in counts.astype(object).itertuples(index=False)
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.validate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input",
        help="an extract folder of CSVs, a workbook, an Annex A workbook, or the Standard "
        "Safeguarding Dataset (a database URL without its password, or a folder of its tables)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="the input's kind, as for the batch (auto: a workbook with a List 2 sheet is Annex A)",
    )
    parser.add_argument(
        "--output-dir",
        help="write data_quality.csv, data_quality_counts.csv, data_quality_notes.csv, "
        "refused_rows.csv and data_quality.html here",
    )
    parser.add_argument(
        "--allow-invalid",
        action="store_true",
        help="check as the batch does with --allow-invalid: a few bad rows left out, listed",
    )
    args = parser.parse_args(argv)
    output = Path(args.output_dir) if args.output_dir else None
    try:
        url = is_database_url(args.input)
        source = input_location(args.input, "the input") if url else Path(args.input)
        verdict = check(source, args.format, output, args.allow_invalid)
    except (FileNotFoundError, DatabaseProblem) as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:  # an output folder that cannot be made or written to
        print(
            f"The data-quality files cannot be written to {error.filename or output}: "
            f"{error.strerror or error}. Choose a folder you can write to (--output-dir).",
            file=sys.stderr,
        )
        return 2
    print(verdict.sentence, file=sys.stdout if verdict.valid else sys.stderr)
    for path in verdict.written:
        print(f"written: {path}")
    return 0 if verdict.valid else 2


if __name__ == "__main__":
    sys.exit(main())
