# Two commands for a new user: `make run` (the platform on :8080) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-$(shell sha1sum requirements-tools.txt | cut -c1-12)

.PHONY: install tools run test lint unit integration e2e migrate bench fuzz load soak chaos clean

install: $(STAMP)

tools: $(TOOLS_STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

$(TOOLS_STAMP): requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	rm -f $(TOOLS)/.installed-* && touch $@

run: install
	$(PY) -m functions.local

test: install tools lint
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

e2e: install
	$(PY) -m pytest tests/e2e

migrate: install
	$(PY) -m migrations up

bench: install
	$(PY) -m benchmarks

# Issue 10, proof under stress: each starts its own servers and writes its figures to benchmarks/RESULTS.md.
fuzz: install
	$(PY) -m tests.fuzz

load: install
	$(PY) -m benchmarks load

soak: install
	$(PY) -m benchmarks soak

chaos: install
	$(PY) -m benchmarks.chaos

clean:
	rm -rf $(VENV) $(TOOLS) .local .pytest_cache .mypy_cache .ruff_cache
