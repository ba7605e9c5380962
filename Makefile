# squall workspace entry points. `make test` and `make demo` work on a fresh
# machine that has only python3 (and apt-get for the system pieces some tests use).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
POETRY_VENV := .venv-poetry
POETRY_VERSION := 2.5.1
PACKAGES := escape template locale options ioloop httputil httpserver httpclient web websocket auth wsgi testing squall
STAMP := .stamps/setup

.PHONY: soak fuzz bench-nginx demo setup test check pytest pytest-optimized boundaries typecheck docs docs-serve build isolation bench bench-quick clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt $(wildcard packages/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check $(foreach p,$(PACKAGES),-e packages/$(p))
	@test -x $(POETRY_VENV)/bin/poetry || ( $(PYTHON) -m venv $(POETRY_VENV) && \
		$(POETRY_VENV)/bin/python -m pip install -q --disable-pip-version-check poetry==$(POETRY_VERSION) )
	@mkdir -p .stamps && touch $@

# The demo: a real-time feed (demos/feed). `make demo PORT=9000` for another port.
PORT ?= 8888
demo: setup
	cd demos && ../$(BIN)/python -m feed --port $(PORT)

# The whole check, as CI runs it.
test: setup pytest pytest-optimized boundaries typecheck docs

pytest: setup
	$(BIN)/python -m pytest -q

# The codec's strictness must not rely on `assert` (ROBUSTNESS.md 7, 19).
pytest-optimized: setup
	$(BIN)/python -O -m pytest -q -p no:randomly packages/httputil/tests

boundaries: setup
	$(BIN)/python tools/check_boundaries.py
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

build: setup
	@rm -rf dist && mkdir -p dist
	@for p in $(PACKAGES); do \
		(cd packages/$$p && ../../$(POETRY_VENV)/bin/poetry check -q && \
		 ../../$(POETRY_VENV)/bin/poetry build -q -o ../../dist) || exit 1; \
	done
	@ls dist

isolation: setup
	$(BIN)/python tools/isolation.py

# Benchmarks run in their own venv (.venv-bench) with the peers; see tools/bench/README.md.
bench:
	bash tools/bench/setup.sh
	.venv-bench/bin/python tools/bench/run.py

# Long runs, outside `make test`: wrk soak (a few minutes) and the atheris codec fuzzer.
soak: setup
	bash tools/soak/run.sh

fuzz: setup
	bash tools/fuzz/run.sh

# 1 vs 2 processes behind a real nginx (needs nginx and wrk).
bench-nginx: setup
	$(BIN)/python deploy/bench_nginx.py

bench-quick:
	bash tools/bench/setup.sh
	.venv-bench/bin/python tools/bench/run.py --quick

clean:
	rm -rf dist site .stamps .mypy_cache .pytest_cache
