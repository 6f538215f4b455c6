"""Hidden tests judged in trusted code: what runs in the sandbox, and what runs in the grader.

Every autograded test cell's hidden part defines ``hidden_outputs()`` (run with the
student's definitions) and ``hidden_check(out)`` (run on plain data); see
:mod:`lab_utils.checks.hidden`. For one submitted notebook:

- :func:`sandbox_program` gathers what a fresh process needs to call the student's
  definitions: the top-level statements of the notebook (its given cells and the student's
  answers) that bind a name the hidden tests read, transitively, in notebook order. Nothing
  else of the notebook runs: no training, no plotting, no visible checks;
- :mod:`.evaluate` runs that program in the sandbox and writes one line of plain data per test;
- :class:`Judge` runs each ``hidden_check`` in the grader on that data, with the statements
  of the *release* notebook's given cells only: the student's code never runs there.
"""

from __future__ import annotations

import ast
import json
import symtable
from dataclasses import dataclass

import nbformat

from .pysource import assigned_names, parse_cell

BEGIN = "### BEGIN HIDDEN TESTS"
END = "### END HIDDEN TESTS"
OUTPUTS, CHECK = "hidden_outputs", "hidden_check"


class HiddenTestError(ValueError):
    """A test cell's hidden part is not written as the grader needs it (an instructor's error)."""


def _blocks(source: str) -> tuple[list[str], str]:
    """The hidden parts of a cell (between the markers), and the cell without them."""
    blocks, visible, rest = [], [], source
    while (start := rest.find(BEGIN)) >= 0 and (end := rest.find(END, start + len(BEGIN))) >= 0:
        visible.append(rest[:start])
        blocks.append(rest[start + len(BEGIN):end])
        rest = rest[end + len(END):]
    return blocks, "".join(visible) + rest


def hidden_block(source: str) -> str | None:
    """The text between the hidden-test markers (every such part, in order), or None."""
    blocks, _ = _blocks(source)
    return "\n".join(blocks) if blocks else None


def visible_part(source: str) -> str:
    """The cell without its hidden parts: what the student's kernel runs for feedback."""
    return _blocks(source)[1]


def definitions(grade_id: str, source: str) -> str:
    """The hidden part's definitions (its top-level calls left out); checks its two functions."""
    block = hidden_block(source)
    if block is None:
        raise HiddenTestError(f"the test cell {grade_id} has no {BEGIN} ... {END} block: every autograded "
                              f"test needs {OUTPUTS}() and {CHECK}(out) there (see lab_utils.checks.hidden)")
    try:
        tree = ast.parse(block)
    except SyntaxError as error:
        raise HiddenTestError(f"the hidden tests of {grade_id} do not parse: {error}") from error
    kept = [node for node in tree.body if not isinstance(node, ast.Expr)]
    functions = {node.name for node in kept if isinstance(node, ast.FunctionDef)}
    if not {OUTPUTS, CHECK} <= functions:
        raise HiddenTestError(f"the hidden tests of {grade_id} must define {OUTPUTS}() and {CHECK}(out); "
                              f"they define {sorted(functions) or 'no function'}")
    return "\n".join(ast.unparse(node) for node in kept)


def _bound(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds (``*`` for a star import)."""
    if isinstance(node, ast.Import):
        return {alias.asname or alias.name.split(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom):
        return {alias.asname or alias.name for alias in node.names}
    return assigned_names(ast.Module(body=[node], type_ignores=[]))


def global_reads(source: str) -> set[str]:
    """The global names ``source`` reads, at top level or inside its functions and classes.

    A function's own parameters and locals are not global reads: a helper's local ``model``
    must not pull the notebook's ``model = train(...)`` into the hidden tests' program.
    """
    found: set[str] = set()
    stack = [symtable.symtable(source, "<cell>", "exec")]
    while stack:
        table = stack.pop()
        module = table.get_type() == "module"
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (module or symbol.is_global()):
                found.add(symbol.get_name())
        stack.extend(table.get_children())
    return found


def needed_statements(sources: list[str], roots: set[str]) -> list[str]:
    """The top-level statements of ``sources`` that bind what ``roots`` need, transitively.

    Imports, definitions and assignments are kept when they bind a needed name; what they
    read is needed in turn. Calls made for their effect (training, plotting) never are.
    """
    statements = [node for source in sources if (tree := parse_cell(source)) is not None for node in tree.body
                  if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    binders: dict[str, list[int]] = {}
    for index, node in enumerate(statements):
        for name in _bound(node):
            binders.setdefault(name, []).append(index)
    keep = set(binders.get("*", []))
    needed, queue = set(roots), list(roots)
    while queue:
        for index in binders.get(queue.pop(), []):
            if index in keep:
                continue
            keep.add(index)
            for name in global_reads(ast.unparse(statements[index])) - needed:
                needed.add(name)
                queue.append(name)
    return [ast.unparse(statements[index]) for index in sorted(keep)]


def _reads(source: str, leave_out: str | None = None) -> set[str]:
    """What a hidden block reads from the notebook (the names it defines itself left out)."""
    tree = ast.parse(source)
    body = [node for node in tree.body if not (isinstance(node, ast.FunctionDef) and node.name == leave_out)]
    own = set().union(*(_bound(node) for node in tree.body)) if tree.body else set()
    return global_reads(ast.unparse(ast.Module(body=body, type_ignores=[]))) - own


def _is_test(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("grade"))


def sandbox_program(notebook: nbformat.NotebookNode, tests: dict[str, str]) -> dict:
    """What the fresh sandboxed process runs: the notebook's needed statements, then each test.

    ``notebook`` is the sanitised submission (its test cells are the trusted ones, left out
    here); ``tests`` maps grade ids to :func:`definitions`.
    """
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code" and not _is_test(cell)]
    roots = set().union(*(_reads(source) for source in tests.values())) if tests else set()
    return {"context": needed_statements(sources, roots),
            "tests": [{"id": grade_id, "source": source} for grade_id, source in tests.items()]}


def trusted_context(release: nbformat.NotebookNode | None, tests: dict[str, str]) -> list[str]:
    """The release's given statements the checks need (imports, constants, given classes)."""
    if release is None:
        return []
    sources = [cell.source for cell in release.cells if cell.cell_type == "code" and not _is_test(cell)
               and not cell.metadata.get("nbgrader", {}).get("solution")]
    roots = set().union(*(_reads(source, leave_out=OUTPUTS) for source in tests.values())) if tests else set()
    return needed_statements(sources, roots)


@dataclass
class Verdict:
    passed: bool
    reason: str | None = None


class Judge:
    """Runs the hidden checks in the grader's own process, on plain data only."""

    def __init__(self, context: list[str], tests: dict[str, str]) -> None:
        self.tests = tests
        self.base: dict = {"__name__": "hidden_tests"}
        for statement in context:  # trusted code: a failure is the grading machine's
            exec(compile(statement, "<release notebook>", "exec"), self.base)  # noqa: S102

    def judge(self, grade_id: str, data) -> Verdict:
        namespace = dict(self.base)
        exec(compile(self.tests[grade_id], f"<hidden tests of {grade_id}>", "exec"), namespace)  # noqa: S102
        try:
            namespace[CHECK](data)
        except AssertionError as error:
            return Verdict(False, f"hidden test failed: {error}" if str(error) else "hidden test failed")
        except Exception as error:  # wrong shapes, types or keys: the answer's data, not the grader
            return Verdict(False, f"hidden test failed: {type(error).__name__}: {error}")
        return Verdict(True)


def parse_records(text: str, expected: list[str], max_bytes: int) -> dict[str, object]:
    """The evaluation's lines: ``{grade id: decoded data or an error sentence}``.

    One record per test, for a test that was asked; a second record for the same test, a
    record for another one or an unreadable line voids that test (or every test).
    """
    from lab_utils.checks.hidden import decode

    found: dict[str, object] = {}
    void: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            grade_id = record["id"]
        except (ValueError, TypeError, KeyError):
            return {gid: "the hidden tests' process wrote something that is not a result" for gid in expected}
        if grade_id not in expected:
            return {gid: "the hidden tests' process answered for a test it was not given" for gid in expected}
        if grade_id in found or grade_id in void:
            void[grade_id] = "the hidden tests' process answered this test twice"
            continue
        if set(record) == {"id", "data"} and isinstance(record["data"], str):
            try:
                found[grade_id] = DecodedData(decode(record["data"], max_bytes))
            except ValueError as error:
                void[grade_id] = f"the answer's outputs are not plain data: {error}"
        elif set(record) == {"id", "error"} and isinstance(record["error"], str):
            void[grade_id] = f"running the answer on the hidden inputs failed: {record['error'][:500]}"
        else:
            void[grade_id] = "the hidden tests' process wrote a malformed result"
    for grade_id in expected:
        if grade_id not in found and grade_id not in void:
            void[grade_id] = "the hidden tests' process gave no result for this test (it stopped before)"
    return {**found, **void}


@dataclass
class DecodedData:
    """A test's decoded plain data (so that an error sentence and data cannot be confused)."""

    value: object
