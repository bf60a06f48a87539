# Minsheng Atlas. Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# DATASET=folder (or the environment variable ATLAS_DATASET) opens another dataset than the demo city.
DATASET ?= $(ATLAS_DATASET)
# The case store the app reads (the Live page, and the cases of every page); the demo fills an empty one.
DB ?= $(or $(ATLAS_DB),sqlite:///atlas-cases.db)

.PHONY: demo test bench lint system-deps demo-data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: create the virtual environment, install, and serve the app (http://localhost:$(PORT)) on a case store (DB=url)
demo: $(VENV)/.installed
	$(BIN)/python -m dashboard.offline
	$(BIN)/atlas info "$(or $(DATASET),demo)"
	@# Bytecode of our own modules, even where PYTHONDONTWRITEBYTECODE is set: a start compiles nothing.
	$(BIN)/python -m compileall -q geodata dashboard
	@# streamlit run dashboard/app.py, preparing the first page while the browser loads Streamlit.
	ATLAS_DATASET="$(DATASET)" ATLAS_DB="$(DB)" $(BIN)/python -m dashboard.serve --server.port $(PORT)

## system-deps: Debian packages the browser tests need (Chromium, a CJK font); root installs them
system-deps:
	@bash scripts/system-deps.sh

## test: install the test extra and run the whole suite
test: $(VENV)/.installed-test system-deps
	$(BIN)/python -m dashboard.offline
	$(BIN)/python -m pytest

## bench: benchmarks, each printed beside its baseline
bench: $(VENV)/.installed-test system-deps
	$(BIN)/python -m benchmarks

## lint: ruff
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

## demo-data: rebuild the bundled demo city from ../shared/data/changchun (seeded, re-runnable)
demo-data: $(VENV)/.installed
	$(BIN)/python -m geodata.demo.build

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts *.egg-info atlas-cases.db atlas-cases.db-wal atlas-cases.db-shm
