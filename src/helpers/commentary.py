"""An edition's commentary: the analyst's Markdown beside the edition file, read and made safe.

Each section's commentary is a Markdown file (``config/editions/board-2015-10/01_....md``) whose
``## `` headings are its parts. It is read by the one rule every text input follows
(``helpers.extract_files.text_encoding``: UTF-8, or with a warning UTF-16 or Windows-1252); a
file in no such encoding, or a path that is a folder, is a :class:`CommentaryError` naming it.

The page shows the Markdown rendered by markdown-it-py with every door to another host or to a
script closed: markup written in it shows as written (no raw HTML), only ``http``, ``https``
and ``mailto`` links stay live (``javascript:``, ``vbscript:``, ``data:``, relative and any
other address become plain text, however they are encoded), reference-style link definitions
are not honoured (they show as written), and an image is left out with a note saying so (the
report loads nothing from another host, and a picture belongs in a figure, not in commentary).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from helpers.config import SentenceError
from helpers.extract_files import EncodingProblem, text_encoding

#: How to save commentary so that every character shows as written.
SAVE_AS_UTF8 = "Save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)"

#: The four parts of a section's commentary, in the dashboard's order.
COMMENTARY_PARTS = (
    "Statistical commentary",
    "Operational commentary",
    "Actions to improve",
    "Indicator owner",
)
#: Sections that carry no commentary: the reconciliation speaks for itself.
WITHOUT_COMMENTARY = frozenset({"07_reconciliation"})
#: The addresses a link in commentary may go to: web pages and e-mail.
LIVE_SCHEMES = ("http", "https", "mailto")


class CommentaryError(SentenceError, ValueError):
    """Commentary that cannot be read: the message names the file and what to do."""


def commentary_folder(edition_file: str | Path) -> Path:
    """Where an edition's commentary lives: ``config/editions/board-2015-10/`` beside its file."""
    return Path(edition_file).with_suffix("")


def commentary_file(folder: Path, notebook: str) -> Path:
    return folder / f"{notebook}.md"


def read_text(path: Path) -> tuple[str, str | None]:
    """A text file's contents, and a warning when it is not UTF-8 (None when it is)."""
    if path.is_dir():
        raise CommentaryError(
            f"{path} is a folder, not a commentary file: the section's commentary is the "
            "Markdown file of that name. Move the folder away and write the file."
        )
    try:
        encoding = text_encoding(path, f"{path}: the commentary", "UTF-8", SAVE_AS_UTF8)
        text = path.read_text(encoding=encoding.codec)
    except EncodingProblem as problem:
        raise CommentaryError(str(problem)) from None
    except OSError as error:
        raise CommentaryError(
            f"{path}: the commentary cannot be read ({error.strerror or error})."
        ) from None
    return text, encoding.warning


def _folder_or_refusal(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise CommentaryError(
            f"{folder} is a file, but an edition's commentary is the folder of that name "
            "beside the edition file, holding one Markdown file per section."
        )


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            parts[current] = []
        elif current is not None:
            parts[current].append(line)
    return {
        name: "\n".join(lines).strip() for name, lines in parts.items() if "".join(lines).strip()
    }


def read_commentary(folder: Path, notebook: str) -> dict[str, str]:
    """A section's commentary (``<notebook>.md``): each ``## part`` heading and its text."""
    _folder_or_refusal(folder)
    path = commentary_file(folder, notebook)
    if not path.exists() and not path.is_symlink():
        return {}
    return _parts(read_text(path)[0])


def commentary_warnings(folder: Path, notebooks: list[str]) -> list[str]:
    """Read every section's commentary before the run: the warnings (a file not in UTF-8);
    a file that cannot be read at all is a :class:`CommentaryError`, before any notebook runs."""
    _folder_or_refusal(folder)
    warnings = []
    for notebook in notebooks:
        path = commentary_file(folder, notebook)
        if notebook not in WITHOUT_COMMENTARY and (path.exists() or path.is_symlink()):
            warning = read_text(path)[1]
            warnings += [warning] if warning else []
    return warnings


def missing_commentary(folder: Path, notebooks: list[str]) -> list[str]:
    """Each part of each section's commentary that is missing: ``section file: part``."""
    missing = []
    for notebook in notebooks:
        if notebook in WITHOUT_COMMENTARY:
            continue
        found = read_commentary(folder, notebook)
        missing += [
            f"{folder / notebook}.md: {part}" for part in COMMENTARY_PARTS if part not in found
        ]
    return missing


def is_live(url: str) -> bool:
    """Whether a link may stay live: an absolute web address, or an e-mail address.

    ``url`` is as markdown-it normalises it (entities decoded, spaces and control characters
    percent-encoded), so ``&#106;avascript:`` arrives as ``javascript:`` and is refused here.
    """
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in LIVE_SCHEMES or any(c <= " " for c in url):
        return False
    if scheme == "mailto":
        return bool(rest)
    return rest.startswith("//") and len(rest) > 2  # a host, not a path on this one


def _image_left_out(self, tokens, index, options, env) -> str:
    """An image in commentary: not fetched, not embedded; a note where it was."""
    alt = self.renderInlineAsText(tokens[index].children or [], options, env)
    described = f" ({escapeHtml(alt)})" if alt.strip() else ""
    return (
        f'<span class="image-left-out">[An image{described} is left out here: the report '
        "shows no image from another address.]</span>"
    )


@cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("reference")  # [x][1] with "[1]: javascript:..." elsewhere: shown as written
    md.validateLink = is_live  # an address that is not live leaves its link as plain text
    md.add_render_rule("image", _image_left_out)
    return md


def commentary_html(text: str) -> str:
    """Commentary Markdown as the page shows it: formatted, with nothing that runs or fetches."""
    return _renderer().render(text)


def section_commentary_html(folder: Path, notebook: str, publish: bool) -> str:
    """The section's commentary as the page shows it; a visible placeholder for a missing part
    (analysts' edition only: publishing refuses an edition with one missing)."""
    found = read_commentary(folder, notebook)
    blocks = ["<h2>Commentary</h2>"]
    for part in COMMENTARY_PARTS:
        if part in found:
            blocks.append(f"<h3>{escapeHtml(part)}</h3>\n{commentary_html(found[part])}")
        elif not publish:
            blocks.append(
                f"<h3>{escapeHtml(part)}</h3>\n<p><strong>Commentary to come.</strong> This part "
                "has not been written for this section of the edition yet.</p>"
            )
    return "\n".join(blocks) + "\n"
