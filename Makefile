# The two commands of the README, and the environment they set up when it is missing.
#   make course   execute every lesson (full mode), then grade the reference solutions
#   make test     the test suite (unit tests, notebook regression with nbval, autograder end to end)
#   make test-fast  a developer's loop: no browser, no notebook runs, no grading of whole lessons
#   make lint     ruff over the packages, tests, benchmarks and the notebooks' code (hidden tests too)
#   make test-gpu on a machine with an NVIDIA GPU: every lesson and the grading on CUDA
#   make test-without-shared  the tests whose data can come from ../shared, as a user without it
#   make tolerance-survey  how far each lesson's printed numbers move under other CPU kernels

VENV     ?= .venv
PYTHON   ?= python3
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
WORKERS  ?= 2
SHARED_MNIST := $(wildcard ../shared/data/MNIST/raw)

# Offline, the official MNIST test set is read from ../shared/data when it is there.
ifneq ($(SHARED_MNIST),)
export COURSE_MNIST_DIR ?= $(abspath $(SHARED_MNIST))
endif
export PATH := $(abspath $(VENV))/bin:$(PATH)
export COURSE_PROGRESS := 0

.PHONY: course test test-fast lint test-without-shared test-gpu tolerance-survey env system system-course lock clean

# Debian packages: the course needs bubblewrap alone (the sandbox every submission is graded
# in); the tests also need the PostgreSQL server that tests/test_gradebook_postgres.py starts a
# throwaway cluster of (nbgrader's db_url), and for the browser tests (tests/browser/) Debian's
# Chromium, which Playwright drives instead of a browser of its own, with the DejaVu fonts its
# screenshots are rendered in; for the JupyterHub test (tests/test_jupyterhub.py) Node.js and npm,
# with which configurable-http-proxy, JupyterHub's proxy, is installed from npm. As root they are
# installed when missing; otherwise the command to install them is printed.
COURSE_PACKAGES := bubblewrap
TEST_PACKAGES := bubblewrap postgresql chromium fonts-dejavu-core nodejs npm configurable-http-proxy
# 4.6 runs on Debian 12's Node 18 (5.x wants Node 20)
HUB_PROXY := configurable-http-proxy@4.6

course: $(STAMP) system-course
	$(PY) -m autograder.authoring.runner
	COURSE_QUICK=1 $(PY) -m autograder demo

test: $(STAMP) system
	$(PY) -m pytest -n $(WORKERS) --dist loadfile -p no:cacheprovider \
		--nbval-tolerant --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--durations=30 --ignore=tests/fixtures tests notebooks

# The tests not marked slow (tests that execute notebooks, grade whole lessons or drive a browser).
test-fast: $(STAMP)
	$(PY) -m pytest -n $(WORKERS) --dist loadfile -p no:cacheprovider -m "not slow and not browser" \
		--durations=10 --ignore=tests/fixtures tests

lint: $(STAMP)
	$(PY) -m ruff check .

# The tests that read ../shared/data when it is there (the MNIST test set, the Kaggle Titanic
# CSV), run again the way a user without it sees them: COURSE_MNIST_DIR unset and ../shared
# hidden behind an empty tmpfs in a private mount namespace (root only; otherwise it says so).
DATA_TESTS := tests/test_datasets.py tests/test_hidden_l05.py $(wildcard tests/test_l05_*.py) \
	tests/test_autograder_sims.py tests/test_run_all_release.py
SHARED_DIR := $(abspath ../shared)
test-without-shared: $(STAMP) system
	@if [ -d "$(SHARED_DIR)" ] && [ "$$(id -u)" != 0 ]; then \
	  echo "test-without-shared: hiding $(SHARED_DIR) needs root (a mount namespace); skipped"; exit 0; fi; \
	hide=""; [ -d "$(SHARED_DIR)" ] && hide="mount -t tmpfs shared-hidden $(SHARED_DIR) &&"; \
	env -u COURSE_MNIST_DIR unshare --mount --propagation private sh -c \
	  "$$hide $(PY) -m pytest -n $(WORKERS) --dist loadfile -p no:cacheprovider $(DATA_TESTS) -k 'not (sims or run_all) or 05-mnist' "

# nbval in lax mode (cells must run without errors; outputs are not compared: they were stored
# on the CPU), then the reference solutions graded with COURSE_DEVICE=cuda on the GPU of
# CUDA_VISIBLE_DEVICES (default 0), whose /dev/nvidia* files the sandbox then binds into each
# kernel. Without a GPU the first step stops at once, saying what is missing.
GPU_COURSE := build/gpu-course
test-gpu: $(STAMP) system
	$(PY) -m autograder.gpus
	COURSE_DEVICE=cuda $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks
	rm -rf $(GPU_COURSE) && mkdir -p $(GPU_COURSE)
	CUDA_VISIBLE_DEVICES=$${CUDA_VISIBLE_DEVICES:-0} COURSE_DEVICE=cuda COURSE_QUICK=1 \
		$(PY) -m autograder --course-dir $(GPU_COURSE) --source notebooks demo

# Every lesson under three other CPU kernel settings than the stored outputs were made with,
# then, per cell, how far its printed numbers moved against the tolerance it declares
# (docs/authoring.md). Not part of `make test`: it takes about ten minutes on 2 cores.
KERNEL_RUNS := build/kernels
tolerance-survey: $(STAMP)
	rm -rf $(KERNEL_RUNS)
	$(PY) -m autograder.authoring.runner --native-kernels --output-dir $(KERNEL_RUNS)/own-kernels
	OMP_NUM_THREADS=1 $(PY) -m autograder.authoring.runner --native-kernels --output-dir $(KERNEL_RUNS)/own-kernels-1-thread
	OMP_NUM_THREADS=3 $(PY) -m autograder.authoring.runner --output-dir $(KERNEL_RUNS)/reference-kernels-3-threads
	$(PY) -m autograder.authoring.tolerance_survey $(KERNEL_RUNS)/*

env: $(STAMP)

system:
	@$(MAKE) --no-print-directory packages PACKAGES="$(TEST_PACKAGES)"

system-course:
	@$(MAKE) --no-print-directory packages PACKAGES="$(COURSE_PACKAGES)"

# PACKAGES that are missing, installed with apt-get as root (checked by the command they give).
packages:
	@missing=""; for p in $(PACKAGES); do case $$p in \
	  bubblewrap) command -v bwrap >/dev/null || missing="$$missing $$p";; \
	  postgresql) command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || missing="$$missing $$p";; \
	  chromium) command -v chromium >/dev/null || missing="$$missing $$p";; \
	  fonts-dejavu-core) test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing $$p";; \
	  nodejs) command -v node >/dev/null || missing="$$missing $$p";; \
	  npm) command -v npm >/dev/null || missing="$$missing $$p";; \
	  configurable-http-proxy) command -v configurable-http-proxy >/dev/null || proxy=1;; \
	  esac; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Missing:$$missing. Install it with: sudo apt-get install$$missing"; fi; \
	fi; \
	if [ -n "$$proxy" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v npm >/dev/null; then \
	    echo "Installing $(HUB_PROXY) (npm)"; npm install --global --no-fund --no-audit --loglevel=error $(HUB_PROXY); \
	  else echo "Missing: configurable-http-proxy. Install it with: sudo npm install -g $(HUB_PROXY)"; fi; \
	fi

$(STAMP): pyproject.toml constraints.txt autograder/templates/formgrade/mathjax.html.j2 \
		autograder/jupyter-config/nbgrader_mlp_course.json autograder/jupyter-config/mlp_course_lab_overrides.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	$(PY) -m autograder.lab.data_files
	@touch $@
	@echo "Environment ready in $(VENV) ($$(du -sh $(VENV) | cut -f1))"

# Refresh the exact versions CI uses from the current environment.
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' | sed '1i # Exact versions CI uses (Linux x86-64, Python 3.11). pyproject.toml keeps the ranges for users.\n# Regenerate with: make lock' > constraints.txt

clean:
	rm -rf build release submitted autograded feedback gradebook.db grades.csv
