"""What a monthly run costs, and how it grows: ``make bench``.

Prints, from one run on one machine:

1. the October 2015 edition (or ``--edition``) on the committed extract: wall time and peak
   memory;
2. the floor: as many notebooks, run the same way by Papermill, that only import pandas,
   geopandas and matplotlib; and the ratio of the two (edition and floor alternate ``--repeat``
   times and the fastest of each counts);
3. the same edition on synthetic extracts 10, 100 and 1,000 times larger (generated into a
   temporary folder, never committed), each with time and peak memory;
4. the edition with ``--jobs 2`` against ``--jobs 1``.

Peak memory is the largest sum of resident memory of the batch process and all its children
(the notebook kernels), sampled every 50 ms. Benchmarks are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

from helpers import batch
from helpers.config import PROJECT_ROOT

EDITION = PROJECT_ROOT / "config" / "editions" / "board-2015-10.yaml"
# The floor, as issue 11 defines it: notebooks that only import pandas, geopandas and matplotlib
# (what any report notebook pays before it computes anything).
FLOOR_IMPORTS = """
import geopandas
import matplotlib.pyplot as plt
import pandas as pd
"""


class PeakMemory:
    """Largest total RSS of this process and its descendants while the block runs."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a kernel may exit meanwhile
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def measure(label: str, run) -> dict:
    with PeakMemory() as memory:
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
    row = {"run": label, "seconds": seconds, "peak_mb": memory.peak / 2**20}
    print(f"  {label:<44} {seconds:8.1f} s {row['peak_mb']:9.0f} MB", flush=True)
    return row


def floor_notebooks(names: list[str], folder: Path) -> dict[str, dict]:
    """Import-only notebooks, one per real notebook, with the same parameters cell."""
    for name in names:
        real = nbformat.read(batch.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        parameters = next(c for c in real.cells if "parameters" in c.metadata.get("tags", []))
        nb = nbformat.v4.new_notebook(metadata=real.metadata)
        nb.cells = [parameters, nbformat.v4.new_code_cell(FLOOR_IMPORTS.strip())]
        nbformat.write(nb, folder / f"{name}.ipynb")
    return {name: {} for name in names}


def run_edition(plan: dict, period: str, data_dir: Path | None, out: Path, jobs: int = 1):
    return lambda: batch.run_batch(plan, period, data_dir, out, jobs=jobs, progress=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scales",
        default="10,100,1000",
        help="extract sizes to try, as multiples of the committed one",
    )
    parser.add_argument(
        "--edition",
        default=str(EDITION),
        help="the edition to measure (default: the October 2015 dashboard)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the edition and of the floor, alternating; the fastest of each counts",
    )
    args = parser.parse_args(argv)
    edition = batch.Edition.load(args.edition)
    plan, period = edition.notebooks, edition.period
    rows = []
    print(f"Benchmark on {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    with tempfile.TemporaryDirectory(prefix="earlyhelp-bench-") as scratch:
        scratch = Path(scratch)
        floor_dir = scratch / "floor"
        floor_dir.mkdir()
        floor_plan = floor_notebooks(list(plan), floor_dir)
        real_dir = batch.NOTEBOOKS_DIR
        # Warm-up: the first kernel start and font cache are not part of a monthly run. It runs
        # for the edition's own period, into a folder of its own.
        batch.run_batch({"06_budget": {}}, period, None, scratch / "warm-up", progress=False)
        print(f"\n{edition.name}: {len(plan)} notebooks")
        # Edition and floor alternate, and the fastest of each counts: on a shared machine a
        # busy neighbour slows one run, never speeds one up.
        editions, floors = [], []
        for attempt in range(1, args.repeat + 1):
            editions.append(
                measure(
                    f"edition, 1x (committed extract), run {attempt}",
                    run_edition(plan, period, None, scratch / "out"),
                )
            )
            batch.NOTEBOOKS_DIR = floor_dir
            try:
                floors.append(
                    measure(
                        f"floor: import-only notebooks, run {attempt}",
                        run_edition(floor_plan, period, None, scratch / "floor-out"),
                    )
                )
            finally:
                batch.NOTEBOOKS_DIR = real_dir
        best_edition = min(editions, key=lambda row: row["seconds"])
        best_floor = min(floors, key=lambda row: row["seconds"])
        rows += [
            best_edition | {"run": "edition, 1x (committed extract)"},
            best_floor | {"run": "floor: import-only notebooks"},
        ]
        ratio = best_edition["seconds"] / best_floor["seconds"]
        print(
            f"  edition / floor = {ratio:.2f} (fastest of {args.repeat} each; target: at most 1.5)"
        )

        rows.append(
            measure(
                "edition, 1x, --jobs 2", run_edition(plan, period, None, scratch / "out", jobs=2)
            )
        )
        print(f"  speed-up with 2 jobs = {rows[0]['seconds'] / rows[-1]['seconds']:.2f}x")

        for factor in [int(f) for f in args.scales.split(",") if f]:
            folder = scratch / f"x{factor}"
            started = time.perf_counter()
            # In its own process: the memory that building it takes is not the batch's.
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "helpers.dev.synthetic",
                    "--scale",
                    str(factor),
                    "--out",
                    str(folder),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            size = sum(f.stat().st_size for f in folder.glob("*.csv")) / 2**20
            print(
                f"\n{factor}x extract: {size:,.0f} MB of CSV, generated in "
                f"{time.perf_counter() - started:.0f} s"
            )
            row = measure(f"edition, {factor}x", run_edition(plan, period, folder, scratch / "out"))
            rows.append(row)
            print(f"  time / 1x = {row['seconds'] / rows[0]['seconds']:.2f}")
            shutil.rmtree(folder)
    print()  # the table as CSV (the labels hold commas, so they are quoted)
    table = csv.writer(sys.stdout, lineterminator="\n")
    table.writerow(["run", "seconds", "peak_mb"])
    for row in rows:
        table.writerow([row["run"], f"{row['seconds']:.1f}", f"{row['peak_mb']:.0f}"])


if __name__ == "__main__":
    main()
