"""Hidden tests' outputs, computed INSIDE the sandbox in a fresh process (copied there by the grader).

``python evaluate.py program.json TIMEOUT_S``: runs the notebook statements the hidden tests
need (see :func:`ssl_lab_instructor.grade.hidden.sandbox_program`), then each test's
``hidden_outputs()``, and writes one JSON line per test on the descriptor that was stdout
when it started: ``{"id": ..., "data": ...}`` or ``{"id": ..., "error": ...}``. What the
student's code prints goes to stderr. Everything this process writes is the student's to
forge: the grader only reads plain data from it and judges it outside. Standard library
and ``lab_utils`` only.
"""

from __future__ import annotations

import json
import os
import signal
import sys


class HiddenTestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise HiddenTestTimeout("ran past its time limit")


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def main(program_path: str, timeout_s: int) -> None:
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the student's prints go to stderr, never among the results
    with open(program_path, encoding="utf-8") as file:
        program = json.load(file)
    from lab_utils.checks.hidden import encode

    namespace = {"__name__": "__main__"}
    first_error = None
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout_s)
    for statement in program["context"]:
        try:
            exec(compile(statement, "<notebook>", "exec"), namespace)  # noqa: S102
        except BaseException as error:  # noqa: BLE001 (a notebook goes on after a failed cell)
            first_error = first_error or _error(error)
    for test in program["tests"]:
        signal.alarm(timeout_s)
        try:
            exec(compile(test["source"], "<hidden tests>", "exec"), namespace)  # noqa: S102
            record = {"id": test["id"], "data": encode(namespace["hidden_outputs"]())}
        except BaseException as error:  # noqa: BLE001
            detail = _error(error)
            if first_error:
                detail += f" (the notebook's definitions had failed before: {first_error})"
            record = {"id": test["id"], "error": detail}
        finally:
            signal.alarm(0)
        results.write(json.dumps(record) + "\n")
        results.flush()
    results.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
