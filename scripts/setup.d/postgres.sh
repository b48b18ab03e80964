#!/usr/bin/env bash
# PostgreSQL for the store tests: a server on 127.0.0.1:5432, trust auth, database `test`.
# Idempotent: does nothing when something already answers on 127.0.0.1:5432.
set -euo pipefail

answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }

if answers; then
    echo "PostgreSQL already answers on 127.0.0.1:5432."
    exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    # Debian may start its own cluster (password auth on TCP): stop it, ours uses trust auth.
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h 2>/dev/null | while read -r version name _; do
            pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
        done
    fi
fi

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
DATA=${FAIRSHARE_PG_DATA:-/var/lib/postgresql/fairshare-test}
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
    RUN_AS=(runuser -u postgres --)
    mkdir -p "$DATA" /var/run/postgresql
    chown -R postgres:postgres "$DATA" /var/run/postgresql
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
fi
if ! "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=/var/run/postgresql" \
        start >/dev/null
fi

for _ in $(seq 1 30); do
    answers && break
    sleep 1
done
answers || { echo "PostgreSQL did not start; see $DATA/server.log" >&2; exit 1; }
if ! psql -h 127.0.0.1 -p 5432 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" postgres \
        | grep -q 1; then
    psql -h 127.0.0.1 -p 5432 -U postgres -c "CREATE DATABASE test" postgres >/dev/null
fi
echo "PostgreSQL started on 127.0.0.1:5432 (data in $DATA)."
