"""An independent check of disclosure control, for the tests: integer programming.

``helpers.disclosure.audit`` bounds each hidden count by linear programming; this finds the
exact smallest and largest whole values with :func:`scipy.optimize.milp` instead. It builds its
own equations from ``counts.sums`` rather than calling ``LinkedCounts.sum_matrix``, so that a
mistake there cannot hide itself from the tests.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from helpers.disclosure import LinkedCounts, Policy

RULES = Policy(largest_suppressed_count=4, mark="[c]")


def integer_range(counts: LinkedCounts, hidden: set, key) -> tuple[float, float]:
    """The smallest and largest whole values ``key`` can take, given what is shown."""
    keys = list(counts.values)
    index = {k: i for i, k in enumerate(keys)}
    unknown = hidden | {k for k in keys if not counts.printed[k]}
    lower = np.array([0.0 if k in unknown else counts.values[k] for k in keys])
    upper = np.array([np.inf if k in unknown else counts.values[k] for k in keys])
    rows = []
    for rel in counts.sums:
        row = np.zeros(len(keys))
        row[index[rel.total]] += 1
        for part in rel.parts:
            row[index[part]] -= 1
        rows.append(row)
    constraints = [LinearConstraint(np.array(rows), 0, 0)] if rows else []
    objective = np.zeros(len(keys))
    objective[index[key]] = 1
    ends = []
    for sign in (1, -1):
        result = milp(
            sign * objective,
            constraints=constraints,
            integrality=np.ones(len(keys)),
            bounds=Bounds(lower, upper),
        )
        ends.append(sign * result.fun if result.status == 0 else np.inf)
    return ends[0], ends[1]


def recoverable(counts: LinkedCounts, hidden: set) -> list:
    """Hidden counts (suppressed and not zero, or unprinted and small) with one possible value.

    A hidden zero describes nobody; it matters only through the counts it shields, which are
    checked themselves.
    """
    checked = [
        k
        for k in counts.values
        if (k in hidden and counts.values[k] > 0)
        or (not counts.printed[k] and RULES.is_small(counts.values[k]))
    ]
    return [k for k in checked if (r := integer_range(counts, hidden, k))[0] == r[1]]
