"""The values the notebooks' parameters may take: against the config, and within their ranges.

Floor 2. The batch checks every value an edition or ``-p`` gives before any notebook runs
(``helpers.preflight``); each notebook checks its own when it starts, so that an analyst who
runs it in JupyterLab gets the same sentence. A value that would run but print nonsense (a lead
agency spelt "and" for "&", whose caseload is 0 in every band; a window of no months) is refused
with the nearest valid value.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from helpers.config import SentenceError, categories
from helpers.printed_figures import printed_figures

#: ``lead_agency`` of the map: every lead agency rather than one.
ALL_AGENCIES = "all"
#: The classification schemes offered for the episodes map (names as mapclassify spells them).
SCHEMES: tuple[str, ...] = ("NaturalBreaks", "FisherJenks", "Quantiles", "EqualInterval")
#: Notebooks whose ``lead_agency`` may be "all".
TAKES_ALL_AGENCIES = frozenset({"04_open_episodes_by_lsoa"})


class ParameterError(SentenceError, ValueError):
    """A parameter value the notebook cannot use: the sentence names it and what to give."""


@dataclass(frozen=True)
class WholeNumbers:
    """A whole-number parameter's range, inclusive, and what it counts."""

    low: int
    high: int
    counts: str


RANGES: dict[str, WholeNumbers] = {
    "rolling_window_months": WholeNumbers(1, 60, "months in the rolling window"),
    "window_months": WholeNumbers(1, 60, "months over which starts are counted"),
    "classes": WholeNumbers(2, 9, "classes on the episodes map"),
}


def _nearest(value: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.0)
    return f" The nearest is {close[0]!r}." if close else ""


def _one_of(name: str, value: object, valid: list[str], where: str, of: str = "") -> None:
    if value not in valid:
        listed = ", ".join(repr(v) for v in valid)
        raise ParameterError(
            f"{where}{name} is {value!r}, which is not one of{of} {listed}."
            f"{_nearest(str(value), valid)}"
        )


def check_value(name: str, value: object, notebook: str = "", where: str = "") -> None:
    """Refuse ``value`` for parameter ``name`` when the config or its range does not allow it.

    ``where`` prefixes the sentence (the edition file, the notebook). Parameters not listed
    here (dates, paths, text) are checked elsewhere or take any value.
    """
    if name == "lead_agency":
        if value in (None, "") or (value == ALL_AGENCIES and notebook in TAKES_ALL_AGENCIES):
            return
        agencies = list(categories().lead_agencies)
        _one_of(name, value, agencies, where, " the lead agencies of config/categories.yaml:")
    elif name in RANGES:
        rule = RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{where}{name} is {value!r}: give a whole number.")
        if not rule.low <= value <= rule.high:
            nearest = min(max(value, rule.low), rule.high)
            raise ParameterError(
                f"{where}{name} is {value}, but the {rule.counts} must be from {rule.low} to "
                f"{rule.high}. The nearest is {nearest}."
            )
    elif name == "scheme":
        _one_of(name, value, list(SCHEMES), where)
    elif name == "documents":
        documents = [key for key in printed_figures() if key != "local_authority"]
        for document in value if isinstance(value, list | tuple) else [value]:
            _one_of(name, document, documents, where)


def check_parameters(notebook: str, **values: object) -> None:
    """What a notebook checks of its own parameters when it starts (in JupyterLab or a batch)."""
    for name, value in values.items():
        check_value(name, value, notebook, f"{notebook}: ")


def lead_agency_meant(value: str | None, notebook: str = "") -> str | None:
    """The lead agency a ``lead_agency`` parameter means: blank is the council's own team
    (``children_and_families_first`` in config/categories.yaml); "all", where a notebook takes
    it, is every agency (None)."""
    if value == ALL_AGENCIES and notebook in TAKES_ALL_AGENCIES:
        return None
    return value or categories().children_and_families_first
