#!/usr/bin/env bash
# Set up and run the whole test suite: lint and type checks, the installed wheel, then
# every test on SQLite and on PostgreSQL, each pass spread over the machine's cores by
# pytest-xdist (PYTEST_WORKERS=auto by default; one database per worker).
#
# Installs what the tests need and the project does not (Debian's Chromium for browser
# tests, CJK fonts, poppler and zbar for reading PDFs and QR codes) when run as root;
# starts the local PostgreSQL cluster if it is not running; names this run's databases
# after a fresh base name (each worker creates <base>_gwN, tests/databases.py) and drops
# whatever is left of them afterwards.  With CI=true, a missing PostgreSQL fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
PG_URL_BASE=${LABSYS_TEST_PG:-postgresql+psycopg://postgres@127.0.0.1:5432}
PYTEST_WORKERS=${PYTEST_WORKERS:-auto}
LINTED=(labsys tests bench scripts migrations setup.py)
SYSTEM_PACKAGES=(chromium chromium-driver fonts-noto-cjk fonts-wqy-microhei poppler-utils zbar-tools wrk)

step() { printf '\n==> %s\n' "$*"; }

install_system_packages() {
    local missing=()
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "missing system packages (install them as root): ${missing[*]}" >&2
        return 0
    fi
    step "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    step "pip: upgrading pip"
    "$VENV/bin/pip" install --upgrade pip
    step "pip: installing labsys with its development tools"
    "$VENV/bin/pip" install -e '.[postgres,dev]'
}

timed() {
    # timed LABEL command...: run it and say how long it took (BENCHMARKS.md keeps these).
    local label=$1 start=$SECONDS
    shift
    "$@"
    printf '    (%s: %d s)\n' "$label" $((SECONDS - start))
}

start_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        step "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    fi
    return 1
}

drop_run_databases() {
    # Workers drop their own databases; this catches those of a run that was killed.
    local name
    for name in $("${psql_admin[@]}" -Atc \
        "SELECT datname FROM pg_database WHERE datname LIKE '${db}\\_%'"); do
        "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" || true
    done
}

PASSED=0
run_pytest() {
    # pytest exits 5 when it collected nothing: that is a failure here too.
    local log
    log=$(mktemp)
    "$VENV/bin/python" -m pytest -p no:cacheprovider -n "$PYTEST_WORKERS" "$@" | tee "$log"
    PASSED=$((PASSED + $(grep -oE '[0-9]+ passed' "$log" | tail -n1 | cut -d' ' -f1)))
    rm -f "$log"
}

step "system packages"
install_system_packages
step "virtual environment"
setup_venv
step "lint and types"
"$VENV/bin/ruff" check "${LINTED[@]}"
"$VENV/bin/ruff" format --check "${LINTED[@]}"
"$VENV/bin/mypy"  # labsys/core and labsys/services, configured in pyproject.toml

step "the installed wheel"
timed "wheel" env VENV="$VENV" bash scripts/check_wheel.sh

step "tests on SQLite"
LABSYS_TEST_DATABASE_URL= timed "SQLite pass" run_pytest -q

step "tests on PostgreSQL"
if start_postgres; then
    db="labsys_test_$(date +%s)_$$"
    psql_admin=(psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
    trap drop_run_databases EXIT
    LABSYS_TEST_DATABASE_URL="$PG_URL_BASE/$db" timed "PostgreSQL pass" run_pytest -q
elif [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432: the PostgreSQL pass cannot run" >&2
    exit 1
else
    echo "PostgreSQL is not answering on 127.0.0.1:5432: skipping the PostgreSQL pass" >&2
fi

step "benchmark smoke runs"
timed "benchmark smoke runs" bash scripts/bench_smoke.sh

# Both passes, in the plain form CI reads (a failure above has already stopped the run).
echo
echo "tests: $PASSED passed, 0 failed"
