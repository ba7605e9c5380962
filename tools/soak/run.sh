#!/usr/bin/env bash
# `make soak`: wrk at full speed against the hello-world app, then 10,000 idle
# connections (about three minutes). Extra arguments go to soak.py, e.g.
#   tools/soak/run.sh --target demo          # the demo's JSON API
#   tools/soak/run.sh --rounds 10 --duration 60
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v wrk >/dev/null 2>&1; then
    echo "soak: installing wrk (apt-get install -y wrk)"
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
exec .venv/bin/python tools/soak/soak.py "$@"
