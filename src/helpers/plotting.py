"""The house style, once (fonts, sizes, colours, the source footer), and the report's charts.

Floor 4. ``maps`` draws in this style; number and month formats come from ``formats``.
"""

from __future__ import annotations

import html
import io
import math
import weakref

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from helpers.coverage import NOT_KNOWN_WORDS, is_mark, is_not_known, not_known_note
from helpers.disclosure import is_suppressed, policy, suppression_note
from helpers.formats import month_label, number, percent
from helpers.rag import (
    NO_VALUE,
    NOT_KNOWN,
    NOT_PUBLISHED,
    Indicator,
    rag_colour,
    rag_status,
    trend,
)

# Colour-blind-safe categorical palette (Okabe-Ito), in a fixed order so a category keeps its
# colour from chart to chart.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
OPENED_COLOUR = PALETTE[0]
CLOSED_COLOUR = PALETTE[1]
TARGET_COLOUR = "#444444"
#: Boxes on the page (``helpers.report``): the data-source banner, and warnings (the RAG red).
ACCENT_COLOUR = PALETTE[0]
WARNING_COLOUR = "#C00000"
#: The edge of a colour swatch in a legend.
LEGEND_EDGE_COLOUR = "#999999"


#: Charts are drawn at print resolution and shown at screen size: legible on paper (issue 13).
PRINT_DPI = 150
SCREEN_DPI = 100
#: Each chart's alternative text, set by the function that drew it from its figures.
ALT_TEXT: weakref.WeakKeyDictionary[Figure, str] = weakref.WeakKeyDictionary()


def use_house_style() -> None:
    _show_charts_at_print_resolution()
    mpl.rcParams.update(
        {
            "figure.dpi": SCREEN_DPI,
            "savefig.dpi": PRINT_DPI,
            "figure.figsize": (9, 4.8),
            "font.size": 10,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "grid.color": "#dddddd",
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "legend.frameon": False,
            "svg.hashsalt": "earlyhelp",  # deterministic output
        }
    )


#: A figure hidden by disclosure control: light grey, hatched (charts and maps alike).
SUPPRESSED_COLOUR = "#d9d9d9"
SUPPRESSED_HATCH = "////"
#: The source footer under every chart and map.
FOOTER_FONT_PT = 9
FOOTER_COLOUR = "#555555"


def _said(value: object, words=number) -> str:
    """A figure as alt text says it: the mark where it is hidden, never the hidden value;
    "not known" where the input cannot give it."""
    if is_not_known(value):
        return NOT_KNOWN_WORDS
    if is_suppressed(value):
        return str(value)
    if value is None or pd.isna(value):
        return "none"
    return words(value)


def describe(fig: Figure) -> str:
    """Alternative text for a chart or map: what its drawer said, else what the axes hold.

    The chart functions here say it from their figures (:data:`ALT_TEXT`); a chart drawn in a
    notebook or a map is described from its titles, axis labels and legend.
    """
    if fig in ALT_TEXT:
        return ALT_TEXT[fig]
    parts = []
    for ax in fig.axes:
        title = ax.get_title("left") or ax.get_title()
        legend = ax.get_legend()
        entries = [t.get_text() for t in legend.get_texts()] if legend else []
        bars = [(c.get_label(), c.datavalues) for c in ax.containers if hasattr(c, "datavalues")]
        horizontal = bool(ax.containers) and getattr(ax.containers[0], "orientation", "") == (
            "horizontal"
        )
        ticks = [
            t.get_text() for t in (ax.get_yticklabels() if horizontal else ax.get_xticklabels())
        ]
        said = []
        for label, values in bars:
            names = ticks[::-1] if horizontal and len(ticks) == len(values) else ticks
            pairs = ", ".join(f"{n} {whole(v)}" for n, v in zip(names, values, strict=False) if n)
            said.append(f"{label}: {pairs}" if label and not label.startswith("_") else pairs)
        text = title
        if said:
            text += ". " + "; ".join(said)
        elif entries:
            text += ". Legend: " + ", ".join(entries)
        if text:
            parts.append(text)
    kind = "Chart" if any(ax.containers or ax.get_lines() for ax in fig.axes) else "Map"
    return f"{kind}: " + ". ".join(parts) + "."


def whole(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _png_with_alt(fig: Figure) -> tuple[bytes, dict]:
    """A chart as the page shows it: PNG at print resolution, screen width, alternative text."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PRINT_DPI, bbox_inches="tight", facecolor="white")
    data = buffer.getvalue()
    width = int.from_bytes(data[16:20], "big")  # the PNG header's width, in pixels
    return data, {"alt": describe(fig), "width": round(width * SCREEN_DPI / PRINT_DPI)}


def _show_charts_at_print_resolution() -> None:
    """In a kernel, show every figure through :func:`_png_with_alt` (nothing elsewhere)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: no display
        return
    shell = get_ipython()
    if shell is not None:
        # Load the kernel's backend now: on loading, the inline backend registers its own PNG
        # formatter, which would otherwise replace this one at the first chart.
        plt.switch_backend(mpl.get_backend())
        shell.display_formatter.formatters["image/png"].for_type(Figure, _png_with_alt)


def shown_values(values) -> pd.Series:
    """Numbers to draw: a suppressed or not-known figure becomes NaN (nothing drawn)."""
    return pd.Series([float("nan") if is_mark(v) else float(v) for v in values], dtype="float64")


def _suppression_footer(source: str, *columns) -> str:
    """The source line, with what each mark means when a chart shows it."""
    values = [v for column in columns for v in column]
    notes = [suppression_note()] if any(is_suppressed(v) for v in values) else []
    notes += [n for n in [not_known_note(values)] if n]
    return "\n".join([source, *notes])


def add_footer(fig: Figure, source: str) -> None:
    """The source line under every chart."""
    fig.text(
        0.01, 0.01, source, fontsize=FOOTER_FONT_PT, color=FOOTER_COLOUR, ha="left", va="bottom"
    )


def footer_room(source: str, fig_height_in: float, margin_pt: float = 8) -> float:
    """The share of a figure's height that the source lines under it take, with a margin."""
    lines = source.count("\n") + 1
    return (lines * FOOTER_FONT_PT * 1.3 + margin_pt) / (fig_height_in * 72)


def _footer_room(fig: Figure, source: str) -> float:
    """The fraction of the figure's height the source lines need at the bottom."""
    lines = source.count("\n") + 1
    return 0.05 if lines == 1 else footer_room(source, fig.get_figheight())


def finish(fig: Figure, source: str) -> Figure:
    fig.tight_layout(rect=(0, _footer_room(fig, source), 1, 1))
    add_footer(fig, source)
    return fig


def category_bar_chart(
    table: pd.DataFrame,
    category: str,
    title: str,
    source: str,
    value: str = "episodes",
    xlabel: str = "Episodes",
    single_colour: bool = False,
) -> Figure:
    """Horizontal bars of ``value`` by ``category``, labelled with count and share (``pct``).

    A suppressed count gets no bar, only the mark.
    """
    source = _suppression_footer(source, table[value])
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.8))
    ordered = table.iloc[::-1]
    lengths = shown_values(ordered[value])
    if single_colour:  # ordered categories (bands): one colour
        colours = [PALETTE[0]] * len(table)
    else:
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(table))][::-1]
    bars = ax.barh(ordered[category].astype(str), lengths.fillna(0), color=colours)
    for bar, count, share in zip(bars, ordered[value], ordered["pct"], strict=True):
        if is_mark(count):
            label = count
        elif is_mark(share) or pd.isna(share):  # hidden, not known, or a share of nothing
            label = number(count)
        else:
            label = f"{number(count)} ({percent(share)})"
        ax.annotate(
            label,
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2 of a family
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    largest = lengths.max() if lengths.notna().any() else 0
    ax.set_xlim(0, largest * 1.22 if largest > 0 else 1)
    ALT_TEXT[fig] = (
        f"Bar chart: {title}. "
        + ", ".join(
            f"{name} {_said(count)}"
            for name, count in zip(table[category], table[value], strict=True)
        )
        + "."
    )
    return finish(fig, source)


def whole_counts(ax: Axes) -> None:
    """A count axis from zero in whole numbers, even when every count is zero or one."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1))


def opened_closed_chart(table: pd.DataFrame, title: str, source: str) -> Figure:
    """Monthly bars of episodes opened and closed, side by side; a suppressed one shows the mark."""
    source = _suppression_footer(source, table["opened"], table["closed"])
    fig, ax = plt.subplots()
    positions = range(len(table))
    width = 0.4
    for offset, column, label, colour in (
        (-width / 2, "opened", "Opened", OPENED_COLOUR),
        (width / 2, "closed", "Closed", CLOSED_COLOUR),
    ):
        heights = shown_values(table[column])
        ax.bar([p + offset for p in positions], heights.fillna(0), width, label=label, color=colour)
        for p, value in zip(positions, table[column], strict=True):
            if is_mark(value):
                ax.annotate(
                    value,
                    (p + offset, 0),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    rotation=90,
                )
    ax.set_xticks(list(positions), [month_label(m) for m in table["month"]], rotation=45)
    ax.set_ylabel("CAF episodes")
    whole_counts(ax)
    ax.set_title(title)
    ax.legend(loc="upper left", ncols=2)
    months = [month_label(m) for m in table["month"]]
    ALT_TEXT[fig] = f"Bar chart: {title}. " + " ".join(
        f"{name}: "
        + ", ".join(f"{m} {_said(v)}" for m, v in zip(months, table[column], strict=True))
        + "."
        for column, name in (("opened", "Opened"), ("closed", "Closed"))
    )
    return finish(fig, source)


def outcomes_chart(
    by_month: pd.DataFrame, rates: pd.DataFrame, target: float | None, title: str, source: str
) -> Figure:
    """Closures by reason, stacked by month, with the action-plan-completed share as a line.

    Suppressed reasons are not drawn one by one: where the month's total is shown, one hatched
    block stands for them together (the total less the reasons shown, which the table gives too).
    """
    source = _suppression_footer(source, by_month["episodes"], rates["closed"])
    wide = by_month.pivot(index="month", columns="closure_reason", values="episodes")
    wide = wide[by_month["closure_reason"].unique()]
    # Two panels sharing the months, not two scales on one: a target drawn against a
    # right-hand axis reads, against the left one, as a count it is not.
    fig, (ax, share) = plt.subplots(
        2, 1, figsize=(10, 7.2), sharex=True, gridspec_kw={"height_ratios": [3, 1.6]}
    )
    labels = [month_label(m) for m in wide.index]
    bottom = pd.Series(0.0, index=wide.index)
    for i, reason in enumerate(wide.columns):
        heights = shown_values(wide[reason]).set_axis(wide.index).fillna(0)
        ax.bar(labels, heights, bottom=bottom, label=reason, color=PALETTE[i % len(PALETTE)])
        bottom = bottom + heights
    totals = shown_values(rates["closed"]).set_axis(wide.index)
    hidden_together = (totals - bottom).where(wide.map(is_suppressed).any(axis=1))
    if hidden_together.notna().any():
        ax.bar(
            labels,
            hidden_together.fillna(0),
            bottom=bottom,
            label=f"{policy().mark} reasons suppressed, together",
            color=SUPPRESSED_COLOUR,
            hatch=SUPPRESSED_HATCH,
            edgecolor="#888888",
            linewidth=0,
        )
    ax.set_ylabel("CAFs closed")
    whole_counts(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="Why closed")
    share.plot(
        labels,
        shown_values(rates["pct_action_plan_completed_nfa"]),
        color="black",
        marker="o",
        label="Action plan completed, NFA",
    )
    if target is not None:
        share.axhline(
            target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, label=f"Target {target:g}%"
        )
    share.set_ylim(0, 100)
    share.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    share.set_ylabel("% of CAFs closed")
    share.tick_params(axis="x", rotation=45)
    share.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.set_title(title)
    series = "; ".join(
        f"{reason}: "
        + ", ".join(f"{m} {_said(v)}" for m, v in zip(labels, wide[reason], strict=True))
        for reason in wide.columns
    )
    rates_said = ", ".join(
        f"{m} {_said(v, percent)}"
        for m, v in zip(labels, rates["pct_action_plan_completed_nfa"], strict=True)
    )
    target_said = f"; target {target:g}%" if target is not None else ""
    ALT_TEXT[fig] = (
        f"Stacked bar chart: {title}. CAFs closed by reason, by month: {series}. Below it, a "
        f"line chart of the share closed with the action plan completed: {rates_said}"
        f"{target_said}."
    )
    return finish(fig, source)


def rag_badge_html(
    key: str, title: str, status: str, trend_arrow: str, trend_words: str, measure: str, value: str
) -> str:
    """A RAG status box for the rendered report, in the published colours."""
    # The indicator's words come from the config: shown as written, never as markup.
    key, title, measure, value = (html.escape(str(v)) for v in (key, title, measure, value))
    colour = rag_colour(status)
    text = "#000000" if status == "Amber" else "#FFFFFF"  # contrast on the status colour
    return (
        f'<div style="display:flex;gap:12px;align-items:center;font-family:sans-serif">'
        f'<div style="background:{colour};color:{text};padding:10px 16px;border-radius:4px;'
        f'font-weight:bold;font-size:16px">{status}</div>'
        f"<div><b>{key} {title}</b><br>{measure}: <b>{value}</b><br>"
        f"Trend: {trend_arrow} {trend_words} (up arrow is good)</div></div>"
    )


def indicator_badge(ind: Indicator, value: object, previous: object) -> dict[str, str]:
    """What an indicator's RAG box says (either figure may be hidden): the words of
    :func:`rag_badge_html`, also what the edition's front page repeats as its headline."""
    if is_not_known(value):
        status, arrow, words, shown = NOT_KNOWN, "–", "not known", NOT_KNOWN_WORDS
    elif is_suppressed(value):
        status, arrow, words, shown = NOT_PUBLISHED, "–", "not published", str(value)
    elif value is None or math.isnan(float(value)):
        status, arrow, words, shown = NO_VALUE, "–", "nothing to compare", "no data"
    else:
        earlier = float("nan") if is_mark(previous) else float(previous)
        direction = trend(float(value), earlier, ind)
        status, arrow, words = rag_status(float(value), ind), direction.arrow, direction.words
        shown = percent(value)
    return {
        "key": ind.key,
        "title": ind.title,
        "status": status,
        "trend_arrow": arrow,
        "trend_words": words,
        "measure": ind.measure,
        "value": shown,
    }


def indicator_badge_html(ind: Indicator, value: object, previous: object) -> str:
    """The RAG box for an indicator's percentage against last month's (either may be hidden)."""
    return rag_badge_html(**indicator_badge(ind, value, previous))


def budget_chart(budget: pd.DataFrame, title: str, source: str) -> Figure:
    """Spend and income as bars either side of zero, net as a dot, by budget line (£ million)."""
    lines = budget["line"][::-1]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.barh(lines, budget["spend"][::-1] / 1e6, label="Spend", color=PALETTE[0])
    ax.barh(lines, budget["income"][::-1] / 1e6, label="Income", color=PALETTE[1])
    ax.scatter(budget["net"][::-1] / 1e6, lines, color="black", zorder=3, label="Net")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("£ million")
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(axis="x", visible=True)
    ax.grid(axis="y", visible=False)

    def pounds(amount: float) -> str:
        return f"{'-' if amount < 0 else ''}£{abs(amount):,.0f}"

    said = "; ".join(
        f"{row.line}: spend {pounds(row.spend)}, income {pounds(row.income)}, net {pounds(row.net)}"
        for row in budget.itertuples()
    )
    ALT_TEXT[fig] = f"Bar chart: {title}, by budget line. {said}."
    return finish(fig, source)
