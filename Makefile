# The two commands of the README: `make demo` and `make test`. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# nbgrader runs `alembic` by name: the venv's bin/ goes first on PATH for every command.
RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY)

.PHONY: venv demo test release figures reset lock system-deps

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m pip install --quiet uv || true
	if $(PYTHON) -m uv --version >/dev/null 2>&1; then \
	  $(PYTHON) -m uv venv --allow-existing -q -p $(PYTHON) $(VENV) && \
	  $(PYTHON) -m uv pip install -q --compile-bytecode -p $(VENV) -r requirements.txt; \
	else \
	  $(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q -r requirements.txt; \
	fi
	touch $@

## the main job: release, autograde three example submissions, feedback, CSV, per-function table
demo: venv
	$(RUN) -m helpers demo

## the whole test suite (installs the system packages it needs when run as root)
test: venv system-deps
	$(RUN) -m pytest

## regenerate everything generated: figures, source notebook, check data, release
release: venv
	$(RUN) -m helpers build

## remove what the demo made (gradebook, submissions, autograded, feedback, exports)
reset: venv
	$(RUN) -m helpers reset

## recompile the pinned requirements from requirements.in
lock:
	$(PYTHON) -m uv pip compile -q requirements.in -p 3.11 -o requirements.txt

system-deps:
	bash .ci/system-deps
