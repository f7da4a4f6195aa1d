"""The house style, once: fonts, sizes, colours, month labels and the source footer."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from helpers.rag import rag_colour

# Colour-blind-safe categorical palette (Okabe-Ito), in a fixed order so a category keeps its
# colour from chart to chart.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
OPENED_COLOUR = "#0072B2"
CLOSED_COLOUR = "#E69F00"
TARGET_COLOUR = "#444444"


def use_house_style() -> None:
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
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


def month_label(month: pd.Period) -> str:
    """A month as the dashboard prints it: ``Sep-14``."""
    return month.strftime("%b-%y")


def add_footer(fig: Figure, source: str) -> None:
    """The source line under every chart."""
    fig.text(0.01, 0.01, source, fontsize=7.5, color="#555555", ha="left", va="bottom")


def finish(fig: Figure, source: str) -> Figure:
    fig.tight_layout(rect=(0, 0.05, 1, 1))
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
    """Horizontal bars of ``value`` by ``category``, labelled with count and share (``pct``)."""
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.8))
    ordered = table.iloc[::-1]
    if single_colour:  # ordered categories (bands): one colour
        colours = [PALETTE[0]] * len(table)
    else:
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(table))][::-1]
    bars = ax.barh(ordered[category].astype(str), ordered[value], color=colours)
    for bar, count, share in zip(bars, ordered[value], ordered["pct"], strict=True):
        ax.annotate(
            f"{count:,} ({share:.1f}%)",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.set_xlim(0, ordered[value].max() * 1.22 if len(ordered) else 1)
    return finish(fig, source)


def opened_closed_chart(table: pd.DataFrame, title: str, source: str) -> Figure:
    """Side-by-side monthly bars of episodes opened and closed."""
    fig, ax = plt.subplots()
    positions = range(len(table))
    width = 0.4
    ax.bar(
        [p - width / 2 for p in positions],
        table["opened"],
        width,
        label="Opened",
        color=OPENED_COLOUR,
    )
    ax.bar(
        [p + width / 2 for p in positions],
        table["closed"],
        width,
        label="Closed",
        color=CLOSED_COLOUR,
    )
    ax.set_xticks(list(positions), [month_label(m) for m in table["month"]], rotation=45)
    ax.set_ylabel("CAF episodes")
    ax.set_title(title)
    ax.legend(loc="upper left", ncols=2)
    return finish(fig, source)


def outcomes_chart(
    by_month: pd.DataFrame, rates: pd.DataFrame, target: float | None, title: str, source: str
) -> Figure:
    """Closures by reason, stacked by month, with the action-plan-completed share as a line."""
    wide = by_month.pivot(index="month", columns="closure_reason", values="episodes")
    wide = wide[by_month["closure_reason"].unique()]
    fig, ax = plt.subplots(figsize=(10, 5.2))
    labels = [month_label(m) for m in wide.index]
    bottom = pd.Series(0, index=wide.index)
    for i, reason in enumerate(wide.columns):
        ax.bar(labels, wide[reason], bottom=bottom, label=reason, color=PALETTE[i % len(PALETTE)])
        bottom = bottom + wide[reason]
    ax.set_ylabel("CAFs closed")
    ax.tick_params(axis="x", rotation=45)
    share = ax.twinx()
    share.plot(
        labels,
        rates["pct_action_plan_completed_nfa"],
        color="black",
        marker="o",
        label="% action plan completed (right axis)",
    )
    if target is not None:
        share.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1)
        share.annotate(
            f"target {target:g}%",
            (len(labels) - 1, target),
            xytext=(0, 4),
            textcoords="offset points",
            ha="right",
            fontsize=8,
        )
    share.set_ylim(0, 100)
    share.set_ylabel("% action plan completed, NFA")
    share.grid(False)
    share.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
    names = ax.get_legend_handles_labels()[1] + share.get_legend_handles_labels()[1]
    ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3, fontsize=8)
    ax.set_title(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    add_footer(fig, source)
    return fig


def rag_badge_html(
    key: str, title: str, status: str, trend_arrow: str, trend_words: str, measure: str, value: str
) -> str:
    """A RAG status box for the rendered report, in the published colours."""
    colour = rag_colour(status)
    text = "#000000" if status == "Amber" else "#FFFFFF"
    return (
        f'<div style="display:flex;gap:12px;align-items:center;font-family:sans-serif">'
        f'<div style="background:{colour};color:{text};padding:10px 16px;border-radius:4px;'
        f'font-weight:bold;font-size:16px">{status}</div>'
        f"<div><b>{key} {title}</b><br>{measure}: <b>{value}</b><br>"
        f"Trend: {trend_arrow} {trend_words} (up arrow is good)</div></div>"
    )
