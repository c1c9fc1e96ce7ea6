#!/usr/bin/env bash
# `npm run bench`: the raw RabbitMQ ceiling and the full path through the server, in one
# run on this machine (see bench/run.ts). Makes sure RabbitMQ and memcached run, then —
# when rabbitmqctl is usable (as root on Debian) — gives the benchmark a vhost of its own,
# deleted afterwards, so nothing it declares can touch a real deployment's objects. Without
# rabbitmqctl it uses the default vhost and deletes what it made by name.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bench] %s\n' "$*" >&2; }

bash scripts/services.sh

VHOST=push-bench
RABBITMQCTL=$(PATH="$PATH:/usr/sbin" command -v rabbitmqctl || true)
if [ -z "${AMQP_URL:-}" ] && [ -n "$RABBITMQCTL" ] && "$RABBITMQCTL" -q list_vhosts >/dev/null 2>&1; then
  # A vhost left by an interrupted run is dropped first: the benchmark starts from nothing.
  "$RABBITMQCTL" -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
  "$RABBITMQCTL" -q add_vhost "$VHOST" >/dev/null
  "$RABBITMQCTL" -q set_permissions -p "$VHOST" guest '.*' '.*' '.*' >/dev/null
  trap '"$RABBITMQCTL" -q delete_vhost "$VHOST" >/dev/null 2>&1 || true' EXIT
  export BENCH_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/$VHOST"
  export BENCH_VHOST_NOTE="dedicated vhost $VHOST, deleted after the run"
else
  say "rabbitmqctl not usable (or AMQP_URL set): using the default vhost, cleaning up by name"
fi

# 100,000 devices need 100,000 sockets on each side: raise this shell's file-handle limit
# (root may raise the hard one) so the server, fleets and RabbitMQ clients inherit it.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

npx tsx bench/run.ts "$@"
