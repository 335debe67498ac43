# The two set-up commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# FC's Python runtimes: `make test` also runs the suite's non-slow part on each
# (scripts/test-on-python.sh; required under CI=true, skipped loudly elsewhere), one after
# the other, in the background beside the full suite on the default Python (two cores).
RUNTIME_PYTHONS ?= 3.10 3.12

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck pytest docs bench fuzz mutation clean

help:
	@echo "make run    - create .venv, install fcsdk, serve the examples locally (Ctrl-C stops)"
	@echo "make test   - create .venv, install dev extras, run ruff, mypy, pytest+coverage, docs;"
	@echo "              the non-slow tests also on Python $(RUNTIME_PYTHONS) (FC's runtimes)"
	@echo "make bench  - run the benchmarks; exits 1 when a target of benchmarks/targets.py is missed"
	@echo "make fuzz   - run the short atheris fuzzing session"
	@echo "make mutation - mutation-test the riskiest modules (slow; GROUPS=\"decode aio\" for some,"
	@echo "                MUTATION_ARGS=\"--survivors\" or \"--full\": scripts/mutation.py --help)"

$(PY):
	@echo "make: creating $(VENV) with $(PYTHON), then upgrading pip"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes.
$(VENV)/.run-installed: pyproject.toml | $(PY)
	@echo "make: installing fcsdk with the examples' extras (oss2, Flask, FastAPI) into $(VENV)"
	$(PY) -m pip install --progress-bar off -e '.[examples]'
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PY)
	@echo "make: installing fcsdk with its dev extras (test, lint, type and docs tools) into $(VENV)"
	$(PY) -m pip install --progress-bar off -e '.[dev]'
	@touch $@ $(VENV)/.run-installed

# The main job: the examples behind local HTTP triggers (sign-in app, order API,
# OSS upload, the quickstart handler), with a local OSS server; Ctrl-C stops.
run: $(VENV)/.run-installed
	$(PY) -m fcsdk invoke index.main --code-dir examples/orders \
	    --event-file examples/orders/event.json
	@echo
	$(PY) -m fcsdk serve --config examples/fcsdk-local.json

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	@echo "make: checking for Chromium (the browser test's; installed with apt-get when run as root)"
	sh scripts/ensure-chromium.sh
	@echo "make: checking for redis-server (the idempotency tests'; installed with apt-get when run as root)"
	sh scripts/ensure-redis.sh
	rm -f .coverage .coverage.* .runtime-tests.log
	@echo "make: the non-slow suite on Python $(RUNTIME_PYTHONS) runs beside the full one (log: .runtime-tests.log)"
	@( for version in $(RUNTIME_PYTHONS); do sh scripts/test-on-python.sh $$version || exit 1; done \
	    ) > .runtime-tests.log 2>&1 & runtimes=$$!; \
	$(BIN)/coverage run -m pytest; status=$$?; \
	wait $$runtimes || status=1; \
	echo "make: the runtime Pythons' run (.runtime-tests.log):"; cat .runtime-tests.log; \
	exit $$status
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

test: lint typecheck pytest docs

bench: $(VENV)/.dev-installed
	sh scripts/ensure-redis.sh
	$(PY) -m benchmarks

# A short coverage-guided run over every parser (not part of make test).
FUZZ_SECONDS ?= 30
fuzz: $(VENV)/.dev-installed
	$(PY) -m pip install --quiet atheris
	$(PY) -m fuzz --seconds $(FUZZ_SECONDS)

# Mutation testing (not part of make test): scripts/mutation.py says how and why.
GROUPS ?=
MUTATION_ARGS ?=
mutation: $(VENV)/.dev-installed
	$(PY) -m pip install --quiet 'mutmut>=3.8,<4'
	sh scripts/ensure-redis.sh
	$(PY) scripts/mutation.py $(MUTATION_ARGS) $(GROUPS)

clean:
	rm -rf $(VENV) .venv-py* .mutation site .coverage .coverage.* .runtime-tests.log .mypy_cache .ruff_cache .pytest_cache
