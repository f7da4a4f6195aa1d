"""Disclosure control across an edition's pages, and against the reports published before it.

Floor 3. A reader holds every page of an edition, and every earlier published report in the
same folder: a lead agency's 4 hidden on page 01 follows from another's 60 printed on page 03
(the same population, that agency's episodes open at the month's end), and July's 4 refusals
from the year-to-date totals printed in June and July. So the counts of every table of every
page of one edition are protected as one system, together with what the earlier published
reports printed.

How, and why after the notebooks rather than before. Each notebook, run by the batch with
``--publish``, protects its own page as it always has (the per-page guarantees are the floor)
and writes what it linked to a page record (:mod:`helpers.disclosure_record`). When every
notebook has run, :func:`edition_counts` unites the pages' counts (one key per population,
:mod:`helpers.populations`, so a count printed on two pages is one count) and adds the sums that
hold across pages (a span of months is its months); :func:`protect_edition` adds the earlier
reports' records and protects the whole, starting from what the pages hid. A page whose hidden
set grows is rerun with the edition's hidden counts handed to it, and the steps repeat until no
page grows. The alternative, computing every page's counts before the notebooks run, would need
a second copy of what each notebook computes from its parameters (dates, lead agency, the map's
choice of geography), which could drift from what the page prints; this way the counts audited
are the ones the pages printed, and a rerun costs something only when a page shares a hidden
count with another page or an earlier edition. A page seeded with the edition's hidden counts
adds none of its own: every sum it holds is in the edition's system, which the edition's
protection already satisfies; so one rerun settles it, unless the map's geography changes.

Across editions (the earlier reports' records, ``disclosure.json``): a count they printed is
known to the reader, so it is fixed, never hidden to protect another; a count they hid must stay
unrecoverable (it is audited, and hidden again where this edition prints it: the batch hands
the earlier reports' hidden counts to the pages before they run, so that a monthly series
reruns no page for them). Where this input
gives a count another value than an earlier report printed (a revised extract, or another
input), that report's hidden and unprinted counts are taken as its own: only its printed counts
that agree are linked, and what the revision itself reveals is not modelled. A hidden count the
earlier reports already give away on their own is said, not fixed: nothing here can protect it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from helpers.disclosure import CountsDisagree, LinkedCounts, Policy, components
from helpers.disclosure_record import PublishedCounts
from helpers.populations import Population, months_of, over_months

#: A page's figures calls, as its record holds them: counts and what the page hid.
PageCounts = Sequence[tuple[LinkedCounts, frozenset]]


class PagesDisagree(ValueError):
    """Two pages of one edition gave one population different counts (a fault in the code)."""


@dataclass
class EditionCounts:
    """Every page's counts as one system, and what each page printed and hid."""

    counts: LinkedCounts = field(default_factory=LinkedCounts)
    printed_on: dict[str, set[Population]] = field(default_factory=dict)
    hidden_on: dict[str, set[Population]] = field(default_factory=dict)

    @property
    def hidden(self) -> set[Population]:
        return set().union(*self.hidden_on.values()) if self.hidden_on else set()

    def pages_of(self) -> dict[Population, list[str]]:
        """Which pages print each count."""
        pages: dict[Population, list[str]] = {}
        for page, keys in sorted(self.printed_on.items()):
            for key in keys:
                pages.setdefault(key, []).append(page)
        return pages


def edition_counts(pages: Mapping[str, PageCounts]) -> EditionCounts:
    """The pages' counts united: one count per population, with every page's sums."""
    edition = EditionCounts()
    union = edition.counts
    for page, parts in sorted(pages.items()):
        printed, hidden = set(), set()
        for counts, page_hidden in parts:
            for key, value in counts.values.items():
                try:
                    union.add(key, value, counts.printed[key], key in counts.shares_only)
                except ValueError:
                    raise PagesDisagree(
                        f"{page} counts {key} as {value}, but another page of the edition counts "
                        f"it as {union.values[key]}: the pages must count one population alike"
                    ) from None
                if counts.printed[key]:
                    printed.add(key)
            for rel in counts.sums:
                union.add_sum(rel.total, rel.parts)
            hidden |= set(page_hidden)
        edition.printed_on[page] = printed
        edition.hidden_on[page] = hidden
    link_month_spans(union)
    return edition


def link_month_spans(counts: LinkedCounts) -> None:
    """A count over a run of months is the sum of its months' counts, wherever each is printed
    (the assessments started over the demographics' window, and the months of page 02)."""
    for key in list(counts.values):
        months = months_of(key)
        if months is None or len(months) < 2:
            continue
        parts = [over_months(key.measure, m, **dict(key.by)) for m in months]
        if all(p in counts.values for p in parts):
            counts.add_sum(key, parts)


@dataclass
class Protection:
    """What the edition hides, which pages must hide more, and what the check found."""

    hidden: frozenset[Population]  # every count of this edition to hide
    grown: dict[str, set[Population]]  # page -> counts it printed that it must hide too
    revised: list[str] = field(default_factory=list)  # earlier reports this input contradicts
    exposed: list[Population] = field(default_factory=list)  # given away by earlier reports
    checked_against: list[str] = field(default_factory=list)
    size: dict[str, int] = field(default_factory=dict)  # counts, sums, groups, earlier counts
    seconds: float = 0.0
    reruns: list[list[str]] = field(default_factory=list)  # the pages rerun, round by round
    edition: EditionCounts | None = None  # the pages' counts it protects
    rerun_seconds: float = 0.0  # what rerunning the pages took

    def summary(self) -> dict:
        """What the check covered and cost, as the report's record keeps it."""
        return {
            "checked against": self.checked_against,
            "revised since": self.revised,
            "pages rerun": self.reruns,
            "size": self.size,
            "seconds": round(self.seconds, 2),
            "seconds rerunning pages": round(self.rerun_seconds, 1),
        }


def protect_edition(
    edition: EditionCounts, earlier: Iterable[PublishedCounts] = (), rules: Policy | None = None
) -> Protection:
    """Protect every page of the edition together, and against the earlier published reports."""
    started = time.perf_counter()
    system = copy.deepcopy(edition.counts)
    revised = []
    seed = set(edition.hidden)
    earlier = list(earlier)
    for record in earlier:
        merged = _merge_shared(system, record)
        if merged is None:
            _merge_apart(system, record)
            revised.append(record.report)
        else:
            system = merged
            seed |= {k for k in record.hidden if edition.counts.printed.get(k)}
    hidden, exposed = system.protect_and_expose(rules, already_hidden=seed)
    here = frozenset(k for k in hidden if edition.counts.printed.get(k))
    grown = {
        page: (printed & here) - edition.hidden_on.get(page, set())
        for page, printed in edition.printed_on.items()
    }
    return Protection(
        hidden=here,
        grown={page: keys for page, keys in grown.items() if keys},
        revised=revised,
        exposed=exposed,
        checked_against=[r.report for r in earlier],
        size={
            "counts": len(edition.counts.values),
            "sums": len(edition.counts.sums),
            "groups": len(set(components(system).values())),
            "with earlier reports": len(system.values),
        },
        seconds=time.perf_counter() - started,
    )


def _merge_shared(system: LinkedCounts, record: PublishedCounts) -> LinkedCounts | None:
    """``system`` with an earlier report's counts linked by population; None when this input
    contradicts them (a count printed there has another value here, or their sums cannot
    hold with this input's counts)."""
    if any(
        system.values.get(k) is not None and system.values[k] != v for k, v in record.shown.items()
    ):
        return None
    merged = copy.deepcopy(system)
    try:
        for key, value in record.shown.items():
            merged.add(key, value, printed=False)
            merged.published.add(key)
        for key in record.shares:
            merged.add(key, None, printed=False)
            if merged.values[key] is not None:  # its share is out: as good as printed
                merged.published.add(key)
        for key in record.hidden | record.unprinted:
            merged.add(key, None, printed=False)
        merged.withheld |= record.hidden - merged.published
        for total, parts in record.sums:
            merged.add_sum(total, parts)
        _check_consistent(merged, record.populations)
    except (ValueError, CountsDisagree):
        return None
    return merged


def _merge_apart(system: LinkedCounts, record: PublishedCounts) -> None:
    """An earlier report this input contradicts: only its printed counts that agree are linked;
    the rest are its own counts, as it published them."""

    def own(key: Population) -> Population:
        if system.values.get(key) is not None and record.shown.get(key) == system.values[key]:
            return key
        return key.within(as_published_in=record.report)

    names = {key: own(key) for key in record.populations}
    for key, value in record.shown.items():
        system.add(names[key], value, printed=False)
        system.published.add(names[key])
    for key in record.hidden | record.shares | record.unprinted:
        system.add(names[key], None, printed=False)
    system.withheld |= {names[k] for k in record.hidden}
    for total, parts in record.sums:
        system.add_sum(names[total], [names[p] for p in parts])


def _check_consistent(counts: LinkedCounts, keys: set[Population]) -> None:
    """Raise :class:`CountsDisagree` unless some value of the counts without one fits every
    count and sum, in each group of linked counts that holds one of ``keys``."""
    from scipy.optimize import linprog  # only a check against earlier reports needs it

    group_of = components(counts)
    groups = {group_of[k] for k in keys if k in group_of}
    members: dict[int, list] = {}
    for key, group in group_of.items():
        if group in groups:
            members.setdefault(group, []).append(key)
    sums: dict[int, list] = {}
    for rel in counts.sums:
        if group_of[rel.total] in groups:
            sums.setdefault(group_of[rel.total], []).append(rel)
    for group, rels in sums.items():
        index = {k: i for i, k in enumerate(members[group])}
        rows = [[0.0] * len(index) for _ in rels]
        for row, rel in zip(rows, rels, strict=True):
            row[index[rel.total]] += 1.0
            for part in rel.parts:
                row[index[part]] -= 1.0
        # Every value this input gives is true of it: the earlier report's sums must hold with
        # them, hidden ones included, or the input was revised since.
        bounds = [(0, None) if counts.values[k] is None else (counts.values[k],) * 2 for k in index]
        result = linprog([0.0] * len(index), A_eq=rows, b_eq=[0.0] * len(rels), bounds=bounds)
        if result.status == 2:
            raise CountsDisagree("an earlier report's counts cannot hold with this input's")


class EditionNotSettled(RuntimeError):
    """The pages kept needing more hidden after every rerun allowed."""


#: How many times the pages whose hidden counts grew are rerun before the run gives up.
RERUNS = 3


def settle_edition(
    pages: Callable[[], Mapping[str, PageCounts]],
    hand_back: Callable[[frozenset[Population]], None],
    rerun: Callable[[list[str]], bool],
    earlier: Sequence[PublishedCounts] = (),
    rules: Policy | None = None,
) -> Protection | None:
    """Protect the edition, rerunning the pages that must hide more, until none must.

    ``pages`` reads every page's record; ``hand_back`` gives the pages the edition's hidden
    counts; ``rerun`` reruns the named pages (False when one failed: then None).
    """
    reruns: list[list[str]] = []
    seconds = 0.0
    for _ in range(RERUNS + 1):
        edition = edition_counts(pages())
        protection = protect_edition(edition, earlier, rules)
        seconds += protection.seconds
        if not protection.grown:
            protection.reruns, protection.seconds, protection.edition = reruns, seconds, edition
            return protection
        if len(reruns) == RERUNS:
            break
        hand_back(protection.hidden)
        reruns.append(sorted(protection.grown))
        if not rerun(sorted(protection.grown)):
            return None
    raise EditionNotSettled(
        f"After {RERUNS} reruns, the pages {', '.join(sorted(protection.grown))} still print "
        "counts the rest of the edition hides, so the edition was not published; the run "
        "is kept for debugging."
    )


def protection_warnings(protection: Protection) -> list[str]:
    """What the analyst should know of the check against earlier reports."""
    warnings = []
    for report in protection.revised:
        warnings.append(
            f"Disclosure control: the published report {report} printed counts that this input "
            "gives other values (the extract was revised since, or it is another input). Its "
            "printed counts that agree are still linked to this edition's, but its hidden "
            "counts are checked as its own, and what the differences themselves show is not "
            "protected."
        )
    if protection.exposed:
        shown = "; ".join(str(k) for k in protection.exposed[:5])
        more = len(protection.exposed) - 5
        warnings.append(
            f"Disclosure control: {len(protection.exposed)} count(s) hidden in earlier "
            f"published reports can already be worked out from those reports alone ({shown}"
            f"{f'; and {more} more' if more > 0 else ''}). This edition does not print more "
            "of them; only withdrawing those reports would protect them."
        )
    return warnings
