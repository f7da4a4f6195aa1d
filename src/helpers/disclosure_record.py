"""What a published page printed, kept so that an edition and its successors are protected together.

Floor 2. Three files, one format of counts (each a :class:`helpers.populations.Population`):

- the **page record** a notebook's kernel writes while the batch runs it with ``--publish``
  (where: :data:`PAGE_RECORD_ENV`): every count its figures functions linked, with its value,
  whether it is printed and whether it is hidden, and the sums. It holds hidden values, so it
  lives only in the run's staging folder, and the batch removes it;
- the **edition's hidden counts** the batch hands back to a page it reruns
  (:data:`EDITION_HIDDEN_ENV`): the page hides them too (:func:`edition_hidden`);
- the **report's record**, ``disclosure.json`` in each published report: only what a reader of
  the report already has, every printed count with its value, the populations of the counts
  hidden, shown only as a share or not printed, and the sums (the structure each page states).
  A later edition is checked against it (:mod:`helpers.edition_disclosure`).

Run outside the batch (in JupyterLab), no file is written or read: the page protects itself.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from helpers.disclosure import Key, LinkedCounts
from helpers.populations import Population

#: Where a kernel the batch runs writes its page's record (set by the batch, per notebook).
PAGE_RECORD_ENV = "EARLYHELP_DISCLOSURE_PAGE_RECORD"
#: The file of the counts the rest of the edition hides (set by the batch when it reruns a page).
EDITION_HIDDEN_ENV = "EARLYHELP_DISCLOSURE_EDITION_HIDDEN"
#: Each published report's record of what it printed.
RECORD = "disclosure.json"
#: What ``shown`` says of a count whose value the report did not print.
HIDDEN, AS_A_SHARE, NOT_PRINTED = "hidden", "as a share only", "not printed"
RECORD_FORMAT = "earlyhelp disclosure record 1"


class RecordError(ValueError):
    """A record that cannot be read: the sentence names the file and what is wrong."""


# --------------------------------------------------------------------------- one file's counts


def _population(key: Key) -> Population:
    if not isinstance(key, Population):
        raise TypeError(f"a recorded count must be keyed by its population, not {key!r}")
    return key


def _sums_json(counts: LinkedCounts, index: Mapping[Key, int]) -> list:
    return [[index[rel.total], [index[p] for p in rel.parts]] for rel in counts.sums]


def page_json(counts: LinkedCounts, hidden: Iterable[Key]) -> dict:
    """One figures call's counts, whole (values of hidden counts included): staging only."""
    hidden = set(hidden)
    keys = list(counts.values)
    return {
        "counts": [
            {
                "population": _population(k).to_json(),
                "value": counts.values[k],
                "printed": counts.printed[k],
                "share_only": k in counts.shares_only,
                "hidden": k in hidden,
            }
            for k in keys
        ],
        "sums": _sums_json(counts, {k: i for i, k in enumerate(keys)}),
    }


def counts_from_page_json(raw: Mapping) -> tuple[LinkedCounts, frozenset[Population]]:
    counts, hidden = LinkedCounts(), set()
    keys = []
    for entry in raw["counts"]:
        key = Population.from_json(entry["population"])
        counts.add(key, entry["value"], entry["printed"], entry["share_only"])
        if entry["hidden"]:
            hidden.add(key)
        keys.append(key)
    for total, parts in raw["sums"]:
        counts.add_sum(keys[total], [keys[p] for p in parts])
    return counts, frozenset(hidden)


def _write_json(path: Path, content: object) -> None:
    """Written whole, then moved into place: a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(json.dumps(content, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


# --------------------------------------------------------------------------- in a page's kernel


def record_page(part: str, counts: LinkedCounts, hidden: Iterable[Key]) -> None:
    """Add one figures call's counts to the page's record, when the batch asked for one.

    ``part`` names the call (the function and its dates): a second call of the same part
    replaces the first, as the map does when it is drawn by MSOA after trying LSOA.
    """
    where = os.environ.get(PAGE_RECORD_ENV)
    if not where:
        return
    path = Path(where)
    parts = json.loads(path.read_text(encoding="utf-8"))["parts"] if path.exists() else {}
    parts[part] = page_json(counts, hidden)
    _write_json(path, {"parts": parts})


def read_page_record(path: Path) -> list[tuple[LinkedCounts, frozenset[Population]]]:
    """The figures calls a page recorded (none if it published no count)."""
    if not path.exists():
        return []
    parts = json.loads(path.read_text(encoding="utf-8"))["parts"]
    return [counts_from_page_json(raw) for raw in parts.values()]


def edition_hidden() -> frozenset[Population]:
    """The counts the rest of the edition hides, when the batch reruns this page; else none."""
    where = os.environ.get(EDITION_HIDDEN_ENV)
    if not where or not Path(where).exists():
        return frozenset()
    raw = json.loads(Path(where).read_text(encoding="utf-8"))
    return frozenset(Population.from_json(p) for p in raw["hidden"])


def write_edition_hidden(path: Path, hidden: Iterable[Population]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json(path, {"hidden": [p.to_json() for p in sorted(hidden)]})


def protected_by_batch() -> bool:
    """Whether this page is being protected with the rest of its edition (by the batch)."""
    return bool(os.environ.get(PAGE_RECORD_ENV))


def protection_scope_note() -> str:
    """What the published page's protection covers: its edition, or this page alone."""
    if protected_by_batch():
        return (
            "Every page of this edition was protected together, and against the earlier "
            "published reports in its folder: a hidden count cannot be worked out from this "
            "page, the edition's other pages or those reports."
        )
    return (
        "This page was protected on its own: only the batch (python -m helpers.batch "
        "--publish) protects every page of an edition together, and against the reports "
        "published before it."
    )


# --------------------------------------------------------------------------- a report's record


@dataclass
class PublishedCounts:
    """What one published report gave its readers, as its record says."""

    report: str  # its folder
    shown: dict[Population, int] = field(default_factory=dict)
    hidden: set[Population] = field(default_factory=set)
    shares: set[Population] = field(default_factory=set)
    unprinted: set[Population] = field(default_factory=set)
    sums: list[tuple[Population, tuple[Population, ...]]] = field(default_factory=list)

    @property
    def populations(self) -> set[Population]:
        return set(self.shown) | self.hidden | self.shares | self.unprinted


def _shown(counts: LinkedCounts, key: Key, hidden: set[Key]) -> int | str:
    value = counts.values[key]
    if not counts.printed[key]:
        return NOT_PRINTED
    if key in hidden:
        return HIDDEN
    if key in counts.shares_only or value is None:
        return AS_A_SHARE
    return value


def report_record_json(
    report: str,
    counts: LinkedCounts,
    hidden: Iterable[Key],
    pages: Mapping[Key, Iterable[str]],
) -> dict:
    """The published record of an edition: no value that its pages did not print."""
    hidden = set(hidden)
    keys = sorted(counts.values, key=_population)
    return {
        "record": RECORD_FORMAT,
        "about": (
            "Every count this published report printed, with its value; the counts it hid, "
            "showed only as a share or did not print, without their values; and the sums that "
            "link them. Later published editions in the same folder are checked against it."
        ),
        "report": report,
        "counts": [
            {
                "population": k.to_json(),
                "shown": _shown(counts, k, hidden),
                "pages": sorted(pages.get(k, ())),
            }
            for k in keys
        ],
        "sums": _sums_json(counts, {k: i for i, k in enumerate(keys)}),
    }


def write_report_record(folder: Path, record: dict) -> Path:
    path = folder / RECORD
    _write_json(path, record)
    return path


def read_published_counts(folder: Path) -> PublishedCounts | None:
    """A published report's record; None when it has none (made before records were kept).

    A record that cannot be read raises :class:`RecordError` naming the file.
    """
    path = folder / RECORD
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return _published_counts(folder.name, raw)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise RecordError(
            f"{path}: the record of what this published report printed cannot be read "
            f"({type(error).__name__}: {str(error)[:200]}). Later editions are checked against "
            "it, so rerun that report (or move it out of the output folder) and run again."
        ) from None


def _published_counts(report: str, raw: Mapping) -> PublishedCounts:
    if raw.get("record") != RECORD_FORMAT:
        raise ValueError(f"it is not an {RECORD_FORMAT!r}")
    record = PublishedCounts(report)
    keys = []
    for entry in raw["counts"]:
        key = Population.from_json(entry["population"])
        shown = entry["shown"]
        if isinstance(shown, bool) or not isinstance(shown, int | str):
            raise ValueError(f"{key}: shown is {shown!r}")
        if isinstance(shown, int):
            record.shown[key] = shown
        elif shown == HIDDEN:
            record.hidden.add(key)
        elif shown == AS_A_SHARE:
            record.shares.add(key)
        elif shown == NOT_PRINTED:
            record.unprinted.add(key)
        else:
            raise ValueError(f"{key}: shown is {shown!r}")
        keys.append(key)
    record.sums = [(keys[total], tuple(keys[p] for p in parts)) for total, parts in raw["sums"]]
    return record


# --------------------------------------------------------------------------- in the batch's staging


@dataclass(frozen=True)
class StagedPages:
    """Where, in a published run's staging folder, each page leaves its tables and its record
    until the edition is protected together: a page rerun is cleared and written afresh (the
    map drawn by MSOA after LSOA leaves no LSOA table behind), then every page's tables join
    the report's ``tables/``."""

    staging: Path

    @property
    def folder(self) -> Path:
        return self.staging / ".pages"

    @property
    def hidden_file(self) -> Path:
        return self.folder / "edition-hidden.json"

    def tables_of(self, page: str) -> Path:
        tables = self.folder / page / "tables"
        tables.mkdir(parents=True, exist_ok=True)
        return tables

    def record_of(self, page: str) -> Path:
        return self.folder / page / "disclosure.page.json"

    def environment(self, page: str) -> dict[str, str]:
        """What the page's kernel is told: where to write its record, where the edition's
        hidden counts are."""
        return {
            PAGE_RECORD_ENV: str(self.record_of(page)),
            EDITION_HIDDEN_ENV: str(self.hidden_file),
        }

    def _page_folders(self) -> list[Path]:
        return (
            sorted(p for p in self.folder.iterdir() if p.is_dir()) if self.folder.exists() else []
        )

    def pages(self) -> dict[str, list[tuple[LinkedCounts, frozenset[Population]]]]:
        return {
            page.name: read_page_record(self.record_of(page.name)) for page in self._page_folders()
        }

    def hand_back(self, hidden: Iterable[Population]) -> None:
        write_edition_hidden(self.hidden_file, hidden)

    def remove_records(self) -> None:
        """The pages' records (they hold hidden values) gone, their tables kept."""
        for path in self.folder.glob(f"*/{self.record_of('x').name}"):
            path.unlink()
        self.hidden_file.unlink(missing_ok=True)

    def clear(self, page: str) -> None:
        shutil.rmtree(self.folder / page, ignore_errors=True)

    def merge_into(self, report: Path) -> None:
        """Every page's tables into the report's ``tables/``, and what a page leaves beside
        its tables (its headlines) beside the report's; then the pages' folders removed."""
        self.remove_records()
        for page in self._page_folders():
            tables = page / "tables"
            moves = [(p, report / "tables" / p.name) for p in tables.glob("*")]
            moves += [(p, report / p.name) for p in page.iterdir() if p != tables]
            for path, target in sorted(moves):
                if target.exists():
                    raise RuntimeError(f"two sections of the edition both wrote {path.name}")
                path.rename(target)
        shutil.rmtree(self.folder, ignore_errors=True)
