"""Which data a report was made from, in the words every record of the run uses.

The batch stamps each executed notebook with :func:`data_source`; the run log, the edition's
front page and the reports index name that data with :func:`described`. Only the extract (or
Annex A workbook) committed with the repository is "the committed synthetic extract": another
extract the project's generator made (scaled for a benchmark, moved to another month or
authority) is invented too, but calibrated to nothing, and is named as generated.
"""

from __future__ import annotations

import json

from helpers import __version__
from helpers.annex_a import KIND as ANNEX_A_KIND
from helpers.annex_a import SSD_KIND, cannot_show
from helpers.config import PROJECT_ROOT
from helpers.coverage import coverage_of, months_without_activity
from helpers.database import is_database_url, source_name
from helpers.extract import SYNTHETIC_DIR, SYNTHETIC_MANIFEST, Extract

#: The manifests of the synthetic inputs committed with the repository, whose checksums they
#: record: the native extract and the Annex A workbook made from it.
COMMITTED_MANIFESTS = (
    SYNTHETIC_DIR / SYNTHETIC_MANIFEST,
    PROJECT_ROOT / "data" / "raw" / "synthetic_annex_a" / SYNTHETIC_MANIFEST,
    PROJECT_ROOT / "data" / "raw" / "synthetic_ssd" / SYNTHETIC_MANIFEST,
)
#: Each kind of input in the words of the run log, the front page and the reports index.
WHAT = {ANNEX_A_KIND: "Annex A workbook", SSD_KIND: "Standard Safeguarding Dataset"}


def committed_checksums() -> set[str]:
    """The SHA-256 checksums of the committed synthetic inputs, as their manifests record them."""
    found = set()
    for manifest in COMMITTED_MANIFESTS:
        if manifest.is_file():
            found.add(str(json.loads(manifest.read_text(encoding="utf-8")).get("sha256")))
    return found


def is_committed(extract: Extract) -> bool:
    """Whether ``extract`` is one of the synthetic inputs committed with the repository."""
    return extract.is_synthetic and extract.sha256 in committed_checksums()


def data_source(extract: Extract) -> dict:
    """Which data an executed notebook ran on, as stamped in its metadata."""
    committed = is_committed(extract)
    return {
        "synthetic": extract.is_synthetic,
        "committed": committed,
        # A database is always named, by its URL without password: which server was read.
        "extract": (
            "synthetic"
            if committed and not is_database_url(extract.source)
            else source_name(extract.source)
        ),
        "extract_sha256": extract.sha256,
        "helpers_version": __version__,
        "kind": extract.kind,
        "absent": [*extract.absent, *_demographics_absent(extract)],
        "covers_from": extract.covers_from,
        "coverage": coverage_of(extract).record(),
        "months_without_activity": months_without_activity(extract),
    }


def _demographics_absent(extract: Extract) -> list[str]:
    """``["demographics"]`` when the extract records no age, sex and ethnicity (a native one)."""
    return ["demographics"] if cannot_show(extract, "demographics") else []


def described(source: dict) -> str:
    """The data a run read, in words: ``the committed synthetic extract (invented data)``."""
    if not source:
        return "not read (the run stopped before the extract was validated)"
    what = WHAT.get(source.get("kind"), "extract")
    name = source.get("extract") or "not recorded"
    if source.get("synthetic") and source.get("committed"):
        read_from = f", read from {name}" if is_database_url(name) else ""
        return f"the committed synthetic {what} (invented data){read_from}"
    if source.get("synthetic"):
        return (
            f"a synthetic {what} made by the project's generator, {name} (invented data, "
            "calibrated to no published figure)"
        )
    return f"{what} {name}"
