"""The course's instructor side: grading, releases, reproduction, pretraining, benchmarks.

Installed with the course beside ``lab_utils`` (the student side) and never part of the
student release. Laid out as nbgrader is: a command (``python -m ssl_lab_instructor.<name>``,
what a ``make`` target runs) parses its options and runs stages, each a module of one concern;
the stages nbgrader and jupyter_client load by name are classes with config traits, named in
``nbgrader_config.py`` and in the ``jupyter_client.kernel_provisioners`` entry point.

==================  ================  =================================================
command             make target       stages
==================  ================  =================================================
grade               make grade        ``grade.kernel.SandboxProvisioner`` (kernel
                                      provisioner); ``grade.steps`` (``SandboxedExecute``,
                                      ``RestoreTrustedCells``, ``FlagIntegrityFindings``,
                                      ``SafeNotebookExporter``: nbgrader's autograde);
                                      ``grade.feedback.HideHiddenTests`` (feedback);
                                      ``grade.pipeline``/``worker``/``scheduler``: many
                                      students at once
release             make release,     config, tracked, notebooks, student_files, leaks,
                    make publish      urls, build, publish
reproduce           make reproduce    execute, collect, dry_run, tables, reports, quotes,
                                      readme
pretrain            make pretrain     the checkpoint notebooks under the pretrain profile
generate_notebooks  make notebooks    nbgrader's ``generate_assignment`` per assignment
benchmarks.<name>   -                 augment, step, precision, grading, fixres: the
                                      measurements the README and notebooks quote
==================  ================  =================================================
"""
