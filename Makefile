# The two commands of the README, and the environment they set up when it is missing.
#   make course   execute every lesson (full mode), then grade the reference solutions
#   make test     the test suite (unit tests, notebook regression with nbval, autograder end to end)

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

.PHONY: course test env system lock clean

# Debian packages the grading needs: bubblewrap for the sandbox every submission runs in.
# As root they are installed when missing; otherwise the command to install them is printed.
SYSTEM_PACKAGES := bubblewrap

course: $(STAMP) system
	$(PY) -m autograder.runner
	COURSE_QUICK=1 $(PY) -m autograder demo

test: $(STAMP) system
	$(PY) -m pytest -n $(WORKERS) --dist loadfile -p no:cacheprovider \
		--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--ignore=tests/fixtures tests notebooks

env: $(STAMP)

system:
	@missing=""; command -v bwrap >/dev/null || missing="bubblewrap"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Missing: $$missing. Install it with: sudo apt-get install $$missing"; fi; \
	fi

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $@
	@echo "Environment ready in $(VENV) ($$(du -sh $(VENV) | cut -f1))"

# Refresh the exact versions CI uses from the current environment.
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' | sed '1i # Exact versions CI uses (Linux x86-64, Python 3.11). pyproject.toml keeps the ranges for users.\n# Regenerate with: make lock' > constraints.txt

clean:
	rm -rf build release submitted autograded feedback gradebook.db grades.csv
