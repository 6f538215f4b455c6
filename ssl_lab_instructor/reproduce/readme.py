"""The README's generated results block of a profile."""

from __future__ import annotations

from pathlib import Path


def update_readme(readme: Path, profile: str, block: str, kind: str = "results:") -> None:
    """Replace the README's results block of ``profile`` (between its two markers).

    ``kind`` prefixes the marker's name: ``<!-- results:cpu:start -->`` by default,
    ``<!-- checkpoints:start -->`` with ``kind=""`` and ``profile="checkpoints"``.
    """
    start, end = f"<!-- {kind}{profile}:start -->", f"<!-- {kind}{profile}:end -->"
    text = readme.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{readme} has no {start} ... {end} block: add the two markers where the "
                         f"{profile} table belongs")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    readme.write_text(f"{before}{start}\n{block}\n{end}{after}")
