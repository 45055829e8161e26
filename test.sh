#!/usr/bin/env bash
# attnpde: same setup as ./run.sh (packages, Release build in build/), then the test suite.
#   ./test.sh              setup + build + ctest (extra arguments go to ctest)
#   ./test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in
#                          build-sanitize/ and the fast tests under it (no studies, no MPI)
set -euo pipefail
cd "$(dirname "$0")"
./run.sh --setup-only
if [ "${1:-}" = "--sanitize" ]; then
  shift
  jobs=$(nproc 2>/dev/null || echo 2)
  # Without -march=native: GCC 12 reports false uninitialized values inside its AVX-512
  # intrinsics headers when they are instrumented.
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNPDE_SANITIZE=ON -DATTNPDE_NATIVE=OFF
  cmake --build build-sanitize -j"$jobs"
  # MPI and OpenMP keep buffers until exit that LeakSanitizer would report as leaks; the
  # ASan and UBSan checks themselves stay on and abort at the first error.
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-sanitize --output-on-failure -E 'StudyCase|Mpi\.|Fuzz|TwoRanks|ObservedRates|Verify' "$@"
  exit
fi
ctest --test-dir build --output-on-failure "$@"
