"""The markdown reports: headline table, time table, machine line, every recorded metric."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .headlines import FULL_DATA_SOURCES, HEADLINES, substitute_data

FOOTNOTE_MARKS = "†‡§¶"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def metric_text(name: str, value: float) -> str:
    """Accuracies as percentages; losses, errors and seconds as plain numbers."""
    if any(word in name for word in ("mse", "loss", "seconds", "_std")):
        return f"{value:.4g}"
    return percent(value)


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def headline_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """(notebook, result, measured, seed expectation) for every headline of a run notebook.

    A figure measured on a substitute data set carries the mark of its footnote.
    """
    marks = substitute_marks(report)
    rows = []
    for line in HEADLINES:
        run = report["notebooks"].get(line.notebook)
        if run is None:
            continue
        value = run["metrics"].get(line.metric)
        measured = percent(value)
        if value is not None and substitute_data(report, line):
            measured += f" {marks[substitute_data(report, line)]}"
        rows.append((line.notebook, line.label, measured, line.expected_text))
    return rows


def substitute_marks(report: dict) -> dict[str, str]:
    """A footnote mark for every substitute data set that a headline figure was measured on."""
    sources = [substitute_data(report, line) for line in HEADLINES
               if line.notebook in report["notebooks"]
               and line.metric in report["notebooks"][line.notebook]["metrics"]]
    unique = list(dict.fromkeys(source for source in sources if source))
    return {source: FOOTNOTE_MARKS[i] if i < len(FOOTNOTE_MARKS) else f"[{i + 1}]"
            for i, source in enumerate(unique)}


def data_footnotes(report: dict) -> str:
    """One line per substitute data set of the headline table ("" when there is none)."""
    full_names = {line.data_note: FULL_DATA_SOURCES.get(line.data_note, "data set")
                  for line in HEADLINES if line.data_note}
    lines = []
    for source, mark in substitute_marks(report).items():
        note = next(line.data_note for line in HEADLINES if substitute_data(report, line) == source)
        lines.append(f"{mark} Measured on {source}, the offline fallback for the full "
                     f"{full_names[note]}: not comparable with results on the full data set.")
    return "  \n".join(lines)


def run_table(report: dict) -> str:
    """Status, wall time, CPU time (kernel and children) and peak memory of every notebook."""
    rows = []
    for name, run in report["notebooks"].items():
        status = run["status"]
        if run["error"]:
            status += f" (cell {run['error']['cell']}: {run['error']['ename'] or run['error']['exception']})"
        if run["skipped_cells"]:
            status += f", {run['skipped_cells']} cells tagged {', '.join(run['skipped_tags'])} skipped"
        memory = "-" if run["peak_rss_mb"] is None else f"{run['peak_rss_mb'] / 1024:.1f} GiB"
        if run["gpu_peak_mb"] is not None:
            memory += f" (GPU {run['gpu_peak_mb'] / 1024:.1f} GiB)"
        cpu = "-" if run.get("cpu_seconds") is None else minutes(run["cpu_seconds"])
        rows.append((name, status, minutes(run["wall_seconds"]), cpu, memory))
    return markdown_table(("notebook", "status", "wall time", "CPU time", "peak memory"), rows)


def machine_line(report: dict) -> str:
    hw = report["hardware"]
    gpu = f", {hw['gpu']}" if hw["gpu"] else ", no GPU"
    runs = report["notebooks"].values()
    dates = sorted({run["date"][:10] for run in runs if run.get("date")}) or [report["date"][:10]]
    commits = sorted({run["commit"] for run in runs if run.get("commit")}) or [report["commit"]]
    return (f"Profile `{report['profile']}`, {' to '.join(dict.fromkeys([dates[0], dates[-1]]))}, "
            f"commit {', '.join(f'`{c}`' for c in commits)}: "
            f"{hw['cpu']} ({hw['cores']} cores, {hw['memory_gb']} GiB){gpu}; "
            f"Python {hw['python']}, torch {hw['torch']}. "
            f"Total {minutes(report['total_seconds'])}.")


def summary_markdown(report: dict) -> str:
    """The block the README shows: machine line, headline table, time table."""
    headline = markdown_table(("notebook", "result", "measured", "expected (seed material or published)"), headline_rows(report))
    footnotes = data_footnotes(report)
    return "\n\n".join([machine_line(report), headline, *([footnotes] if footnotes else []), run_table(report)])


def full_markdown(report: dict) -> str:
    """The summary plus every metric every notebook recorded."""
    parts = [f"# Results, `{report['profile']}` profile", summary_markdown(report), "## Every recorded metric"]
    for name, run in report["notebooks"].items():
        rows = [(metric, metric_text(metric, value)) for metric, value in sorted(run["metrics"].items())]
        section = f"### {name}\n\n" + (markdown_table(("metric", "value"), rows) if rows else "nothing recorded")
        notes = run.get("notes", {})
        if notes:
            section += "\n\nNotes: " + "; ".join(f"`{note}`: {text}" for note, text in sorted(notes.items())) + "."
        parts.append(section)
    return "\n\n".join(parts) + "\n"
