# The README's two commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_GET := $(shell command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo) apt-get

.PHONY: setup demo test test-fast lint bench clean chromium wrk lock

setup: node_modules/.installed $(VENV)/.installed

# Python dependencies come from the hash-pinned lock (`make lock` regenerates it from pyproject.toml);
# installing the project copies the npm assets into ui/static/vendor (setup.py), hence node_modules first.
$(VENV)/.installed: pyproject.toml requirements-dev.lock setup.py node_modules/.installed
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sanbiao needs Python 3.11+"'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { $(APT_GET) update && $(APT_GET) install -y python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
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

## The tests without model training, servers, the browser, crash and fuzz tests (about 20 s)
test-fast: setup
	$(BIN)/pytest -W error::litestar.exceptions.LitestarDeprecationWarning -m "not slow"

## Re-pin the Python dependencies (with hashes) after a change to pyproject.toml
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml
	.lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml
	rm -rf .lock-venv

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

wrk: # bench/followups.py drives its load with wrk (Debian's)
	@command -v wrk >/dev/null || { $(APT_GET) update && $(APT_GET) install -y wrk; }

bench: setup wrk
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) node_modules ui/static/vendor build .pytest_cache .ruff_cache
