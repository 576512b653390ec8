# Verbs people expect. Every target sets up what it needs from a fresh clone.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
# jsii (under aws-cdk-lib) warns that Node 20 is old; it works, and the warning hides real output.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: dev run test unit infra e2e lint format typecheck synth deploy destroy bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

dev: $(STAMP) $(NODE_STAMP) ## environment for development: Python venv and the CDK CLI

run: $(STAMP) ## main job: a local end-to-end execution on the default input
	$(VENV)/bin/scatter-gather run

test: $(STAMP) $(NODE_STAMP) ## lint, types and the whole test suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2 --dist loadgroup

unit: $(STAMP)
	$(PY) -m pytest tests/unit

infra: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest tests/infra

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

synth: $(STAMP) $(NODE_STAMP) ## CloudFormation template into cdk.out/
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx cdk synth --quiet

deploy: $(STAMP) $(NODE_STAMP) ## needs AWS credentials; settings from cdk.json (-c via CDK_ARGS)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx cdk deploy $(CDK_ARGS)

destroy: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx cdk destroy $(CDK_ARGS)

bench: $(STAMP)
	$(VENV)/bin/scatter-gather bench

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
