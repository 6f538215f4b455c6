"""Sandboxed autograding, inside nbgrader: ``nbgrader autograde``, the formgrader, ``make grade``.

Each student's kernel runs in a bubblewrap sandbox (no network, no course directory, a
size-limited scratch folder) under memory, process and time limits, started by a
jupyter_client kernel provisioner, and runs the test cells' visible checks; the hidden
tests run the student's definitions in a fresh sandboxed process that returns plain data,
and are judged by the trusted grading process, which also runs integrity probes around
every graded cell. All of it is one nbgrader preprocessor (``SandboxedExecute``) in
nbgrader's own autograde pipeline (``nbgrader_config.py``); ``make grade`` runs that
pipeline for many students at once.

Modules, one concern each:

- ``course``: the nbgrader course (paths, gradebook URL, roster policy) and grading settings;
- ``discovery``: the submissions under ``submitted/`` and the checks on their files;
- ``trusted``: what the grader knows about an assignment from trusted sources only;
- ``limits``: memory, process and file-size limits (cgroups, else rlimits);
- ``sandbox``: the bubblewrap command line and the check that a sandbox works;
- ``kernel``: the kernel provisioner that starts the kernel inside the sandbox, and its manager;
- ``steps``: the nbgrader preprocessors (and exporter) of the course's autograde pipeline;
- ``client``: an nbclient client that caps the output it keeps;
- ``integrity``: probes run in the kernel around graded cells, and static flags on the source;
- ``hidden``: each test cell's hidden part: what the fresh process runs, and the judge;
- ``evaluate``: the harness of that fresh process (copied into its sandbox);
- ``fresh``: starting it in a new sandbox and reading its results, bounded;
- ``text``: what a kernel wrote, escaped and cut before it is shown;
- ``execution``: one submitted notebook executed (the heart of ``SandboxedExecute``);
- ``gradebook``: the trusted cells, and the grades of notebooks that could not run;
- ``pipeline``: ``make grade``: submissions read safely, staged, one job per student;
- ``worker``: one student's job: nbgrader's autograde, in a worker process;
- ``scheduler``: the pool of workers;
- ``summary``: the per-student table;
- ``feedback``: the nbgrader preprocessor that keeps the hidden tests out of the feedback;
- ``cli``: the command line.

``machines/`` holds a Kubernetes Indexed Job and a Slurm array script that run
``--shard auto`` on several machines (README: Several grading machines).
"""
