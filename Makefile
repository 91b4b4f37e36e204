# The README's two commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_GET := $(shell command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo) apt-get

.PHONY: setup demo test lint bench clean chromium

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sanbiao needs Python 3.11+"'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { $(APT_GET) update && $(APT_GET) install -y python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { $(APT_GET) update && $(APT_GET) install -y nodejs npm; }
	npm ci --no-audit --no-fund
	@touch $@

## Run the demo: a synthetic county of 5,000 residents served on http://127.0.0.1:8000
demo: setup
	$(BIN)/sanbiao demo

chromium: # browser tests drive Debian's chromium (never a downloaded browser)
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { $(APT_GET) update && $(APT_GET) install -y chromium fonts-wqy-microhei; }

## Run the test suite
test: setup chromium
	$(BIN)/pytest -W error::litestar.exceptions.LitestarDeprecationWarning

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
