# The README's two commands: `make run` and `make test` (`make check` is test's fast first part).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# make run DATA=/path/to/folder-or.duckdb: open data too big to upload from disk (README, "Data too big to upload").
DATA   ?=

.PHONY: run check test chromium bench soak demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	@echo "Customer-success analytics: open http://127.0.0.1:$(PORT) in your browser (Ctrl+C stops it)."
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)$(if $(DATA), -- --data "$(DATA)")

# Debian's chromium for the real-browser test (playwright's own browser download cannot work here).
chromium:
	@if [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing: run 'sudo apt-get install chromium' for the browser test"; fi

# Lint, types and the doctests: seconds, so it can run before every commit.
check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest --doctest-modules cs_logic -q

# The doctests ran in check: the full run takes tests/ only.
test: check chromium
	$(BIN)/python -m pytest tests

demo: $(VENV)/.installed
	$(BIN)/python data/make_demo.py

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# Browser sessions on one server (one session alone, then ten at once), then 1,000 malformed files through
# `inspect` (10 s and 1 GB each).
soak: $(VENV)/.installed-dev chromium
	$(BIN)/python -m bench.soak --sessions 1 --duration 60
	$(BIN)/python -m bench.soak
	$(BIN)/python -m bench.fuzz --count 1000
