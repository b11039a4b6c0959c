#!/usr/bin/env bash
# The main job: install what is missing, build sealgate (build/sealgate), start
# a private MariaDB as the embedded default upstream, and run sealgate in front
# of it in the foreground (Ctrl-C stops sealgate; the MariaDB keeps running
# until `scripts/mariadb.sh stop .sealgate/mariadb`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSEALGATE_TESTS=OFF >/dev/null
cmake --build build -j"${SEALGATE_JOBS:-2}"

port=${SEALGATE_MARIADB_PORT:-3306}
state=.sealgate/mariadb
if ! scripts/mariadb.sh status "$state" >/dev/null 2>&1; then
  for candidate in $port $(seq 3307 3320); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
  done
fi
echo "$port" > .sealgate/mariadb.port 2>/dev/null || { mkdir -p .sealgate; echo "$port" > .sealgate/mariadb.port; }
scripts/mariadb.sh start "$state" "$(cat .sealgate/mariadb.port)"
port=$(cat .sealgate/mariadb.port)

listen=${SEALGATE_LISTEN:-127.0.0.1:6033}
cat <<MSG

sealgate is starting on $listen in front of MariaDB 127.0.0.1:$port.
Connect:   mariadb -h127.0.0.1 -P${listen##*:} -usealgate -psealgate
Try it:    CREATE DATABASE demo; USE demo; CREATE TABLE t (id INT PRIMARY KEY, v INT);
           BEGIN DEPLOY 'first'; ALTER TABLE t ADD COLUMN note VARCHAR(40);
           SHOW DEPLOY STATUS; COMMIT DEPLOY; SHOW DEPLOYS;
Metrics:   curl http://127.0.0.1:9033/metrics   (and /status, /healthz)
Stop:      Ctrl-C here; then scripts/mariadb.sh stop $state

MSG
export SEALGATE_ADMIN_PASSWORD=${SEALGATE_ADMIN_PASSWORD:-sealgate}
exec build/sealgate --config conf/sealgate.example.json --listen "$listen" \
  --upstream "127.0.0.1:$port" --admin-user sealgate "$@"
