#!/usr/bin/env bash
# `npm run build`: everything that is built rather than run from source — the admin page's
# script (dist/admin/admin.js) and the add-on (dist/extension/, and its zip unless --no-zip).
# Usage: scripts/build.sh [--no-zip]
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsx server/admin/build.ts
bash scripts/build-extension.sh "$@"
