"""The committed synthetic SSD is what its generator makes, and the guard holds it to that."""

from __future__ import annotations

import json
import shutil

from helpers.dev import guard
from helpers.dev.synthetic_ssd import END_REASONS, TYPES, generate, manifest, unmapped_end_reasons
from helpers.extract import SYNTHETIC_MANIFEST
from helpers.ssd import SYNTHETIC_SSD_DIR, rows_sha256
from helpers.ssd_tables import EPISODES


def test_regenerated_tables_are_the_committed_ones_byte_for_byte():
    for name, text in generate().items():
        committed = (SYNTHETIC_SSD_DIR / f"{name}.csv").read_text(encoding="utf-8")
        assert committed == text, f"{name}.csv differs: run python -m helpers.dev.synthetic_ssd"
    recorded = json.loads((SYNTHETIC_SSD_DIR / SYNTHETIC_MANIFEST).read_text(encoding="utf-8"))
    assert recorded == manifest(SYNTHETIC_SSD_DIR)
    assert sorted(p.name for p in SYNTHETIC_SSD_DIR.iterdir()) == sorted(
        [*(f"{name}.csv" for name in TYPES), SYNTHETIC_MANIFEST]
    )


def test_every_end_reason_the_generator_writes_maps_back_to_its_closure_reason():
    assert unmapped_end_reasons() == []
    assert len({r for reasons in END_REASONS.values() for r in reasons}) >= len(END_REASONS)


def test_the_guard_allows_the_synthetic_ssd_and_refuses_an_edited_one(tmp_path):
    assert guard.misplaced_data([SYNTHETIC_SSD_DIR / f"{EPISODES}.csv"]) == []
    assert guard.synthetic_ssd_problems() == []
    copy = tmp_path / "synthetic_ssd"
    shutil.copytree(SYNTHETIC_SSD_DIR, copy)
    episodes = copy / f"{EPISODES}.csv"
    episodes.write_text(
        episodes.read_text(encoding="utf-8").replace("Outcomes met", "Step-up", 1),
        encoding="utf-8",
    )
    assert "checksum of their rows differs" in guard.synthetic_ssd_problems(copy)[0]
    (copy / "real_export.csv").write_text("x\n", encoding="utf-8")
    assert "extra: real_export.csv" in guard.synthetic_ssd_problems(copy)[0]


def test_the_checksum_is_of_the_rows_whatever_their_order():
    import pandas as pd

    rows = pd.DataFrame({"a": ["1", "2", "3"], "b": ["x", "", "z"]})
    assert rows_sha256(rows) == rows_sha256(rows.iloc[::-1])
    assert rows_sha256(rows) != rows_sha256(rows.assign(b=["x", "y", "z"]))
