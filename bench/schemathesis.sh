#!/usr/bin/env bash
# Issue 12's API fuzzing: schemathesis (PyPI, installed here into a venv under .build) runs the
# OpenAPI document the live server serves, with an admin's token, for a bounded time, and the run
# passes when no request got a 5xx (schemathesis' not_a_server_error check, and the server's own
# finch_http_requests_total counter). bench/fuzz_api.py does the run; see it for the setup.
#
#   bench/schemathesis.sh [--max-time SECONDS] [--seed N] [--db PREPARED.sqlite]
#
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
for product in serve recommend train; do "${build[@]}" --product "$product" >&2; done
bin="$("${build[@]}" --show-bin-path)"
venv="${FINCH_SCRATCH_PATH:-.build}/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "schemathesis.sh: installing schemathesis into $venv" >&2
  if ! dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed"; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q schemathesis
fi
FINCH_BIN="$bin" python3 bench/fuzz_api.py --schemathesis "$venv/bin/schemathesis" "$@"
