#!/usr/bin/env bash
# Start or stop PostgreSQL 15 and Redis on loopback, from Debian's packages, for tests.
# PostgreSQL refuses to run as root, so its cluster runs as the `postgres` user.
set -euo pipefail
PG_VERSION=${PG_VERSION:-15}
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
DB_USER=codecourses
DB_PASSWORD=codecourses
DB_NAME=codecourses

install() {
  local missing=()
  [ -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ] || missing+=("postgresql-$PG_VERSION")
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start() {
  install
  pg_lsclusters -h | grep -q "^$PG_VERSION main" || pg_createcluster "$PG_VERSION" main -p "$PG_PORT"
  # A server started before apt upgraded its package runs a deleted binary that can no longer
  # load the new libraries (plpgsql): restart it.
  local pid_file="/var/lib/postgresql/$PG_VERSION/main/postmaster.pid"
  if [ -f "$pid_file" ] && readlink "/proc/$(head -n1 "$pid_file")/exe" | grep -q '(deleted)'; then
    pg_ctlcluster "$PG_VERSION" main restart
  fi
  pg_ctlcluster "$PG_VERSION" main start 2>/dev/null || pg_ctlcluster "$PG_VERSION" main status >/dev/null
  for _ in $(seq 50); do
    su postgres -c "psql -p $PG_PORT -tAc 'select 1'" >/dev/null 2>&1 && break
    sleep 0.2
  done
  su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  END IF;
END \$\$;
SQL
  su postgres -c "psql -p $PG_PORT -tAc \"select 1 from pg_database where datname='$DB_NAME'\"" \
    | grep -q 1 || su postgres -c "createdb -p $PG_PORT -O $DB_USER $DB_NAME"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' \
      --appendonly no --logfile /tmp/codecourses-redis.log
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
}

stop() {
  pg_ctlcluster "$PG_VERSION" main stop 2>/dev/null || true
  redis-cli -p "$REDIS_PORT" shutdown nosave 2>/dev/null || true
}

env() {
  echo "DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME" \
    "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

"${1:?usage: services.sh start|stop|env}"
