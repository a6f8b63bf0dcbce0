# Backup Autopilot: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed
# checkov's pins conflict with the dev tools (requirements-checkov.txt): its own venv.
CHECKOV_STAMP := .venv-checkov/.installed

.PHONY: setup run test check bench clean

setup: $(STAMP) $(CHECKOV_STAMP) node_modules/.installed

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x .venv-checkov/bin/python || python3.11 -m venv .venv-checkov || python3 -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --upgrade pip
	.venv-checkov/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

## The main job: the function app on the local host, against Azurite and the emulated Azure cloud.
run: $(STAMP) node_modules/.installed
	$(PY) -m local run

## The whole test suite (unit, conformance, integration on the real local stack).
test: setup
	$(PY) -m pytest

## Static checks.
check: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## One benchmark report under .state/bench/ (JSON + HTML); `make bench SCALE=large`: 10,000 accounts / 20
## subscriptions. Every benchmark module with its defaults: `$(PY) -m tests.bench`.
SCALE ?= default
bench: setup
	$(PY) -m tests.bench.report --scale $(SCALE)

clean:
	rm -rf .state
