# The two commands: `make run` and `make test`. Both set up .venv first and are quick when
# nothing changed (the install step reruns only when pyproject.toml changes).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test index lint format bench browser clean

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

# Headless Chromium from Debian's packages for the browser tests (Playwright drives it through
# its executable path; no browser is downloaded), and a CJK font for readable screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . || \
	  { apt-get update -q && apt-get install -y -q chromium fonts-wqy-zenhei; }

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	COPILOT_REQUIRE_BROWSER=1 $(BIN)/pytest
	$(BIN)/copilot kb build --if-stale
	$(BIN)/copilot kb lint
	$(BIN)/copilot eval gate

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: index
	$(BIN)/copilot bench retrieval --scale 10000 --e5-scale 1000

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
