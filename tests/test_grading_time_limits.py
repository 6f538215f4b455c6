"""The notebook's time in all is enforced cell by cell on every grading path: cells graded
before it runs out keep their verdicts, the cell it runs out in is interrupted with a message
that names the notebook's limit, and the cells after it are not run.

The kernel is a stand-in on a fake clock: what is tested is the grader's bookkeeping, which
``tests/test_sandboxed_grading.py`` exercises with real kernels for the cell limit."""

from __future__ import annotations

import re
from types import SimpleNamespace

import nbformat
import pytest

from ssl_lab_instructor.grade import execution
from ssl_lab_instructor.grade.limits import Limits

COST = re.compile(r"# costs ([\d.]+) s")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _runner(monkeypatch, costs: list[float], graded: dict[int, str], cell_s: int, notebook_s: int):
    """A Runner over code cells costing ``costs`` seconds each, on a fake clock and kernel."""
    clock = FakeClock()
    monkeypatch.setattr(execution.time, "monotonic", clock)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = 1  # costs {cost} s")
                                               for cost in costs])
    runner = execution.Runner.__new__(execution.Runner)
    runner.notebook = notebook
    runner.limits = Limits(cell_timeout_s=cell_s, submission_timeout_s=notebook_s)
    runner.job = SimpleNamespace(graded={str(index): grade_id for index, grade_id in graded.items()})
    runner.result = execution.Result()
    runner.client = SimpleNamespace(timed_out=False, replies={}, timeout=cell_s, error_on_timeout={})
    runner.given_timeouts, runner.judged = [], []

    def execute(cell, index, probe=False, **kwargs):
        runner.given_timeouts.append(runner.client.timeout)
        cost = float(COST.search(cell.source).group(1))
        clock.now += min(cost, runner.client.timeout)
        if cost > runner.client.timeout:  # interrupted; the kernel answers the interrupt
            runner.client.timed_out = True
            cell.outputs = [nbformat.v4.new_output("error", **runner.client.error_on_timeout)]

    monkeypatch.setattr(runner, "_execute", execute)
    monkeypatch.setattr(runner, "_responsive", lambda index: True)
    monkeypatch.setattr(runner, "_kill", lambda: None)
    monkeypatch.setattr(runner, "_judge", lambda run, cell, index, grade_id: runner.judged.append(grade_id))
    return runner


def test_the_cell_the_notebook_time_runs_out_in_is_cut_short_and_later_cells_do_not_run(monkeypatch):
    runner = _runner(monkeypatch, costs=[10, 20, 500, 5, 5], graded={1: "ex1", 4: "ex2"},
                     cell_s=300, notebook_s=100)
    runner._run_each_cell()
    assert runner.given_timeouts == [100, 90, 70], "each cell gets only what is left of 100 s"
    assert runner.judged == ["ex1"], "the exercise graded before the time ran out keeps its verdict"
    interrupted = runner.notebook.cells[2].outputs[0]
    assert interrupted.ename == "CellTimeoutError" and "notebook's 100 s in all" in interrupted.evalue
    assert runner.result.stopped.startswith("the notebook ran longer than 100 s in all")
    assert "cell 4" in runner.result.stopped, "it says where grading stopped"
    runner._fail_unrun()
    assert runner.result.cells["ex2"]["passed"] is False, "a cell after the time ran out scores nothing"
    assert "in all" in runner.result.cells["ex2"]["reason"]


def test_a_cell_over_the_cell_limit_gets_the_cell_limits_message(monkeypatch):
    runner = _runner(monkeypatch, costs=[500, 5], graded={1: "ex1"}, cell_s=30, notebook_s=1000)
    runner._run_each_cell()
    assert runner.given_timeouts == [30, 30]
    assert runner.notebook.cells[0].outputs[0].evalue == "the cell ran longer than 30 s"
    assert runner.judged == ["ex1"] and runner.result.stopped is None


@pytest.mark.parametrize("first_cost", [100, 99.5])
def test_no_cell_starts_once_the_notebook_time_is_spent(monkeypatch, first_cost):
    runner = _runner(monkeypatch, costs=[first_cost, 5], graded={1: "ex1"}, cell_s=300, notebook_s=100)
    runner._run_each_cell()
    assert runner.given_timeouts == [100] and runner.judged == []
    assert runner.result.cells["ex1"]["passed"] is False
