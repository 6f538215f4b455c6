"""Reproduce the course's results table: run every solution notebook under one profile.

    python -m ssl_lab_instructor.reproduce                          # every notebook, cpu (gpu with CUDA)
    python -m ssl_lab_instructor.reproduce --profile smoke 01_intro_ssl 05_time_series
    python -m ssl_lab_instructor.reproduce --profile cpu --skip-tag needs-hub --update-readme --update-quotes
    python -m ssl_lab_instructor.reproduce --tables-only --update-quotes   # run nothing: rewrite from results/
    python -m ssl_lab_instructor.reproduce --profile gpu --max-steps 2     # dry run: memory, T4 estimates
    make reproduce PROFILE=cpu                          # the same, through the Makefile

Each notebook of ``solutions/`` is executed top to bottom in its own kernel (its folder as
the working directory) with ``SSL_LAB_PROFILE`` set. What it stores with
``lab_utils.record`` is collected, with its wall time, the peak resident memory of its
kernel (and the peak GPU memory where CUDA is used). A notebook that fails is reported with
its failing cell and the others still run; the exit status is then 1.

Written to ``--output-dir`` (default ``results/``):

* ``<profile>.json``: every metric of every notebook, times, memory, hardware, date, commit;
* ``<profile>.md``: the headline table next to the seed expectations, the time table, and
  every recorded metric;
* ``<profile>.png``: a bar chart of the headline accuracies against the seed expectations;
* ``runs/reproduce-<profile>/``: the executed notebooks and the raw metric files.

``--update-readme`` replaces the README's block between ``<!-- results:<profile>:start -->``
and ``<!-- results:<profile>:end -->`` with the headline and time tables. ``--update-quotes``
rewrites every measured number that the README and the notebooks quote in their text, each
marked like ``<!-- cpu: 02_pretext_tasks/probe_rotation in % -->51.4 %``, from the results
files (the syntax: ``quotes``).

One module per concern:

* ``cli`` (and ``__main__``): the command line;
* ``paths``: where notebooks and reports live, which notebooks a run covers;
* ``execute``: one notebook in its own kernel (``memory`` samples its peak memory);
* ``collect``: every chosen notebook in turn, their metrics, merging with an earlier report;
* ``machine``: hardware, versions and commit;
* ``headlines``: **the headline results and their expectations: a new row of the headline
  table and chart is one new ``Headline`` line in ``headlines.HEADLINES``** (record the
  metric in its notebook with ``lab_utils.record`` first);
* ``tables``: the markdown tables; ``chart``: the bar chart; ``reports``: the files;
* ``readme``: the README's generated block;
* ``quotes``: numbers quoted in prose, marked with the result they quote: read, check, rewrite;
* ``dry_run``: dry runs (``--max-steps``) and their report; ``t4``: the T4 time and memory
  estimates made from a dry run's measurements.

Where to add a row: a headline (table and chart) is one ``Headline`` line in
``headlines.HEADLINES``; a number of the run beside the metrics (like ``wall_seconds``) is a
field of ``execute.NotebookRun``, shown by ``tables.run_table``; a new section of
``<profile>.md`` is a function in ``tables`` called by ``tables.full_markdown``. A number
quoted in a text needs no code: mark it (see ``quotes``) and run ``--update-quotes``.
"""
