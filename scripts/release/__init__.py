"""The student release: build dist/student/ from this repository and publish it.

    python -m scripts.release build            # dist/student/, checked for answers (make release)
    python -m scripts.release publish          # commit, tag and push it (make publish)

One module per concern: ``config`` (release.toml), ``notebooks`` (badges and install cells),
``student_files`` (README, pyproject.toml, environment.yml), ``leaks`` (no answer may ship),
``build`` (assemble dist/student/), ``publish`` (git).
"""
