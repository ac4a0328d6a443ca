"""The report's plots (matplotlib, no screen needed), as PNG data URIs for a self-contained page."""
import base64
import io
import statistics

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from helpers.tools.report.load import mistake_function

DPI = 100
BLUE, ORANGE, GREY, VERMILLION = "#0072B2", "#E69F00", "#999999", "#D55E00"  # Okabe & Ito, as the lesson's figures
TOP_MISTAKES = 12  # bars in the mistakes plot (the table lists them all)


def png_data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores: list, max_score: float) -> Figure:
    """Histogram of the total scores in ten equal bins from 0 to max_score, mean and median marked."""
    figure = Figure(figsize=(7.5, 3.6))
    ax = figure.subplots()
    top = max_score or max(scores) or 1
    edges = [top * k / 10 for k in range(11)]
    ax.hist(scores, bins=edges, color=BLUE, edgecolor="white")
    mean, median = statistics.fmean(scores), statistics.median(scores)
    ax.axvline(mean, color=VERMILLION, linestyle="--", linewidth=2, label=f"mean {mean:.1f}")
    ax.axvline(median, color=ORANGE, linestyle=":", linewidth=2.5, label=f"median {median:.1f}")
    ax.set_xlim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {top:g} points)")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(scores)} graded submission{'s' * (len(scores) != 1)})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return figure


def pass_rate_chart(rates: list) -> Figure:
    """Horizontal bars: the share of students passing each check, graded part and optional part apart."""
    groups = [(title, [row for row in rates if row[0].graded == graded])
              for title, graded in (("Graded part", True), ("Optional backward part (0 points, not in the score)", False))]
    groups = [(title, rows) for title, rows in groups if rows]
    figure = Figure(figsize=(7.5, 0.9 + 0.42 * sum(len(rows) + 1.5 for _, rows in groups)))
    axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False,
                           gridspec_kw={"height_ratios": [len(rows) for _, rows in groups]})[:, 0]
    for ax, (title, rows) in zip(axes, groups):
        labels = [unit.label for unit, _, _ in rows]
        shares = [passed / total if total else 0 for _, passed, total in rows]
        ax.barh(labels, shares, color=BLUE if rows[0][0].graded else GREY)
        for y, (share, (_, passed, total)) in enumerate(zip(shares, rows)):
            inside = share > 0.8  # a long bar holds its label, a short one has it after its end
            ax.text(share - 0.01 if inside else share + 0.01, y, f"{passed} of {total}", va="center",
                    ha="right" if inside else "left", color="white" if inside else "black", fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(title, fontsize=10, loc="left")
    axes[-1].set_xlabel("students who passed the check")
    figure.suptitle("Pass rate of every check")
    return figure


def mistakes_chart(counts: list) -> Figure:
    """Horizontal bars: how many students made each of the most common named mistakes."""
    shown = counts[:TOP_MISTAKES]
    figure = Figure(figsize=(7.5, 1.2 + 0.38 * len(shown)))
    ax = figure.subplots()
    ax.barh([f"{slug} ({mistake_function(slug)})" for slug, _, _ in shown],
            [len(students) for _, students, _ in shown], color=VERMILLION)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("students")
    more = f", the {TOP_MISTAKES} most common" if len(counts) > TOP_MISTAKES else ""
    ax.set_title(f"Most common mistakes (named by the checks{more})")
    return figure
