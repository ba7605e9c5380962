#!/usr/bin/env bash
# Long-running fuzzing of the HTTP codec (outside CI).
#
#   tools/fuzz/run.sh [SECONDS]          atheris (libFuzzer) on tools/fuzz/fuzz_codec.py
#   tools/fuzz/run.sh --hypothesis [N]   the hypothesis suite with N examples per test
#
# atheris runs in its own venv (.venv-fuzz), never in .venv. If atheris cannot
# be installed here (it needs a wheel for this Python, or clang to build one),
# the script says so and falls back to the hypothesis long run.
set -euo pipefail
cd "$(dirname "$0")/../.."

hypothesis_run() {
    local examples="${1:-20000}"
    echo "fuzz: hypothesis long run, ${examples} examples per property"
    SQUALL_FUZZ_EXAMPLES="$examples" .venv/bin/python -m pytest -q -p no:randomly \
        -o addopts="--import-mode=importlib -p no:cacheprovider" --timeout=0 \
        tests/robustness/test_fuzz.py
}

if [[ "${1:-}" == "--hypothesis" ]]; then
    hypothesis_run "${2:-20000}"
    exit
fi

SECONDS_TO_RUN="${1:-300}"
VENV=.venv-fuzz
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
if ! $VENV/bin/python -c "import atheris" 2>/dev/null; then
    if ! $VENV/bin/python -m pip install -q --disable-pip-version-check "atheris==2.3.0"; then
        echo "fuzz: atheris could not be installed in $VENV; running the hypothesis long run instead" >&2
        hypothesis_run 20000
        exit
    fi
fi
$VENV/bin/python -m pip install -q --disable-pip-version-check -e packages/escape -e packages/httputil

# The corpus grows as libFuzzer finds new coverage; it lives under the
# git-ignored test-artifacts/ (crash-* files land there too).
mkdir -p test-artifacts/fuzz/corpus
$VENV/bin/python tools/fuzz/fuzz_codec.py --write-seeds test-artifacts/fuzz/corpus
cd test-artifacts/fuzz
exec ../../$VENV/bin/python ../../tools/fuzz/fuzz_codec.py \
    -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 corpus
