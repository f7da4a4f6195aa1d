"""Statistical disclosure control: which published counts to suppress, and proof that it holds.

A report's counts are linked: a total is the sum of its parts, wherever each is printed. Hiding
a count of 1 to 4 (primary suppression) is not enough when the reader can subtract the other
parts from the total, so more counts are hidden (secondary suppression) until every hidden
count has at least two possible values. :class:`LinkedCounts` holds the counts and the sums
that link them; :meth:`LinkedCounts.protect` chooses what to hide, and :func:`audit` checks the
result by linear programming: the reader's best bounds on each hidden count, from every printed
figure and every sum, must not meet.

Counts that are never printed but follow from printed ones (the refusals in one month, between
two year-to-date totals) are *unprinted*: they take part in the sums, and when they are 1 to 4
they are protected like printed ones.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from helpers.config import config_dir, load_yaml

Key = Hashable


@dataclass(frozen=True)
class Policy:
    largest_suppressed_count: int
    mark: str
    #: The largest share of a published map's areas that may be hidden before the map is drawn
    #: at a coarser geography (neighbourhoods by MSOA rather than LSOA).
    map_largest_hidden_share: float = 0.25

    def is_small(self, value: int) -> bool:
        """A count that must not be shown: 1 to ``largest_suppressed_count``."""
        return 1 <= value <= self.largest_suppressed_count


@cache
def _policy_from(path) -> Policy:
    raw = load_yaml(path)
    largest = int(raw["largest_suppressed_count"])
    if largest < 1:
        raise ValueError(f"{path}: largest_suppressed_count must be 1 or more, not {largest}")
    share = float(raw.get("map_largest_hidden_share", Policy.map_largest_hidden_share))
    if not 0 <= share <= 1:
        raise ValueError(
            f"{path}: map_largest_hidden_share is a share of a map's areas, from 0 to 1, "
            f"not {share}"
        )
    return Policy(
        largest_suppressed_count=largest, mark=str(raw["mark"]), map_largest_hidden_share=share
    )


def policy() -> Policy:
    """The council's disclosure policy, from ``config/disclosure.yaml``."""
    return _policy_from(config_dir() / "disclosure.yaml")


def suppression_note() -> str:
    """What the suppression mark means, under every table or chart that shows it."""
    rules = policy()
    return (
        f"{rules.mark} confidential: a count from 1 to {rules.largest_suppressed_count}, or a "
        "figure hidden so that such a count cannot be worked out from the totals."
    )


def is_suppressed(value: object) -> bool:
    """Whether a table cell holds the suppression mark."""
    return isinstance(value, str) and value == policy().mark


@dataclass(frozen=True)
class Sum:
    """``total`` equals the sum of ``parts``."""

    total: Key
    parts: tuple[Key, ...]

    @property
    def members(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


@dataclass
class LinkedCounts:
    """Counts (printed or not) and the sums that link them, across every table of a report."""

    values: dict[Key, int] = field(default_factory=dict)
    printed: dict[Key, bool] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)

    def add(self, key: Key, value: int, printed: bool = True) -> Key:
        value = int(value)
        if value < 0:
            raise ValueError(f"count {key!r} is negative ({value}): counts of people cannot be")
        if key in self.values and self.values[key] != value:
            raise ValueError(f"count {key!r} added twice with different values")
        self.values[key] = value
        self.printed[key] = self.printed.get(key, False) or printed
        return key

    def add_each(
        self, name: str, labels: Iterable[Hashable], values: Iterable[int], printed: bool = True
    ) -> list[Key]:
        """One count per row of a table column: keys ``(name, label)``."""
        return [
            self.add((name, label), value, printed)
            for label, value in zip(labels, values, strict=True)
        ]

    def add_sum(self, total: Key, parts: Iterable[Key]) -> None:
        parts = tuple(parts)
        for key in (total, *parts):
            if key not in self.values:
                raise KeyError(f"add {key!r} before using it in a sum")
        if self.values[total] != sum(self.values[p] for p in parts):
            raise ValueError(
                f"{total!r} is {self.values[total]}, but its parts add to "
                f"{sum(self.values[p] for p in parts)}"
            )
        self.sums.append(Sum(total, parts))

    def sum_matrix(self) -> np.ndarray:
        """The sums as equations equal to 0, a row each: +1 for the total, -1 for each part.

        Columns follow the order of ``values``.
        """
        index = {k: i for i, k in enumerate(self.values)}
        matrix = np.zeros((len(self.sums), len(self.values)))
        for row, rel in enumerate(self.sums):
            matrix[row, index[rel.total]] += 1.0
            for part in rel.parts:
                matrix[row, index[part]] -= 1.0
        return matrix

    def protect(self, rules: Policy | None = None) -> frozenset[Key]:
        """The printed counts to suppress: small ones, and enough others that none is recoverable.

        1. Primary: every printed count from 1 to the policy's largest suppressed count.
        2. Secondary, sum by sum: where exactly one member of a sum is unknown to the reader and
           it must be protected, hide one more; where the total is printed and the unknown
           parts add to 1-4, hide one more (a small group is as disclosive as a small cell).
           The one chosen is the smallest non-zero printed part, else the total, else a zero.
        3. Audit (:func:`audit`); any count still pinned down gets one more partner hidden
           from a sum it is in, and the steps repeat.
        """
        rules = rules or policy()
        suppressed = {k for k, v in self.values.items() if self.printed[k] and rules.is_small(v)}
        while True:
            if self._secondary_pass(suppressed, rules):
                continue
            pinned = audit(self, suppressed, rules)
            if not pinned:
                return frozenset(suppressed)
            for key in pinned:
                partner = self._partner_anywhere(key, suppressed)
                if partner is None:  # cannot happen while a printed member is left: guard
                    raise RuntimeError(f"no count left to hide that would protect {key!r}")
                suppressed.add(partner)

    def _unknown(self, key: Key, suppressed: set[Key]) -> bool:
        return key in suppressed or not self.printed[key]

    def _must_protect(self, key: Key, suppressed: set[Key], rules: Policy) -> bool:
        return key in suppressed or rules.is_small(self.values[key])

    def _secondary_pass(self, suppressed: set[Key], rules: Policy) -> bool:
        changed = False
        for rel in self.sums:
            unknown = [k for k in rel.members if self._unknown(k, suppressed)]
            lone = len(unknown) == 1 and self._must_protect(unknown[0], suppressed, rules)
            small_group = not self._unknown(rel.total, suppressed) and rules.is_small(
                sum(self.values[k] for k in unknown)
            )
            if lone or small_group:
                partner = self._partner(rel, suppressed, parts_only=small_group and not lone)
                if partner is not None:
                    suppressed.add(partner)
                    changed = True
        return changed

    def _partner(self, rel: Sum, suppressed: set[Key], parts_only: bool = False) -> Key | None:
        shown = [k for k in rel.parts if not self._unknown(k, suppressed)]
        non_zero = sorted((k for k in shown if self.values[k] > 0), key=self.values.__getitem__)
        if non_zero:
            return non_zero[0]
        if not self._unknown(rel.total, suppressed) and self.values[rel.total] > 0:
            return rel.total
        if parts_only:
            return None
        return shown[0] if shown else None

    def _partner_anywhere(self, key: Key, suppressed: set[Key]) -> Key | None:
        candidates = [
            p
            for rel in self.sums
            if key in rel.members
            for p in [self._partner(rel, suppressed)]
            if p is not None
        ]
        if candidates:
            return min(candidates, key=self.values.__getitem__)
        # Every sum holding the count is already hidden but for zeros: widen to any printed count.
        rest = [k for k in self.values if not self._unknown(k, suppressed)]
        return min(rest, key=lambda k: (self.values[k] == 0, self.values[k]), default=None)


def audit(counts: LinkedCounts, suppressed: Iterable[Key], rules: Policy | None = None) -> list:
    """Hidden counts the reader can pin to one whole number from what is printed.

    Checked are the suppressed counts other than zeros, and the unprinted ones of 1-4. For each,
    the smallest and largest values consistent with every printed count and every sum (counts
    are never negative) are found by linear programming; a count is pinned when no two whole
    numbers fit.
    """
    from scipy.optimize import linprog  # only an audit needs it: not every report's kernel

    rules = rules or policy()
    suppressed = set(suppressed)
    keys = list(counts.values)
    index = {k: i for i, k in enumerate(keys)}
    hidden = [k for k in keys if k in suppressed or not counts.printed[k]]
    # A hidden zero describes nobody: it was hidden only to shield a partner, whose own check
    # stands. (A printed zero total pins its parts to zero, and no partner can change that.)
    checked = [
        k
        for k in hidden
        if (k in suppressed and counts.values[k] > 0) or rules.is_small(counts.values[k])
    ]
    if not checked:
        return []
    equations = counts.sum_matrix()
    a_eq = equations if len(equations) else None
    b_eq = np.zeros(len(equations)) if len(equations) else None
    hidden_set = set(hidden)
    bounds = [(0, None) if k in hidden_set else (counts.values[k], counts.values[k]) for k in keys]
    pinned = []
    for key in checked:
        objective = np.zeros(len(keys))
        objective[index[key]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status != 0:
            raise RuntimeError(f"the disclosure audit could not bound {key!r}: {low.message}")
        if high.status == 3:  # unbounded above: not pinned
            continue
        if high.status != 0:
            raise RuntimeError(f"the disclosure audit could not bound {key!r}: {high.message}")
        smallest = math.ceil(low.fun - 1e-6)
        largest = math.floor(-high.fun + 1e-6)
        if largest - smallest < 1:
            pinned.append(key)
    return pinned
