"""The report files of a profile: ``<profile>.json``, ``.md`` and ``.png``."""

from __future__ import annotations

import json
from pathlib import Path

from .chart import bar_chart
from .dry_run import SUFFIX, dry_run_markdown, is_dry_run, with_estimates
from .tables import full_markdown


def write_reports(report: dict, output_dir: Path) -> list[Path]:
    """``<profile>.json``, ``.md`` and ``.png`` in ``output_dir`` (a dry run: no chart)."""
    stem = output_dir / report["profile"]
    json_path, md_path, png_path = (stem.with_suffix(s) for s in (".json", ".md", ".png"))
    if is_dry_run(report):
        json_path.write_text(json.dumps(with_estimates(report), indent=2) + "\n")
        md_path.write_text(f"# Dry run of the `{report['profile'].removesuffix(SUFFIX)}` profile\n\n"
                           f"{dry_run_markdown(report)}\n")
        return [json_path, md_path]
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(full_markdown(report))
    bar_chart(report, png_path)
    return [json_path, md_path, png_path]


def read_report(path: Path) -> dict:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run the notebooks first (without --tables-only)")
    return json.loads(path.read_text())
