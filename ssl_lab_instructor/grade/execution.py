"""One submitted notebook executed: the heart of the sandboxed Execute step (:mod:`.steps`).

Trusted grader code: it starts the student's kernel in the sandbox, runs the (sanitised)
notebook cell by cell with the integrity probes around graded cells, judges the hidden
tests, and rebuilds each test cell's outputs from the verdict. It never opens the
gradebook: nbgrader's own steps score the notebook afterwards.
"""

from __future__ import annotations

import copy
import resource
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .client import CappedClient, not_run_output
from .fresh import run_fresh
from .hidden import DecodedData, Judge, parse_records, visible_part
from .integrity import ProbeCells, parse_report, tagged_line
from .kernel import KERNEL_NAME, LaunchPlan, SandboxedKernelManager, SandboxStartError
from .limits import Limits
from .sandbox import SandboxSpec
from .text import kernel_block, kernel_text

STARTUP_TIMEOUT_S = 120
RESPONSIVE_TIMEOUT_S = 10  # an interrupted kernel must answer within this


@dataclass
class Job:
    """Everything the run of one notebook needs (made by :class:`.steps.SandboxedExecute`)."""

    job_id: str
    student: str
    assignment: str
    notebook: str
    job_dir: str
    python: str
    env: dict[str, str]
    limits: dict
    limit_prefix: list[str]
    integrity: dict  # IntegritySpec fields plus "trusted_prefixes"
    graded: dict[str, str]  # cell index (as text) -> grade id
    home_files: dict[str, str]  # path under the home folder -> file to copy there
    bwrap: str | None = None
    sandbox: dict | None = None
    # the hidden tests: "program" (run in a fresh sandbox), "context" and "tests" (the judge's)
    hidden: dict = field(default_factory=dict)


@dataclass
class CellResult:
    passed: bool
    reason: str | None = None


@dataclass
class Result:
    """What the worker reports (``result.json``)."""

    status: str = "graded"  # or "error": the grading machine failed, not the submission
    error: str | None = None
    cells: dict[str, dict] = field(default_factory=dict)
    stopped: str | None = None  # why the notebook stopped before its end
    runtime_flags: list[str] = field(default_factory=list)
    truncated_output: bool = False
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this worker and its kernel (a kernel killed at the end counts in part)
    kernel_log: str = ""
    kernel_exit: int | None = None


class Runner:
    """Executes one notebook, with probes around its graded cells."""

    def __init__(self, job: Job, notebook: nbformat.NotebookNode, kernel_name: str = KERNEL_NAME) -> None:
        self.job, self.notebook = job, notebook
        self.limits = Limits(**job.limits)
        self.result = Result()
        self.probes = ProbeCells.new()
        self.tampered: list[str] = []  # once anything is found, later graded cells are void
        self.manager = SandboxedKernelManager(self._plan(), kernel_name=kernel_name)
        self.client = CappedClient(
            notebook, self.limits.output_bytes, km=self.manager, timeout=self.limits.cell_timeout_s,
            # A lost "idle" message (zmq drops the connection on an oversized message) must
            # not count as a hang: the reply came. A real hang is found by _responsive().
            interrupt_on_timeout=True, raise_on_iopub_timeout=False, iopub_timeout=10,
            error_on_timeout={"ename": "CellTimeoutError",
                              "evalue": f"the cell ran longer than {self.limits.cell_timeout_s} s",
                              "traceback": [f"CellTimeoutError: the cell ran longer than "
                                            f"{self.limits.cell_timeout_s} s and was interrupted"]},
            allow_errors=True, kernel_name=kernel_name, startup_timeout=STARTUP_TIMEOUT_S,
            # graceful: a kernel that exits is reaped, so its CPU time counts in cpu_s
            shutdown_kernel="graceful", record_timing=False)
        self.manager.shutdown_wait_time = 3.0

    def _plan(self) -> LaunchPlan:
        job = self.job
        sandbox = sandbox_spec(job.sandbox, job.python)
        return LaunchPlan(python=job.python, job_dir=Path(job.job_dir), workdir_name=job.assignment,
                          env=job.env, limit_prefix=job.limit_prefix, bwrap=job.bwrap, sandbox=sandbox,
                          message_bytes=self.limits.message_bytes)

    def run(self) -> Result:
        start = time.monotonic()
        try:
            with self.client.setup_kernel(cleanup_kc=True):
                self.client.watched = {int(index) for index in self.job.graded}
                self.client.watch_channels()
                self._install_probe()
                self._run_cells()
        except (SandboxStartError, DeadKernelError, RuntimeError, TimeoutError) as error:
            # Before the first cell nothing of the student's has run: the grading machine failed.
            self.result.status = "error"
            self.result.error = f"{type(error).__name__}: {error}"
        finally:
            self._kill()
        for index, problem in self.client.late.items():  # a test cell answered twice, or late
            grade_id = self.job.graded[str(index)]
            if self.result.cells.get(grade_id, {}).get("passed"):
                self.result.cells[grade_id] = asdict(CellResult(False, problem))
        if self.result.status == "graded":
            self._judge_hidden()
        self._fail_unrun()
        self.result.truncated_output = bool(self.client.truncated_cells)
        self._note_truncation()
        self._trusted_outputs()
        self.result.wall_s = round(time.monotonic() - start, 2)
        self.result.cpu_s = round(sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                                      for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)), 2)
        self.result.kernel_log = self.manager.log_tail
        return self.result

    def _kill(self) -> None:
        process = self.manager.process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        try:
            process.wait(timeout=30)
        except Exception:
            pass
        self.result.kernel_exit = process.returncode

    def _execute(self, cell: nbformat.NotebookNode, index: int, probe: bool = False, **kwargs) -> None:
        """Execute ``cell`` as the notebook's cell ``index``; a probe or control cell is a side run.

        nbclient stores the executed cell at ``index`` in the notebook: a side run puts the
        notebook's own cell back.
        """
        own = self.notebook.cells[index]
        self.client.uncapped, self.client.saw_idle = probe, False
        start = time.monotonic()
        try:
            self.client.execute_cell(cell, index, **kwargs)
            if cell.source.strip() and not self.client.saw_idle:  # iopub lost its connection
                self.client.reconnect_iopub()
        finally:
            self.client.uncapped = False
            self.notebook.cells[index] = own
            # the worker's log (kept with --keep) shows where the time goes
            print(f"{time.monotonic() - start:7.2f} s  cell {index + 1}{' (probe)' if probe else ''}: "
                  f"{cell.source[:60]!r}", file=sys.stderr, flush=True)

    def _install_probe(self) -> None:
        spec = self.job.integrity
        setup = nbformat.v4.new_code_cell(self.probes.setup(spec))
        self.client.timeout = STARTUP_TIMEOUT_S  # it imports torch and numpy: part of the start
        try:
            self._execute(setup, 0, probe=True, store_history=False)
        finally:
            self.client.timeout = self.limits.cell_timeout_s
        changes = self._probe_report(0)
        if changes != []:
            errors = [o for o in setup.outputs if o.output_type == "error"]
            detail = f"{errors[0].ename}: {errors[0].evalue}" if errors else str(changes)
            raise SandboxStartError(f"the integrity probe could not start in the kernel: {detail}")

    def _probe_report(self, index: int) -> list[str] | None:
        """The probe's findings; None when it does not answer, even on a fresh connection."""
        for _ in range(2):
            tag = self.probes.tag()
            cell = nbformat.v4.new_code_cell(self.probes.report(tag))
            self._execute(cell, index, probe=True, store_history=False)
            changes = parse_report(cell, tag)
            if changes is not None:
                return changes
            self.client.reconnect_iopub()
        return None

    def _run_cells(self) -> None:
        try:
            self._run_each_cell()
        except Exception as error:
            # from here on the student's code has run: whatever broke is the submission's outcome
            self.result.stopped = self.result.stopped or f"the kernel failed: {type(error).__name__}: {error}"

    def _run_each_cell(self) -> None:
        # The notebook's time in all is enforced here, on every grading path (make grade,
        # nbgrader autograde, the formgrader), so that the cells graded before it ran out keep
        # their points; make grade's worker limit is only the backstop.
        deadline = time.monotonic() + self.limits.submission_timeout_s
        for index, cell in enumerate(self.notebook.cells):
            if cell.cell_type != "code":
                continue
            where = _describe(cell, index)
            timeout_text = self._limit_cell_time(deadline - time.monotonic())
            if timeout_text is None:
                self.result.stopped = (f"the notebook ran longer than {self.limits.submission_timeout_s} s "
                                       f"in all; grading stopped before {where}")
            # a test cell runs its visible checks only: the hidden tests never enter the kernel
            run = cell
            if str(index) in self.job.graded:
                run = copy.deepcopy(cell)
                run.source = visible_part(cell.source)
            if timeout_text is not None:
                self._run_one_cell(cell, run, index, where, timeout_text)
            if self.result.stopped:
                cell.outputs.append(not_run_output(self.result.stopped))
                self.result.cells.setdefault(self.job.graded.get(str(index), ""), asdict(
                    CellResult(False, self.result.stopped)))
                self.result.cells.pop("", None)
                self._kill()
                return
            grade_id = self.job.graded.get(str(index))
            if grade_id is not None:
                self._judge(run, cell, index, grade_id)

    def _run_one_cell(self, cell: nbformat.NotebookNode, run: nbformat.NotebookNode, index: int,
                      where: str, timeout_text: str) -> None:
        """Execute ``run`` (``cell`` or its visible part); a kernel that hangs, dies or answers
        garbage sets ``result.stopped``."""
        try:
            self.client.timed_out = False
            self.client.replies.pop(index, None)
            try:
                self._execute(run, index)
            finally:
                cell.outputs = run.outputs
            if self.client.timed_out and not self._responsive(index):
                self.result.stopped = f"{where} {timeout_text} and ignored the interrupt"
        except DeadKernelError:
            self.result.stopped = f"the kernel died while running {where}"
        except CellTimeoutError:
            self.result.stopped = f"{where} {timeout_text} and ignored the interrupt"
        except Exception as error:  # malformed messages from the kernel, and the like
            self.result.stopped = (f"the kernel's answer to {where} could not be read "
                                   f"({type(error).__name__}); grading stopped there")

    def _limit_cell_time(self, remaining_s: float) -> str | None:
        """Give the next cell the cell limit, or what is left of the notebook's time if less.

        Returns how a timeout would be described ("ran longer than 300 s"), or None when the
        notebook's time is already spent.
        """
        if remaining_s < 1:
            return None
        if remaining_s >= self.limits.cell_timeout_s:
            seconds, text = self.limits.cell_timeout_s, f"ran longer than {self.limits.cell_timeout_s} s"
        else:
            seconds = int(remaining_s)
            text = (f"ran past the notebook's {self.limits.submission_timeout_s} s in all "
                    f"(it had {seconds} s left)")
        self.client.timeout = seconds
        self.client.error_on_timeout = {"ename": "CellTimeoutError", "evalue": f"the cell {text}",
                                        "traceback": [f"CellTimeoutError: the cell {text} and was interrupted"]}
        return text

    def _responsive(self, index: int) -> bool:
        """After an interrupted cell: does the kernel run a trivial cell within the grace period?"""
        check = nbformat.v4.new_code_cell("pass")
        self.client.timeout, self.client.timed_out = RESPONSIVE_TIMEOUT_S, False
        try:
            self._execute(check, index, probe=True, store_history=False)
        finally:
            self.client.timeout = self.limits.cell_timeout_s
        return not self.client.timed_out

    def _judge(self, run: nbformat.NotebookNode, cell: nbformat.NotebookNode, index: int, grade_id: str) -> None:
        """The kernel's part of a test cell's verdict: its visible checks ran without error.

        Only a reply whose status is ``"ok"``, to this cell's own request, counts; the points
        themselves come from the hidden tests (:meth:`_judge_hidden`).
        """
        if not passed(cell):
            self.result.cells[grade_id] = asdict(CellResult(False, _error_text(cell)))
            return
        if self.client.replies.get(index) != "ok":
            reply = self.client.replies.get(index)
            self.result.cells[grade_id] = asdict(CellResult(False, "the kernel did not answer this cell with "
                                                                   f"status ok (it answered {kernel_text(reply, 40)})"))
            return
        reason = self._integrity_problem(run, index, grade_id)
        if reason:
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="GradingIntegrityError", evalue=reason,
                traceback=[f"GradingIntegrityError: {reason}. This cell earns no points; "
                           "the instructor will review it."]))
            self.result.cells[grade_id] = asdict(CellResult(False, reason))
        else:
            self.result.cells[grade_id] = asdict(CellResult(True))

    def _integrity_problem(self, cell: nbformat.NotebookNode, index: int, grade_id: str) -> str | None:
        """Why a passing graded cell cannot be trusted, or None."""
        if self.tampered:
            return "an earlier cell changed what the tests rely on (see the first flagged test)"
        changes = self._probe_report(index)
        if changes is None:
            return self._tamper("the grading probe did not answer: the kernel was tampered with")
        if changes:
            shown = "; ".join(changes[:8]) + (f"; and {len(changes) - 8} more" if len(changes) > 8 else "")
            return self._tamper(f"the notebook changed what the tests rely on: {shown}", changes)
        names = self.job.integrity["standins"].get(grade_id, [])
        if names and self._control_passes(cell, index, names):
            return self._tamper(f"this test also passes when {', '.join(names)} answer nothing: "
                                "the checks were bypassed")
        return None

    def _tamper(self, reason: str, details: list[str] | None = None) -> str:
        """Record a finding; every later graded cell is void too. The summary lists every detail."""
        self.tampered.append(reason)
        self.result.runtime_flags += details or [reason]
        return reason

    def _control_passes(self, cell: nbformat.NotebookNode, index: int, names: list[str]) -> bool:
        """Run the test again with the answers replaced by stand-ins; True if it still passes."""
        arm_tag, disarm_tag = self.probes.tag(), self.probes.tag()
        arm = nbformat.v4.new_code_cell(self.probes.arm(names, arm_tag))
        self._execute(arm, index, probe=True, store_history=False)
        control = copy.deepcopy(cell)
        self._execute(control, index, store_history=False)
        disarm = nbformat.v4.new_code_cell(self.probes.disarm(disarm_tag))
        self._execute(disarm, index, probe=True, store_history=False)
        if tagged_line(arm, arm_tag) != "armed" or tagged_line(disarm, disarm_tag) != "disarmed":
            return True  # a probe that does not answer is a bypass as much as a passing control
        return passed(control)

    def _judge_hidden(self) -> None:
        """The points: every test cell the kernel passed is judged again on the hidden inputs.

        The student's definitions run in a fresh sandboxed process that returns plain data;
        each ``hidden_check`` runs here, outside the sandbox. A cell passes only if both pass.
        """
        asked = [gid for gid, cell in self.result.cells.items() if cell["passed"]]
        if not asked:
            return
        hidden = self.job.hidden
        try:
            judge = Judge(hidden["context"], hidden["tests"])
        except Exception as error:  # the release notebook's own statements: the grading machine's problem
            self.result.status = "error"
            self.result.error = f"the hidden tests' trusted setup failed: {type(error).__name__}: {error}"
            return
        program = {**hidden["program"], "tests": [t for t in hidden["program"]["tests"] if t["id"] in asked]}
        sandbox = sandbox_spec(self.job.sandbox, self.job.python)
        run = run_fresh(python=self.job.python, job_dir=Path(self.job.job_dir), assignment=self.job.assignment,
                        env=self.job.env, limit_prefix=self.job.limit_prefix, bwrap=self.job.bwrap,
                        sandbox=sandbox, program=program, test_timeout_s=self.limits.cell_timeout_s,
                        max_bytes=self.limits.message_bytes)
        print(f"{run.wall_s:7.2f} s  hidden tests of {len(asked)} cells", file=sys.stderr, flush=True)
        self.result.kernel_log += "\n[hidden tests]\n" + run.log
        records = parse_records(run.output, asked, self.limits.message_bytes)
        for grade_id in asked:
            record = records[grade_id]
            if run.too_large:
                reason = f"the hidden tests' outputs were larger than {self.limits.message_bytes} bytes"
            elif isinstance(record, DecodedData):
                verdict = judge.judge(grade_id, record.value)
                if verdict.passed:
                    continue
                reason = verdict.reason
            else:
                reason = record + (" (the hidden tests ran out of time)" if run.timed_out else "")
            self.result.cells[grade_id] = asdict(CellResult(False, kernel_text(reason)))

    def _trusted_outputs(self) -> None:
        """Each test cell's outputs, rebuilt: the kernel's as plain text, then the grader's verdict.

        nbgrader scores a test cell by its outputs (an error or a stderr line: zero; an
        ``execute_result``: partial credit). Here nothing the kernel sent can be read as a
        score: its outputs become one stdout text, and only a failed verdict adds an error.
        """
        for index_text, grade_id in self.job.graded.items():
            cell = self.notebook.cells[int(index_text)]
            verdict = self.result.cells.get(grade_id, {"passed": False, "reason": "not run"})
            text = "".join(_output_text(output) for output in cell.get("outputs", []))
            outputs = [nbformat.v4.new_output("stream", name="stdout", text=kernel_block(text))] if text else []
            if not verdict["passed"]:
                reason = kernel_text(verdict["reason"] or "failed")
                outputs.append(nbformat.v4.new_output("error", ename="TestFailed", evalue=reason,
                                                      traceback=[f"TestFailed: {reason}"]))
            cell.outputs = outputs

    def _fail_unrun(self) -> None:
        """Graded cells that never got a verdict fail, with the reason the notebook stopped."""
        reason = self.result.stopped or "the notebook stopped before this cell"
        for index_text, grade_id in self.job.graded.items():
            if grade_id in self.result.cells:
                continue
            cell = self.notebook.cells[int(index_text)]
            if not any(o.get("ename") == "NotGraded" for o in cell.get("outputs", [])):
                cell.outputs = [*cell.get("outputs", []), not_run_output(f"not run: {reason}")]
            self.result.cells[grade_id] = asdict(CellResult(False, f"not run: {reason}"))

    def _note_truncation(self) -> None:
        for index in sorted(self.client.truncated_cells):
            self.notebook.cells[index].outputs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"[grading: output cut; the notebook printed more than "
                     f"{self.limits.output_bytes // 1024**2} MiB]\n"))


def _describe(cell: nbformat.NotebookNode, index: int) -> str:
    """``cell 12 (`def softmax_cross_entropy(...`)``: how a student finds the cell."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    label = f"cell {index + 1}" + (f", {grade_id}" if grade_id else "")
    return f"{label} (`{first[:50]}{'...' if len(first) > 50 else ''}`)"


def passed(cell: nbformat.NotebookNode) -> bool:
    """nbgrader's rule for an autograded code cell: no error output."""
    return not any(output.output_type == "error" for output in cell.get("outputs", []))


def _error_text(cell: nbformat.NotebookNode) -> str:
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    return kernel_text(f"{errors[-1].ename}: {errors[-1].evalue}", 300) if errors else "failed"


def _output_text(output: nbformat.NotebookNode) -> str:
    """What one kernel output says, as text (never as a score)."""
    kind = output.get("output_type")
    if kind == "stream":
        return str(output.get("text", ""))
    if kind == "error":
        return "\n".join(map(str, output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"])) + "\n"
    data = output.get("data", {})
    return f"{data['text/plain']}\n" if isinstance(data, dict) and "text/plain" in data else ""


def sandbox_spec(sandbox: dict | None, python: str) -> SandboxSpec | None:
    """A job's sandbox (``Job.sandbox``) for its kernel and its hidden tests' fresh process.

    Both start ``python`` as the grader was started, so the links on the way to it (a
    virtual environment reached through a symbolic link) are made again inside. None: no sandbox.
    """
    if not sandbox:
        return None
    return SandboxSpec(**{**sandbox, "read_only": tuple(sandbox["read_only"]),
                          "writable": tuple(sandbox.get("writable", ())),
                          "hidden": tuple(sandbox.get("hidden", ())), "links": (python,)})


def prepare_home(job: Job) -> None:
    """Copy the files the kernel's home folder starts with into the stage folder."""
    home = Path(job.job_dir) / "stage" / "home"
    for relative, source in job.home_files.items():
        target = home / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (home / job.assignment).mkdir(parents=True, exist_ok=True)
    if job.bwrap is None:  # no sandbox: the home folder is a plain folder of the job
        shutil.copytree(home, Path(job.job_dir) / "home")
