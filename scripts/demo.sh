#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds and runs the tour (examples/tour)
# on the in-memory stores. Pass a PostgreSQL URL to run the same tour on PostgreSQL:
#   bash scripts/demo.sh postgresql://user:pw@host/db
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The tour's outbox step needs the webhook publisher (MINK_WITH_HTTP; libcurl is installed above).
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMINK_BUILD_TESTS=OFF \
  -DMINK_BUILD_EXAMPLES=ON -DMINK_WITH_HTTP=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target example_tour
./build/release/examples/example_tour "$@"
