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

# Links printed on reports (QR codes, the demo's included) follow the address served;
# set LABSYS_BASE_URL yourself when users reach the app by another name.
run: export LABSYS_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	@echo "==> secret key"
	$(BIN)/labsys secret-key
	@echo "==> database, first admin and demo data (links to $(LABSYS_BASE_URL))"
	$(BIN)/labsys quickstart
	@echo "==> serving"
	$(BIN)/labsys serve --host $(HOST) --port $(PORT)

test:
	bash scripts/test.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	@echo "==> virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> installing labsys and its dependencies (about a minute the first time)"
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[postgres]'
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

# Everything the build, the tests and the benchmarks leave behind (never instance/: it
# holds the database and the secret key).
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .mypy_cache bench/out build dist
	rm -rf *.egg-info labsys.egg-info .coverage htmlcov test-results playwright-report test-artifacts
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
