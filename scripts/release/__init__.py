"""The student release: build dist/student/ from this repository and publish it.

    python -m scripts.release build            # dist/student/, checked for answers (make release)
    python -m scripts.release publish          # commit, tag and push it (make publish)

One module per concern: ``config`` (release.toml), ``notebooks`` (badges and install cells),
``student_files`` (README, pyproject.toml, environment.yml), ``answers`` (what must not ship),
``code_lines`` (code compared by tokens), ``leaks`` (the checks that nothing of it ships),
``urls`` (every link at the student repository), ``files`` (what a release folder holds),
``build`` (assemble and check dist/student/), ``publish`` (commit, tag and push it).
"""
