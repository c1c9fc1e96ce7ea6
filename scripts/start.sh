#!/usr/bin/env bash
# `npm start`: the main job on a fresh machine — dependencies, RabbitMQ and memcached on
# loopback, the add-on built into dist/extension/ (a folder per browser), then the server (it
# applies the database schema itself at start). Ctrl-C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
npm run --silent build
echo
echo "Add-on built: load dist/extension/firefox/manifest.json in Firefox (about:debugging → This Firefox →"
echo "Load Temporary Add-on) or dist/extension/chromium in Chromium (chrome://extensions → Load unpacked)."
echo
exec npx tsx server/main.ts
