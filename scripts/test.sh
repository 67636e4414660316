#!/usr/bin/env bash
# The README's test command: installs what is missing, starts a throwaway PostgreSQL, builds
# the whole project with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test
# (unit, conformance on memory and PostgreSQL, examples, consumption tests of the compiled,
# shared and header-only shapes, compile-fail diagnostics, formatting); then builds the
# concurrency and PostgreSQL tests with ThreadSanitizer and runs them (scripts/tsan.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/test-env.sh

BUILD=${BUILD_DIR:-build/asan}
# The asan preset (CMakePresets.json): -O1 -g, ASan+UBSan, tests with PostgreSQL, examples,
# warnings as errors. `cmake --preset asan` gives a contributor the same build.
cmake --preset asan -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$(pwd)/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The PostgreSQL suites must be part of the run: an empty label means they were not built.
if ! ctest --test-dir "$BUILD" -N -L postgres | grep -q "Total Tests: [1-9]"; then
  echo "test.sh: no PostgreSQL tests were built; refusing to pass without them" >&2
  exit 1
fi
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" --timeout 600

# The same concurrency and PostgreSQL suites under ThreadSanitizer (a fresh server of its own).
bash scripts/tsan.sh
