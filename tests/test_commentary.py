"""An edition's commentary (helpers.commentary): read in the encodings Windows saves, and shown
with nothing in it that runs, fetches or links anywhere but the web and e-mail (issue 21).

The unsafe links are the link vectors of the OWASP XSS Filter Evasion Cheat Sheet, written out
here, each in the forms Markdown gives them (inline, autolink, reference-style, raw HTML). Each
rendering is read back with Python's own HTML parser, independently of the renderer: no tag
may carry an address that is not live, a script, an event handler or an image.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from helpers import batch
from helpers.commentary import (
    COMMENTARY_PARTS,
    CommentaryError,
    commentary_html,
    commentary_warnings,
    is_live,
    read_commentary,
    read_text,
)
from helpers.edition_pages import EditionFacts, render_page
from helpers.preflight import RefusedError

#: OWASP XSS Filter Evasion Cheat Sheet: the addresses it uses to get a script into a link.
OWASP_ADDRESSES = [
    "javascript:alert('XSS')",
    "JaVaScRiPt:alert('XSS')",
    "javascript:alert(&quot;RSnake says, 'XSS'&quot;)",
    "javascript:alert(String.fromCharCode(88,83,83))",
    # decimal, decimal without semicolons and padded, hexadecimal HTML entities
    "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;"
    "&#40;&#39;&#88;&#83;&#83;&#39;&#41;",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116"
    "&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083"
    "&#0000083&#0000039&#0000041",
    "&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27"
    "&#x58&#x53&#x53&#x27&#x29",
    "&#106;avascript:alert(1)",
    "&#106avascript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    # embedded tab, encoded tab, newline and carriage return; a null; spaces and meta characters
    "jav\tascript:alert('XSS');",
    "jav&#x09;ascript:alert('XSS');",
    "jav&#x0A;ascript:alert('XSS');",
    "jav&#x0D;ascript:alert('XSS');",
    "java\x00script:alert('XSS')",
    " &#14;  javascript:alert('XSS');",
    "javascript%3Aalert(1)",
    'vbscript:msgbox("XSS")',
    "VBScript:msgbox(1)",
    "livescript:alert(1)",
    "mocha:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "file:///etc/passwd",
    "//ha.ckers.org/xss.js",
    "\\\\ha.ckers.org\\xss.js",
    "xss.html",
    "#top",
    "ftp://ha.ckers.org/xss.js",
    "feed:javascript:alert(1)",
]
#: The same in raw HTML typed into the Markdown: it must show as text.
RAW_HTML = [
    "<a href=\"javascript:alert('XSS')\">click</a>",
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=x onerror=alert(1)>",
    "<script>alert('XSS')</script>",
    '<iframe src="https://ha.ckers.org/scriptlet.html"></iframe>',
    "<svg onload=alert(1)>",
    "<BODY ONLOAD=alert('XSS')>",
    '<a href="https://example.org" onmouseover="alert(1)">x</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]
LIVE = [
    ("[our page](https://www.coventry.gov.uk/)", "https://www.coventry.gov.uk/"),
    ("[plain](http://example.org/a?b=1)", "http://example.org/a?b=1"),
    ("[ask](mailto:earlyhelp@example.org)", "mailto:earlyhelp@example.org"),
    ("<https://example.org>", "https://example.org"),
    ("[case](HTTPS://example.org)", "HTTPS://example.org"),
]


class _Tags(HTMLParser):
    """Every tag and its attributes, as a browser's parser would find them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def unsafe(html: str) -> list[str]:
    """What in ``html`` could run, fetch or lead anywhere but a web page or an e-mail."""
    found = []
    for tag, attrs in tags(html):
        if tag in ("script", "img", "iframe", "svg", "object", "embed", "meta", "body", "style"):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in ("src", "srcset", "style", "formaction"):
                found.append(f"<{tag} {name}>")
            if name == "href" and not str(value).lower().startswith(
                ("http://", "https://", "mailto:")
            ):
                found.append(f"<{tag} href={value!r}>")
    return found


def _forms(address: str) -> list[str]:
    return [
        f"See [the guidance]({address}) for more.",
        f'See [the guidance]({address} "a title").',
        f"See [the guidance](<{address}>).",
        f"See <{address}>.",
        f"See [the guidance][1].\n\n[1]: {address}",
        f"See [the guidance][].\n\n[the guidance]: {address}",
        f"![a picture]({address})",
    ]


@pytest.mark.parametrize("address", OWASP_ADDRESSES)
def test_no_owasp_link_stays_live_in_any_markdown_form(address):
    for markdown in _forms(address):
        html = commentary_html(markdown)
        assert unsafe(html) == [], (markdown, html)
        assert [t for t, _ in tags(html) if t == "a"] == [], (markdown, html)


@pytest.mark.parametrize("markup", RAW_HTML)
def test_markup_typed_in_commentary_shows_as_written(markup):
    html = commentary_html(f"Before.\n\n{markup}\n\nAfter {markup} inline.")
    assert unsafe(html) == [] and {t for t, _ in tags(html)} == {"p"}, html
    assert "&lt;" in html


@pytest.mark.parametrize(("markdown", "href"), LIVE)
def test_web_and_email_links_stay_live(markdown, href):
    html = commentary_html(markdown)
    links = [attrs for tag, attrs in tags(html) if tag == "a"]
    assert links == [{"href": href}], html
    assert unsafe(html) == []


def test_a_reference_style_link_shows_as_written_even_to_a_web_page():
    html = commentary_html("[the plan][1]\n\n[1]: https://example.org/plan")
    assert "[the plan][1]" in html and "[1]: https://example.org/plan" in html
    assert [t for t, _ in tags(html) if t == "a"] == []


def test_an_image_is_left_out_with_a_note_and_nothing_fetched():
    html = commentary_html("Our team ![the team photo](https://ha.ckers.org/team.png) today.")
    assert "An image (the team photo) is left out here" in html
    assert "ha.ckers.org" not in html and unsafe(html) == []


def test_is_live_knows_only_web_and_email_addresses():
    assert is_live("https://example.org") and is_live("mailto:a@b.org")
    for address in ("https:", "https://", "http:example.org", "mailto:", "tel:0123", "x.html"):
        assert not is_live(address), address


def test_formatting_survives():
    html = commentary_html("**Up** on *last month*:\n\n- one\n- two\n\n`code`")
    assert {t for t, _ in tags(html)} == {"p", "strong", "em", "ul", "li", "code"}


# --------------------------------------------------------------------------- encodings and paths

COMMENTARY = "## Statistical commentary\n\nSpend is £1,200 – ‘on target’.\n"


def test_commentary_saved_as_windows_1252_is_read_with_a_warning(tmp_path):
    path = tmp_path / "06_budget.md"
    path.write_bytes(COMMENTARY.encode("cp1252"))
    text, warning = read_text(path)
    assert "£1,200 – ‘on target’" in text
    assert warning and str(path) in warning and "not UTF-8" in warning
    path.write_bytes(b"\xef\xbb\xbf" + COMMENTARY.encode("utf-8"))  # UTF-8 with a BOM
    assert read_text(path) == (COMMENTARY, None)
    assert commentary_warnings(tmp_path, ["06_budget"]) == []


def _run_budget(commentary: Path, out: Path, publish: bool) -> Path:
    return batch.run_batch(
        {"06_budget": {}},
        "2016-01",
        output_dir=out,
        progress=False,
        publish=publish,
        commentary=commentary,
    )


def test_commentary_in_no_known_encoding_is_refused_before_any_notebook(tmp_path):
    folder = tmp_path / "budget"
    folder.mkdir()
    (folder / "06_budget.md").write_bytes(b"## Indicator owner\n\nThe \x81 team\n")
    with pytest.raises(CommentaryError, match="neither UTF-8 nor Windows-1252"):
        read_commentary(folder, "06_budget")
    for publish in (False, True):  # analysts' and published: refused before anything runs
        with pytest.raises(RefusedError, match="06_budget.md"):
            _run_budget(folder, tmp_path / "reports", publish)
    assert not (tmp_path / "reports").exists()


def test_a_commentary_path_that_is_a_folder_is_named_not_the_output_folder(tmp_path, capsys):
    editions = tmp_path / "editions"
    (editions / "budget" / "06_budget.md").mkdir(parents=True)
    edition = editions / "budget.yaml"
    edition.write_text("name: Budget\nperiod: 2016-01\nnotebooks:\n  06_budget: {}\n", "utf-8")
    status = batch.main(["--edition", str(edition), "--output-dir", str(tmp_path / "reports")])
    said = capsys.readouterr().err
    assert status == 2 and "06_budget.md is a folder, not a commentary file" in said
    assert "cannot be written" not in said and not (tmp_path / "reports").exists()
    (editions / "budget" / "06_budget.md").rmdir()
    (editions / "budget").rmdir()
    (editions / "budget").write_text("not a folder", encoding="utf-8")
    with pytest.raises(CommentaryError, match="is a file, but an edition's commentary"):
        commentary_warnings(editions / "budget", ["06_budget"])


# --------------------------------------------------------------------------- on the page


def test_the_page_shows_commentary_made_safe(tmp_path):
    folder = tmp_path / "commentary"
    folder.mkdir()
    (folder / "06_budget.md").write_bytes(
        (
            "## Statistical commentary\n\nSee [the plan](https://example.org/plan), not "
            "[this](javascript:alert(1)) or [that](&#106;avascript:alert(1)).\n\n"
            "<script>alert('XSS')</script> ![logo](https://ha.ckers.org/logo.png)\n\n"
            "## Indicator owner\n\nHead of Early Help — £ in Windows-1252\n"
        ).encode("cp1252")
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Budget\n\nWhat it shows."),
        nbformat.v4.new_markdown_cell("<details>\n<summary>How these figures are made</summary>"),
    ]
    executed = tmp_path / "06_budget.ipynb"
    nbformat.write(nb, executed)
    facts = EditionFacts(
        title="Budget",
        period="2016-01",
        produced=dt.datetime(2026, 11, 24, 9, 30),
        data_source={"synthetic": True, "committed": True, "extract_sha256": "ab" * 32},
        code_version="test",
        commentary=folder,
    )
    target = tmp_path / "html" / "06_budget.html"
    render_page(executed, target, facts)
    page = target.read_text(encoding="utf-8")
    body = page[page.index("<h2>Commentary</h2>") : page.index("How these figures are made")]
    assert unsafe(body) == [], body
    assert [a["href"] for t, a in tags(body) if t == "a"] == ["https://example.org/plan"]
    assert "&lt;script&gt;" in body and "is left out here" in body
    assert "Head of Early Help — £ in Windows-1252" in body
    assert "<strong>Commentary to come.</strong>" in body  # two parts not written yet
    assert body.index("Statistical commentary") < body.index("Indicator owner")


@pytest.mark.slow  # runs a notebook through Papermill, twice
def test_windows_1252_commentary_is_published_with_a_warning_in_the_log(tmp_path):
    folder = tmp_path / "commentary"
    folder.mkdir()
    parts = "".join(f"## {part}\n\nSpend is £1,200 – ‘{part}’.\n\n" for part in COMMENTARY_PARTS)
    (folder / "06_budget.md").write_bytes(parts.encode("cp1252"))
    for publish in (False, True):
        report = _run_budget(folder, tmp_path / "reports", publish)
        log = (report / "run.log").read_text(encoding="utf-8")
        assert "06_budget.md: the commentary is not UTF-8" in log
        page = (report / "html" / "06_budget.html").read_text(encoding="utf-8")
        assert "Spend is £1,200 – ‘Indicator owner’." in page
        assert "read as Windows-1252" in (report / "index.html").read_text(encoding="utf-8")
