"""The report files of a profile: ``<profile>.json``, ``.md`` and ``.png``."""

from __future__ import annotations

import json
from pathlib import Path

from .chart import bar_chart
from .dry_run import SUFFIX, dry_run_markdown, is_dry_run, with_estimates
from .tables import full_markdown, summary_markdown


def report_markdown(report: dict) -> str:
    """The whole ``<profile>.md`` of a report."""
    if is_dry_run(report):
        return (f"# Dry run of the `{report['profile'].removesuffix(SUFFIX)}` profile\n\n"
                f"{dry_run_markdown(report)}\n")
    return full_markdown(report)


def readme_block(report: dict) -> str:
    """What the README shows of a report, between its ``results:<profile>`` markers."""
    return dry_run_markdown(report) if is_dry_run(report) else summary_markdown(report)


def write_reports(report: dict, output_dir: Path) -> list[Path]:
    """``<profile>.json``, ``.md`` and ``.png`` in ``output_dir`` (a dry run: no chart)."""
    stem = output_dir / report["profile"]
    json_path, md_path, png_path = (stem.with_suffix(s) for s in (".json", ".md", ".png"))
    if is_dry_run(report):
        report = with_estimates(report)
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(report_markdown(report))
    if is_dry_run(report):
        return [json_path, md_path]
    bar_chart(report, png_path)
    return [json_path, md_path, png_path]


def read_report(path: Path) -> dict:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run the notebooks first (without --tables-only)")
    return json.loads(path.read_text())
