# Targets are listed by `make help`. Variables can be overridden: make up PORT=5000
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 4566
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help install demo up test test-unit test-e2e clean

help: ## List the targets
	@grep -hE '^[a-z][a-z0-9_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

install: $(BIN)/.installed ## Create the virtualenv with the pinned dependencies

demo: install ## Run the notification workflow on the embedded emulator and show what happened
	$(BIN)/python -m harness.demo

up: install ## Serve the deployed stack on 127.0.0.1:$(PORT) for aws-cli/boto3 (Ctrl-C stops)
	$(BIN)/python -m harness.serve --port $(PORT) --outputs build/outputs.json

test: install ## Run every test (what CI runs)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: install ## Only the tests that need no emulator
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-e2e: install ## Only the end-to-end tests on the embedded emulator
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

clean: ## Remove the virtualenv and build output
	rm -rf $(VENV) build .pytest_cache
