# Targets are listed by `make help`. Variables can be overridden: make up PORT=5000
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 4566
# The engine `make up` serves the stack on: embedded (moto, in-process), ministack or localstack.
EMULATOR ?= embedded
# A *.tfvars.json for the root module, for `make up` and `make plan` (empty: variables.tf defaults).
VAR_FILE ?=
# A filesystem mirror of the hashicorp/aws provider for `terraform init` (empty: the registry).
# .ci/run sets it to the machine's mirror.
TF_PROVIDER_MIRROR ?=
export TF_PROVIDER_MIRROR
VAR_FILE_ARG := $(if $(VAR_FILE),--var-file $(abspath $(VAR_FILE)),)
# HOT_RELOAD=0: Lambda Tasks under `make up` run the deployed packages, not lambdas/ as saved (embedded engine).
HOT_RELOAD ?=
HOT_RELOAD_ARG := $(if $(filter 0,$(HOT_RELOAD)),--no-hot-reload,$(if $(filter 1,$(HOT_RELOAD)),--hot-reload,))
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# The suite's pytest-xdist workers (tests/conftest.py: the tests on the session's stack
# keep to one of them); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)
# The security gate's tools (tests/security): Checkov in a virtualenv of its own, the npm ASL validator.
TOOLS  ?= .tools
CHECKOV := $(TOOLS)/checkov/bin/checkov
ASL_VALIDATOR := node_modules/.bin/asl-validator
export CHECKOV_BIN := $(abspath $(CHECKOV))
export ASL_VALIDATOR_BIN := $(abspath $(ASL_VALIDATOR))

.DEFAULT_GOAL := help

.PHONY: help install tools ministack localstack system-deps package demo up plan apply test-stack watch bench test lint test-unit test-e2e ministack-test localstack-test clean

help: ## List the targets
	@grep -hE '^[a-z][a-z0-9_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

install: $(BIN)/.installed ## Create the virtualenv with the pinned dependencies

# Checkov's dependencies conflict with the project's pins: it gets a virtualenv of its own.
$(CHECKOV): requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	touch $@

# MiniStack pins botocore exactly (conflicting with the project's boto3): a virtualenv of its own,
# with boto3 for the Lambda functions it runs as local processes (harness/engines/ministack.py).
MINISTACK := $(TOOLS)/ministack/bin/ministack
$(MINISTACK): requirements-ministack.txt
	$(PYTHON) -m venv $(TOOLS)/ministack
	$(TOOLS)/ministack/bin/pip install --quiet --disable-pip-version-check -r requirements-ministack.txt
	touch $@

ministack: $(MINISTACK) ## Install the pinned MiniStack (own virtualenv, .tools/ministack) for EMULATOR=ministack and ministack-test

# LocalStack's runtime on the host (harness/engines/localstack_host.py): localstack-core needs Python 3.12+
# (PEP 695 generics), so its virtualenv is made with the first 3.13 or 3.12 found (pyenv, then PATH), or
# LOCALSTACK_PYTHON; with the project's extension (localstack_extension/), DynamoDB Local's jar (npm) and
# Java 17+ for it (Debian's openjdk-17-jre-headless, installed with apt as root when java is missing).
# Without Python 3.12+ it says so and builds nothing: a LocalStack at LOCALSTACK_HOST still serves.
PYENV_VERSIONS := $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions
LOCALSTACK_PYTHON ?= $(firstword $(wildcard $(PYENV_VERSIONS)/3.13*/bin/python3 $(PYENV_VERSIONS)/3.12*/bin/python3) $(shell command -v python3.13 python3.12 2>/dev/null))
LOCALSTACK := $(TOOLS)/localstack/.installed
$(LOCALSTACK): requirements-localstack.txt localstack_extension/pyproject.toml $(wildcard localstack_extension/sfn_refactor_localstack/*.py) localstack_extension/dynamodb-local/package-lock.json
	@if [ -z "$(LOCALSTACK_PYTHON)" ]; then echo "make localstack: LocalStack on the host needs Python 3.12 or newer and none was found (pyenv, python3.13, python3.12; or set LOCALSTACK_PYTHON)"; exit 0; fi; \
	if ! command -v java >/dev/null && [ -z "$$JAVA_HOME" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing openjdk-17-jre-headless with apt-get (DynamoDB Local needs Java 17+)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; \
	  else echo "note: no java on PATH: DynamoDB Local needs Java 17+ (openjdk-17-jre-headless)"; fi; \
	fi; \
	set -e; \
	$(LOCALSTACK_PYTHON) -m venv $(TOOLS)/localstack; \
	$(TOOLS)/localstack/bin/pip install --quiet --disable-pip-version-check -r requirements-localstack.txt; \
	$(TOOLS)/localstack/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation ./localstack_extension; \
	rm -rf localstack_extension/build localstack_extension/*.egg-info; \
	mkdir -p $(TOOLS)/localstack/dynamodb-local; \
	cp localstack_extension/dynamodb-local/package.json localstack_extension/dynamodb-local/package-lock.json $(TOOLS)/localstack/dynamodb-local/; \
	npm ci --prefix $(TOOLS)/localstack/dynamodb-local --no-audit --no-fund --loglevel=error; \
	touch $@

localstack: $(LOCALSTACK) ## Install LocalStack for the host (own virtualenv, .tools/localstack; Python 3.12+) for EMULATOR=localstack and localstack-test

# The aws-cli the docs' commands run with (tests/commands/test_docs_commands.py); it pins botocore
# exactly, so it gets a virtualenv of its own too.
AWSCLI := $(TOOLS)/awscli/bin/aws
export AWSCLI_BIN := $(abspath $(AWSCLI))
$(AWSCLI): requirements-awscli.txt
	$(PYTHON) -m venv $(TOOLS)/awscli
	$(TOOLS)/awscli/bin/pip install --quiet --disable-pip-version-check -r requirements-awscli.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

tools: $(CHECKOV) node_modules/.installed $(MINISTACK) $(AWSCLI) ## Install the test tools: Checkov, MiniStack and the aws-cli (own virtualenvs), asl-validator (npm ci)

# Graphviz draws execution reports; Chromium renders them in a test. Installed with
# apt when missing and running as root (CI); otherwise those tests skip with a reason.
system-deps: ## Install graphviz and chromium (apt, as root) for execution reports
	@if command -v dot >/dev/null && command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing graphviz and chromium with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz chromium >/dev/null; \
	else echo "note: graphviz or chromium missing (not root): execution reports and their browser test are skipped"; fi

demo: install system-deps ## Run the notification and order workflows on the embedded emulator and show what happened
	$(BIN)/python -m harness.demo

up: install $(if $(filter ministack,$(EMULATOR)),$(MINISTACK)) $(if $(filter localstack,$(EMULATOR)),$(LOCALSTACK)) ## Serve the deployed stack on 127.0.0.1:4566 (or PORT=5000; EMULATOR=embedded|ministack|localstack) for aws-cli/boto3 (Ctrl-C stops)
	$(BIN)/python -m harness.serve --emulator $(EMULATOR) --port $(PORT) --outputs build/outputs.json $(VAR_FILE_ARG) $(HOT_RELOAD_ARG)

plan: install ## While `make up` runs (same VAR_FILE): terraform plan against it, any engine; exits 0 when nothing would change
	$(BIN)/python -m harness.plan --outputs build/outputs.json $(if $(filter command line environment,$(origin PORT)),--port $(PORT)) $(VAR_FILE_ARG)

apply: install ## While `make up` runs: terraform apply of the working tree to it (its VAR_FILE unless given), printing what changed
	$(BIN)/python -m harness.apply --outputs build/outputs.json $(VAR_FILE_ARG)

test-stack: install ## While `make up VAR_FILE=tests/test.tfvars.json` runs: the end-to-end tests (or TESTS=...) against it, no deploy or destroy
	$(BIN)/python -m pytest --stack build/outputs.json -m e2e $(or $(TESTS),tests/e2e) $(PYTEST_ARGS)

# The tests assume tests/test.tfvars.json's short retries: the stack make watch serves gets them.
watch: install $(if $(filter ministack,$(EMULATOR)),$(MINISTACK)) ## Serve the stack (or use the running one) and, on each save in definitions/, lambdas/, modules/ or a root .tf, apply it and rerun its tests
	$(BIN)/python -m harness.watch --emulator $(EMULATOR) --port $(PORT) --outputs build/outputs.json --var-file $(abspath $(or $(VAR_FILE),tests/test.tfvars.json)) $(HOT_RELOAD_ARG)

package: ## Build the Lambda deployment packages Terraform deploys (build/lambdas/*.zip, reproducible)
	$(PYTHON) scripts/package_lambdas.py

test: install system-deps tools lint ## Run every test (what CI runs); the load test can be left out: PYTEST_ARGS='-m "not load"'
	SECURITY_GATE_REQUIRED=1 MINISTACK_REQUIRED=1 $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

lint: install ## ruff (lint, format check) and lint-imports (the harness layering); settings in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test-unit: install ## Only the tests that need no emulator
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-e2e: install ## Only the end-to-end tests on the embedded emulator
	$(BIN)/python -m pytest -m e2e $(XDIST) $(PYTEST_ARGS)

ministack-test: install tools ## The suite via terraform apply on MiniStack (started for the run)
	PYTHON=$(BIN)/python scripts/localstack-test.sh --engine ministack $(XDIST) $(PYTEST_ARGS)

localstack-test: install tools $(LOCALSTACK) ## The suite via terraform apply on LocalStack: at LOCALSTACK_HOST, else started (Docker + token, else on the host)
	PYTHON=$(BIN)/python scripts/localstack-test.sh $(XDIST) $(PYTEST_ARGS)

bench: install $(MINISTACK) ## Measure the workflows, the emulator and every engine side by side; writes the measured part of docs/benchmarks.md and build/bench.json
	$(BIN)/python -m harness.bench

clean: ## Remove the virtualenv and build output
	rm -rf $(VENV) build .pytest_cache $(TOOLS) node_modules
