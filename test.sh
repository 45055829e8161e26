#!/usr/bin/env bash
# attnpde: same setup as ./run.sh (packages, Release build in build/), then the test suite.
#   ./test.sh              setup + build + ctest (extra arguments go to ctest)
#   ./test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in
#                          build-sanitize/ and the fast tests under it (no studies, no MPI)
#   ./test.sh --paraview   also installs ParaView (Debian's paraview, xvfb, xauth; its Python
#                          modules unpacked into build/paraview-python, since python3-paraview
#                          conflicts with python3-vtk9), so that the ParaView test runs
set -euo pipefail
cd "$(dirname "$0")"
./run.sh --setup-only
if [ "${1:-}" = "--paraview" ]; then
  shift
  missing=()
  for p in paraview xvfb xauth; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  if [ ! -d build/paraview-python/usr/lib/python3/dist-packages/paraview ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download python3-paraview)
    dpkg -x "$tmp"/python3-paraview_*.deb build/paraview-python
    rm -rf "$tmp"
  fi
fi
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
