"""The problems found in an input, in bounded memory, and the summary a refusal prints.

Every problem names file (and sheet), row as the analyst sees it, column and value. A refusal
does not print thousands of identical lines: :func:`summary_lines` gives one line per file,
column, problem and value, with its row count and, where the fix is a setting, the file and key
to change; then a few examples. The full list goes, as found, to a ``sink`` (the batch's
``refused_rows.csv``), so that no extract, however wrong, holds it all in memory.

Floor 0: pandas and numpy only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The longest value a message quotes whole: a field of 512 MB was once echoed into the error.
SHOWN_VALUE_CHARS = 200
#: Problems of one file and column kept whole (row, value, message); the rest are counted, so
#: that an extract where every row is wrong cannot take the memory (a 200 MB export of wrong
#: rows made 16 million problems). Row numbers of every problem are kept, compactly, so that
#: --allow-invalid still leaves out every bad row and the counts still reconcile.
PROBLEMS_KEPT_PER_COLUMN = 1000
#: Distinct values counted apart for one file, column and problem; the rest together.
VALUES_COUNTED = 20
#: Rows named on a summary line.
ROWS_NAMED = 5
#: Summary lines a message shows; the rest are counted.
LINES_SHOWN = 50
EXAMPLES_SHOWN = 3
#: Columns only the map reads: with --allow-invalid a bad value keeps its row everywhere else.
MAP_ONLY_COLUMNS = frozenset({"lsoa11cd"})
#: The columns of the full list (and of ``tables/data_quality.csv``).
LIST_COLUMNS = ["file", "row", "column", "value", "problem"]

Sink = Callable[[pd.DataFrame], None]


def shown_value(value: object) -> str:
    """A value as a message quotes it: cut at :data:`SHOWN_VALUE_CHARS` characters."""
    text = str(value)
    if len(text) <= SHOWN_VALUE_CHARS:
        return text
    return f"{text[:SHOWN_VALUE_CHARS]}... ({len(text):,} characters in all)"


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # as the analyst sees it in the file (header = row 1); None: whole file
    column: str | None
    value: str | None
    message: str

    @classmethod
    def of_file(cls, file: str, message: str, column: str | None = None) -> Problem:
        """A problem with a whole file (or a whole column of it): no row, no value."""
        return cls(file, None, column, None, message)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f" (value {shown_value(self.value)!r})"
        return f"{where}: {self.message}{value}"


@dataclass
class ValueCounts:
    """How often one problem of one column was found, by value: counts and the first rows."""

    by_value: dict[str | None, list] = field(default_factory=dict)  # value -> [count, rows]
    other: list = field(default_factory=lambda: [0, []])  # values beyond VALUES_COUNTED
    fix: str | None = None  # the setting to change, when that is the fix


class Problems:
    """The problems found in an extract, in bounded memory.

    The first :data:`PROBLEMS_KEPT_PER_COLUMN` problems of each file and column are kept whole;
    the rest are counted (by file, column and message, and by value for the summary). The row
    numbers of every row with a problem are kept as arrays, since ``--allow-invalid`` leaves out
    each such row. ``sink``, when given, receives every problem as found (a frame of
    :data:`LIST_COLUMNS`).
    """

    def __init__(self, kept_per_column: int | None = None, sink: Sink | None = None) -> None:
        self.kept: list[Problem] = []
        self.total = 0
        self.kept_per_column = (
            PROBLEMS_KEPT_PER_COLUMN if kept_per_column is None else kept_per_column
        )
        self.sink = sink
        #: (file, column) -> problems found, kept or not.
        self.per_column: Counter[tuple[str, str | None]] = Counter()
        #: (file, message) -> problems found: the commonest problem of a file.
        self.per_message: Counter[tuple[str, str]] = Counter()
        #: (file, column, message) -> counts by value, for the summary.
        self.groups: dict[tuple[str, str | None, str], ValueCounts] = {}
        self._rows: dict[str, list[np.ndarray]] = {}  # file -> rows with a problem

    def append(self, problem: Problem) -> None:
        rows = np.array([] if problem.row is None else [problem.row], dtype="int64")
        self._add(problem.file, problem.column, problem.message, rows, [problem], None)

    def add_rows(
        self,
        file: str,
        column: str | None,
        rows: Sequence[int] | np.ndarray,
        values: Iterable[object],
        message: str,
        fix: str | None = None,
    ) -> None:
        """One problem per row: ``rows`` as the analyst numbers them, ``values`` as written.

        Only the problems that will be kept are made: a million bad rows cost a million
        integers, not a million objects. ``fix``: the setting to change, where that is the fix.
        """
        rows = np.asarray(rows, dtype="int64")
        if not len(rows):
            return
        shown = _shown(values, len(rows))
        room = max(0, self.kept_per_column - self.per_column[(file, column)])
        kept = [
            Problem(file, int(row), column, value, message)
            for row, value in zip(rows[:room], shown.iloc[:room], strict=False)
        ]
        self._add(file, column, message, rows, kept, shown, count=len(rows), fix=fix)

    def _add(
        self,
        file: str,
        column: str | None,
        message: str,
        rows: np.ndarray,
        problems: list[Problem],
        shown: pd.Series | None,
        count: int | None = None,
        fix: str | None = None,
    ) -> None:
        count = len(problems) if count is None else count
        room = max(0, self.kept_per_column - self.per_column[(file, column)])
        self.kept += problems[:room]
        self.total += count
        self.per_column[(file, column)] += count
        self.per_message[(file, message)] += count
        if shown is None:
            shown = pd.Series([p.value for p in problems], dtype=object)
        self._count_values((file, column, message), rows, shown, fix)
        if self.sink is not None:
            self.sink(
                pd.DataFrame(
                    {
                        "file": file,
                        "row": pd.array(rows if len(rows) else [None], dtype="Int64"),
                        "column": column,
                        "value": shown.to_numpy() if len(rows) else [None],
                        "problem": message,
                    },
                    columns=LIST_COLUMNS,
                )
            )
        if len(rows) and column not in MAP_ONLY_COLUMNS:
            self._rows.setdefault(file, []).append(rows)

    def _count_values(
        self,
        key: tuple[str, str | None, str],
        rows: np.ndarray,
        shown: pd.Series,
        fix: str | None,
    ) -> None:
        """Count the values of one add, by value: the first :data:`VALUES_COUNTED` values of a
        file, column and problem apart, the rest together (vectorised: a column of two million
        distinct bad values costs a few array passes, not two million dictionary entries)."""
        group = self.groups.setdefault(key, ValueCounts(fix=fix))
        if not len(rows):  # a whole-file problem: one, with no row
            group.by_value.setdefault(None, [0, []])[0] += 1
            return
        codes, uniques = pd.factorize(shown.to_numpy(dtype=object), use_na_sentinel=True)
        counts = np.bincount(codes + 1, minlength=len(uniques) + 1)  # [0]: blank (code -1)
        tracked: dict[int, str | None] = {}  # code -> value, counted apart
        known = [value for value in group.by_value if value is not None]
        if known:
            found = pd.Index(uniques, dtype=object).get_indexer(known)
            tracked.update({int(c): v for c, v in zip(found, known, strict=True) if c >= 0})
        if counts[0] and (None in group.by_value or len(group.by_value) < VALUES_COUNTED):
            tracked[-1] = None
        room = VALUES_COUNTED - len(set(group.by_value) | set(tracked.values()))
        code = 0
        while room > 0 and code < len(uniques):  # new values, in the order they were found
            if code not in tracked:
                tracked[code] = uniques[code]
                room -= 1
            code += 1
        for code, value in tracked.items():
            entry = group.by_value.setdefault(value, [0, []])
            entry[0] += int(counts[code + 1])
            if len(entry[1]) < ROWS_NAMED:
                entry[1] += rows[codes == code][: ROWS_NAMED - len(entry[1])].tolist()
        other = ~np.isin(codes, list(tracked))
        if other.any():
            group.other[0] += int(other.sum())
            group.other[1] += rows[other][: ROWS_NAMED - len(group.other[1])].tolist()

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    def whole_file(self, file: str | None = None) -> list[Problem]:
        """Problems with a whole file or column (no row), of ``file`` or of any file."""
        return [p for p in self.kept if p.row is None and (file is None or p.file == file)]

    def bad_rows(self, file: str) -> np.ndarray:
        """Every row of ``file`` with a problem outside the map-only columns, once each."""
        found = self._rows.get(file)
        return np.unique(np.concatenate(found)) if found else np.array([], dtype="int64")

    def commonest(self, file: str) -> tuple[str, int] | None:
        found = [(count, message) for (f, message), count in self.per_message.items() if f == file]
        if not found:
            return None
        count, message = max(found)
        return message, count

    def not_listed(self) -> list[str]:
        """Sentences for the columns whose problems were counted but not all listed."""
        return [
            f"{file}, column {column}: {count:,} problems; the first {self.kept_per_column:,} "
            "are listed, the rest only counted"
            for (file, column), count in sorted(self.per_column.items(), key=str)
            if count > self.kept_per_column
        ]

    def sort(self) -> None:
        self.kept.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))


def _shown(values: Iterable[object], n: int) -> pd.Series:
    """The first ``n`` values as messages quote them: text cut at 200 characters, None blank
    (vectorised: two million bad values are converted in one pass)."""
    if isinstance(values, pd.Series):
        series = values.iloc[:n].reset_index(drop=True)
    else:
        series = pd.Series([v for _, v in zip(range(n), values, strict=False)], dtype=object)
    text = series.astype("string")
    long = text.str.len().fillna(0).gt(SHOWN_VALUE_CHARS)
    if long.any():
        text[long] = text[long].map(shown_value)
    return text.astype(object).where(text.notna(), None)


@dataclass(frozen=True)
class SummaryLine:
    """One line of a refusal: a file, column, problem and value, how many rows, which."""

    file: str
    column: str | None
    message: str
    value: str | None
    count: int
    rows: tuple[int, ...]
    fix: str | None
    other_values: bool = False  # the rows of values beyond VALUES_COUNTED, together

    def __str__(self) -> str:
        value = "" if self.value is None else f" (value {self.value!r})"
        column = "" if self.column is None else f", column {self.column}"
        fix = f"; {self.fix}" if self.fix else ""
        if self.count == 1 and not self.other_values:
            row = f", row {self.rows[0]}" if self.rows else ""
            return f"{self.file}{row}{column}: {self.message}{value}{fix}"
        named = ", ".join(str(r) for r in self.rows) + (
            ", ..." if self.count > len(self.rows) else ""
        )
        which = " with other values" if self.other_values else ""
        return (
            f"{self.file}{column}: {self.message}{value}, in {self.count:,} rows{which}: "
            f"{named}{fix}"
        )


def summary(problems: Problems | Sequence[Problem]) -> list[SummaryLine]:
    """One line per file, column, problem and value, in the order of the first row of each."""
    if not isinstance(problems, Problems):
        collected = Problems(kept_per_column=len(problems) or 1)
        for problem in problems:
            collected.append(problem)
        problems = collected
    lines = []
    for (file, column, message), group in problems.groups.items():
        for value, (count, rows) in group.by_value.items():
            lines.append(SummaryLine(file, column, message, value, count, tuple(rows), group.fix))
        if group.other[0]:
            count, rows = group.other
            lines.append(
                SummaryLine(file, column, message, None, count, tuple(rows), group.fix, True)
            )
    return sorted(lines, key=lambda s: (s.file, s.rows[0] if s.rows else 0, s.column or ""))


def summary_text(
    problems: Problems | Sequence[Problem], total: int, lines: list[SummaryLine] | None = None
) -> str:
    """The body of a refusal: the summary lines (at most :data:`LINES_SHOWN`), the count of the
    rest, and, when a line stands for more rows than it names, a few examples row by row.
    ``lines``: the summary, when already made (:func:`summary`)."""
    lines = summary(problems) if lines is None else lines
    shown = lines[:LINES_SHOWN]
    out = [f"  - {line}" for line in shown]
    rest = total - sum(line.count for line in shown)
    if rest > 0:
        out.append(f"  ... and {rest:,} more problem(s)")
    if any(line.other_values or len(line.rows) < line.count > 1 for line in shown):
        out.append("  Examples, row by row:")
        out += [f"    {p}" for p in examples(problems, shown)]
    return "\n".join(out)


def examples(problems: Problems | Sequence[Problem], lines: list[SummaryLine]) -> list[Problem]:
    """A few problems as found, one from each summary line first (so that they differ)."""
    kept = [p for p in problems if p.row is not None]
    named = {(line.file, line.column, line.message, line.value) for line in lines}
    chosen = []
    for line in lines:
        group = (line.file, line.column, line.message)
        found = next(
            (
                p
                for p in kept
                if (p.file, p.column, p.message) == group
                and ((*group, p.value) not in named if line.other_values else p.value == line.value)
            ),
            None,
        )
        if found is not None:
            chosen.append(found)
        if len(chosen) == EXAMPLES_SHOWN:
            break
    return sorted(chosen, key=lambda p: (p.file, p.row, p.column or ""))
