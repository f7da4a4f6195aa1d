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

The engine knows nothing of pages or editions: a report's counts are keyed by what they count
(:mod:`helpers.populations`), so the counts of every page of an edition, and those earlier
editions printed (``published``) and hid (``withheld``), are one system
(:mod:`helpers.edition_disclosure`). The audit solves each group of linked counts on its own.
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


class CountsDisagree(ValueError):
    """The counts and sums given cannot all be true: no value of the hidden counts fits them."""


@dataclass
class LinkedCounts:
    """Counts (printed or not) and the sums that link them, across every table of a report.

    Beside what this report prints, the reader may hold earlier publications: ``published``
    are counts an earlier edition printed (known, whatever this one hides, so never hidden to
    protect another), ``withheld`` counts an earlier edition hid (which no later one may let
    be worked out). A count of an earlier edition that this input does not hold has no value
    (``None``); it is never printed here. ``shares_only`` are counts a page shows only as a
    share (the previous month's share outside the local authority): protected as if printed,
    but no record of what was printed gives their value.
    """

    values: dict[Key, int | None] = field(default_factory=dict)
    printed: dict[Key, bool] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)
    shares_only: set[Key] = field(default_factory=set)
    published: set[Key] = field(default_factory=set)
    withheld: set[Key] = field(default_factory=set)
    _linked: set[Sum] = field(default_factory=set, repr=False, compare=False)

    def add(
        self, key: Key, value: int | None, printed: bool = True, share_only: bool = False
    ) -> Key:
        if value is not None:
            value = int(value)
            if value < 0:
                raise ValueError(f"count {key!r} is negative ({value}): counts of people cannot be")
        elif printed:
            raise ValueError(f"count {key!r} is printed, so it needs a value")
        known = self.values.get(key)
        if known is not None and value is not None and known != value:
            raise ValueError(f"count {key!r} added twice with different values")
        self.values[key] = value if value is not None else known
        fully_printed = self.printed.get(key, False) and key not in self.shares_only
        if printed and not share_only:
            self.shares_only.discard(key)
        elif printed and not fully_printed:
            self.shares_only.add(key)
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
        if parts == (total,):  # a span of one month is that month: nothing to link
            return
        values = [self.values[k] for k in (total, *parts)]
        if None not in values and values[0] != sum(values[1:]):
            raise ValueError(f"{total!r} is {values[0]}, but its parts add to {sum(values[1:])}")
        link = Sum(total, parts)
        if len(self._linked) != len(self.sums):  # sums given whole, when it was made
            self._linked = set(self.sums)
        if link not in self._linked:
            self._linked.add(link)
            self.sums.append(link)

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

    def protect(
        self, rules: Policy | None = None, already_hidden: Iterable[Key] = ()
    ) -> frozenset[Key]:
        """The printed counts to suppress: small ones, and enough others that none is recoverable.

        1. Primary: every printed count from 1 to the policy's largest suppressed count, and
           the printed counts of ``already_hidden`` (hidden by the rest of the edition).
        2. Secondary, sum by sum: where exactly one member of a sum is unknown to the reader and
           it must be protected, hide one more; where the total is printed and the unknown
           parts add to 1-4, hide one more (a small group is as disclosive as a small cell).
           The one chosen is the smallest non-zero printed part, else the total, else a zero;
           never one an earlier edition printed (the reader has it).
        3. Audit (:func:`audit`); any count still pinned down gets one more partner hidden
           from a sum it is in, and the steps repeat. A count the earlier editions already
           give away, whatever this one hides, is left: nothing here can protect it
           (:meth:`protect_and_expose` says which).
        """
        return self.protect_and_expose(rules, already_hidden)[0]

    def protect_and_expose(
        self, rules: Policy | None = None, already_hidden: Iterable[Key] = ()
    ) -> tuple[frozenset[Key], list]:
        """:meth:`protect`, and the hidden counts the earlier editions give away on their own
        (pinned even if this edition printed nothing)."""
        rules = rules or policy()
        suppressed = {
            k
            for k, v in self.values.items()
            if self.printed[k] and v is not None and rules.is_small(v)
        }
        suppressed |= {k for k in already_hidden if self.printed.get(k)}
        exposed: set[Key] = set()
        while True:
            if self._secondary_pass(suppressed, rules):
                continue
            pinned = [k for k in audit(self, suppressed, rules) if k not in exposed]
            if not pinned:
                return frozenset(suppressed), sorted(exposed, key=str)
            before = len(suppressed) + len(exposed)
            for key in pinned:
                if self.published and self._pinned_whatever_is_hidden(key, rules):
                    exposed.add(key)
                    continue
                # None: a partner hidden for a count before it in this round freed it too.
                partner = self._partner_anywhere(key, suppressed)
                if partner is not None:
                    suppressed.add(partner)
            if len(suppressed) + len(exposed) == before:  # cannot happen: guard
                raise RuntimeError(f"no count left to hide that would protect {pinned[0]!r}")

    def _pinned_whatever_is_hidden(self, key: Key, rules: Policy | None = None) -> bool:
        everything = {k for k, shown in self.printed.items() if shown}
        return key in audit(self, everything, rules, only=[key])

    def _unknown(self, key: Key, suppressed: set[Key]) -> bool:
        return (key in suppressed or not self.printed[key]) and key not in self.published

    def _hideable(self, key: Key, suppressed: set[Key]) -> bool:
        return self.printed[key] and key not in suppressed and key not in self.published

    def _must_protect(self, key: Key, suppressed: set[Key], rules: Policy) -> bool:
        value = self.values[key]
        return (
            key in suppressed
            or key in self.withheld
            or (value is not None and rules.is_small(value))
        )

    def _secondary_pass(self, suppressed: set[Key], rules: Policy) -> bool:
        changed = False
        for rel in self.sums:
            unknown = [k for k in rel.members if self._unknown(k, suppressed)]
            lone = len(unknown) == 1 and self._must_protect(unknown[0], suppressed, rules)
            hidden_values = [self.values[k] for k in unknown]
            small_group = (
                not self._unknown(rel.total, suppressed)
                and None not in hidden_values
                and rules.is_small(sum(hidden_values))
            )
            if lone or small_group:
                partner = self._partner(rel, suppressed, parts_only=small_group and not lone)
                if partner is not None:
                    suppressed.add(partner)
                    changed = True
        return changed

    def _partner(self, rel: Sum, suppressed: set[Key], parts_only: bool = False) -> Key | None:
        shown = [k for k in rel.parts if self._hideable(k, suppressed)]
        non_zero = sorted((k for k in shown if self.values[k] > 0), key=self.values.__getitem__)
        if non_zero:
            return non_zero[0]
        if self._hideable(rel.total, suppressed) and self.values[rel.total] > 0:
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
        # Every sum holding the count is already hidden but for zeros: widen to any printed
        # count linked to it (one that is not cannot change what the reader can work out).
        group_of = components(self)
        rest = [
            k
            for k, group in group_of.items()
            if group == group_of[key] and self._hideable(k, suppressed)
        ]
        return min(rest, key=lambda k: (self.values[k] == 0, self.values[k]), default=None)


def components(counts: LinkedCounts) -> dict[Key, int]:
    """Each count's group of counts linked to it by sums, directly or through others.

    What the reader can work out about a count comes only from the counts in its group, so the
    audit solves each group on its own: an edition's pages are many small problems, not one
    large one.
    """
    parent = {k: k for k in counts.values}

    def root(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for rel in counts.sums:
        first = root(rel.total)
        for part in rel.parts:
            other = root(part)
            if other != first:
                parent[other] = first
    numbers: dict[Key, int] = {}
    return {k: numbers.setdefault(root(k), len(numbers)) for k in counts.values}


def _checked(counts: LinkedCounts, key: Key, suppressed: set[Key], rules: Policy) -> bool:
    """Whether a hidden count must not be pinned: a suppressed or withheld one that is not a
    known zero, an unprinted one of 1-4, or one of an earlier edition this input has no value
    for (which :func:`_is_pinned` judges by the value it is pinned at)."""
    value = counts.values[key]
    if value is None:
        return True
    if key in suppressed or key in counts.withheld:
        return value > 0
    return rules.is_small(value)


def audit(
    counts: LinkedCounts,
    suppressed: Iterable[Key],
    rules: Policy | None = None,
    only: Iterable[Key] | None = None,
) -> list:
    """Hidden counts the reader can pin to one whole number from what is printed.

    Checked are the suppressed and withheld counts other than zeros, and the unprinted ones of
    1-4 (or only those of ``only``). For each, the smallest and largest values consistent with
    every printed count (this edition's and the earlier ones') and every sum (counts are never
    negative) are found by linear programming, within its group of linked counts
    (:func:`components`); a count is pinned when no two whole numbers fit. A count of an
    earlier edition this input has no value for is judged by the value it is pinned at.
    """
    rules = rules or policy()
    suppressed = set(suppressed)
    hidden = {k for k in counts.values if counts._unknown(k, suppressed)}
    wanted = set(counts.values) if only is None else set(only)
    checked = [
        k
        for k in counts.values
        if k in hidden and k in wanted and _checked(counts, k, suppressed, rules)
    ]
    if not checked:
        return []
    group_of = components(counts)
    members: dict[int, list[Key]] = {}
    for key in counts.values:
        members.setdefault(group_of[key], []).append(key)
    sums: dict[int, list[Sum]] = {}
    for rel in counts.sums:
        sums.setdefault(group_of[rel.total], []).append(rel)
    to_check: dict[int, list[Key]] = {}
    for key in checked:
        to_check.setdefault(group_of[key], []).append(key)
    pinned = []
    for group, keys in to_check.items():
        if group in sums:  # a count in no sum is bounded by nothing
            pinned += _audit_group(counts, members[group], sums[group], hidden, keys, rules)
    return pinned


def _audit_group(
    counts: LinkedCounts,
    members: list[Key],
    sums: list[Sum],
    hidden: set[Key],
    checked: list[Key],
    rules: Policy,
) -> list:
    from scipy.optimize import linprog  # only an audit needs it: not every report's kernel

    index = {k: i for i, k in enumerate(members)}
    equations = np.zeros((len(sums), len(members)))
    for row, rel in enumerate(sums):
        equations[row, index[rel.total]] += 1.0
        for part in rel.parts:
            equations[row, index[part]] -= 1.0
    b_eq = np.zeros(len(sums))
    bounds = [(0, None) if k in hidden else (counts.values[k], counts.values[k]) for k in members]
    pinned = []
    for key in checked:
        objective = np.zeros(len(members))
        objective[index[key]] = 1.0
        low = linprog(objective, A_eq=equations, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status == 2:
            raise CountsDisagree(
                f"the counts linked to {key!r} cannot all be true: no value of the hidden "
                "counts fits every printed count and sum"
            )
        if low.status != 0:
            raise RuntimeError(f"the disclosure audit could not bound {key!r}: {low.message}")
        high = linprog(-objective, A_eq=equations, b_eq=b_eq, bounds=bounds, method="highs")
        if high.status == 3:  # unbounded above: not pinned
            continue
        if high.status != 0:
            raise RuntimeError(f"the disclosure audit could not bound {key!r}: {high.message}")
        smallest = math.ceil(low.fun - 1e-6)
        largest = math.floor(-high.fun + 1e-6)
        if largest - smallest < 1 and _is_pinned(counts, key, smallest, rules):
            pinned.append(key)
    return pinned


def _is_pinned(counts: LinkedCounts, key: Key, value: int, rules: Policy) -> bool:
    """Whether a count the reader can pin to ``value`` is given away. One of an earlier edition
    that this input has no value for is, if it was hidden and is not zero, or if it was never
    printed and is 1-4 (pinned, its value is known, so it is judged by it)."""
    if counts.values[key] is not None:
        return True
    return value >= 1 if key in counts.withheld else rules.is_small(value)
