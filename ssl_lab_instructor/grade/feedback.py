"""The feedback students get: each test cell's result and message, never its hidden tests.

``nbgrader generate_feedback`` renders the autograded notebook, whose test cells hold their
hidden tests again (nbgrader puts them back to grade, and shows them on purpose: its issues
917 and 1363), while ``make release`` refuses to ship a single hidden-test line. Configured
in ``nbgrader_config.py`` before the HTML export, :class:`HideHiddenTests` removes every
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block from the sources (a comment
line says where one was) and every line of them from the outputs (a traceback quotes the
line that failed). What stays: the visible checks, what the cell printed, the error's name
and message (``TestFailed: hidden test failed: ...``) and the points.
"""

from __future__ import annotations

import re

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

PLACEHOLDER = "# (hidden tests: run by the grader, not shown)"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython's traceback shows source lines as "---> 12     assert ..." or "     11 x = f()"
TRACEBACK_LINE = re.compile(r"^\s*(?:-*>)?\s*\d+\s")
TEXT_TYPES = ("text/plain", "text/markdown", "text/latex")


def _normal(line: str) -> str:
    """A line as compared: no terminal colours, no traceback line number, no outer spaces."""
    plain = ANSI.sub("", line)
    return TRACEBACK_LINE.sub("", plain, count=1).strip() if TRACEBACK_LINE.match(plain) else plain.strip()


class HideHiddenTests(NbGraderPreprocessor):
    """Remove the hidden tests from a graded notebook's sources and outputs (for feedback)."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS", help="As ClearHiddenTests.begin_test_delimeter").tag(
        config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS", help="As ClearHiddenTests.end_test_delimeter").tag(config=True)

    def split(self, source: str) -> tuple[str, list[str]]:
        """The source with each hidden block replaced by :data:`PLACEHOLDER`, and the block lines.

        Never raises, whatever a student wrote: an unclosed block hides the rest of the cell.
        """
        kept, hidden, inside = [], [], False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                if not inside:
                    kept.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
                inside = True
            elif self.end_test_delimeter in line and inside:
                inside = False
            elif inside:
                hidden.append(line)
            else:
                kept.append(line)
        return "\n".join(kept), hidden

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        hidden: set[str] = set()
        for cell in nb.cells:
            cell.source, lines = self.split(cell.source)
            hidden.update(n for line in lines if (n := _normal(line)))
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                _scrub_output(output, hidden)
        return nb, resources


def _scrub(text: str, hidden: set[str]) -> str:
    """``text`` without its lines that are lines of the hidden tests."""
    return "\n".join(line for line in text.split("\n") if not (_normal(line) and _normal(line) in hidden))


def _scrub_output(output: NotebookNode, hidden: set[str]) -> None:
    if not hidden:
        return
    kind = output.get("output_type")
    if kind == "stream":
        output["text"] = _scrub(str(output.get("text", "")), hidden)
    elif kind == "error":
        output["evalue"] = _scrub(str(output.get("evalue", "")), hidden)
        output["traceback"] = [_scrub(str(entry), hidden) for entry in output.get("traceback", [])]
    elif kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        for mime in TEXT_TYPES:
            if isinstance(data.get(mime), str):
                data[mime] = _scrub(data[mime], hidden)
