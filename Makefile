# The two commands: `make run` and `make test`. Both set up .venv first and are quick when
# nothing changed (the install step reruns only when pyproject.toml changes).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test index lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch, pinned, before sentence-transformers (an unpinned torch pulls CUDA).
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

index: $(STAMP)
	$(BIN)/copilot kb build --if-stale

run: index
	$(BIN)/copilot serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest
	$(BIN)/copilot kb build --if-stale
	$(BIN)/copilot eval gate

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: index
	$(BIN)/copilot bench retrieval --scale 10000

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
