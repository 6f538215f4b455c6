"""python -m ssl_lab_instructor.release build|publish (see ssl_lab_instructor/release/__init__.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import DEFAULT_OUT, ReleaseError, build
from .config import ReleaseConfigError, load_config
from .publish import PublishError, publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ssl_lab_instructor.release", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build", help="build and check dist/student/")
    build_command.add_argument("--out", type=Path, default=DEFAULT_OUT)
    publish_command = commands.add_parser(
        "publish", help="commit dist/student/ to the student repository, tag it and push")
    publish_command.add_argument("--release", type=Path, default=DEFAULT_OUT)
    publish_command.add_argument("--remote", help="the student repository's git URL "
                                 "(default: https://github.com/<repository>.git)")
    publish_command.add_argument("--clone", type=Path, default=DEFAULT_OUT.parent / "student-repository",
                                 help="where to keep the clone of the student repository")
    publish_command.add_argument("--no-push", action="store_true",
                                 help="commit and tag in the clone, push nothing")
    publish_command.add_argument("--allow-dirty", action="store_true",
                                 help="publish although this repository has uncommitted changes")
    args = parser.parse_args(argv)
    try:
        config = load_config()
        if args.command == "build":
            out = build(args.out, config)
            print(f"built the student release {config.repository}@{config.ref} in {out}: "
                  f"{', '.join(config.assignments)}")
        else:
            print(publish(args.release, config, remote=args.remote, clone=args.clone,
                          push=not args.no_push, allow_dirty=args.allow_dirty))
    except (ReleaseConfigError, ReleaseError, PublishError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
