"""Sandboxed, parallel autograding of a whole class: ``make grade ASSIGNMENT=<assignment>``.

Each student's kernel runs in a bubblewrap sandbox (no network, no course directory, a
size-limited scratch folder) under memory, process and time limits; the trusted grading
process restores the test cells from the gradebook, runs integrity probes around every
graded cell and is the only one that writes the gradebook.

Modules, one concern each:

- ``course``: the nbgrader course (paths, gradebook URL, roster policy) and grading settings;
- ``discovery``: the submissions under ``submitted/`` and the checks on their files;
- ``trusted``: what the grader knows about an assignment from trusted sources only;
- ``limits``: memory, process and file-size limits (cgroups, else rlimits);
- ``sandbox``: the bubblewrap command line and the check that a sandbox works;
- ``kernel``: a jupyter kernel manager that starts the kernel inside the sandbox;
- ``client``: an nbclient client that caps the output it keeps;
- ``integrity``: probes run in the kernel around graded cells, and static flags on the source;
- ``execution``: one submission executed in a worker process;
- ``gradebook``: sanitising notebooks and saving grades (the parent process only);
- ``scheduler``: the pool of workers;
- ``summary``: the per-student table;
- ``cli``: the command line.
"""
