#!/usr/bin/env bash
# Runs every sealgate test, unit and end-to-end, against a private MariaDB that
# the test suite starts itself. Exits non-zero on any failure.
# The test build (build-test/) uses clang with ASan+UBSan and libFuzzer targets.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=${SEALGATE_JOBS:-2}
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSEALGATE_SANITIZE=ON -DSEALGATE_FUZZ=ON -DSEALGATE_TESTS=ON >/dev/null
cmake --build build-test -j"$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-test --output-on-failure --timeout 900 -j"$jobs" "$@"
