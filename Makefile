# The two commands of the README: `make demo` and `make test`. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
# pytest-xdist workers for `make test`: one more than the cores, as each worker waits part of the time (cell
# time-outs, servers and the VM starting). On this 2-core machine 3 workers took 509 s where 2 took 567 s, with
# the same CPU time (bench/test_suite.py, one after the other).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# nbgrader runs `alembic` by name: the venv's bin/ goes first on PATH for every command.
RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY)
# Installs a lock into the venv, exactly: --no-deps, as the lock holds every package that is needed, and
# LEFT_OUT removed where an older lock had installed it. The venv's own uv does it, or its pip where uv could not
# be installed. Every module's bytecode is written at install (pip does by default), so that no command compiles
# a package again, also where PYTHONDONTWRITEBYTECODE is set or the user cannot write the venv. Measured here
# with that variable set, in CPU seconds: nbgrader's imports took 3.5 to 4 s without the bytecode and 1.2 s with
# it, a kernel's 1.3 s and 0.4 s, in every command and every kernel.
install = if [ -x $(UV) ]; then $(UV) pip install -q --no-deps --compile-bytecode -p $(PY) -r $(1) && \
            $(UV) pip uninstall -q -p $(PY) $(LEFT_OUT); \
          else $(PY) -m pip install -q --no-deps -r $(1) && $(PY) -m pip uninstall -q -y $(LEFT_OUT); fi
# Left out of the locks: jsonschema's optional checker of the `iri` format, which no Jupyter schema uses, and
# the parser library it alone needs. It builds some 35 parsers whenever jsonschema is imported: 1.6 s at the
# start of every nbgrader command, more than a quarter of the demo's time.
LEFT_OUT := rfc3987-syntax lark

.PHONY: venv test-deps demo test test-fast release figures reset lock system-deps

## the venv with the course's packages (requirements.txt): what `make demo` needs
venv: $(VENV)/.installed

## the venv with the tests' packages too (requirements-test.txt): what `make test` needs
test-deps: $(VENV)/.installed-test

# A venv with a pinned uv inside it, put there by the system's pip (`pip --python`): nothing is installed
# into the system's Python. Where that fails, the venv gets its own pip, which installs uv or else the packages.
$(VENV)/.bootstrapped:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install -q uv==$(UV_VERSION) || { $(PY) -m ensurepip >/dev/null && \
	  { $(PY) -m pip install -q uv==$(UV_VERSION) || echo "uv $(UV_VERSION) could not be installed: pip installs the packages"; }; }
	touch $@

$(VENV)/.installed: requirements.txt | $(VENV)/.bootstrapped
	$(call install,requirements.txt)
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(call install,requirements-test.txt)
	touch $@

## the main job: release, autograde three example submissions, feedback, CSV, per-function table
demo: venv
	$(RUN) -m helpers demo

## the whole test suite, on every core (installs the system packages it needs when run as root)
test: test-deps system-deps
	$(RUN) -m pytest -n $(TEST_WORKERS)

## the tests that start no kernel, browser, VM or database: under a minute, for contributors
test-fast: test-deps
	$(RUN) -m pytest -m "not (nbgrader or browser or postgres or sandbox or vm)"

## regenerate everything generated: figures, source notebook, check data, release
release: venv
	$(RUN) -m helpers build

## draw the lesson's figures into source/cnn/images/ (`make release` does too)
figures: venv
	$(RUN) -m helpers figures

## remove what the demo made (gradebook, submissions, autograded, feedback, exports)
reset: venv
	$(RUN) -m helpers reset

## after editing requirements.in or requirements-test.in: compile the whole set into requirements-test.txt,
## the course's part of it into requirements.txt (same pins), and write environment.yml from it.
## Existing pins are kept; add e.g. LOCK_ARGS="--upgrade-package numpy" to move one.
lock: | $(VENV)/.bootstrapped
	$(UV) pip compile -q $(LOCK_ARGS) $(LEFT_OUT:%=--no-emit-package %) requirements-test.in -p 3.11 -o requirements-test.txt
	$(UV) pip compile -q $(LOCK_ARGS) $(LEFT_OUT:%=--no-emit-package %) requirements.in -c requirements-test.txt -p 3.11 -o requirements.txt
	$(PYTHON) helpers/tools/environment.py

system-deps:
	bash .ci/system-deps
