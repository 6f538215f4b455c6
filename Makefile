# The course's commands. `make labs` and `make test` install what is missing first; both are
# `python -m ssl_lab labs|test` (ssl_lab.py), which works without make, on Windows too.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
# Tools the venv installs (nbgrader's alembic, jupyter kernels) are found without activating it.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: labs test notebooks reproduce pretrain grade release publish install lint clean-cache

# LAB_ARGS passes options to JupyterLab, e.g. make labs LAB_ARGS="--port 8890 --no-browser".
labs: $(STAMP)  ## install what is missing, then open the labs in JupyterLab (also as root)
	$(BIN)/python -m ssl_lab labs --venv $(VENV) --no-install -- $(LAB_ARGS)

test: $(STAMP)  ## install what is missing, then run the whole test suite
	$(BIN)/python -m ssl_lab test --venv $(VENV) --no-install -- $(PYTEST_ARGS)

notebooks: $(STAMP)  ## regenerate the student notebooks in notebooks/ from solutions/
	$(BIN)/python -m ssl_lab_instructor.generate_notebooks

# The student release (release.toml names its repository, its ref and the assignments released
# so far): dist/student/, checked to hold none of the answers of any assignment.
# `make publish` commits it to the student repository, tags and pushes (STUDENT_REMOTE=git@github.com:owner/name.git to push over SSH).
release: notebooks  ## build the student release in dist/student/
	$(BIN)/python -m ssl_lab_instructor.release build

publish: release  ## commit dist/student/ to the student repository, tag it with its ref, push
	$(BIN)/python -m ssl_lab_instructor.release publish $(if $(STUDENT_REMOTE),--remote $(STUDENT_REMOTE))

# Every solution notebook under PROFILE (default: gpu with CUDA, else cpu): results/<profile>.*
# Offline, leave out notebook 04's pretrained models: REPRODUCE_ARGS="--skip-tag needs-hub".
reproduce: $(STAMP)  ## run the whole course under PROFILE and write its results table
	$(BIN)/python -m ssl_lab_instructor.reproduce $(if $(PROFILE),--profile $(PROFILE)) $(REPRODUCE_ARGS)

# The course checkpoints (lab_utils/course_checkpoints/): notebooks 02-04 under the long
# pretrain profile. Hours on a CPU, minutes on a data-centre GPU. PRETRAIN_ARGS=03_simclr: one notebook.
pretrain: $(STAMP)  ## train the course checkpoints of notebooks 02-04
	$(BIN)/python -m ssl_lab_instructor.pretrain $(PRETRAIN_ARGS)

# Grade submitted/*/ASSIGNMENT/ into the gradebook: every kernel sandboxed, WORKERS at a time
# (default: one per core), under PROFILE (default: smoke). More options: GRADE_ARGS=--help.
grade: $(STAMP)  ## grade every submission of ASSIGNMENT, sandboxed and in parallel
	$(if $(ASSIGNMENT),,$(error give the assignment: make grade ASSIGNMENT=01_intro))
	$(BIN)/python -m ssl_lab_instructor.grade $(ASSIGNMENT) --profile $(or $(PROFILE),smoke) $(if $(WORKERS),--workers $(WORKERS)) $(if $(STUDENTS),--students $(STUDENTS)) $(GRADE_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check lab_utils ssl_lab_instructor tests conftest.py ssl_lab.py

install: $(STAMP)

# Linux and Windows without an NVIDIA GPU get PyTorch's CPU build (SSL_LAB_TORCH_INDEX=default:
# pip's own index; SSL_LAB_TORCH_INDEX=<url>: another one).
$(STAMP): pyproject.toml constraints-local.txt
	$(PYTHON) -m ssl_lab install --venv $(VENV) --force-install

clean-cache:  ## delete downloaded and decoded data sets
	find data -mindepth 1 ! -name README.md ! -name registry.json -delete
