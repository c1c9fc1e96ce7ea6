#!/usr/bin/env bash
# Builds the add-on into dist/extension/ (load it from there, or its manifest.json, as a
# temporary add-on) and packs it as a zip in dist/ for installing or uploading.
# Usage: scripts/build-extension.sh [--no-zip]
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsx extension/build/build.ts
if [ "${1:-}" != "--no-zip" ]; then
  npx web-ext build --source-dir dist/extension --artifacts-dir dist --overwrite-dest \
    --filename "push-service-{version}.zip" >/dev/null
  echo "[build] zip: $(ls dist/push-service-*.zip)"
fi
