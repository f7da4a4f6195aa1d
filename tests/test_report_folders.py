"""Where a run writes its report (issues 20 and 21): editions side by side, never over another
edition's report, never over or into its input, never through a link; edition files checked.

The refusals are all made before any notebook runs, so most tests here run no notebook; the
few that do are marked slow.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from helpers import batch
from helpers.edition_pages import (
    REPORT_RECORD,
    EditionFacts,
    listed_reports,
    reports_index_html,
    write_report_record,
)
from helpers.extract import SYNTHETIC_DIR
from helpers.preflight import RefusedError
from helpers.runguard import report_folder_problem

EDITIONS = batch.PROJECT_ROOT / "config" / "editions"
BUDGET_EDITION = "name: Budget\nperiod: 2016-01\nnotebooks:\n  06_budget: {}\n"


def _main(capsys, *args: str) -> tuple[int, str]:
    status = batch.main(list(args))
    captured = capsys.readouterr()
    return status, captured.err + captured.out


# --------------------------------------------------------------------------- folder names


def test_an_edition_is_written_to_a_folder_named_after_its_file():
    annex = EDITIONS / "annex-a-2016-03.yaml"
    assert batch.report_folder_name("2016-03", annex, publish=False) == "annex-a-2016-03"
    assert batch.report_folder_name("2016-03", annex, True) == "annex-a-2016-03-published"
    assert batch.report_folder_name("2016-03", None, False) == "2016-03"  # --month
    assert batch.report_folder_name("2016-03", None, True) == "2016-03-published"
    shipped = sorted(EDITIONS.glob("*.yaml"))
    folders = {batch.report_folder_name(batch.Edition.load(p).period, p, False) for p in shipped}
    assert len(folders) == len(shipped) and not folders & {"2015-10", "2016-03"}


def test_what_made_a_report_names_the_edition_file_or_the_month(tmp_path):
    assert batch.made_by("2016-03", None) == "--month 2016-03"
    shipped = EDITIONS / "board-2015-10.yaml"  # from the root: any clone's run is the same
    assert batch.made_by("2015-10", shipped) == "--edition config/editions/board-2015-10.yaml"
    elsewhere = tmp_path / "board-2015-10.yaml"
    assert batch.made_by("2015-10", elsewhere) == f"--edition {elsewhere.resolve()}"


@pytest.mark.parametrize(
    ("stem", "words"),
    [
        ("2016-03", "reads as a report month"),
        ("2016-3", "reads as a report month"),
        ("board-published", "published or failed run"),
        ("board.failed", "published or failed run"),
        (".board", "starts with a dot"),
    ],
)
def test_an_edition_file_named_like_another_runs_folder_is_refused(tmp_path, capsys, stem, words):
    edition = tmp_path / f"{stem}.yaml"
    edition.write_text(BUDGET_EDITION, encoding="utf-8")
    with pytest.raises(RefusedError, match=words) as refused:
        batch.Edition.load(edition)
    assert str(edition) in str(refused.value) and "board-2015-10.yaml" in str(refused.value)
    status, said = _main(capsys, "--edition", str(edition), "--output-dir", str(tmp_path / "r"))
    assert status == 2 and words in said and not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- malformed editions


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "holds nothing"),
        ("# only a comment\n", "holds nothing"),
        ("- name: x\n- period: 2016-01\n", "holds a list"),
        ("just words\n", "holds a single value"),
        ("name: x\nperiod: 2016-01\n", "the key 'notebooks' is missing"),
        ("name: x\nperiod: 2016-01\nnotebooks:\n", "the key 'notebooks' is missing"),
        ("name: x\nperiod: 2016-01\nnotebooks: {}\n", "the key 'notebooks' is empty"),
        ("name: x\nperiod: 2016-01\nnotebooks:\n  - 06_budget\n", "'notebooks' holds a list"),
        ("name: x\nperiod: 2016-01\nnotebooks: 06_budget\n", "'notebooks' holds a single"),
        ("period: 2016-01\nnotebooks:\n  06_budget: {}\n", "the key 'name' is missing"),
        ("name: [a, b]\nperiod: 2016-01\nnotebooks:\n  06_budget: {}\n", "'name' holds a list"),
        ("name: x\nnotebooks:\n  06_budget: {}\n", "the key 'period' is missing"),
        ("name: x\nperiod: 2016-13\nnotebooks:\n  06_budget: {}\n", "not a month"),
        ("name: x\nperiod: 2016-01\nnotebooks:\n  06_budget: [2016-01]\n", "06_budget holds"),
        ("name: x\nperiod: 2016-01\nnotebooks:\n  06_budget: {}\ndata_dir: [a]\n", "data_dir"),
        ("name: x\nperiod: 2016-01\nnotebooks:\n  06_budget: {\n", "not valid YAML"),
    ],
)
def test_a_malformed_edition_is_a_sentence_naming_the_file_and_key(tmp_path, capsys, text, words):
    edition = tmp_path / "broken.yaml"
    edition.write_text(text, encoding="utf-8")
    status, said = _main(capsys, "--edition", str(edition), "--output-dir", str(tmp_path / "r"))
    assert status == 2, said
    assert str(edition) in said and words in said, said
    assert not (tmp_path / "r").exists()


def test_an_edition_path_that_is_missing_a_folder_or_not_utf8_is_a_sentence(tmp_path, capsys):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(BUDGET_EDITION.replace("Budget", "Bud\xe9get").encode("latin-1"))
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    for path, words in (
        (tmp_path / "none.yaml", "no such edition file"),
        (folder, "is a folder"),
        (latin, "not UTF-8"),
    ):
        status, said = _main(capsys, "--edition", str(path), "--output-dir", str(tmp_path / "r"))
        assert status == 2 and str(path) in said and words in said, said
        assert "cannot be written" not in said  # not blamed on the output folder


# --------------------------------------------------------------------------- unsafe folders


def test_a_report_folder_may_not_be_hold_or_lie_inside_an_input(tmp_path):
    extracts = tmp_path / "extracts"
    june = extracts / "2015-06"
    june.mkdir(parents=True)
    workbook = tmp_path / "out" / "2016-03" / "annex.xlsx"
    workbook.parent.mkdir(parents=True)
    workbook.write_bytes(b"")
    assert "is, or holds, the input" in report_folder_problem(extracts / "2015-06", [june])
    assert "is, or holds, the input" in report_folder_problem(
        tmp_path / "out" / "2016-03", [workbook]
    )
    assert "is, or holds, the input" in report_folder_problem(tmp_path / "extracts", [june])
    # the run removes <folder>.failed and .<folder>.previous beside its report: inputs too
    assert report_folder_problem(extracts / "2015", [extracts / "2015.failed" / "x"]) is not None
    assert "inside the input" in report_folder_problem(june / "2015-06", [june])
    assert "inside the input" in report_folder_problem(june / "out" / "2015-06", [june])
    # beside the extract, or in a folder beside it, the report harms nothing
    assert report_folder_problem(extracts / "2015-07", [june]) is None
    assert report_folder_problem(tmp_path / "reports" / "2015-06", [june]) is None


def test_an_extract_kept_as_its_month_is_not_replaced_by_the_report(tmp_path, capsys):
    """Issue 21, "Data lost": ``--output-dir extracts`` with the extract in extracts/2015-06."""
    extract = tmp_path / "extracts" / "2015-06"
    shutil.copytree(SYNTHETIC_DIR, extract)
    before = sorted(p.name for p in extract.iterdir())
    args = ["--month", "2015-06", "--data-dir", str(extract)]
    status, said = _main(capsys, *args, "--output-dir", str(extract.parent))
    assert status == 2 and "is, or holds, the input" in said and str(extract) in said
    assert sorted(p.name for p in extract.iterdir()) == before  # its CSVs are all there
    status, said = _main(capsys, *args, "--output-dir", str(extract))
    assert status == 2 and "inside the input" in said
    assert sorted(p.name for p in extract.iterdir()) == before


def test_commentary_is_an_input_too(tmp_path, capsys):
    editions = tmp_path / "editions"
    editions.mkdir()
    edition = editions / "budget.yaml"
    edition.write_text(BUDGET_EDITION, encoding="utf-8")
    (editions / "budget").mkdir()  # its commentary folder: the report would land on it
    (editions / "budget" / "06_budget.md").write_text("## Indicator owner\n\nMe\n", "utf-8")
    status, said = _main(capsys, "--edition", str(edition), "--output-dir", str(editions))
    assert status == 2 and "is, or holds, the input" in said
    assert (editions / "budget" / "06_budget.md").exists()


def test_a_report_folder_that_is_a_link_is_refused_with_its_own_sentence(tmp_path, capsys):
    out, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "2016-01").symlink_to(elsewhere)
    status, said = _main(capsys, "--month", "2016-01", "--output-dir", str(out))
    assert status == 2 and "is a symbolic link" in said and "no report was written" not in said
    assert (out / "2016-01").is_symlink() and not any(elsewhere.iterdir())
    (out / "2016-01").unlink()
    (out / "2016-01").write_text("a file", encoding="utf-8")
    status, said = _main(capsys, "--month", "2016-01", "--output-dir", str(out))
    assert status == 2 and "is a file" in said


# --------------------------------------------------------------------------- another's report


def _facts(**changes) -> EditionFacts:
    facts = {
        "title": "Budget <b>monitoring</b>",
        "period": "2016-01",
        "produced": dt.datetime(2026, 11, 24, 9, 30),
        "data_source": {"synthetic": True, "committed": True, "extract_sha256": "cd" * 32},
        "code_version": "earlyhelp-reporting 0.1.0",
        "made_by": "--month 2016-01",
    }
    return EditionFacts(**{**facts, **changes})


def _report(out: Path, folder: str, **facts) -> Path:
    report = out / folder
    report.mkdir(parents=True)
    (report / "index.html").write_text("<html></html>", encoding="utf-8")
    write_report_record(report, _facts(**facts))
    return report


def test_a_run_never_replaces_another_editions_report(tmp_path):
    out = tmp_path / "reports"
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for folder in (mine, theirs):
        folder.mkdir()
        (folder / "budget.yaml").write_text(BUDGET_EDITION, encoding="utf-8")
    report = _report(out, "budget", made_by=batch.made_by("2016-01", theirs / "budget.yaml"))
    with pytest.raises(RefusedError) as refused:
        batch.run_batch({"06_budget": {}}, "2016-01", None, out, edition=mine / "budget.yaml")
    message = str(refused.value)
    assert "holds another report, Budget <b>monitoring</b> (analysts' edition" in message
    assert str(theirs / "budget.yaml") in message and str(mine / "budget.yaml") in message
    assert (report / REPORT_RECORD).exists() and sorted(p.name for p in out.iterdir()) == ["budget"]


def test_a_folder_with_files_and_no_record_is_left_alone(tmp_path):
    out = tmp_path / "reports"
    (out / "2016-01").mkdir(parents=True)
    (out / "2016-01" / "run.log").write_text("an earlier version's report", encoding="utf-8")
    with pytest.raises(RefusedError, match="no record"):
        batch.run_batch({"06_budget": {}}, "2016-01", None, out)
    assert (out / "2016-01" / "run.log").exists()


@pytest.mark.slow  # runs a notebook through Papermill, three times
def test_a_rerun_of_the_same_edition_replaces_its_report_and_the_index_lists_it(tmp_path):
    out, edition = tmp_path / "reports", tmp_path / "budget.yaml"
    edition.write_text(BUDGET_EDITION, encoding="utf-8")
    first = batch.run_batch(
        {"06_budget": {}}, "2016-01", None, out, progress=False, title="Budget", edition=edition
    )
    (first / "stale.txt").write_text("old", encoding="utf-8")
    again = batch.run_batch(
        {"06_budget": {}}, "2016-01", None, out, progress=False, title="Budget", edition=edition
    )
    assert again == first == out / "budget" and not (again / "stale.txt").exists()
    month = batch.run_batch({"06_budget": {}}, "2016-01", None, out, progress=False)
    assert month == out / "2016-01"
    assert [r.folder for r in listed_reports(out)] == ["budget", "2016-01"]
    log = (first / "run.log").read_text(encoding="utf-8")
    assert f"made by: --edition {edition.resolve()}" in log and "period: 2016-01" in log


# --------------------------------------------------------------------------- the index


def test_the_reports_index_lists_every_report_escaped(tmp_path):
    out = tmp_path / "reports"
    _report(out, "2016-01")
    _report(out, "2016-01-published", publish=True)
    _report(
        out,
        "x<y",
        title="Cabinet & <i>co</i>",
        period="2016-03",
        data_source={"synthetic": True, "extract": "x100", "extract_sha256": "ef" * 32},
    )
    old = out / "2015-10"  # made before reports kept a record
    old.mkdir()
    (old / "index.html").write_text("<html></html>", encoding="utf-8")
    for skipped in ("2016-02.failed", ".2016-02.partial-abc", "notes"):  # no front page
        (out / skipped).mkdir()
    (out / "2016-02.failed" / "index.html").write_text("", encoding="utf-8")
    page = reports_index_html(out)
    assert page.count('<tr><th scope="row">') == 4 and "<p>4 reports." in page
    assert "Budget &lt;b&gt;monitoring&lt;/b&gt;" in page and "<b>monitoring" not in page
    assert "Cabinet &amp; &lt;i&gt;co&lt;/i&gt;" in page and 'href="x%3Cy/index.html"' in page
    assert "<td>January 2016</td>" in page and "<td>March 2016</td>" in page
    assert "<td>Published</td>" in page and page.count("<td>Analysts&#x27;</td>") == 2
    assert "the committed synthetic extract (invented data), SHA-256 cdcdcdcdcdcd" in page
    assert "a synthetic extract made by the project&#x27;s generator, x100" in page
    assert "24 November 2026 at 09:30" in page
    assert '<a href="2015-10/index.html">2015-10</a>' in page and "not recorded" in page
    assert "2016-02" not in page and 'href="notes' not in page
    assert '<html lang="en-GB">' in page and "<caption>" in page
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "There is no report in this folder yet." in reports_index_html(empty)


@pytest.mark.slow  # the three shipped editions and a month: about twenty notebooks
def test_the_shipped_editions_and_a_month_leave_four_reports_and_an_index(
    tmp_path, capsys, imd_mirror
):
    """Issue 20's acceptance: from a clone, the three shipped editions and --month 2016-03 run
    into one output folder leave four reports, and an index listing them."""
    out = tmp_path / "reports"
    runs = [["--edition", str(path)] for path in sorted(EDITIONS.glob("*.yaml"))]
    runs.append(["--month", "2016-03"])
    for run in runs:
        status, said = _main(capsys, *run, "--output-dir", str(out), "--jobs", "2")
        assert status == 0, said
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["2016-03", "annex-a-2016-03", "board-2015-10", "cabinet-2016-03"]
    listed = {r.folder: r for r in listed_reports(out)}
    assert set(listed) == set(folders)
    names = {folder: batch.Edition.load(EDITIONS / f"{folder}.yaml").name for folder in folders[1:]}
    for folder, name in names.items():
        assert listed[folder].name == name and listed[folder].made_by.endswith(f"{folder}.yaml")
    assert listed["2016-03"].made_by == "--month 2016-03"
    assert listed["annex-a-2016-03"].data_source.startswith(
        "the committed synthetic Annex A workbook"
    )
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{folder}/index.html"' in page for folder in folders)
