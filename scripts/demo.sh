#!/usr/bin/env bash
# The auction story on this machine: makes sure RabbitMQ and memcached run, builds the add-on,
# starts the push server and the auction demo, and says how to load the add-on.
# Stop with Ctrl+C. Ports: PORT (push server, 8080) and AUCTION_PORT (demo, 3000).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[demo] %s\n' "$*" >&2; }

export PORT="${PORT:-8080}"
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:$PORT}"
export DATABASE_URL="${DATABASE_URL:-sqlite:./data/push.db}"
AUCTION_PORT="${AUCTION_PORT:-3000}"

bash scripts/services.sh
bash scripts/build.sh
mkdir -p data

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

npx tsx server/main.ts &
pids+=("$!")
for _ in $(seq 1 100); do
  # node rather than curl: a minimal Debian has no curl.
  if node -e "fetch('http://127.0.0.1:$PORT/__heartbeat__').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then say "the push server did not start (see above)"; exit 1; fi
  sleep 0.2
done

AUCTION_PORT="$AUCTION_PORT" PUSH_SERVER_URL="$PUBLIC_URL" npx tsx examples/auction/main.ts &
pids+=("$!")
sleep 1

cat >&2 <<TEXT

  Push server   $PUBLIC_URL
  Auction demo  http://127.0.0.1:$AUCTION_PORT

  1. Load the add-on
     Firefox:  about:debugging#/runtime/this-firefox → "Load Temporary Add-on…"
               → choose $(pwd)/dist/extension/firefox/manifest.json
     Chromium: chrome://extensions → Developer mode → "Load unpacked" → $(pwd)/dist/extension/chromium
  2. Open the add-on's settings (toolbar button → Settings): turn notifications on, keep the
     server $PUBLIC_URL, create an account and save the recovery key.
  3. Open http://127.0.0.1:$AUCTION_PORT/items/lamp, bid with "Notify me if I'm outbid"
     ticked, answer Allow, and close the tab.
  4. Outbid yourself as someone else:
     curl -X POST http://127.0.0.1:$AUCTION_PORT/api/items/lamp/bids \\
          -H 'Content-Type: application/json' -d '{"bidder":"bob","amount":999}'
     A notification "You've been outbid" appears; it is also in the add-on's popup.

  Ctrl+C stops both servers.
TEXT
wait -n "${pids[@]}"
