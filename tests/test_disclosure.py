"""Statistical disclosure control: primary and secondary suppression, and the audit.

Whether a hidden count can be recovered is checked here by integer programming
(:func:`scipy.optimize.milp`), independently of the linear-programming audit the module uses.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sdc_oracle import RULES, recoverable

from helpers.disclosure import LinkedCounts, Policy, audit, is_suppressed, policy


def one_way(values: list[int]) -> LinkedCounts:
    counts = LinkedCounts()
    parts = [counts.add(("cell", i), v) for i, v in enumerate(values)]
    counts.add_sum(counts.add("total", sum(values)), parts)
    return counts


def two_way(grid: list[list[int]]) -> LinkedCounts:
    """A table with row totals, column totals and a grand total, all printed."""
    counts = LinkedCounts()
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            counts.add((r, c), value)
    rows = [counts.add(("row", r), sum(row)) for r, row in enumerate(grid)]
    columns = [counts.add(("column", c), sum(row[c] for row in grid)) for c in range(len(grid[0]))]
    for r, row in enumerate(grid):
        counts.add_sum(rows[r], [(r, c) for c in range(len(row))])
    for c in range(len(grid[0])):
        counts.add_sum(columns[c], [(r, c) for r in range(len(grid))])
    grand = counts.add("grand", sum(map(sum, grid)))
    counts.add_sum(grand, rows)
    counts.add_sum(grand, columns)
    return counts


# --------------------------------------------------------------------------- primary


def test_counts_of_1_to_4_are_suppressed_and_0_and_5_are_not():
    counts = LinkedCounts()
    for value in (0, 1, 2, 3, 4, 5, 100):
        counts.add(value, value)  # no sums: primary suppression only
    assert counts.protect(RULES) == {1, 2, 3, 4}


def test_the_policy_comes_from_config():
    rules = policy()
    assert rules.mark == "[c]" and rules.largest_suppressed_count == 4
    assert is_suppressed("[c]") and not is_suppressed(3) and not is_suppressed("3")


def test_a_stricter_policy_suppresses_more():
    counts = one_way([7, 30, 40])
    assert ("cell", 0) in counts.protect(Policy(largest_suppressed_count=9, mark="*"))
    assert counts.protect(RULES) == frozenset()


def test_unprinted_counts_are_never_shown_so_never_suppressed():
    counts = LinkedCounts()
    counts.add("hidden", 2, printed=False)
    assert counts.protect(RULES) == frozenset()


# --------------------------------------------------------------------------- secondary


def test_one_small_cell_takes_the_smallest_other_cell_with_it():
    counts = one_way([3, 40, 9, 0, 60])
    hidden = counts.protect(RULES)
    assert hidden == {("cell", 0), ("cell", 2)}  # 9, not the zero, not the larger ones
    assert recoverable(counts, set(hidden)) == []


def test_without_secondary_suppression_the_small_cell_is_recovered():
    counts = one_way([3, 40, 9])
    assert recoverable(counts, {("cell", 0)}) == [("cell", 0)]
    assert audit(counts, {("cell", 0)}, RULES) == [("cell", 0)]


def test_two_small_cells_that_add_to_less_than_5_take_a_third():
    counts = one_way([2, 1, 50, 60])
    hidden = counts.protect(RULES)
    assert hidden == {("cell", 0), ("cell", 1), ("cell", 2)}
    assert sum(counts.values[k] for k in hidden) >= 5


def test_a_small_total_is_suppressed_with_its_parts():
    counts = one_way([0, 3, 0])
    hidden = counts.protect(RULES)
    assert {("cell", 1), "total"} <= hidden
    assert recoverable(counts, set(hidden)) == []


def test_an_unprinted_small_count_between_two_printed_totals_is_protected():
    # Refusals: year to date 207 to August, 209 to September: 2 in September.
    counts = LinkedCounts()
    before, after = counts.add("ytd_aug", 207), counts.add("ytd_sep", 209)
    counts.add_sum(after, [before, counts.add("september", 2, printed=False)])
    hidden = counts.protect(RULES)
    assert hidden == {"ytd_aug"}
    assert recoverable(counts, set(hidden)) == []


def test_two_way_table_pattern_is_safe():
    counts = two_way([[3, 20, 14], [11, 2, 30], [25, 16, 12]])
    hidden = counts.protect(RULES)
    assert {(0, 0), (1, 1)} <= hidden
    assert not any(RULES.is_small(counts.values[k]) for k in counts.values if k not in hidden)
    assert recoverable(counts, set(hidden)) == []
    assert audit(counts, hidden, RULES) == []


def test_a_zero_cannot_hide_a_small_count_when_its_column_total_is_zero():
    # Hiding the 3 with the 0 beside it fails: the zero's column total says it is 0.
    counts = two_way([[3, 0], [5, 0]])
    assert recoverable(counts, {(0, 0), (0, 1)}) != []
    hidden = counts.protect(RULES)
    assert recoverable(counts, set(hidden)) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 4).flatmap(
        lambda columns: st.lists(
            st.lists(st.integers(0, 12), min_size=columns, max_size=columns),
            min_size=2,
            max_size=4,
        )
    )
)
def test_no_suppressed_count_is_ever_recoverable(grid):
    counts = two_way(grid)
    hidden = counts.protect(RULES)
    shown = [k for k in counts.values if k not in hidden]
    assert not any(RULES.is_small(counts.values[k]) for k in shown)
    assert recoverable(counts, set(hidden)) == []


# --------------------------------------------------------------------------- bad use


def test_sums_that_do_not_add_up_are_refused():
    counts = LinkedCounts()
    counts.add("a", 2)
    counts.add("b", 3)
    counts.add("total", 6)
    with pytest.raises(ValueError, match="add to 5"):
        counts.add_sum("total", ["a", "b"])


def test_negative_counts_and_unknown_keys_are_refused():
    counts = LinkedCounts()
    with pytest.raises(ValueError, match="negative"):
        counts.add("a", -1)
    counts.add("total", 1)
    with pytest.raises(KeyError, match="before using it"):
        counts.add_sum("total", ["missing"])


def test_the_same_count_added_twice_must_agree():
    counts = LinkedCounts()
    counts.add("a", 2)
    counts.add("a", 2)
    with pytest.raises(ValueError, match="twice"):
        counts.add("a", 3)


# --------------------------------------------------------------------------- earlier editions


def test_a_count_printed_earlier_is_never_hidden_to_protect_another():
    # June printed the year to date to June (6); July prints it again, and to July (10).
    counts = LinkedCounts()
    june, july = counts.add("ytd_jun", 6), counts.add("ytd_jul", 10)
    counts.add_sum(july, [june, counts.add("july", 4, printed=False)])
    assert counts.protect(RULES) == {"ytd_jun"}  # on its own, July hides June's total
    counts.published.add("ytd_jun")  # but June's report is out: hiding it protects nothing
    hidden = counts.protect(RULES)
    assert "ytd_jul" in hidden
    assert audit(counts, hidden, RULES) == []
    assert recoverable(counts, set(hidden) - {"ytd_jun"}) == []


def test_a_count_an_earlier_edition_hid_stays_unrecoverable():
    counts = one_way([30, 40, 9])
    counts.withheld.add(("cell", 2))  # 9, hidden as a partner in an earlier edition
    counts.printed[("cell", 2)] = False  # and not printed in this one
    assert counts.protect(Policy(largest_suppressed_count=0, mark="[c]")) == {("cell", 0)}
    assert audit(counts, set(), RULES) == [("cell", 2)]  # printing the rest would pin it
    assert counts.protect(RULES) == {("cell", 0)}  # 30: the smallest part printed


def test_a_count_this_input_has_no_value_for_is_audited_by_its_bounds():
    counts = LinkedCounts()
    total = counts.add("total", 30)
    counts.add("earlier", None, printed=False)  # hidden earlier, not in this input
    counts.withheld.add("earlier")
    counts.add_sum(total, ["earlier", counts.add("rest", 27)])
    assert audit(counts, set(), RULES) == ["earlier"]  # 30 - 27: pinned at 3
    assert counts.protect(RULES) == {"rest"}
    zero = LinkedCounts()
    zero.add("total", 27)
    zero.add("earlier", None, printed=False)
    zero.withheld.add("earlier")
    zero.add_sum("total", ["earlier", zero.add("rest", 27)])
    assert audit(zero, set(), RULES) == []  # pinned at zero: it describes nobody


def test_what_earlier_editions_give_away_alone_is_left_not_chased():
    counts = LinkedCounts()
    counts.add("total", 30)
    counts.add("small", None, printed=False)
    counts.add("rest", 27, printed=False)
    counts.published |= {"total", "rest"}  # both printed by an earlier edition
    counts.withheld.add("small")
    counts.add_sum("total", ["small", "rest"])
    counts.add("mine", 50)  # this edition's own count, linked to none of them
    assert counts.protect_and_expose(RULES) == (frozenset(), ["small"])  # nothing helps


def test_already_hidden_counts_seed_the_protection_and_only_printed_ones_count():
    counts = one_way([30, 40, 9])
    hidden = counts.protect(RULES, already_hidden=[("cell", 0), "not a count"])
    assert ("cell", 0) in hidden and "not a count" not in hidden
    assert len(hidden) >= 2  # a lone hidden cell takes a partner
    assert recoverable(counts, set(hidden)) == []


def test_linked_groups_are_audited_apart():
    from helpers.disclosure import components

    counts = one_way([3, 40, 9])
    other = counts.add(("other", 0), 2)
    counts.add_sum(counts.add("other total", 2), [other])
    groups = components(counts)
    assert groups[("cell", 0)] == groups["total"] != groups[("other", 0)]
    hidden = counts.protect(RULES)
    assert recoverable(counts, set(hidden)) == []


def test_a_share_only_count_stays_so_until_printed_whole():
    counts = LinkedCounts()
    counts.add("a", 10, share_only=True)
    assert counts.shares_only == {"a"} and counts.printed["a"]
    counts.add("a", 10)
    counts.add("a", 10, share_only=True)
    assert counts.shares_only == set()
    with pytest.raises(ValueError, match="needs a value"):
        counts.add("b", None)


@pytest.mark.parametrize(("may", "given_away"), [(6, True), (9, False)])
def test_an_earlier_editions_unprinted_count_pinned_at_1_to_4_is_protected(may, given_away):
    # June printed its year to date (9) and never the refusals of June alone; this input no
    # longer holds June's: printing May's year to date now would give June's away (9 - 6 = 3).
    counts = LinkedCounts()
    counts.add("june", 9, printed=False)
    counts.published.add("june")
    counts.add("may", may)
    counts.add("in june", None, printed=False)
    counts.add_sum("june", ["may", "in june"])
    assert audit(counts, set(), RULES) == (["in june"] if given_away else [])
    assert counts.protect(RULES) == ({"may"} if given_away else frozenset())
