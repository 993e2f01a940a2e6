#!/usr/bin/env bash
# The installable package: build the wheel, install it into a fresh virtual environment
# outside the checkout (no system site-packages, dependencies through pip), then, from a
# folder outside the checkout, run `labsys init` on a new SQLite database and serve the app
# on a free loopback port: /login must answer with the login page and its stylesheet.
# Templates, static files, translations, migrations and the reference catalog can then only
# have come from the wheel.  pip's cache (~/.cache/pip) keeps the second run fast.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
unset PYTHONPATH  # nothing may come from the checkout

work=$(mktemp -d "${TMPDIR:-/tmp}/labsys-wheel.XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# setuptools builds in ./build and never deletes there: a stale copy of a removed template
# would ship.  Start from nothing.
rm -rf build
"$VENV/bin/pip" wheel --quiet --no-deps --wheel-dir "$work/dist" .
rm -rf build
wheel=$(ls "$work"/dist/labsys-*.whl)
echo "built $(basename "$wheel")"

# The project's pip installs into the new environment (no pip of its own to bootstrap), and
# skips compiling every dependency's bytecode up front: a throwaway environment.
"$VENV/bin/python" -m venv --without-pip "$work/venv"
"$VENV/bin/pip" --python "$work/venv/bin/python" install --quiet --no-compile "$wheel"

cd "$work"
export LABSYS_INSTANCE_PATH="$work/instance"
export LABSYS_DATABASE_URL="sqlite:///$work/labsys.sqlite3"
"$work/venv/bin/python" - <<'EOF'
import labsys

assert labsys.is_installed(), labsys.PACKAGE_DIR
assert "site-packages" in str(labsys.PACKAGE_DIR), labsys.PACKAGE_DIR
for name in ("templates", "migrations"):
    assert labsys.resource_dir(name).is_relative_to(labsys.PACKAGE_DIR), name
print(f"installed at {labsys.PACKAGE_DIR}")
EOF
"$work/venv/bin/labsys" secret-key
"$work/venv/bin/labsys" init

port=$("$work/venv/bin/python" -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$work/venv/bin/labsys" serve --host 127.0.0.1 --port "$port" >"$work/serve.log" 2>&1 &
server_pid=$!

base="http://127.0.0.1:$port"
for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$base/login" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.5
done
page=$(curl -fsS "$base/login")
grep -q 'name="password"' <<<"$page" || { echo "no login form at /login" >&2; exit 1; }
grep -q '登录' <<<"$page" || { echo "the login page is not in Chinese (translations?)" >&2; exit 1; }
curl -fsS -o /dev/null "$base/static/labsys.css"
echo "the installed wheel serves $base/login"
