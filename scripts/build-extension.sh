#!/usr/bin/env bash
# Builds the add-on into dist/extension/firefox/ and dist/extension/chromium/ (load it from
# there: Firefox takes the folder's manifest.json as a temporary add-on, Chromium the folder
# unpacked) and packs each as a zip in dist/ for installing or uploading.
# Usage: scripts/build-extension.sh [--no-zip]
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsx extension/build/build.ts
if [ "${1:-}" != "--no-zip" ]; then
  for browser in firefox chromium; do
    npx web-ext build --source-dir "dist/extension/$browser" --artifacts-dir dist --overwrite-dest \
      --filename "push-service-{version}-$browser.zip" >/dev/null
    echo "[build] zip: $(ls dist/push-service-*-"$browser".zip)"
  done
fi
