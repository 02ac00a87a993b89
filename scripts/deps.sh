#!/usr/bin/env bash
# Installs rtml's build and test dependencies from Debian's packages when any is missing.
set -euo pipefail
packages=(build-essential cmake pkg-config libprotobuf-dev protobuf-compiler libonnx-dev libxsimd-dev
          libgtest-dev libgmock-dev libbenchmark-dev libsimdjson-dev libboost-dev
          libcpp-httplib-dev curl wrk python3-onnx python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
