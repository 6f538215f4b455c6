"""The bar chart of the headline accuracies against the seed expectations."""

from __future__ import annotations

from pathlib import Path

from matplotlib import colormaps
from matplotlib.figure import Figure

from .headlines import HEADLINES


def bar_chart(report: dict, path: Path) -> None:
    """Headline accuracies as bars, the seed expectations as black marks (ranges as lines)."""
    lines = [(line, report["notebooks"][line.notebook]["metrics"].get(line.metric))
             for line in HEADLINES if line.notebook in report["notebooks"]]
    lines = [(line, value) for line, value in lines if value is not None]
    # The object-oriented API draws without pyplot, so no GUI backend is ever involved.
    fig = Figure(figsize=(8, 0.32 * max(len(lines), 4) + 1.2))
    ax = fig.subplots()
    positions = range(len(lines))
    notebooks = sorted({line.notebook for line, _ in lines})
    colours = {name: colormaps["tab10"](i) for i, name in enumerate(notebooks)}
    ax.barh(positions, [100 * value for _, value in lines], color=[colours[line.notebook] for line, _ in lines])
    for y, (line, _) in enumerate(lines):
        if line.expected is not None:
            low, high = (100 * v for v in line.expected)
            ax.plot([low, high] if high > low else [low], [y, y] if high > low else [y], "k|-" if high > low else "kD",
                    markersize=6, label="expected (seed material or published)" if y == _first_expected(lines) else None)
    ax.set_yticks(list(positions), [f"{line.label} ({line.notebook[:3].rstrip('_')})" for line, _ in lines],
                  fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("test accuracy (%)")
    ax.set_title(f"{report['profile']} profile, {report['date'][:10]}: measured (bars), expected (marks)", fontsize=10)
    if any(line.expected for line, _ in lines):
        ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _first_expected(lines) -> int:
    return next(y for y, (line, _) in enumerate(lines) if line.expected is not None)
