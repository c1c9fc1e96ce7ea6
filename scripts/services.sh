#!/usr/bin/env bash
# Makes sure what the server and the tests need is installed and running on loopback:
# npm dependencies, RabbitMQ, memcached, and (with --browsers, the test run) PostgreSQL,
# Chromium and Firefox ESR.
# As root on Debian it installs missing packages with apt-get; elsewhere it says in one
# line what to install (or to use `docker compose up`).
# Usage: scripts/services.sh [--browsers]
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "please install: $* (or run the server with: docker compose up)"
  fi
  say "installing $* with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "$@" >/tmp/push-apt.log 2>&1; then
    if [ "$APT_UPDATED" = 0 ]; then
      APT_UPDATED=1
      apt-get update >/tmp/push-apt-update.log 2>&1 || true
      apt-get install -y --no-install-recommends "$@" >/tmp/push-apt.log 2>&1 ||
        die "apt-get install $* failed; see /tmp/push-apt.log"
    else
      die "apt-get install $* failed; see /tmp/push-apt.log"
    fi
  fi
}

ensure_npm_deps() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm dependencies (npm ci)…"
    npm ci --no-audit --no-fund >&2
  fi
}

ensure_memcached() {
  if port_open 11211; then return; fi
  command -v memcached >/dev/null || [ -x /usr/bin/memcached ] || apt_install memcached
  say "starting memcached on 127.0.0.1:11211"
  local user=memcache
  id -u "$user" >/dev/null 2>&1 || user=nobody
  if [ "$(id -u)" = 0 ]; then
    memcached -u "$user" -l 127.0.0.1 -p 11211 -d
  else
    memcached -l 127.0.0.1 -p 11211 -d
  fi
  for _ in $(seq 1 50); do port_open 11211 && return; sleep 0.1; done
  die "memcached did not start on 127.0.0.1:11211"
}

ensure_rabbitmq() {
  if port_open 5672; then return; fi
  command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ] || apt_install rabbitmq-server
  say "starting RabbitMQ on 127.0.0.1:5672 (takes a few seconds)…"
  # The Debian wrapper switches to the rabbitmq user with `su`, whose PAM session resets the
  # open-file soft limit to 1024: too few for a queue (and socket) per device. As root, run
  # the real start script as that user ourselves, raising the soft limit inside the session.
  local inner=/usr/lib/rabbitmq/bin/rabbitmq-server
  if [ "$(id -u)" = 0 ] && [ -x "$inner" ] && id -u rabbitmq >/dev/null 2>&1; then
    ulimit -Hn 65536 2>/dev/null || true
    ( cd /var/lib/rabbitmq &&
      su rabbitmq -s /bin/sh -c "ulimit -n 65536 2>/dev/null || ulimit -n \$(ulimit -Hn); $inner -detached" ) \
      >/tmp/push-rabbitmq.log 2>&1 || true
  else
    ( ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; PATH="$PATH:/usr/sbin" rabbitmq-server -detached ) \
      >/tmp/push-rabbitmq.log 2>&1 || true
  fi
  for _ in $(seq 1 120); do port_open 5672 && break; sleep 0.5; done
  port_open 5672 || die "RabbitMQ did not start; see /tmp/push-rabbitmq.log"
  # The port opens a little before AMQP connections are accepted.
  sleep 4
}

# Runs one SQL statement as the postgres superuser over the local socket (peer auth).
psql_as_postgres() { (cd / && su postgres -s /bin/sh -c "psql -X -qtA -v ON_ERROR_STOP=1 -c \"$1\""); }

# PostgreSQL on 127.0.0.1:5432 for the tests that run the store (and several server nodes)
# on it, plus a role they can log in as: `push`, password `push`, allowed to CREATE DATABASE
# (each test makes a throwaway database of its own). A fresh Debian cluster asks TCP clients
# for a password (scram), hence the password; where loopback is trusted it is simply unused.
# Safe to run again: it starts nothing that is already up and creates the role only once.
ensure_postgres() {
  if ! port_open 5432; then
    command -v pg_ctlcluster >/dev/null || [ -x /usr/bin/pg_ctlcluster ] || apt_install postgresql
  fi
  # Installing may already have started the new cluster (where the package may start services).
  if ! port_open 5432; then
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster in /etc/postgresql"
    say "starting PostgreSQL $version on 127.0.0.1:5432"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/tmp/push-postgres.log 2>&1 ||
      die "PostgreSQL did not start; see /tmp/push-postgres.log"
    for _ in $(seq 1 50); do port_open 5432 && break; sleep 0.2; done
    port_open 5432 || die "PostgreSQL did not open 127.0.0.1:5432; see /tmp/push-postgres.log"
  fi
  # Creating the role needs the postgres OS user (peer auth on the local socket), so only
  # as root beside a local cluster. Where that does not answer (e.g. PostgreSQL in a
  # container), the tests use the `postgres` user or TEST_POSTGRES_URL instead.
  if [ "$(id -u)" != 0 ] || ! id -u postgres >/dev/null 2>&1 || ! command -v psql >/dev/null; then
    return
  fi
  local exists
  if ! exists="$(psql_as_postgres "SELECT count(*) FROM pg_roles WHERE rolname = 'push'" 2>/dev/null)"; then
    say "no local PostgreSQL socket for the postgres user; not creating the test role push"
    return
  fi
  if [ "$exists" = 0 ]; then
    say "creating PostgreSQL role push (password push, CREATEDB) for the tests"
    psql_as_postgres "CREATE ROLE push LOGIN CREATEDB PASSWORD 'push'" >&2 ||
      die "could not create the PostgreSQL role push"
  fi
}

ensure_browsers() {
  [ -x /usr/bin/chromium ] || apt_install chromium
  [ -x /usr/bin/firefox-esr ] || apt_install firefox-esr
}

main() {
  ensure_npm_deps
  ensure_rabbitmq
  ensure_memcached
  # --browsers is what `npm test` (scripts/test.sh) passes: only the tests need PostgreSQL
  # (the server defaults to SQLite), so `npm start` on a fresh machine does not install it.
  if [ "${1:-}" = "--browsers" ]; then
    ensure_postgres
    ensure_browsers
    # The TLS tests make their certificates with the openssl command line.
    command -v openssl >/dev/null || apt_install openssl
    say "RabbitMQ, memcached and PostgreSQL are up on 127.0.0.1"
  else
    say "RabbitMQ and memcached are up on 127.0.0.1"
  fi
}

main "$@"
