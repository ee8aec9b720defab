# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint install install-dev browser clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*## /\t/'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when the package definition changed (idempotent on a warm checkout).
$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed  ## create .venv with what the demo needs

install-dev: $(VENV)/.installed-dev  ## create .venv with what the tests need

browser:  ## headless Chromium for the dashboard tests (Debian package)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found: install Debian's 'chromium' package (browser tests will be skipped)"; fi; }

demo: install  ## run the demo stream with the live dashboard on http://127.0.0.1:8000
	$(BIN)/stadssignaal demo

lint: install-dev  ## ruff on the package and tests, mypy on the core
	$(BIN)/ruff check pipeline tests
	$(BIN)/mypy

test: install-dev browser lint  ## install everything, lint, and run the tests
	$(PY) -m pytest

clean:  ## remove the virtual environment and local data
	rm -rf $(VENV) var test-artifacts
