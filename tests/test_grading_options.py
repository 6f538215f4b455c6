"""make grade's options on grading machines, without grading: array tasks' shares, options
refused with a clear error, and nbgrader's rules for skipping and copying submitted files."""

from __future__ import annotations

import os

import nbformat
import pytest

from ssl_lab_instructor.grade import cli
from ssl_lab_instructor.grade.discovery import (
    already_graded,
    copy_other_files,
    discover,
    parse_shard,
)

NOTEBOOK = "01_intro_ssl"


@pytest.mark.parametrize(("env", "shards", "expected"), [
    ({"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "2"}, None, (1, 2)),
    ({"JOB_COMPLETION_INDEX": "2"}, 3, (3, 3)),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2"}, None, (2, 2)),
    # sbatch --array=1-4: ids from 1
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"}, None, (1, 4)),
    # sbatch --array=0-6:2: four tasks, ids 0, 2, 4, 6
    ({"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2",
      "SLURM_ARRAY_TASK_COUNT": "4"}, None, (4, 4)),
])
def test_shard_auto_takes_the_array_tasks_share(env, shards, expected):
    assert parse_shard("auto", shards, env) == expected


@pytest.mark.parametrize(("env", "shards", "message"), [
    ({}, None, "neither is set here"),
    ({"JOB_COMPLETION_INDEX": "1"}, None, "pass --shards N"),
    ({"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "2"}, None, "number 3 of 2"),
    ({"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "2"}, 3, "does not match the 2 tasks"),
    ({"JOB_COMPLETION_INDEX": "one"}, 2, "not a whole number"),
    ({"SLURM_ARRAY_TASK_ID": "3"}, None, "SLURM_ARRAY_TASK_COUNT"),
])
def test_shard_auto_refuses_what_it_cannot_place(env, shards, message):
    with pytest.raises(ValueError, match=message):
        parse_shard("auto", shards, env)


@pytest.mark.parametrize(("args", "message"), [
    (["--work-dir", "{tmp}/missing"], "--work-dir {tmp}/missing does not exist: create it"),
    (["--work-dir", "{tmp}/a-file"], "is not a folder"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--memory", "lots"], "--memory takes a size such as 4G"),
    (["--shards", "2"], "--shards goes with --shard auto"),
    (["--shard", "1/2", "--shards", "2"], "--shards goes with --shard auto only"),
    (["--json", "{tmp}/missing/summary.json"], "does not exist"),
    (["--read-only", "relative/path"], "existing absolute path"),
])
def test_bad_options_get_a_clear_error_not_a_traceback(tmp_path, capsys, args, message):
    (tmp_path / "a-file").write_text("")
    code = cli.main(["01_intro", "--course", str(tmp_path), *[a.format(tmp=tmp_path) for a in args]])
    assert code == 2
    err = capsys.readouterr().err
    assert message.format(tmp=tmp_path) in err and "Traceback" not in err


def _submission(tmp_path, timestamp: str | None, extra: dict[str, str]):
    folder = tmp_path / "submitted" / "ada" / "01_intro"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / f"{NOTEBOOK}.ipynb")
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)
    for name, text in extra.items():
        (folder / name).write_text(text)
    return discover(tmp_path / "submitted", "01_intro", [NOTEBOOK], 1024**2)[0]


def test_graded_submissions_are_skipped_until_submitted_again(tmp_path):
    graded = tmp_path / "autograded" / "ada" / "01_intro"
    submission = _submission(tmp_path, "2026-12-01 10:00:00.000000 UTC", {})
    assert not already_graded(submission, graded), "never graded: graded"
    graded.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), graded / f"{NOTEBOOK}.ipynb")
    (graded / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    assert already_graded(submission, graded), "unchanged: skipped"
    newer = _submission(tmp_path, "2026-12-02 09:00:00.000000 UTC", {})
    assert not already_graded(newer, graded), "submitted again: graded again"
    (graded / f"{NOTEBOOK}.ipynb").unlink()
    assert not already_graded(submission, graded), "a notebook missing from the graded copy: graded"


def test_other_submitted_files_are_copied_as_nbgrader_does_and_links_are_not(tmp_path):
    submission = _submission(tmp_path, None, {"submission_secret.txt": "s3cret", "notes.txt": "mine"})
    (submission.folder / "answers-link.txt").symlink_to(tmp_path / "submitted" / "ada" / "01_intro" / "notes.txt")
    os.mkfifo(submission.folder / "pipe")
    submission = discover(tmp_path / "submitted", "01_intro", [NOTEBOOK], 1024**2)[0]
    assert "submission_secret.txt" not in submission.ignored, "nbgrader's own file is not the student's work"
    target = tmp_path / "autograded" / "ada" / "01_intro"
    left_out = copy_other_files(submission, target)
    assert (target / "submission_secret.txt").read_text() == "s3cret"
    assert (target / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt", "submission_secret.txt"]
    assert any("answers-link.txt is a symbolic link" in reason for reason in left_out), left_out
    assert any("pipe is not a regular file" in reason for reason in left_out), left_out


def test_the_kubernetes_job_and_the_slurm_script_run_make_grade_with_valid_options():
    import shlex

    import yaml
    from support import ROOT

    machines = ROOT / "ssl_lab_instructor" / "grade" / "machines"
    job = yaml.safe_load((machines / "grade-job.yaml").read_text())
    assert job["spec"]["completionMode"] == "Indexed"
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["JOB_COMPLETIONS"] == str(job["spec"]["completions"]), "the pods must know how many there are"
    command = container["command"]
    assert command[1:3] == ["-m", "ssl_lab_instructor.grade"]
    args = cli.parse_args(command[3:])
    assert args.shard == "auto" and args.db_url == "$(GRADEBOOK_URL)"
    assert parse_shard("auto", args.shards, {"JOB_COMPLETION_INDEX": "3", **env}) == (4, 4)
    script = (machines / "grade-array.sbatch").read_text()
    line = " ".join(script.split("exec ", 1)[1].split("\\\n"))
    values = {'"$assignment"': "01_intro", '"$SLURM_CPUS_PER_TASK"': "8", '"${TMPDIR:-/tmp}"': "/tmp",
              '"$GRADEBOOK_URL"': "postgresql+psycopg://grader@db/ssl_lab"}
    for variable, value in values.items():
        line = line.replace(variable, value)
    words = shlex.split(line)
    assert words[1:3] == ["-m", "ssl_lab_instructor.grade"]
    assert cli.parse_args(words[3:]).shard == "auto"
    assert "#SBATCH --array=0-" in script
