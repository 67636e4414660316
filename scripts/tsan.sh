#!/usr/bin/env bash
# Builds mink's concurrency and PostgreSQL test binaries (target mink_tsan_subset) with
# ThreadSanitizer into build/tsan (-O1 -g) and runs the tests labelled
# `concurrency` (memory conformance, subscriptions, bus, idempotency) and every PostgreSQL
# test (label `postgres`: conformance, gap, 100K-event and idempotency races) against a
# throwaway PostgreSQL, started and stopped exactly as scripts/test.sh does.
#   bash scripts/tsan.sh                 # every concurrency test
#   bash scripts/tsan.sh -R Conformance  # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/test-env.sh

# TSan maps its shadow memory at fixed addresses; with a high mmap randomisation (recent
# kernels) a randomised layout can collide with it. Without ASLR it never does. Test discovery
# runs the test binaries at build time, so the build runs without ASLR too.
NO_ASLR=()
if command -v setarch >/dev/null 2>&1; then NO_ASLR=(setarch "$(uname -m)" -R); fi

BUILD=${BUILD_DIR:-build/tsan}
# The tsan preset (CMakePresets.json): -O1 -g, ThreadSanitizer, tests with PostgreSQL, no
# examples, warnings as errors. `cmake --preset tsan` gives a contributor the same build.
cmake --preset tsan -B "$BUILD" >/dev/null
"${NO_ASLR[@]}" cmake --build "$BUILD" -j"$(nproc)" --target mink_tsan_subset

export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:history_size=7
"${NO_ASLR[@]}" ctest --test-dir "$BUILD" -L "concurrency|postgres" \
  --output-on-failure -j"$(nproc)" --timeout 900 "$@"
