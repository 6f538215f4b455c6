"""Open the labs in JupyterLab (`python -m ssl_lab labs`, `make labs`), as any user.

    python -m scripts.labs [JupyterLab options, e.g. --port 8890 --no-browser]

JupyterLab refuses to start as root ("Running as root is not recommended") unless told
--allow-root; containers and CI images often run as root, so the flag is added there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(extra: list[str]) -> list[str]:
    """The JupyterLab command line for this user, serving notebooks/."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [sys.executable, "-m", "jupyterlab", str(ROOT / "notebooks"), *as_root, *extra]


def main(extra: list[str]) -> None:
    argv = command(extra)
    if os.name == "nt":  # Windows has no exec: its os.execv starts a second, detached process
        import subprocess

        sys.exit(subprocess.call(argv))
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
