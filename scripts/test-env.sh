# Sourced by test.sh and tsan.sh (from the repository root): installs what is missing, starts
# the throwaway PostgreSQL (stopped again when the calling script exits) and exports what the
# PostgreSQL tests read.
bash scripts/install-deps.sh

MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh </dev/null)
export MINK_TEST_DATABASE_URL
trap 'bash scripts/pg-down.sh' EXIT
export MINK_REQUIRE_POSTGRES=1   # a PostgreSQL test that cannot connect fails, never skips
# The recovery test restarts that server for real (ctest runs PostgreSQL tests one at a time).
export MINK_TEST_PG_RESTART="bash $(pwd)/scripts/pg-restart.sh"
# Compile through ccache: a second run (CI after a local run, or the next commit) recompiles
# only what changed. Paths are made relative to the checkout so any clone shares the cache.
if command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=1
fi
