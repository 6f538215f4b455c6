"""The student release: build dist/student/ from this repository and publish it.

    python -m ssl_lab_instructor.release build     # dist/student/, checked for answers (make release)
    python -m ssl_lab_instructor.release publish   # commit, tag and push it (make publish)

release.toml names the student repository, the tag students get and the assignments released
so far; only those ship, copied from the files git tracks, and the release is checked against
the answers of every assignment.

One module per concern: ``config`` (release.toml), ``tracked`` (what git tracks, the only
files a release copies), ``notebooks`` (badges and install cells),
``student_files`` (README, pyproject.toml, environment.yml), ``answers`` (what must not ship),
``code_lines`` (code compared by tokens), ``leaks`` (the checks that nothing of it ships),
``urls`` (every link at the student repository), ``files`` (what a release folder holds),
``build`` (assemble and check dist/student/), ``publish`` (commit, tag and push it).
"""
