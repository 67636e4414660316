#!/usr/bin/env bash
# Installs the Debian 12 packages mink needs to build, test and benchmark.
# Idempotent: does nothing when every package is already present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  nlohmann-json3-dev libspdlog-dev libfmt-dev libssl-dev
  libpqxx-dev libpq-dev postgresql-15 postgresql-client-15
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev clang-format
  libcurl4-openssl-dev          # mink::http
  libcpp-httplib-dev            # test servers of tests/http and tests/aws
  ccache                        # test.sh/tsan.sh: rebuilds reuse earlier compilations
  librdkafka-dev                # mink::kafka (its tests use librdkafka's mock cluster)
  python3-botocore              # tests/aws: botocore cross-check of the SigV4 signer
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "mink: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
