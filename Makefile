# labsys — the two commands of the README's quick start, and a few helpers.
#   make run    set up a virtual environment, the embedded database, a first admin and
#               demo data, then serve the app on http://127.0.0.1:8000/
#   make test   set up and run the whole test suite (lint, types, the installed wheel,
#               then SQLite and PostgreSQL, each spread over the cores by pytest-xdist)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
LINTED := labsys tests bench scripts migrations setup.py

.PHONY: run test venv translations lint wheel bench-smoke clean

run: $(VENV)/.installed
	$(BIN)/labsys secret-key
	$(BIN)/labsys quickstart
	$(BIN)/labsys serve --host $(HOST) --port $(PORT)

test:
	bash scripts/test.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

translations:
	$(BIN)/python scripts/i18n.py

lint:
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# Build the wheel and check it installs and serves on its own (outside the checkout).
wheel:
	VENV=$(VENV) bash scripts/check_wheel.sh

bench-smoke:
	bash scripts/bench_smoke.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
