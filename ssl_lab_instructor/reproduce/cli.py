"""The command line of ``python -m ssl_lab_instructor.reproduce`` (and ``make reproduce``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lab_utils.profiles import BUDGETS, PROFILES

from .collect import merge_into_previous, reproduce
from .dry_run import is_dry_run, report_profile
from .headlines import missing_headlines
from .paths import README, RESULTS, select_notebooks
from .quotes import QuoteError, Results, update_quotes
from .readme import update_readme
from .reports import read_report, readme_block, write_reports


def default_profile() -> str:
    import torch

    return "gpu" if torch.cuda.is_available() else "cpu"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    description = sys.modules[__package__].__doc__
    parser = argparse.ArgumentParser(prog="python -m ssl_lab_instructor.reproduce",
                                     description=description.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help=f"notebook names (default: all): {', '.join(BUDGETS)}")
    parser.add_argument("--profile", choices=[p for p in PROFILES if p != "pretrain"], default=None,
                        help="run profile (default: gpu when CUDA is available, else cpu)")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument("--skip-tag", action="append", default=[], dest="skip_tags",
                        help="leave out cells with this tag, e.g. needs-hub offline (repeatable)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may run")
    parser.add_argument("--tables-only", action="store_true",
                        help="run nothing: rewrite the tables, chart (and README) from <profile>.json")
    parser.add_argument("--fresh", action="store_true",
                        help="do not keep the notebooks of an earlier report that this run skips")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the tables into README.md between the profile's markers")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="a dry run: cap every loop at this many batches, keep every size "
                             "(results/<profile>-dryrun.*: memory and T4 time estimates)")
    parser.add_argument("--update-quotes", action="store_true",
                        help="rewrite every number the README and the notebooks quote from "
                             "results/*.json (the <!-- cpu: NOTEBOOK/METRIC --> markers)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    profile = args.profile or default_profile()
    named = report_profile(profile, args.max_steps)
    if args.tables_only:
        report = read_report(args.output_dir / f"{named}.json")
    else:
        notebooks = select_notebooks(args.notebooks)
        print(f"reproducing {len(notebooks)} notebook(s) under the {named} profile", flush=True)
        report = reproduce(profile, notebooks, args.output_dir, args.skip_tags, args.timeout,
                           args.max_steps)
        if not args.fresh:
            report = merge_into_previous(report, args.output_dir / f"{named}.json")
    for path in write_reports(report, args.output_dir):
        print(f"wrote {path}")
    if args.update_readme:
        update_readme(README, named, readme_block(report))
        print(f"updated the {named} table in {README}")
    if args.update_quotes:
        try:
            changes = update_quotes(Results(args.output_dir))
        except QuoteError as error:
            raise SystemExit(f"no quoted number rewritten: {error}") from None
        print("\n".join(["rewrote quoted numbers:", *changes]) if changes else "every quoted number agrees")
    missing = [] if is_dry_run(report) else missing_headlines(report)
    if missing:
        print(f"warning: headline metrics not recorded: {', '.join(missing)}", file=sys.stderr)
    failed = [name for name, run in report["notebooks"].items() if run["status"] != "ok"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0
