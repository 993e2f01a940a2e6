#!/usr/bin/env bash
# Run every benchmark in its small --smoke mode, so they never rot (the full runs are long).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
for script in bench/bench_*.py; do
    echo "--- $script --smoke"
    "$VENV/bin/python" "$script" --smoke
done
