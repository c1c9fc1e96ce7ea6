#!/usr/bin/env bash
# `npm test`: every test — unit, integration (real RabbitMQ, memcached, SQLite/PostgreSQL)
# and e2e (real Chromium and Firefox ESR with the built add-on). Prepares what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh --browsers
npm run --silent build
exec npx vitest run "$@"
