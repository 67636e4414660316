#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds and runs examples/basic on the
# in-memory store. Pass a PostgreSQL URL to run it against PostgreSQL instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMINK_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target example_basic
./build/release/examples/example_basic "$@"
