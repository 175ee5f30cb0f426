# Two commands do everything on a fresh machine with Python 3.11, git and make:
#   make demo   - create .venv, install, build a demo support repo with a month of history, render its report
#   make test   - install what the tests need and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := build/demo
MONTH := 2026-10

.PHONY: demo demo-data test test-fast install install-test browser imap pdf-tools lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/python -m supportctl.cli.demo $(DEMO)
	cd $(DEMO) && ../../$(BIN)/supportctl sla check --month $(MONTH)
	cd $(DEMO) && ../../$(BIN)/supportctl report --month $(MONTH) --format md -o report.md
	cd $(DEMO) && ../../$(BIN)/supportctl report --month $(MONTH) --format html -o report.html
	@echo "Demo report: $(CURDIR)/$(DEMO)/report.md and $(CURDIR)/$(DEMO)/report.html"

# Regenerate the shipped data/ from demo/scenario.yaml (KB articles gain their ticket links).
demo-data: install
	$(BIN)/python -m supportctl.cli.demo $(DEMO)
	rm -rf data/tickets data/worklogs
	cp -r $(DEMO)/data/tickets $(DEMO)/data/worklogs data/
	cp $(DEMO)/data/kb/*.md data/kb/

# Debian's chromium for the browser test of the HTML report (never a downloaded browser).
browser:
	@bash scripts/ensure-chromium

# Debian's dovecot-imapd for the IMAP fetch tests (they start their own; the service stays off).
imap:
	@bash scripts/ensure-dovecot

# Debian's poppler-utils, DejaVu fonts and Pango for `report --format pdf` and its tests.
pdf-tools:
	@bash scripts/ensure-pdf-tools

test: install-test browser imap pdf-tools lint
	$(BIN)/python -m pytest

# The quick subset for a developer's edit-test loop (no lint, no browser, no multi-process tests).
test-fast: install-test
	$(BIN)/python -m pytest -m "not slow" -x

lint: install-test
	$(BIN)/ruff check supportctl tests bench scripts
	$(BIN)/ruff format --check supportctl tests bench scripts
	$(BIN)/mypy supportctl
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf build $(VENV)
