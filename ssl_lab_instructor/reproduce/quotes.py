"""Measured numbers quoted in prose, marked with the result they quote.

A number that the README or a notebook's markdown quotes from a measurement carries an HTML
comment right before it, invisible when rendered, naming where the number comes from:

    rotation reaches <!-- cpu: 02_pretext_tasks/probe_rotation in % -->51.4 % ...
    <!-- cpu: 02_pretext_tasks/probe_rotation - 02_pretext_tasks/probe_random_init in pp -->+5.2 pp
    | 05 | ... | <!-- smoke: 05_time_series/wall_seconds in s -->8 s | <!-- cpu: 05_time_series/wall_seconds in s -->61 s |
    **<!-- augment-cpu: batched_views_per_second -->37,052 views/s**

``<!-- SOURCE: EXPRESSION [in UNIT] -->NUMBER``:

* ``SOURCE`` is a results file, ``results/<SOURCE>.json``: a profile (``smoke``, ``cpu``,
  ``gpu``) written by ``python -m ssl_lab_instructor.reproduce``, or a benchmark's
  (``augment-cpu``, ``fixres-cpu``, ``step-cpu``) written by
  ``python -m ssl_lab_instructor.benchmarks.<name>``.
* ``EXPRESSION`` names numbers of that file: ``NOTEBOOK/NAME`` is a metric the notebook
  recorded (``lab_utils.record``) or a number of its run (``wall_seconds``, ``peak_rss_mb``,
  ``gpu_peak_mb``); a bare ``NAME`` is a top-level number (``total_seconds``, a benchmark's
  figures). They combine with ``+ - * /``, parentheses and ``min(...)``/``max(...)``, e.g.
  the largest gain over a baseline: ``max(a/x, a/y) - a/base``.
* ``UNIT`` scales the value to what the text shows: ``%`` and ``pp`` (a fraction times 100),
  ``s`` (seconds), ``min`` (seconds / 60), ``GiB`` (MiB / 1024); without it, the value as
  stored (ratios, counts, fractions such as ``0.99``).
* ``NUMBER`` follows the comment without a space. It agrees with the results when it equals
  the value rounded to as many decimals as it shows, so the text chooses its precision
  (``6 min`` and ``5.8 min`` both quote 349 s). A leading ``+`` and thousands separators
  are kept when the number is rewritten.

``<!-- published -->NUMBER`` marks a figure of a paper or of the seed material, and
``<!-- not measured -->NUMBER`` a target, a limit or a setting that reads like a result, so
that neither is mistaken for an unmarked measurement.

``python -m ssl_lab_instructor.reproduce --tables-only --update-quotes`` rewrites every marked number of
the README and of the notebooks (``solutions/`` and ``notebooks/``) from the results files;
``tests/test_quotes.py`` checks them and looks for numbers that read as measurements (a
percentage with decimals, ``+N pp``, a duration in the README, views/s) but carry no marker.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .paths import README, RESULTS, ROOT, SOLUTIONS

STUDENT_NOTEBOOKS = ROOT / "notebooks"

# Benchmarks whose results files (``results/<name>-<device>.json``) prose may quote.
BENCHMARKS = ("augment", "fixres", "step", "mae_finetune")

UNITS: dict[str | None, Callable[[float], float]] = {
    None: lambda value: value,
    "%": lambda value: 100 * value,
    "pp": lambda value: 100 * value,
    "s": lambda value: value,
    "min": lambda value: value / 60,
    "GiB": lambda value: value / 1024,
}
NUMBER = r"[+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_QUOTE = re.compile(r"(?P<source>[A-Za-z][\w.-]*):\s*(?P<expression>.+?)(?:\s+in\s+(?P<unit>\S+))?", re.S)
# Generated blocks (`<!-- results:cpu:start -->`, `<!-- checkpoints:start -->`): not quotes.
_RESULTS_BLOCK = re.compile(r"(?:results:)?[\w-]+:(?:start|end)")
_NUMBER = re.compile(NUMBER)
EXEMPT = ("published", "not measured")  # markers of numbers that quote no results file
_INLINE_OR_FENCED = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_CODE = re.compile(r"```.*?```|`[^`\n]*`|<!-- ((?:results:)?[\w-]+):start -->.*?<!-- \1:end -->", re.S)

# Numbers that read as measured results; each must be marked (or be on a test's known list).
MEASURED_LOOKING = {
    "percentage with decimals": r"(?<![\w.])\d+\.\d+(?:\s?±\s?\d+(?:\.\d+)?)?\s?%",
    "difference in points": r"(?<![\w.])[+\-−]\d+(?:\.\d+)?\s?pp\b",
    "throughput": r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?views/s",
    "speed-up": r"(?<![\w.])\d+\.\d+\s?(?:times|x|×)(?!\w)",
}
# In the README also durations (the course map's time columns, the results prose).
README_MEASURED_LOOKING = {**MEASURED_LOOKING, "duration": r"(?<![\w.])\d+(?:\.\d+)?\s?(?:s|min)\b"}


class QuoteError(ValueError):
    """A marker that cannot be read or resolved against its results file."""


@dataclass(frozen=True)
class Quote:
    """One marked number of a text: what it quotes, and where it sits."""

    source: str  # results file stem: "cpu" is results/cpu.json
    expression: str
    unit: str | None
    number: str  # the quoted text, e.g. "+5.2"
    marker_start: int  # offsets in the text: the comment starts here ...
    number_start: int  # ... and the number spans [number_start, end)
    end: int

    @property
    def marker(self) -> str:
        unit = f" in {self.unit}" if self.unit else ""
        return f"<!-- {self.source}: {self.expression}{unit} -->"


# --------------------------------------------------------------------------- reading markers


def find_quotes(text: str) -> tuple[list[Quote], list[tuple[int, str]]]:
    """Every quote marker of ``text``, and (offset, message) for every malformed one."""
    quotes, problems = [], []
    code = _code_spans(text)
    for comment in _COMMENT.finditer(text):
        content = comment.group(1).strip()
        match = _QUOTE.fullmatch(content)
        if match is None or _RESULTS_BLOCK.fullmatch(content) or _inside(comment.start(), code):
            continue
        number = _NUMBER.match(text, comment.end())
        if number is None:
            problems.append((comment.start(), f"{comment.group(0)} is not followed by a number "
                                              "(write the number right after the comment, no space)"))
            continue
        unit = match["unit"]
        if unit not in UNITS:
            problems.append((comment.start(), f"{comment.group(0)}: unknown unit {unit!r}; "
                                              f"use one of {', '.join(u for u in UNITS if u)} or none"))
            continue
        quotes.append(Quote(match["source"], match["expression"].strip(), unit, number.group(0),
                            comment.start(), number.start(), number.end()))
    return quotes, problems


def _code_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _INLINE_OR_FENCED.finditer(text)]


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)


def _exempt(text: str) -> list[tuple[int, int, int]]:
    """(marker start, number start, number end) of every number marked as not measured here."""
    spans, code = [], _code_spans(text)
    for comment in _COMMENT.finditer(text):
        number = _NUMBER.match(text, comment.end())
        if comment.group(1).strip() in EXEMPT and number is not None and not _inside(comment.start(), code):
            spans.append((comment.start(), *number.span()))
    return spans


# --------------------------------------------------------------------------- resolving them


class Results:
    """The results files of a folder, each read once: ``results/<source>.json``."""

    def __init__(self, folder: Path = RESULTS) -> None:
        self.folder = folder
        self._cache: dict[str, dict] = {}

    def report(self, source: str) -> dict:
        if source not in self._cache:
            path = self.folder / f"{source}.json"
            if not path.exists():
                benchmark = source.split("-")[0]
                how = (f"python -m ssl_lab_instructor.benchmarks.{benchmark}" if benchmark in BENCHMARKS
                       else f"python -m ssl_lab_instructor.reproduce --profile {source}")
                raise QuoteError(f"{_shown(path)} does not exist: make it with {how}")
            self._cache[source] = json.loads(path.read_text())
        return self._cache[source]

    def value(self, quote: Quote) -> float:
        """The quoted value in the text's unit (a percentage for ``in %``)."""
        return UNITS[quote.unit](evaluate(quote.expression, self.report(quote.source), quote.source))


_REFERENCE = re.compile(r"[\w.]+/[\w.]+|(?<![\w.])[A-Za-z_]\w*")
_FUNCTIONS = {"min": min, "max": max}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv}


def evaluate(expression: str, report: dict, source: str = "results") -> float:
    """The value of a marker's expression over one results file (see the module docstring)."""
    values: dict[str, float] = {}

    def substitute(reference: re.Match) -> str:
        if reference.group(0) in _FUNCTIONS:
            return reference.group(0)
        name = f"_v{len(values)}"
        values[name] = lookup(report, reference.group(0), source)
        return name

    try:
        tree = ast.parse(_REFERENCE.sub(substitute, expression), mode="eval")
    except SyntaxError as error:
        raise QuoteError(f"cannot read the expression {expression!r}: {error.msg}") from None
    return float(_evaluate(tree.body, values, expression))


def _evaluate(node: ast.AST, values: dict[str, float], expression: str) -> float:
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left, values, expression),
                                         _evaluate(node.right, values, expression))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, values, expression)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and node.args and not node.keywords):
        return _FUNCTIONS[node.func.id](_evaluate(arg, values, expression) for arg in node.args)
    raise QuoteError(f"the expression {expression!r} may use only names, numbers, + - * /, "
                     "parentheses, min() and max()")


def lookup(report: dict, reference: str, source: str = "results") -> float:
    """``NOTEBOOK/NAME`` (a recorded metric or a number of the run) or a top-level ``NAME``."""
    if "/" not in reference:
        value = report.get(reference)
        if not _is_number(value):
            numbers = [key for key, item in report.items() if _is_number(item)]
            raise QuoteError(f"results/{source}.json has no number {reference!r} at the top "
                             f"level (it has: {', '.join(numbers) or 'none'})")
        return float(value)
    notebook, name = reference.split("/", 1)
    run = report.get("notebooks", {}).get(notebook)
    if run is None:
        raise QuoteError(f"results/{source}.json has no notebook {notebook!r} "
                         f"(it has: {', '.join(report.get('notebooks', {})) or 'none'})")
    value = run["metrics"].get(name, run.get(name))
    if not _is_number(value):
        raise QuoteError(f"{notebook} in results/{source}.json recorded no metric {name!r} "
                         f"(run numbers: wall_seconds, peak_rss_mb, gpu_peak_mb)")
    return float(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --------------------------------------------------------------------------- comparing, rewriting


def parse_number(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def agrees(text: str, value: float) -> bool:
    """Whether ``text`` is ``value`` rounded to the decimals ``text`` shows (ties either way)."""
    half_step = 0.5 * 10 ** -decimals(text)
    return abs(parse_number(text) - value) <= half_step * (1 + 1e-9) + 1e-12


def format_like(text: str, value: float) -> str:
    """``value`` written as ``text`` is: same decimals, sign style and thousands separators."""
    sign = "+" if text.startswith("+") else ""
    grouping = "," if "," in text else ""
    written = f"{value:{sign}{grouping}.{decimals(text)}f}"
    if parse_number(written) == 0:  # no "-0.0" or "+0"
        written = written.lstrip("+-")
    return written.replace("-", "−") if text.startswith("−") else written


def rewrite(text: str, results: Results) -> tuple[str, list[str]]:
    """``text`` with every marked number that disagrees with its results rewritten.

    Returns the new text and one line per change. A marker that cannot be resolved raises
    :class:`QuoteError` (nothing is half-rewritten).
    """
    quotes, problems = find_quotes(text)
    if problems:
        raise QuoteError("; ".join(message for _, message in problems))
    pieces, changes, position = [], [], 0
    for quote in quotes:
        value = results.value(quote)
        if agrees(quote.number, value):
            continue
        new = format_like(quote.number, value)
        pieces += [text[position:quote.number_start], new]
        position = quote.end
        changes.append(f"{quote.marker}{quote.number} -> {new}")
    return "".join(pieces) + text[position:], changes


# --------------------------------------------------------------------------- unmarked numbers


def unmarked_numbers(text: str, patterns: dict[str, str]) -> list[str]:
    """The measured-looking numbers of ``text`` (prose only) that carry no marker."""
    plain, marked = _without_markers(text)
    prose = mask_code(plain)
    found = []
    for pattern in patterns.values():
        for hit in re.finditer(pattern, prose):
            digits = [m.start() + hit.start() for m in re.finditer(r"\d", hit.group(0))]
            if not all(position in marked for position in digits):
                found.append(hit.group(0))
    return found


def suggest_markers(hit: str, results: Results, sources: Sequence[str]) -> list[str]:
    """Markers whose value agrees with the first number of an unmarked ``hit`` (at most 3)."""
    number = _NUMBER.search(hit).group(0)
    unit = "%" if "%" in hit else "pp" if "pp" in hit else None
    found = []
    for source in sources:
        for notebook, run in results.report(source).get("notebooks", {}).items():
            for name, value in run["metrics"].items():
                if agrees(number, UNITS[unit](value)):
                    found.append(f"<!-- {source}: {notebook}/{name}{f' in {unit}' if unit else ''} -->")
    return found[:3]


def _without_markers(text: str) -> tuple[str, set[int]]:
    """``text`` without quote and exempt markers, and the offsets of the marked numbers."""
    quotes, _ = find_quotes(text)
    spans = [(q.marker_start, q.number_start, q.end) for q in quotes]
    spans += _exempt(text)
    pieces, marked, position, removed = [], set(), 0, 0
    for marker_start, number_start, end in sorted(spans):
        pieces.append(text[position:marker_start])
        removed += number_start - marker_start
        marked.update(range(number_start - removed, end - removed))
        position = number_start
    return "".join(pieces) + text[position:], marked




def mask_code(text: str) -> str:
    """``text`` with code and generated result blocks blanked out (offsets unchanged)."""
    return _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


# --------------------------------------------------------------------------- the course's texts


@dataclass(frozen=True)
class Text:
    """A piece of prose: the README, or one markdown cell of a notebook."""

    path: Path
    cell: str | None
    source: str

    def where(self, offset: int = 0) -> str:
        line = self.source.count("\n", 0, offset) + 1
        cell = f" cell {self.cell}" if self.cell else ""
        return f"{_shown(self.path)}{cell} line {line}"

    @property
    def key(self) -> tuple[str, str | None]:
        return str(_shown(self.path)), self.cell


def course_texts(readme: Path = README, notebook_dirs: Sequence[Path] = (SOLUTIONS,)) -> Iterator[Text]:
    """The README and every markdown cell of the notebooks in ``notebook_dirs/<assignment>/``."""
    yield Text(readme, None, readme.read_text())
    for folder in notebook_dirs:
        for path in sorted(folder.glob("*/*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "markdown":
                    yield Text(path, cell.get("id"), cell.source)


def check_quotes(texts: Iterable[Text], results: Results) -> list[str]:
    """One line per marked number that disagrees with its results or cannot be resolved."""
    failures = []
    for text in texts:
        quotes, problems = find_quotes(text.source)
        failures += [f"{text.where(offset)}: {message}" for offset, message in problems]
        for quote in quotes:
            try:
                value = results.value(quote)
            except QuoteError as error:
                failures.append(f"{text.where(quote.marker_start)}: {quote.marker}: {error}")
                continue
            if not agrees(quote.number, value):
                failures.append(f"{text.where(quote.marker_start)}: {quote.marker}{quote.number} "
                                f"quotes {quote.number}, results/{quote.source}.json gives "
                                f"{format_like(quote.number, value)} ({value:.6g})")
    return failures


def update_quotes(results: Results, readme: Path = README,
                  notebook_dirs: Sequence[Path] = (SOLUTIONS, STUDENT_NOTEBOOKS)) -> list[str]:
    """Rewrite every marked number of the README and the notebooks; one line per change.

    The student notebooks are rewritten with the solutions, so they stay what nbgrader
    generates from them. Every marker is resolved before any file is written, so an unknown
    metric changes nothing.
    """
    rewritten: dict[Path, object] = {}
    changes: list[str] = []
    new_readme, readme_changes = rewrite(readme.read_text(), results)
    if readme_changes:
        rewritten[readme] = new_readme
        changes += [f"{_shown(readme)}: {change}" for change in readme_changes]
    for folder in notebook_dirs:
        for path in sorted(folder.glob("*/*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type != "markdown":
                    continue
                cell.source, cell_changes = rewrite(cell.source, results)
                changes += [f"{_shown(path)} cell {cell.get('id')}: {change}" for change in cell_changes]
                if cell_changes:
                    rewritten[path] = notebook
    for path, content in rewritten.items():
        if isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(content, path)
    return changes


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
