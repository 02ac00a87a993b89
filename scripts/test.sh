#!/usr/bin/env bash
# The whole test suite: install what is missing, build and run every test twice, in a Release
# build and in an AddressSanitizer + UndefinedBehaviorSanitizer build. Tests that read ../shared
# skip with a message where it is absent. Benchmarks are built (not run) in the Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRTML_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTML_SANITIZE=ON -DRTML_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
# alloc_dealloc_mismatch=0: the allocation-counting tests replace the global operator new with
# malloc-based versions, and ASan's new/free bookkeeping cannot tell those from a real mismatch.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:alloc_dealloc_mismatch=0 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs" --timeout 1800)
