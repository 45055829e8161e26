#!/usr/bin/env bash
# attnpde: same setup as ./run.sh (packages, Release build in build/), then the test suite.
set -euo pipefail
cd "$(dirname "$0")"
./run.sh --setup-only
ctest --test-dir build --output-on-failure "$@"
