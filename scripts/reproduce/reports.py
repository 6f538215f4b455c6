"""The report files of a profile: ``<profile>.json``, ``.md`` and ``.png``."""

from __future__ import annotations

import json
from pathlib import Path

from .chart import bar_chart
from .tables import full_markdown


def write_reports(report: dict, output_dir: Path) -> list[Path]:
    """``<profile>.json``, ``.md`` and ``.png`` in ``output_dir``."""
    stem = output_dir / report["profile"]
    json_path, md_path, png_path = (stem.with_suffix(s) for s in (".json", ".md", ".png"))
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(full_markdown(report))
    bar_chart(report, png_path)
    return [json_path, md_path, png_path]


def read_report(path: Path) -> dict:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run the notebooks first (without --tables-only)")
    return json.loads(path.read_text())
