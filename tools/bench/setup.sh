#!/usr/bin/env bash
# Install everything the benchmarks need; quick and idempotent when done.
#   - wrk (Debian package) for HTTP load, taskset (util-linux) for pinning
#   - .venv-bench: a virtualenv with the peers from requirements.txt
# squall itself is not installed there: the benchmark scripts put
# packages/*/src on sys.path (tools/bench/_common.py), so the work tree is
# what gets measured, and squall never depends on the peers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-bench"
python="${PYTHON:-python3}"
stamp="$venv/.bench-requirements"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "setup.sh: need root to run: $*" >&2; return 1; fi
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]} with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "setup.sh: creating $venv"
    "$python" -m venv "$venv"
fi

if ! cmp -s "$here/requirements.txt" "$stamp"; then
    echo "setup.sh: installing the peers into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi
