#!/usr/bin/env bash
# The main job: install what is missing, build rtml, serve the bundled example model on loopback.
# Usage: scripts/serve_example.sh [--port N]   (default 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target rtml_cli -j"$(nproc)"
exec build/rtml serve examples/churn/model.onnx --model_name churn --host 127.0.0.1 "$@"
